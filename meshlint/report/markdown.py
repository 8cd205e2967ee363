"""The report as GitHub-flavoured Markdown, for a pull-request comment."""
from __future__ import annotations

from typing import Any

FOLD = 8  # longer lists go into <details>


def _list(items: list[str], summary: str) -> list[str]:
    if len(items) <= FOLD:
        return items + [""]
    return [f"<details><summary>{summary} ({len(items)})</summary>", "", *items, "", "</details>", ""]


def render(report: dict[str, Any]) -> str:
    v = report["verdict"]
    c = report["counts"]
    ex = report["export"]
    out = [f"# Migration report: `{v['state']}`", "", f"**{v['reason']}**", "",
           f"{c['findings']} finding(s): {c['errors']} error(s), {c['warnings']} warning(s), {c['infos']} info; "
           f"{c['blocking']} blocking, {c['fixable']} convertible, {c['review']} for manual review. Target revision: `{report['revision']}`.", "",
           "## 1. What the export shows", "",
           f"- {ex['files']} file(s), {ex['resources']} resource(s)"
           + (f"; {ex['not_objects']} file(s) are not Kubernetes objects (kustomizations, Helm charts, patches: skipped)" if ex.get("not_objects") else ""),
           f"- Istio versions (from proxy and control-plane images): {', '.join(f'`{k}` ×{n}' for k, n in ex['istio_versions'].items()) or 'none found'}",
           f"- Add-on 1.6 markers: {', '.join(f'`{m}`' for m in ex['addon_markers']) or 'none'}",
           f"- Namespaces with injection: {', '.join(f'`{n}`' for n in ex['injected_namespaces']) or 'none'}", "",
           "## 2. Blocking: fix by hand before `migrate-configs`", ""]
    if not report["blocking"]["groups"]:
        out += ["Nothing blocks the migration.", ""]
    for g in report["blocking"]["groups"]:
        out += [f"### {g['title']} ({len(g['findings'])})", ""]
        out += _list([f"- `{f['file']}:{f['line']}` **{f['code']}** {f['message']}" for f in g["findings"]], g["title"])
    out += ["## 3. Converted by `meshlint convert`", "", report["converted"]["apply"], ""]
    out += _list([f"- `{r['file']}` {r['resource'] or ''}: {'; '.join(r['fixes']) or r.get('error', '')}" for r in report["converted"]["resources"]], "Converted resources")
    if report["review"]:
        out += ["### For manual review", ""]
        out += _list([f"- `{f['file']}:{f['line']}` **{f['code']}** {f['message']}" for f in report["review"]], "Manual review")
    out += ["## 4. Mesh CA", ""]
    out += [f"- `{m['secret']}` ({m['kind']}): {m['consequence']}" for m in report["mesh_ca"]] or ["No plugin CA certificates found: Mesh CA takes over from the add-on's self-signed root."]
    out += ["", "## 5. Workloads, per namespace", ""]
    for w in report["workloads"]:
        out += [f"### `{w['namespace']}`{'' if w['ready'] else ' (not ready)'}", "", "```sh", *w["commands"], "```", ""]
        if w["deployments_without_pdb"]:
            out += [f"> **Warning:** no PodDisruptionBudget covers {', '.join(f'`{d}`' for d in w['deployments_without_pdb'])}; the restart can take them down.", ""]
    if not report["workloads"]:
        out += ["No namespace has injection enabled.", ""]
    out += ["## 6. Gateways", "", *[f"- {s}" for s in report["gateways"]["ingress"]]]
    out += [f"- `{f['file']}:{f['line']}` **{f['code']}** {f['message']}" for f in report["gateways"]["custom"]]
    out += ["", "## 7. Finish or roll back", "", "Finish:", "", "```sh", *report["finish"], "```", "", "Roll back:", "", "```sh", *(report["rollback"] or ["# nothing to roll back"]), "```", "",
            "## 8. Verdict", "", f"`{v['state']}`: {v['reason']}", ""]
    return "\n".join(out)
