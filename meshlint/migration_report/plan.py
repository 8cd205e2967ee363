"""What the migration does to the cluster, in order: what `meshlint convert` changes, deletes and
generates (merged by object identity across the inputs), how to apply it (kustomize or plain
files), the per-namespace relabel and restart, and the rollback derived from those steps.
"""
from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ..convert import ConvertResult
from ..generated import GeneratedFile
from ..index import ResourceIndex
from ..model import Resource, ResourceId
from ..namespaces import is_namespaced as namespaced
from ..workloads import pod_labels
from .objects import Key, Objects, describe, key_of

KUSTOMIZATION_NAMES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
OUT = "converted"
ORIGINALS = "meshlint-originals.yaml"
SERVER_FIELDS = ("resourceVersion", "uid", "creationTimestamp", "selfLink", "managedFields", "generation")
FOLD = 8  # more changed files than this: one recursive apply instead of a command each


def _resource_name(ident_kind: str, group: str) -> str:
    """What kubectl calls a kind: ``servicerole.rbac.istio.io``; core kinds by their own name."""
    return f"{ident_kind.lower()}.{group}" if group else ident_kind.lower()


def kubectl_ref(key: Key) -> str:
    group, kind, ns, name = key
    return f"{_resource_name(kind, group)} {'-n ' + ns + ' ' if ns else ''}{name}"


def conversion(converted: ConvertResult, objects: Objects) -> dict[str, Any]:
    """Changed, deleted and generated objects (each once, with every source), the files that change,
    and what could not be converted because its file could not be written exactly."""
    changed: dict[Key, dict[str, Any]] = {}
    deleted: dict[Key, dict[str, Any]] = {}
    generated: dict[str, dict[str, Any]] = {}
    failed: list[dict[str, Any]] = []
    files: list[str] = []
    for f in converted.files:
        if f.errors:  # the file is left as it is: none of its conversions happen
            keys = [k for k in (objects.of_identity(r) for r in f.planned or [c.resource for c in f.changes]) if k is not None]
            failed.append({"reason": "; ".join(f.errors), "message": f"the file is left unchanged: {'; '.join(f.errors)}",
                           "sources": [{"file": f.path, "line": 1}], "_keys": keys})
            continue
        for rid, why in f.invalid:  # one resource left as it is; the rest of its file converts
            key = objects.of_identity(rid)
            failed.append({"reason": f"{rid}: {why}", "message": f"{rid}: {why}", "sources": [{"file": f.path, "line": 1}],
                           "_keys": [key] if key is not None else []})
        if f.changed:
            files.append(f.path)
        for c in f.changes if f.changed else ():
            key = objects.of_identity(c.resource)
            if key is None:
                continue
            whole = c.changes.get("removed") == [""]
            table = deleted if whole else changed
            entry = table.get(key)
            if entry is None:
                entry = table[key] = {"object": objects.use(key), "fixes": [], "replaced_by": [], "sources": objects.sources(key), "_key": key}
            for fix in c.fixes:
                if fix not in entry["fixes"]:
                    entry["fixes"].append(fix)
            _replaced_by(entry, key, c.replaced_by, objects, generated)
    _generated_files(converted.generated, objects, generated)
    for e in failed:  # an object whose copy in another file is converted is not left as it is
        keys = e.pop("_keys")
        e["not_converted"] = sorted({objects.use(k) for k in keys if k not in changed and k not in deleted})
        e["converted_elsewhere"] = sorted({objects.use(k) for k in keys if k in changed or k in deleted})
    return {"changed": sorted(changed.values(), key=lambda e: e["object"]), "deleted": sorted(deleted.values(), key=lambda e: e["object"]),
            "generated": sorted(generated.values(), key=lambda e: e["object"]), "files": files, "failed": failed}


def _replaced_by(entry: dict[str, Any], key: Key, replacements: list[ResourceId], objects: Objects, generated: dict[str, dict[str, Any]]) -> None:
    """The objects that replace a deleted or changed one: named in its entry, each generated object
    once (in ``generated``) with the objects it comes ``from``."""
    for r in replacements:
        rk = objects.of_identity(r)
        if rk is None:
            continue
        if not rk[2] and key[2] and namespaced(rk[1]):  # written without a namespace, like its source: applied in the source's
            rk = (rk[0], rk[1], key[2], rk[3])
        new_id = describe(rk)
        if new_id not in entry["replaced_by"]:
            entry["replaced_by"].append(new_id)
        g = generated.setdefault(new_id, {"object": new_id, "apiVersion": r.api_version, "from": [], "file": None, "_key": rk})
        if entry["object"] not in g["from"]:
            g["from"].append(entry["object"])


