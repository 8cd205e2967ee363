"""The migration report: the cluster steps, in the migration guide's order, derived from
the findings and the resources. ``build`` returns plain data (the JSON report, schema in
meshlint/schemas/report.schema.json); the renderers in this package turn it into Markdown,
HTML or JSON. Nothing here prints.
"""
from __future__ import annotations

import re
from collections import Counter, defaultdict
from typing import Any

from .. import __version__
from ..engine import Result
from ..index import ResourceIndex, pod_labels
from ..model import Finding, Resource, Severity

REVISIONS = ("asm-managed", "asm-managed-stable", "asm-managed-rapid")
AREA_TITLES = {
    "input": "Unreadable input", "core": "Removed APIs", "traffic": "Traffic configuration", "authn": "Alpha authentication",
    "rbac": "Alpha RBAC", "envoyfilter": "EnvoyFilters", "cacerts": "Plugin CA certificates", "mixer": "Mixer",
    "gateway": "Gateways", "namespace": "Namespaces and injection", "schema": "Schema", "meta": "meshlint",
}
_VERSION = re.compile(r"/(?:proxyv2|pilot|proxy_init|citadel|galley|mixer|sidecar_injector):(\d+\.\d+\.\d+[\w.-]*)")


def _finding(f: Finding) -> dict[str, Any]:
    return {"code": f.code, "name": f.name, "severity": str(f.severity), "message": f.message, "file": f.file, "line": f.line,
            "resource": str(f.resource) if f.resource else None}


def _injected(ns: Resource) -> bool:
    labels = ns.labels
    return labels.get("istio-injection") == "enabled" or "istio.io/rev" in labels


def _pdb_covers(pdb: Resource, labels: dict[str, str]) -> bool:
    sel = pdb.spec.get("selector")
    if not isinstance(sel, dict):
        return False
    ml = sel.get("matchLabels") if isinstance(sel.get("matchLabels"), dict) else {}
    if any(labels.get(str(k)) != str(v) for k, v in ml.items()):
        return False
    for e in sel.get("matchExpressions") or []:
        if not isinstance(e, dict):
            return False
        key, op, vals = str(e.get("key")), e.get("operator"), [str(v) for v in e.get("values") or []]
        ok = {"In": labels.get(key) in vals, "NotIn": labels.get(key) not in vals, "Exists": key in labels, "DoesNotExist": key not in labels}.get(op, False)
        if not ok:
            return False
    return bool(ml or sel.get("matchExpressions"))


def _converted(result: Result, validate=None) -> list[dict[str, Any]]:
    """What `meshlint convert` would change, per resource, with its change summary."""
    from ..convert import convert

    out = []
    for f in convert(result, validate=validate).files:
        for c in f.changes:
            out.append({"file": f.path, "resource": str(c.resource), "fixes": c.fixes, "changes": c.changes,
                        "replaced_by": [str(r) for r in c.replaced_by], "written": f.changed})
        for e in f.errors:
            out.append({"file": f.path, "resource": None, "fixes": [], "changes": {"added": [], "removed": [], "changed": []}, "replaced_by": [], "error": e, "written": False})
    return out


