"""The migration report: one model of the migration, built from the findings, the conversion and
the resources, that the Markdown, HTML and JSON renderers (``render_markdown``, ``render_html``,
``render_json``, chosen by :func:`render`) all show (schema:
meshlint/schemas/report.schema.json). Nothing here prints.

Objects are merged by identity across the inputs (an export and its repository define many
twice): every object and namespace appears once, with all its sources. Sections follow the
migration guide: blocking; converted (changed, deleted and generated objects apart); refused
conversions; unresolved references; behaviour changes (the catalogue's ``behaviour_change``
marks); Istio's own installation as one item; the steps, per namespace once; the rollback
derived from the steps.
"""
from __future__ import annotations

import re
from collections import Counter, defaultdict
from typing import TYPE_CHECKING, Any

from .. import __version__, refusals
from ..engine import Result
from ..index import ResourceIndex
from ..model import Resource, Severity
from . import installation, plan, references
from .objects import Objects, merge, public

if TYPE_CHECKING:
    from ..convert import Validator


REVISIONS = ("asm-managed", "asm-managed-stable", "asm-managed-rapid")
FORMATS = ("markdown", "html", "json")  # each rendered by this package's render_<format>.py
AREA_TITLES = {
    "input": "Unreadable input", "core": "Removed APIs", "traffic": "Traffic configuration", "authn": "Alpha authentication",
    "rbac": "Alpha RBAC", "envoyfilter": "EnvoyFilters", "cacerts": "Plugin CA certificates", "mixer": "Mixer",
    "gateway": "Gateways", "namespace": "Namespaces and injection", "install": "Istio installation (IstioOperator)",
    "schema": "Schema", "meta": "meshlint",
}
KEEP_IN_INSTALLATION = ("gateway", "install")  # findings on Istio's own objects that still need the user: gateways to replace, operator settings
_VERSION = re.compile(r"/(?:proxyv2|pilot|proxy_init|citadel|galley|mixer|sidecar_injector):(\d+\.\d+\.\d+[\w.-]*)")


def build(result: Result, revision: str = "asm-managed", validate: Validator | None = None, inputs: list[str] | None = None,
          assume_rbac_on: bool = False) -> dict[str, Any]:
    """The report's data. ``validate`` also checks converted objects (the user's CRDs, --schemas);
    ``inputs`` are the paths as given (for the commands the report prints)."""
    from ..convert import convert

    resources = [r for s in result.sources for r in s.resources]
    index = result.index  # the run's: inputs and --context
    objects = Objects(resources)
    members, install = installation.detect(resources)
    items = merge(result.findings, objects)
    conv = plan.conversion(convert(result, validate=validate), objects)
    sorted_items = _Items(result, items, members, conv)
    live, blocking = sorted_items.live, sorted_items.blocking
    unresolved_refs = references.unresolved(live, objects, index, assume_rbac_on)
    exports = {s.path for s in result.sources if plan.is_export(s.resources)}
    namespaces = plan.namespaces(objects, index, exports, revision, _blocked_namespaces(blocking))
    changed, deleted, generated = conv["changed"], conv["deleted"], conv["generated"]
    apply = plan.apply_steps(inputs or [], list(result.files), conv["files"], generated, exports)
    steps = _steps(changed, deleted, generated, apply, [n for n in namespaces if n["to_move"]], revision)
    rollback = plan.rollback(namespaces, generated, changed, deleted, any(it["_finding"].fix is not None for it in sorted_items.gateways))
    sections = {
        "installation": _installation(install, sorted_items.folded, members, objects),
        "blocking": sorted_items.blocking_groups(),
        "converted": {"changed": [public(e) for e in changed], "deleted": [public(e) for e in deleted],
                      "generated": [public(e) for e in generated], "files": conv["files"], "apply": apply},
        "refused": _refused(sorted_items.refused, conv),
        "unresolved": unresolved_refs,
        "behaviour_changes": [{**public(it), "change": sorted_items.behaviour(it)} for it in sorted_items.changes],
        "review": [public(it) for it in sorted_items.review],
        "mesh_ca": _mesh_ca(index, objects),
        "gateways": {"ingress": list(_INGRESS), "custom": [public(it) for it in sorted_items.gateways]},
        "namespaces": [{k: v for k, v in n.items() if k != "rollback"} for n in namespaces],
        "steps": steps,
        "finish": list(_FINISH),
        "rollback": rollback,
    }
    counts = _counts(result, objects, namespaces, sorted_items, sections)
    report = {
        "version": "2.0",
        "tool": {"name": "meshlint", "version": __version__},
        "revision": revision,
        "inputs": _inputs(result, resources, objects, exports),
        **sections,
        "counts": counts,
        "verdict": _verdict(counts),
    }
    report["objects"] = objects.table()  # last: every object the sections above named, once, with all its sources
    objects.release()
    return report