def _generated_files(extras: list[GeneratedFile], objects: Objects, generated: dict[str, dict[str, Any]]) -> None:
    """The objects of the generated files (meshlint.generated), into ``generated``: each named once,
    under generated/, with the objects that asked for it."""
    accounts = _accounts(objects)
    for extra in extras:
        where = f"{OUT}/{extra.path}"
        asked = [objects.use(k) for k in (objects.of_identity(ident) for _, ident in extra.sources if ident is not None) if k is not None]
        for o in extra.objects:
            md = o["metadata"] if isinstance(o.get("metadata"), dict) else {}
            api = str(o.get("apiVersion") or "")
            rk = key_of(api.rsplit("/", 1)[0] if "/" in api else "", o.get("kind"), md.get("namespace"), md.get("name"))
            if rk is None:
                continue
            g = generated.setdefault(describe(rk), {"object": describe(rk), "apiVersion": api, "from": [], "file": where, "_key": rk})
            g["file"] = g["file"] or where
            if objects.resources(rk) or (rk[1] == "ServiceAccount" and (rk[2], rk[3]) in accounts):
                g["_copy"] = True  # an input object (a gateway's Service) or an account an input Deployment runs as, applied again
            g["from"] += [x for x in asked if x not in g["from"]]


def _accounts(objects: Objects) -> set[tuple[str, str]]:
    """(namespace, name) of every ServiceAccount an input Deployment runs as."""
    from ..workloads import pod_spec

    out = set()
    for k in objects.keys():  # noqa: SIM118  (an ObjectTable, not a dict)
        if k[1] == "Deployment":
            for r in objects.resources(k):
                sa = pod_spec(r).get("serviceAccountName") or pod_spec(r).get("serviceAccount")
                if isinstance(sa, str) and sa:
                    out.add((k[2], sa))
    return out


def _out(path: str) -> str:
    """Where ``meshlint convert --out converted/`` writes an input (a directory: where its files go)."""
    from ..write_targets import out_relpath

    return (Path(OUT) / out_relpath(path)).as_posix()


def kustomize_roots(files: Iterable[str]) -> list[str]:
    """Directories among the inputs with a kustomization that no other kustomization among them uses."""
    from ..data_files import read_data_file

    dirs = {os.path.dirname(p) or "." for p in files if os.path.basename(p) in KUSTOMIZATION_NAMES}
    used: set[str] = set()
    for d in dirs:
        for name in KUSTOMIZATION_NAMES:
            doc = read_data_file(os.path.join(d, name), 1_000_000)
            if isinstance(doc, dict):
                for field in ("resources", "bases", "components"):
                    refs = doc.get(field)
                    for ref in refs if isinstance(refs, list) else []:
                        if isinstance(ref, str):
                            used.add(os.path.normpath(os.path.join(d, ref)))
    return sorted(d for d in dirs if os.path.normpath(d) not in used)


def _under(path: str, root: str) -> bool:
    return os.path.normpath(path).startswith(os.path.normpath(root) + os.sep) or root in ("", ".")


def apply_steps(inputs: list[str], files: list[str], changed_files: list[str], generated: list[dict[str, Any]], exports: set[str]) -> dict[str, Any]:
    """How to apply the converted configuration: `kubectl apply -k` on each kustomize root (the way a
    kustomize repository is applied), the other changed files one by one, and the generated files."""
    roots = kustomize_roots(files)
    shown = " ".join(inputs) if inputs else "PATH..."
    commands = [f"meshlint convert --out {OUT}/ {shown}"]
    commands += [f"kubectl apply -k {_out(r)}" for r in roots]
    loose = sorted({_out(p) for p in changed_files if not any(_under(p, r) for r in roots)})
    commands += [f"kubectl apply -f {t}" for t in loose] if len(loose) <= FOLD else [f"kubectl apply -R -f {OUT}/"]
    extra = [g for g in generated if g.get("file")]
    notes = []
    if roots:
        notes.append("These inputs are kustomize builds: apply the converted tree the way the repository is applied "
                     "(commit it and let your GitOps tool sync it, or kubectl apply -k).")
        if extra:
            notes.append(f"Files under {OUT}/generated/ are in no kustomization: list them under resources: in one, or apply them as below.")
    elif changed_files:
        notes.append("Apply only the files that changed.")
    if extra:
        commands.append(f"kubectl apply -R -f {OUT}/generated/")
    for e in sorted(exports & set(changed_files)):
        notes.append(f"{e} is a cluster export: its converted objects lose their server-set fields, the others keep them "
                     "(apply it only if the repository does not already hold those objects).")
    return {"kustomize": bool(roots), "roots": roots, "commands": commands, "notes": notes}


def is_export(resources: list[Resource]) -> bool:
    """A cluster export: a kind: List, or objects carrying server-set fields."""
    return any(r.item_index is not None or "status" in r.body or any(k in r.metadata for k in SERVER_FIELDS) for r in resources)


def _injection(labels: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in labels.items() if k in ("istio-injection", "istio.io/rev")}


def injected(labels: dict[str, str]) -> bool:
    return labels.get("istio-injection") == "enabled" or "istio.io/rev" in labels