def build(result: Result, revision: str = "asm-managed", validate=None) -> dict[str, Any]:
    """The report's data; ``validate`` also checks converted objects (the user's CRDs, --schemas)."""
    resources = [r for s in result.sources for r in s.resources]
    index = ResourceIndex(resources)
    from ..convert import unresolved

    findings = result.findings
    manual = unresolved(findings)  # a resource that convert replaces carries no manual work
    blocking = [f for f in manual if f.severity == Severity.ERROR]
    review = [f for f in manual if f.severity == Severity.WARNING]
    fixable = [f for f in findings if f.fixable]

    versions = Counter(m.group(1) for r in resources if r.kind in ("Deployment", "Pod", "DaemonSet", "StatefulSet")
                       for m in _VERSION.finditer(str(r.spec)))
    markers = sorted({v for r in resources for v in (r.labels.get("istio.io/rev"), r.name) if isinstance(v, str) and re.fullmatch(r"istio-1\d{3}", v or "")})
    namespaces = [n for n in index.of_kind("Namespace") if _injected(n)]

    groups: dict[str, list[dict]] = defaultdict(list)
    for f in blocking:
        groups[result.rules[f.code].area if f.code in result.rules else "meta"].append(_finding(f))

    workloads = []
    for ns in sorted(namespaces, key=lambda n: n.name or ""):
        name = ns.name or "default"
        pdbs = [p for p in index.of_kind("PodDisruptionBudget", namespace=name)]
        unprotected = sorted(d.name or "?" for d in index.of_kind("Deployment", namespace=name) if not any(_pdb_covers(p, pod_labels(d)) for p in pdbs))
        both = "istio-injection" in ns.labels and "istio.io/rev" in ns.labels
        workloads.append({
            "namespace": name,
            "labels": {k: v for k, v in ns.labels.items() if k in ("istio-injection", "istio.io/rev")},
            "commands": [f"kubectl label namespace {name} istio.io/rev={revision} istio-injection- --overwrite",
                         f"kubectl rollout restart deployment -n {name}"],
            "deployments_without_pdb": unprotected,
            "ready": not both and not any(f.resource and f.resource.namespace == name for f in blocking),
        })

    secrets = [s for s in index.of_kind("Secret", namespace="istio-system") if s.name in ("cacerts", "istio-ca-secret")]
    mesh_ca = [{
        "secret": f"istio-system/{s.name}",
        "kind": "plugin CA certificates" if s.name == "cacerts" else "Citadel self-signed root",
        "consequence": "Mesh CA signs workload certificates after the migration, so the root of trust changes: plan for both roots to be trusted while old and new workloads coexist, and re-issue anything pinned to the old root.",
    } for s in secrets]

    gw_findings = [f for f in findings if f.code in ("ML710", "ML711")]
    gateways = {
        "ingress": ["Install the managed ingress gateway (an injection-based Deployment with the gateway template and istio.io/rev label) with the labels your Gateways select (istio: ingressgateway).",
                    "Shift traffic to its Service (or move the LoadBalancer IP), then delete the add-on's istio-ingressgateway."],
        "custom": [_finding(f) for f in gw_findings],
    }
    if blocking:
        verdict, reason = "MIGRATION_CONFIG_ERROR", f"{len(blocking)} blocking finding(s) must be fixed by hand before migrate-configs."
    elif review or fixable:
        verdict, reason = "CUSTOM_CONFIGS_DETECTED", f"No blocking findings; {len(fixable)} convertible and {len(review)} manual-review item(s) remain."
    else:
        verdict, reason = "SUCCESS", "Nothing blocks the migration: no blocking or manual-review findings."
    return {
        "version": "1.0",
        "tool": {"name": "meshlint", "version": __version__},
        "revision": revision,
        "export": {"files": len(result.files), "resources": result.resources, "not_objects": len(result.not_objects), "istio_versions": dict(sorted(versions.items())),
                   "addon_markers": markers, "injected_namespaces": [w["namespace"] for w in workloads]},
        "blocking": {"count": len(blocking), "groups": [{"area": a, "title": AREA_TITLES.get(a, a), "findings": fs} for a, fs in sorted(groups.items())]},
        "converted": {"count": len(fixable), "resources": _converted(result, validate),
                      "apply": "meshlint convert --out converted/ <paths>, review the diff, then kubectl apply -f converted/ (generated manifests are under converted/generated/)."},
        "review": [_finding(f) for f in review],
        "mesh_ca": mesh_ca,
        "workloads": workloads,
        "gateways": gateways,
        "finish": ["kubectl get namespace -l istio-injection=enabled  # expect none left",
                   "gcloud container clusters update CLUSTER --update-addons=Istio=DISABLED  # remove the Istio on GKE add-on once every workload runs on the new control plane",
                   "kubectl delete namespace istio-system --ignore-not-found  # only after the add-on is gone and nothing else lives there"],
        "rollback": [c for w in workloads for c in (f"kubectl label namespace {w['namespace']} istio-injection=enabled istio.io/rev- --overwrite",
                                                    f"kubectl rollout restart deployment -n {w['namespace']}")],
        "counts": {"findings": len(findings), "errors": result.count(Severity.ERROR), "warnings": result.count(Severity.WARNING),
                   "infos": result.count(Severity.INFO), "blocking": len(blocking), "fixable": len(fixable), "review": len(review),
                   "by_area": {a: dict(Counter(str(f.severity) for f in findings if result.rules.get(f.code) and result.rules[f.code].area == a))
                               for a in sorted({result.rules[f.code].area for f in findings if f.code in result.rules})}},
        "verdict": {"state": verdict, "reason": reason},
    }