class _Items:
    """The report's findings (merged per object) sorted into its sections."""

    def __init__(self, result: Result, items: list[dict[str, Any]], members: list[Resource], conv: dict[str, Any]) -> None:
        self.rules = result.rules
        in_install = {(r.file, r.doc_index, r.item_index) for r in members}
        self.deleted_keys = {e["_key"] for e in conv["deleted"]}
        self.converted_keys = self.deleted_keys | {e["_key"] for e in conv["changed"]}
        self.folded: list[dict[str, Any]] = []  # findings on Istio's own installation: one item
        self.live: list[dict[str, Any]] = []
        for it in items:
            f = it["_finding"]
            (self.folded if (f.file, f.doc, f.item) in in_install and self.area(f.code) not in KEEP_IN_INSTALLATION else self.live).append(it)
        self.refusal_ids = {id(f) for f in refusals.refused(result.findings, self.rules)}
        self.fixed_by = {(it["code"], it["_object"]) for it in items if it["_finding"].fix is not None}
        open_items = [it for it in self.live if not self.resolved(it)]
        self.blocking = [it for it in open_items if it["severity"] == "error"]
        self.refused = [it for it in self.live if self.is_refusal(it)]
        self.changes = [it for it in self.live if self.behaviour(it)]
        self.review = [it for it in open_items if it["severity"] == "warning" and not self.is_refusal(it) and not self.behaviour(it)
                       and self.area(it["code"]) != "gateway"]
        self.gateways = [it for it in self.live if self.area(it["code"]) == "gateway"]

    def area(self, code: str) -> str:
        return self.rules[code].area if code in self.rules else "meta"

    def resolved(self, it: dict[str, Any]) -> bool:
        key = it["_object"]
        return key in self.deleted_keys or (it["_finding"].fix is not None and key in self.converted_keys)

    def is_refusal(self, it: dict[str, Any]) -> bool:
        """A rule that converts did not convert this object (another finding of it carrying the fix is no refusal)."""
        return (id(it["_finding"]) in self.refusal_ids
                and (it["code"], it["_object"]) not in self.fixed_by and not self.resolved(it))

    def behaviour(self, it: dict[str, Any]) -> str | None:
        rule = self.rules.get(it["code"])
        return rule.behaviour.get(it["_key"]) if rule is not None else None

    def blocking_groups(self) -> dict[str, Any]:
        """The blocking items by area, with the area's title."""
        groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for it in self.blocking:
            groups[self.area(it["code"])].append(public(it))
        return {"count": len(self.blocking), "groups": [{"area": a, "title": AREA_TITLES.get(a, a), "items": its} for a, its in sorted(groups.items())]}


def _blocked_namespaces(blocking: list[dict[str, Any]]) -> set[str]:
    """The namespaces a blocking finding holds back (its object's, or the Namespace's own)."""
    blocked_ns = {it["_object"][2] for it in blocking if it["_object"] and it["_object"][2]}
    blocked_ns |= {it["_object"][3] for it in blocking if it["_object"] and it["_object"][1] == "Namespace"}
    return blocked_ns


