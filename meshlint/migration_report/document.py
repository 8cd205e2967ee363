"""The report's text, written once: a list of blocks (headings, paragraphs, lists, tables, code,
charts) built from the report model. The Markdown and HTML renderers only format blocks, so the
two formats say the same thing with the same counts.

Inline text uses two marks: `code` and **bold**. Anything taken from the scanned files (names,
paths, messages) goes through :func:`code` or :func:`text`, which make it printable and keep it
from closing a mark.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..escape import printable


@dataclass
class Block:
    kind: str  # title, h2, h3, p, list, code, table, warn, chart
    text: str = ""
    items: list[Any] = field(default_factory=list)  # list entries, code lines, table rows
    header: list[str] = field(default_factory=list)  # table header
    id: str = ""  # section anchor, also the CSS/test hook
    data: dict[str, Any] = field(default_factory=dict)  # chart data


def code(value: Any) -> str:
    return "`" + printable(str(value)).replace("`", "'") + "`"


def text(value: Any) -> str:
    return printable(str(value)).replace("`", "'").replace("**", "*\u200b*")


def _where(sources: list[dict[str, Any]]) -> str:
    return ", ".join(code(f"{s['file']}:{s['line']}") for s in sources)


def _item(it: dict[str, Any], lead: str = "") -> str:
    obj = f" {code(it['object'])}" if it.get("object") else ""
    head = f"**{it['code']}**" if it.get("code") else "**conversion error**"
    ns = f"; namespace {code(it['namespace'])} from {text(it['namespace_from'])}" if it.get("namespace_from") not in (None, "assumed") else ""
    return f"{head}{obj}: {lead}{text(it['message'])} ({_where(it['sources'])}{ns})"


SUMMARY = (
    ("blocking", "Blocking (fix by hand)"), ("changed", "Objects changed in place"), ("deleted", "Objects deleted"),
    ("generated", "Objects generated"), ("refused", "Refused conversions"), ("unresolved", "Unresolved references"),
    ("behaviour_changes", "Behaviour changes"), ("review", "For manual review"), ("custom_gateways", "Gateway items"),
    ("namespaces_to_move", "Namespaces to move"), ("installation_objects", "Objects of Istio's own installation"),
    ("steps", "Steps"), ("rollback", "Rollback commands"),
)


def build(report: dict[str, Any]) -> list[Block]:
    """The report's blocks, section by section (Markdown and HTML render the same blocks)."""
    return [block for section in SECTIONS for block in section(report)]


def _summary(report: dict[str, Any]) -> list[Block]:
    """The verdict, the counts and the two charts."""
    v = report["verdict"]
    c = report["counts"]
    out = [Block("title", f"Migration report: {code(v['state'])}", id="top"), Block("p", f"**{text(v['reason'])}**", id="reason"),
           Block("p", f"{c['findings']} finding(s): {c['errors']} error(s), {c['warnings']} warning(s), {c['infos']} info, in {c['files']} file(s) "
                      f"holding {c['objects']} object(s). Target revision: {code(report['revision'])}.", id="findings-summary"),
           Block("table", header=["", "count"], items=[[label, str(c[key])] for key, label in SUMMARY], id="counts"),
           Block("chart", "Findings by category and severity", id="chart-findings", data={"rows": c["by_area"]}),
           Block("chart", "Namespaces ready to move", id="chart-namespaces",
                 data={"ready": sum(1 for n in report["namespaces"] if n["to_move"] and n.get("ready")), "total": c["namespaces_to_move"]})]
    return out