def _relabel_back(name: str, labels: dict[str, str]) -> str:
    if "istio.io/rev" in labels and "istio-injection" not in labels:
        return f"kubectl label namespace {name} istio.io/rev={labels['istio.io/rev']} --overwrite"
    return f"kubectl label namespace {name} istio-injection={labels.get('istio-injection', 'enabled')} istio.io/rev- --overwrite"


def _pdb_covers(pdb: Resource, labels: dict[str, str]) -> bool:
    sel = pdb.spec.get("selector")
    if not isinstance(sel, dict):
        return False
    ml = sel["matchLabels"] if isinstance(sel.get("matchLabels"), dict) else {}
    if any(labels.get(str(k)) != str(v) for k, v in ml.items()):
        return False
    for e in sel.get("matchExpressions") or []:
        if not isinstance(e, dict):
            return False
        key, op, vals = str(e.get("key")), e.get("operator"), [str(v) for v in e.get("values") or []]
        verdicts: dict[Any, bool] = {"In": labels.get(key) in vals, "NotIn": labels.get(key) not in vals, "Exists": key in labels, "DoesNotExist": key not in labels}
        ok = verdicts.get(op, False)

        if not ok:
            return False
    return bool(ml or sel.get("matchExpressions"))


def namespaces(objects: Objects, index: ResourceIndex, exports: set[str], revision: str, blocked: set[str]) -> list[dict[str, Any]]:
    """Every namespace once: its sources, its injection labels (as the cluster has them when an
    export is among the inputs), and for injected ones the relabel and restart, and the rollback."""
    out = []
    for key in sorted((k for k in objects.keys() if k[1] == "Namespace" and k[0] == ""), key=lambda k: k[3]):  # noqa: SIM118  (an ObjectTable)
        rs = objects.resources(key)
        current = next((r for r in rs if r.file in exports), rs[-1])
        labels = _injection(current.labels)
        by_source = [{"file": s["file"], "line": s["line"], "labels": _injection(r.labels)} for s, r in zip(objects.sources(key), rs)]
        name = key[3]
        entry: dict[str, Any] = {"namespace": name, "object": objects.use(key), "sources": by_source, "labels": labels,
                                 "injected": any(injected(r.labels) for r in rs)}
        entry["to_move"] = entry["injected"] and labels != {"istio.io/rev": revision}  # already on the target revision: nothing to do
        if entry["to_move"]:
            deployments = {objects.key(d): d for d in index.of_kind("Deployment", namespace=name)}
            pdbs = index.of_kind("PodDisruptionBudget", namespace=name)
            entry["commands"] = [f"kubectl label namespace {name} istio.io/rev={revision} istio-injection- --overwrite",
                                 f"kubectl rollout restart deployment -n {name}"]
            entry["rollback"] = [_relabel_back(name, labels or {"istio-injection": "enabled"}), f"kubectl rollout restart deployment -n {name}"]
            entry["deployments_without_pdb"] = sorted({d.name or "?" for d in deployments.values() if not any(_pdb_covers(p, pod_labels(d)) for p in pdbs)})
            both = any("istio-injection" in _injection(r.labels) and "istio.io/rev" in _injection(r.labels) for r in rs)
            entry["ready"] = not both and name not in blocked
        out.append(entry)
    return out


def save_originals(changed: list[dict[str, Any]], deleted: list[dict[str, Any]]) -> list[str]:
    kinds = sorted({_resource_name(e["_key"][1], e["_key"][0]) for e in changed + deleted})
    return [f"kubectl get {','.join(kinds)} -A -o yaml > {ORIGINALS}"] if kinds else []


def delete_commands(deleted: list[dict[str, Any]]) -> list[str]:
    return [f"kubectl delete {kubectl_ref(e['_key'])} --ignore-not-found" for e in deleted]


def rollback(namespaces_: list[dict[str, Any]], generated: list[dict[str, Any]], changed: list[dict[str, Any]], deleted: list[dict[str, Any]],
             custom_gateways: bool) -> list[str]:
    """The migration guide's rollback, derived from the steps: relabel back to the add-on and restart,
    delete what the migration created, restore the saved originals. Empty when nothing changes."""
    steps: list[str] = []
    for ns in reversed([n for n in namespaces_ if n["to_move"]]):
        steps += ns["rollback"]
    if custom_gateways:
        steps.append("# shift traffic back to the original gateway Services before deleting their replacements")
    steps += [f"kubectl delete {kubectl_ref(g['_key'])} --ignore-not-found" for g in generated if not g.get("_copy")]
    copies = [g["object"] for g in generated if g.get("_copy")]
    if copies:  # deleting them would delete the original, which the old gateway still uses
        steps.append(f"# not deleted: {', '.join(copies)} (the original, applied again by a replacement gateway's file)")
    if changed or deleted:
        steps.append(f"kubectl apply -f {ORIGINALS}  # the objects saved before applying, as they were")
    return steps
