"""Unresolved references: what a conversion or a gateway needed from the inputs and did not find
(a Service, a ServiceRole, a gateway workload, the RBAC mode, a namespace), where it is
referenced, and how to supply it.

Two sources: findings reported at a reference field (a policy target, a roleRef, a selector)
whose referenced object is not among the inputs or the --context files, and what the inputs
as a whole lack (ServiceRoles without the ClusterRbacConfig that says whether 1.4 enforced
them; namespaced objects written without a namespace).
"""
from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from ..index import ResourceIndex
from ..model import Resource, value_at
from ..namespaces import is_namespaced as namespaced
from .objects import Objects, describe

_NOT_OBJECTS = ("kustomize.config.k8s.io", "config.kubernetes.io", "kpt.dev")


Missing = tuple[str, str, str]  # (kind, namespace, name or description)


def _service(name: Any, ns: str, index: ResourceIndex) -> Missing | None:
    if not isinstance(name, str) or not name:
        return None
    short, _, rest = name.partition(".")
    ns = rest.split(".")[0] if rest else ns
    return None if index.get("Service", ns, short, group="") is not None else ("Service", ns, short)


def _policy_target(res: Resource, ptr: str, index: ResourceIndex) -> Missing | None:
    m = re.fullmatch(r"/spec/targets/(\d+)(?:/name)?", ptr)
    return _service(value_at(res.body, f"/spec/targets/{m.group(1)}/name"), index.ns(res), index) if m else None


def _role_ref(res: Resource, ptr: str, index: ResourceIndex) -> Missing | None:
    if ptr != "/spec/roleRef/name":
        return None
    name = value_at(res.body, ptr)
    if not isinstance(name, str) or not name:
        return None
    ns = index.ns(res)
    return None if index.get("ServiceRole", ns, name, group="rbac.istio.io") is not None else ("ServiceRole", ns, name)


def _role_services(res: Resource, ptr: str, index: ResourceIndex) -> Missing | None:
    if not re.fullmatch(r"/spec/rules/\d+/services/\d+", ptr):
        return None
    from ..rbac.convert import resolve_services

    pattern = value_at(res.body, ptr)
    if not isinstance(pattern, str):
        return None
    ns = index.ns(res)
    if resolve_services(pattern, ns, index) != []:
        return None
    parts = pattern.split(".")
    exact = "*" not in pattern and (len(parts) == 1 or parts[1] == ns)
    return ("Service", ns, parts[0] if exact else pattern)


def _config_services(res: Resource, ptr: str, index: ResourceIndex) -> Missing | None:
    if not re.fullmatch(r"/spec/(inclusion|exclusion)/services/\d+", ptr):
        return None
    return _service(value_at(res.body, ptr), index.default_namespace, index)


def _gateway_selector(res: Resource, ptr: str, index: ResourceIndex) -> Missing | None:
    if ptr != "/spec/selector":
        return None
    sel = value_at(res.body, ptr)
    if not isinstance(sel, dict) or not sel:
        return None
    from ..gateways import is_gateway_deployment

    if any(is_gateway_deployment(d) for d in index.workloads_selected(None, sel, kinds=("Deployment",))):
        return None
    return ("gateway Deployment", "", "labelled " + ", ".join(f"{k}={v}" for k, v in sel.items()))


def _destination_port(res: Resource, ptr: str, index: ResourceIndex) -> Missing | None:
    if not ptr.endswith(("/destination/port/name", "/mirror/port/name")):
        return None
    dest = value_at(res.body, ptr.rsplit("/port/name", 1)[0])
    host = dest.get("host") if isinstance(dest, dict) else None
    if not isinstance(host, str) or host.count(".") > 1 and not host.endswith(".svc.cluster.local"):
        return None  # an external host: no Service to look the port up in
    return _service(host.split(".svc", 1)[0], index.ns(res), index)


# (referrer group, referrer kind, resolver): each resolver says what a reference field names that is missing
RESOLVERS: tuple[tuple[str, str, Callable[[Resource, str, ResourceIndex], Missing | None]], ...] = (
    ("authentication.istio.io", "Policy", _policy_target),
    ("rbac.istio.io", "ServiceRoleBinding", _role_ref),
    ("rbac.istio.io", "ServiceRole", _role_services),
    ("rbac.istio.io", "ClusterRbacConfig", _config_services),
    ("rbac.istio.io", "RbacConfig", _config_services),
    ("networking.istio.io", "Gateway", _gateway_selector),
    ("networking.istio.io", "VirtualService", _destination_port),
)