def _refused(refused: list[dict[str, Any]], conv: dict[str, Any]) -> list[dict[str, Any]]:
    """Refused conversions: the findings that say so, then what convert left as it was (a file, or one object)."""
    return [{**public(it), "reason": it["message"]} for it in refused] + [
        {"code": None, "name": None, "severity": "error", "message": e["message"], "short": e["reason"], "object": None,
         "path": "", "sources": e["sources"], "reason": e["reason"], "not_converted": e["not_converted"],
         "converted_elsewhere": e["converted_elsewhere"]} for e in conv["failed"]]


def _inputs(result: Result, resources: list[Resource], objects: Objects, exports: set[str]) -> dict[str, Any]:
    """What was read: counts, exports, the Istio versions the images show and the add-on's markers."""
    versions = Counter(m.group(1) for r in resources if r.kind in ("Deployment", "Pod", "DaemonSet", "StatefulSet")
                       for m in _VERSION.finditer(str(r.spec)))
    markers = sorted({v for r in resources for v in (r.labels.get("istio.io/rev"), r.name) if isinstance(v, str) and re.fullmatch(r"istio-1\d{3}", v or "")})
    return {"files": len(result.files), "documents": len(resources), "objects": len(objects), "not_objects": len(result.not_objects),
            "in_several_files": len(objects.in_several_files()), "exports": sorted(exports),
            "istio_versions": dict(sorted(versions.items())), "addon_markers": markers}


def _mesh_ca(index: ResourceIndex, objects: Objects) -> list[dict[str, Any]]:
    """The CA secrets in istio-system that Mesh CA replaces."""
    secrets = {}
    for s in index.of_kind("Secret", namespace="istio-system"):
        if s.name in ("cacerts", "istio-ca-secret") and s.group == "":
            secrets[s.name] = s
    return [{
        "secret": f"istio-system/{name}", "object": objects.use(secret_key) if (secret_key := objects.key(s)) else None,
        "kind": "plugin CA certificates" if name == "cacerts" else "Citadel self-signed root",
        "consequence": "Mesh CA signs workload certificates after the migration, so the root of trust changes: plan for both roots to be trusted while old and new workloads coexist, and re-issue anything pinned to the old root.",
    } for name, s in sorted(secrets.items())]


_INGRESS = ("Install the managed ingress gateway (an injection-based Deployment with the gateway template and the istio.io/rev label) with the labels your Gateways select (istio: ingressgateway).",
            "Shift traffic to its Service (or move the LoadBalancer IP), then delete the add-on's istio-ingressgateway.")
_FINISH = ("kubectl get namespace -l istio-injection=enabled  # expect none left",
           "gcloud container clusters update CLUSTER --update-addons=Istio=DISABLED  # remove the Istio on GKE add-on once every workload runs on the new control plane",
           "kubectl delete namespace istio-system --ignore-not-found  # only after the add-on is gone and nothing else lives there")


def _steps(changed: list[dict[str, Any]], deleted: list[dict[str, Any]], generated: list[dict[str, Any]], apply: dict[str, Any],
           to_move: list[dict[str, Any]], revision: str) -> list[dict[str, Any]]:
    """The cluster steps in order: save, apply, delete, then each namespace to move."""
    steps: list[dict[str, Any]] = []
    if changed or deleted:
        steps.append({"id": "save", "title": "Save the objects the migration changes or deletes", "commands": plan.save_originals(changed, deleted), "notes": []})
    if changed or deleted or generated:
        steps.append({"id": "apply", "title": "Apply the converted configuration", "commands": apply["commands"], "notes": apply["notes"]})
    if deleted:
        steps.append({"id": "delete", "title": "Delete what the conversion removed (applying never deletes)", "commands": plan.delete_commands(deleted), "notes": []})
    for ns in to_move:
        steps.append({"id": f"namespace:{ns['namespace']}", "title": f"Move namespace {ns['namespace']} to {revision}", "commands": ns["commands"],
                      "notes": ([f"No PodDisruptionBudget covers {', '.join(ns['deployments_without_pdb'])}; the restart can take them down."]
                                if ns["deployments_without_pdb"] else [])})
    return steps


