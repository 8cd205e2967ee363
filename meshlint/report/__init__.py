"""The migration report: one model of the migration, built from the findings, the conversion and
the resources, that the Markdown, HTML and JSON renderers all show (schema:
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
from ..model import Severity
from . import installation, plan, references
from .objects import Objects, merge, public

if TYPE_CHECKING:
    from ..convert import Validator


REVISIONS = ("asm-managed", "asm-managed-stable", "asm-managed-rapid")
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
    rules = result.rules

    def area(code: str) -> str:
        return rules[code].area if code in rules else "meta"

    members, install = installation.detect(resources)
    in_install = {(r.file, r.doc_index, r.item_index) for r in members}
    items = merge(result.findings, objects)
    conv = plan.conversion(convert(result, validate=validate), objects)
    deleted_keys = {e["_key"] for e in conv["deleted"]}
    converted_keys = deleted_keys | {e["_key"] for e in conv["changed"]}

    folded: list[dict[str, Any]] = []
    live: list[dict[str, Any]] = []
    for it in items:
        f = it["_finding"]
        (folded if (f.file, f.doc, f.item) in in_install and area(f.code) not in KEEP_IN_INSTALLATION else live).append(it)

    def resolved(it: dict[str, Any]) -> bool:
        key = it["_object"]
        return key in deleted_keys or (it["_finding"].fix is not None and key in converted_keys)

    refusal_ids = {id(f) for f in refusals.refused(result.findings, rules)}
    fixed_by = {(it["code"], it["_object"]) for it in items if it["_finding"].fix is not None}

    def is_refusal(it: dict[str, Any]) -> bool:
        """A rule that converts did not convert this object (another finding of it carrying the fix is no refusal)."""
        return (id(it["_finding"]) in refusal_ids
                and (it["code"], it["_object"]) not in fixed_by and not resolved(it))

    def behaviour(it: dict[str, Any]) -> str | None:
        rule = rules.get(it["code"])
        return rule.behaviour.get(it["_key"]) if rule is not None else None

    open_items = [it for it in live if not resolved(it)]
    blocking = [it for it in open_items if it["severity"] == "error"]
    refused = [it for it in live if is_refusal(it)]
    changes = [it for it in live if behaviour(it)]
    review = [it for it in open_items if it["severity"] == "warning" and not is_refusal(it) and not behaviour(it) and area(it["code"]) != "gateway"]
    gateway_items = [it for it in live if area(it["code"]) == "gateway"]
    unresolved_refs = references.unresolved(live, objects, index, assume_rbac_on)

    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for it in blocking:
        groups[area(it["code"])].append(public(it))

    exports = {s.path for s in result.sources if plan.is_export(s.resources)}
    blocked_ns = {it["_object"][2] for it in blocking if it["_object"] and it["_object"][2]}
    blocked_ns |= {it["_object"][3] for it in blocking if it["_object"] and it["_object"][1] == "Namespace"}
    namespaces = plan.namespaces(objects, index, exports, revision, blocked_ns)
    injected = [n for n in namespaces if n["injected"]]
    to_move = [n for n in namespaces if n["to_move"]]
    refused_out = [{**public(it), "reason": it["message"]} for it in refused] + [
        {"code": None, "name": None, "severity": "error", "message": e["message"], "short": e["reason"], "object": None,
         "path": "", "sources": e["sources"], "reason": e["reason"], "not_converted": e["not_converted"],
         "converted_elsewhere": e["converted_elsewhere"]} for e in conv["failed"]]

    versions = Counter(m.group(1) for r in resources if r.kind in ("Deployment", "Pod", "DaemonSet", "StatefulSet")
                       for m in _VERSION.finditer(str(r.spec)))
    markers = sorted({v for r in resources for v in (r.labels.get("istio.io/rev"), r.name) if isinstance(v, str) and re.fullmatch(r"istio-1\d{3}", v or "")})

    secrets = {}
    for s in index.of_kind("Secret", namespace="istio-system"):
        if s.name in ("cacerts", "istio-ca-secret") and s.group == "":
            secrets[s.name] = s
    mesh_ca = [{
        "secret": f"istio-system/{name}", "object": objects.use(secret_key) if (secret_key := objects.key(s)) else None,
        "kind": "plugin CA certificates" if name == "cacerts" else "Citadel self-signed root",
        "consequence": "Mesh CA signs workload certificates after the migration, so the root of trust changes: plan for both roots to be trusted while old and new workloads coexist, and re-issue anything pinned to the old root.",
    } for name, s in sorted(secrets.items())]

    custom_gateways = [public(it) for it in gateway_items]
    replaced_gateways = any(it["_finding"].fix is not None for it in gateway_items)
    gateways = {
        "ingress": ["Install the managed ingress gateway (an injection-based Deployment with the gateway template and the istio.io/rev label) with the labels your Gateways select (istio: ingressgateway).",
                    "Shift traffic to its Service (or move the LoadBalancer IP), then delete the add-on's istio-ingressgateway."],
        "custom": custom_gateways,
    }

    changed, deleted, generated = conv["changed"], conv["deleted"], conv["generated"]
    apply = plan.apply_steps(inputs or [], list(result.files), conv["files"], generated, exports)
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
    finish = ["kubectl get namespace -l istio-injection=enabled  # expect none left",
              "gcloud container clusters update CLUSTER --update-addons=Istio=DISABLED  # remove the Istio on GKE add-on once every workload runs on the new control plane",
              "kubectl delete namespace istio-system --ignore-not-found  # only after the add-on is gone and nothing else lives there"]
    rollback = plan.rollback(namespaces, generated, changed, deleted, replaced_gateways)

    if install is not None:
        by_code = Counter(it["code"] for it in folded)
        install = {**install, "objects": len({objects.key(r) for r in members if objects.key(r)}), "documents": len(members),
                   "findings": sum(len(it["sources"]) for it in folded), "by_code": dict(sorted(by_code.items())),
                   "action": "This is Istio's own installation; the managed control plane replaces it. Do not convert or re-apply it: "
                             "keep it until every namespace runs on the new revision, then remove it with the add-on (or delete these manifests from the repository)."}

    counts = {
        "findings": len(result.findings), "errors": result.count(Severity.ERROR), "warnings": result.count(Severity.WARNING),
        "infos": result.count(Severity.INFO), "fixable": sum(1 for f in result.findings if f.fixable),
        "files": len(result.files), "objects": len(objects), "namespaces": len(namespaces), "injected_namespaces": len(injected), "namespaces_to_move": len(to_move),
        "blocking": len(blocking), "changed": len(changed), "deleted": len(deleted), "generated": len(generated),
        "refused": len(refused_out), "unresolved": len(unresolved_refs), "behaviour_changes": len(changes), "review": len(review),
        "custom_gateways": len(custom_gateways), "installation_objects": install["objects"] if install else 0,
        "steps": len(steps), "rollback": len(rollback),
        "by_area": {a: dict(Counter(it["severity"] for it in live if area(it["code"]) == a))
                    for a in sorted({area(it["code"]) for it in live})},
    }
    if blocking:
        verdict, reason = "MIGRATION_CONFIG_ERROR", f"{len(blocking)} blocking item(s) must be fixed by hand before migrate-configs."
    elif refused_out or review or changes or unresolved_refs or changed or deleted or generated:
        verdict, reason = "CUSTOM_CONFIGS_DETECTED", (f"No blocking findings; {len(changed) + len(deleted)} object(s) to convert, {len(refused_out)} refused, "
                                                     f"{len(unresolved_refs)} unresolved reference(s), {len(changes)} behaviour change(s), {len(review)} for review.")
    else:
        verdict, reason = "SUCCESS", "Nothing blocks the migration: no blocking or manual-review findings."
    report = {
        "version": "2.0",
        "tool": {"name": "meshlint", "version": __version__},
        "revision": revision,
        "inputs": {"files": len(result.files), "documents": len(resources), "objects": len(objects), "not_objects": len(result.not_objects),
                   "in_several_files": len(objects.in_several_files()), "exports": sorted(exports),
                   "istio_versions": dict(sorted(versions.items())), "addon_markers": markers},
        "installation": install,
        "blocking": {"count": len(blocking), "groups": [{"area": a, "title": AREA_TITLES.get(a, a), "items": its} for a, its in sorted(groups.items())]},
        "converted": {"changed": [public(e) for e in changed], "deleted": [public(e) for e in deleted],
                      "generated": [public(e) for e in generated], "files": conv["files"], "apply": apply},
        "refused": refused_out,
        "unresolved": unresolved_refs,
        "behaviour_changes": [{**public(it), "change": behaviour(it)} for it in changes],
        "review": [public(it) for it in review],
        "mesh_ca": mesh_ca,
        "gateways": gateways,
        "namespaces": [{k: v for k, v in n.items() if k != "rollback"} for n in namespaces],
        "steps": steps,
        "finish": finish,
        "rollback": rollback,
        "counts": counts,
        "verdict": {"state": verdict, "reason": reason},
    }
    report["objects"] = objects.table()  # last: every object the sections above named, once, with all its sources
    objects.release()
    return report