_GET = {"Service": "service", "ServiceRole": "servicerole.rbac.istio.io", "ClusterRbacConfig": "clusterrbacconfig.rbac.istio.io"}


def supply(kind: str, ns: str, name: str) -> list[dict[str, str]]:
    """How to give meshlint what is missing: what to do, and the command that fetches it (if any)."""
    if kind == "namespace":
        return [{"how": "pass --namespace NS, the namespace kubectl apply -n would use for these files", "command": ""},
                {"how": "or set namespace: in the kustomization.yaml that lists them", "command": ""}]
    if kind == "ClusterRbacConfig":
        return [{"how": "add the ClusterRbacConfig to the inputs, or pass it with --context", "command": "kubectl get clusterrbacconfig.rbac.istio.io -o yaml > rbac-config.yaml"},
                {"how": "if 1.4 enforced RBAC but the ClusterRbacConfig cannot be exported, pass --assume-rbac-on", "command": ""}]
    if kind == "gateway Deployment":
        labels = name.removeprefix("labelled ").replace(", ", ",")
        return [{"how": "add the gateway's Deployment to the inputs, or pass it with --context", "command": f"kubectl get deployment -A -l {labels} -o yaml > gateway.yaml"},
                {"how": "if no such gateway runs, the Gateway configures nothing: fix its selector or delete it", "command": ""}]
    what = _GET.get(kind, kind.lower())
    command = (f"kubectl get {what} -n {ns} {name} -o yaml > {name}-{kind.lower()}.yaml" if "*" not in name
               else f"kubectl get {what} -n {ns} -o yaml > {ns}-{kind.lower()}s.yaml")
    return [{"how": "add the file that defines it to the inputs (the repository path that holds it), or pass it with --context (read only to resolve references)",
             "command": command}]


def unresolved(items: list[dict[str, Any]], objects: Objects, index: ResourceIndex, assume_rbac_on: bool) -> list[dict[str, Any]]:
    found: dict[Missing, dict[str, Any]] = {}

    def add(missing: Missing, referrer: str | None, path: str, sources: list[dict[str, Any]], code: str | None, count: int = 1) -> None:
        entry = found.get(missing)
        if entry is None:
            kind, ns, name = missing
            label = f"{kind} {ns}/{name}" if ns and kind != "gateway Deployment" else f"{kind} {name}"
            entry = found[missing] = {"missing": label, "kind": kind, "namespace": ns or None, "name": name,
                                      "referenced_by": [], "supply": supply(kind, ns, name)}
        ref = {"object": referrer, "path": path, "code": code, "sources": sources, "objects": count}
        if ref not in entry["referenced_by"]:
            entry["referenced_by"].append(ref)

    for item in items:
        key = item.get("_object")
        if key is None or not item.get("path"):
            continue
        for res in objects.resources(key)[:1]:
            for group, kind, resolve in RESOLVERS:
                if res.group == group and res.kind == kind:
                    missing = resolve(res, item["path"], index)
                    if missing is not None:
                        add(missing, item["object"], item["path"], item["sources"], item["code"])
    roles = index.of_kind("ServiceRole", group="rbac.istio.io")
    if roles and not assume_rbac_on and not (index.of_kind("ClusterRbacConfig", group="rbac.istio.io") or index.of_kind("RbacConfig", group="rbac.istio.io")):
        for key in sorted({role_key for r in roles if (role_key := objects.key(r)) is not None}, key=describe):
            add(("ClusterRbacConfig", "", "default"), objects.use(key), "", objects.sources(key), None)
    nameless: dict[str, list[Resource]] = {}
    for key in objects.keys():  # noqa: SIM118  (an ObjectTable, not a dict)
        for res in objects.resources(key):
            if res.namespace is None and res.applied_namespace is None and namespaced(res.kind) and res.group not in _NOT_OBJECTS:
                nameless.setdefault(res.file, []).append(res)
    for file, rs in sorted(nameless.items()):
        first_key = objects.key(rs[0])
        assert first_key is not None  # a named object (it has a kind and a name)
        first = objects.sources(first_key)

        line = next((x["line"] for x in first if x["file"] == file), 1)
        add(("namespace", "", "of objects written without one"), None, "/metadata/namespace", [{"file": file, "line": line}], None, len(rs))
    return sorted(found.values(), key=lambda e: (e["kind"], e["namespace"] or "", e["name"]))