def _inputs(report: dict[str, Any]) -> list[Block]:
    """The inputs and their namespaces."""
    ins = report["inputs"]
    out: list[Block] = []
    out.append(Block("h2", "Inputs", id="inputs"))
    several = ins["in_several_files"]
    out.append(Block("list", items=[
        f"{ins['files']} file(s), {ins['documents']} document(s), {ins['objects']} distinct object(s)"
        + (f"; {several} object(s) are defined in more than one file (each is listed once, with every source)" if several else "")
        + (f"; {ins['not_objects']} file(s) are not Kubernetes objects (kustomizations, Helm charts, patches: skipped)" if ins.get("not_objects") else ""),
        f"Cluster exports: {', '.join(code(e) for e in ins['exports']) or 'none'}",
        f"Istio versions (from proxy and control-plane images): {', '.join(f'{code(k)} ×{n}' for k, n in ins['istio_versions'].items()) or 'none found'}",
        f"Add-on 1.6 markers: {', '.join(code(m) for m in ins['addon_markers']) or 'none'}",
    ], id="inputs-list"))
    out.append(Block("h3", f"Namespaces ({len(report['namespaces'])})", id="namespaces"))
    if report["namespaces"]:
        out.append(Block("table", header=["namespace", "injection", "sources"], id="namespaces-table", items=[
            [code(n["namespace"]), ", ".join(code(f"{k}={val}") for k, val in n["labels"].items()) or "none",
             ", ".join(code(f"{s['file']}:{s['line']}") + (f" ({', '.join(f'{k}={val}' for k, val in s['labels'].items())})" if s["labels"] != n["labels"] else "")
                       for s in n["sources"])]
            for n in report["namespaces"]]))
    else:
        out.append(Block("p", "No Namespace objects among the inputs."))
    return out


def _installation(report: dict[str, Any]) -> list[Block]:
    """Istio's own installation, when the inputs hold it."""
    out: list[Block] = []
    inst = report["installation"]
    if inst:
        out.append(Block("h2", "Istio's own installation", id="installation"))
        out.append(Block("p", f"**{text(inst['action'])}**"))
        out.append(Block("list", id="installation-list", items=[
            f"{inst['objects']} object(s): {', '.join(f'{text(k)} {n}' for k, n in inst['by_category'].items())}",
            f"Installed by: {', '.join(text(k) for k in inst['flavours'])}; in {', '.join(code(f) for f in inst['files'])}",
        ] + ([f"{inst['findings']} finding(s) on them are covered by this item ({', '.join(f'{k} ×{n}' for k, n in inst['by_code'].items())})"]
             if inst["findings"] else [])))
    return out


def _blocking(report: dict[str, Any]) -> list[Block]:
    """What must be fixed by hand, by area."""
    c = report["counts"]
    out: list[Block] = []
    out.append(Block("h2", f"Blocking: fix by hand before migrate-configs ({c['blocking']})", id="blocking"))
    if not report["blocking"]["groups"]:
        out.append(Block("p", "Nothing blocks the migration."))
    for g in report["blocking"]["groups"]:
        out.append(Block("h3", f"{text(g['title'])} ({len(g['items'])})"))
        out.append(Block("list", text=g["title"], items=[_item(it) for it in g["items"]]))
    return out


def _converted(report: dict[str, Any]) -> list[Block]:
    """What convert changes, deletes and generates."""
    c = report["counts"]
    out: list[Block] = []
    conv = report["converted"]
    out.append(Block("h2", f"Converted by meshlint convert ({c['changed']} changed, {c['deleted']} deleted, {c['generated']} generated)", id="converted"))
    out.append(Block("h3", f"Changed in place ({c['changed']})", id="changed"))
    out.append(Block("list", text="Changed", items=[f"{code(e['object'])}: {text('; '.join(e['fixes']))} ({_where(e['sources'])})" for e in conv["changed"]])
               if conv["changed"] else Block("p", "None."))
    out.append(Block("h3", f"Deleted ({c['deleted']})", id="deleted"))
    out.append(Block("list", text="Deleted", items=[
        f"{code(e['object'])}: " + (f"replaced by {', '.join(code(r) for r in e['replaced_by'])}" if e["replaced_by"] else text("; ".join(e["fixes"])))
        + f" ({_where(e['sources'])})" for e in conv["deleted"]]) if conv["deleted"] else Block("p", "None."))
    out.append(Block("h3", f"Generated ({c['generated']})", id="generated"))
    out.append(Block("list", text="Generated", items=[
        f"{code(e['object'])}" + (f" from {', '.join(code(x) for x in e['from'])}" if e["from"] else "") + (f" in {code(e['file'])}" if e.get("file") else "")
        for e in conv["generated"]]) if conv["generated"] else Block("p", "None."))
    return out