def _installation(install: dict[str, Any] | None, folded: list[dict[str, Any]], members: list[Resource], objects: Objects) -> dict[str, Any] | None:
    """Istio's own installation as one item (the findings on it folded in), when the inputs hold it."""
    if install is None:
        return None
    by_code = Counter(it["code"] for it in folded)
    return {**install, "objects": len({objects.key(r) for r in members if objects.key(r)}), "documents": len(members),
            "findings": sum(len(it["sources"]) for it in folded), "by_code": dict(sorted(by_code.items())),
            "action": "This is Istio's own installation; the managed control plane replaces it. Do not convert or re-apply it: "
                      "keep it until every namespace runs on the new revision, then remove it with the add-on (or delete these manifests from the repository)."}


def _counts(result: Result, objects: Objects, namespaces: list[dict[str, Any]], items: _Items, sections: dict[str, Any]) -> dict[str, Any]:
    """The report's numbers, from the result and the sections built."""
    conv, install = sections["converted"], sections["installation"]
    return {
        "findings": len(result.findings), "errors": result.count(Severity.ERROR), "warnings": result.count(Severity.WARNING),
        "infos": result.count(Severity.INFO), "fixable": sum(1 for f in result.findings if f.fixable),
        "files": len(result.files), "objects": len(objects), "namespaces": len(namespaces),
        "injected_namespaces": sum(1 for n in namespaces if n["injected"]), "namespaces_to_move": sum(1 for n in namespaces if n["to_move"]),
        "blocking": len(items.blocking), "changed": len(conv["changed"]), "deleted": len(conv["deleted"]), "generated": len(conv["generated"]),
        "refused": len(sections["refused"]), "unresolved": len(sections["unresolved"]), "behaviour_changes": len(items.changes), "review": len(items.review),
        "custom_gateways": len(items.gateways), "installation_objects": install["objects"] if install else 0,
        "steps": len(sections["steps"]), "rollback": len(sections["rollback"]),
        "by_area": {a: dict(Counter(it["severity"] for it in items.live if items.area(it["code"]) == a))
                    for a in sorted({items.area(it["code"]) for it in items.live})},
    }


def _verdict(counts: dict[str, Any]) -> dict[str, str]:
    """MIGRATION_CONFIG_ERROR when something blocks, CUSTOM_CONFIGS_DETECTED when something needs the user, else SUCCESS; and why."""
    c = counts
    if c["blocking"]:
        return {"state": "MIGRATION_CONFIG_ERROR", "reason": f"{c['blocking']} blocking item(s) must be fixed by hand before migrate-configs."}
    if c["refused"] or c["review"] or c["behaviour_changes"] or c["unresolved"] or c["changed"] or c["deleted"] or c["generated"]:
        return {"state": "CUSTOM_CONFIGS_DETECTED",
                "reason": (f"No blocking findings; {c['changed'] + c['deleted']} object(s) to convert, {c['refused']} refused, "
                           f"{c['unresolved']} unresolved reference(s), {c['behaviour_changes']} behaviour change(s), {c['review']} for review.")}
    return {"state": "SUCCESS", "reason": "Nothing blocks the migration: no blocking or manual-review findings."}


def render(report: dict[str, Any], format: str) -> str:
    """The report's data (:func:`build`, scrubbed) in ``format``, one of :data:`FORMATS`: the one way
    the CLI and the API render it. Only the chosen renderer is imported."""
    import importlib

    if format not in FORMATS:
        raise ValueError(f"unknown format {format!r} (choose from {', '.join(FORMATS)})")
    text: str = importlib.import_module(f"{__name__}.render_{format}").render(report)
    return text