def _refused(report: dict[str, Any]) -> list[Block]:
    """Refused conversions and unresolved references."""
    c = report["counts"]
    out: list[Block] = []
    out.append(Block("h2", f"Refused conversions ({c['refused']})", id="refused"))
    out.append(Block("list", text="Refused", items=[
        _item(it) + (f"; not converted: {', '.join(code(o) for o in it['not_converted'])}" if it.get("not_converted") else "")
        + (f"; converted from another file: {', '.join(code(o) for o in it['converted_elsewhere'])}" if it.get("converted_elsewhere") else "")
        for it in report["refused"]])
               if report["refused"]
               else Block("p", "Every conversion that was attempted was made."))

    out.append(Block("h2", f"Unresolved references ({c['unresolved']})", id="unresolved"))
    if not report["unresolved"]:
        out.append(Block("p", "Every reference the conversions and gateways need was found among the inputs."))
    for u in report["unresolved"]:
        refs = [f"Referenced by {code(r['object'])} " + (f"at {code(r['path'])} " if r["path"] else "") + f"({_where(r['sources'])})" if r["object"]
                else f"Missing in {r['objects']} object(s) ({_where(r['sources'])})" for r in u["referenced_by"]]
        out.append(Block("h3", f"Missing: {code(u['missing'])}"))
        out.append(Block("list", text="Referenced by", items=refs
                         + [f"To supply it: {text(s['how'])}" + (f": {code(s['command'])}" if s["command"] else "") for s in u["supply"]]))
    return out


def _changes(report: dict[str, Any]) -> list[Block]:
    """Behaviour changes, what to review, Mesh CA and gateways."""
    c = report["counts"]
    out: list[Block] = []
    out.append(Block("h2", f"Behaviour changes ({c['behaviour_changes']})", id="behaviour"))
    out.append(Block("list", text="Behaviour changes", items=[_item(it, f"**{text(it['change'])}**: ") for it in report["behaviour_changes"]])
               if report["behaviour_changes"] else Block("p", "None: every conversion keeps the runtime behaviour."))

    out.append(Block("h2", f"For manual review ({c['review']})", id="review"))
    out.append(Block("list", text="For review", items=[_item(it) for it in report["review"]]) if report["review"] else Block("p", "Nothing else to review."))

    out.append(Block("h2", "Mesh CA", id="mesh-ca"))
    out.append(Block("list", items=[f"{code(m['secret'])} ({text(m['kind'])}): {text(m['consequence'])}" for m in report["mesh_ca"]]) if report["mesh_ca"]
               else Block("p", "No plugin CA certificates found: Mesh CA takes over from the add-on's self-signed root."))

    out.append(Block("h2", "Gateways", id="gateways"))
    out.append(Block("list", items=[text(s) for s in report["gateways"]["ingress"]] + [_item(it) for it in report["gateways"]["custom"]]))
    return out


def _steps(report: dict[str, Any]) -> list[Block]:
    """The steps in order, finishing, rolling back, and the verdict again."""
    v = report["verdict"]
    c = report["counts"]
    out: list[Block] = []
    out.append(Block("h2", f"Steps ({c['steps']})", id="steps"))
    if not report["steps"]:
        out.append(Block("p", "Nothing to apply and no namespace to move."))
    for i, s in enumerate(report["steps"], 1):
        out.append(Block("h3", f"{i}. {text(s['title'])}", id=f"step-{i}"))
        out += [Block("warn" if "PodDisruptionBudget" in n else "p", text(n)) for n in s["notes"]]
        out.append(Block("code", items=s["commands"]))

    out.append(Block("h2", "Finish", id="finish"))
    out.append(Block("code", items=report["finish"]))
    if report["rollback"]:
        out.append(Block("h2", "Roll back", id="rollback"))
        out.append(Block("p", "In this order: back to the add-on's injection, restart, delete what the migration created, restore the saved originals."))
        out.append(Block("code", items=report["rollback"]))
    out.append(Block("h2", "Verdict", id="verdict"))
    out.append(Block("p", f"{code(v['state'])}: {text(v['reason'])}"))
    return out


SECTIONS = (_summary, _inputs, _installation, _blocking, _converted, _refused, _changes, _steps)
