"""The report as one self-contained HTML page (no external assets): the blocks of
:mod:`meshlint.migration_report.document`, with the charts drawn in HTML and CSS so they reflow on a
narrow screen, code blocks that wrap instead of scrolling, and a print stylesheet.
"""
from __future__ import annotations

import html
import re
from typing import Any

from ..escape import printable
from . import document

SEVERITIES = ("error", "warning", "info")
_MARK = re.compile(r"`([^`]*)`|\*\*(.+?)\*\*")

CSS = """
* { box-sizing: border-box; }
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0 auto; padding: 1rem 1.25rem; max-width: 62rem;
  color: #212121; line-height: 1.45; overflow-wrap: anywhere; }
h1 { font-size: 1.6rem; } h2 { font-size: 1.3rem; margin-top: 2rem; border-bottom: 1px solid #ddd; } h3 { font-size: 1.05rem; }
code { background: #f3f3f3; padding: 0 .2em; border-radius: 3px; overflow-wrap: anywhere; }
pre { background: #f5f5f5; padding: .6rem .8rem; border-radius: 4px; white-space: pre-wrap; overflow-wrap: anywhere; overflow-x: hidden; }
pre code { background: none; padding: 0; }
table { border-collapse: collapse; width: 100%; table-layout: fixed; }
th, td { text-align: left; vertical-align: top; padding: .3rem .5rem; border-bottom: 1px solid #e0e0e0; overflow-wrap: anywhere; }
#counts { max-width: 30rem; } #counts td:last-child, #counts th:last-child { width: 5rem; text-align: right; }
ul { padding-left: 1.3rem; } li { margin: .25rem 0; }
.verdict { display: inline-block; padding: .3rem .7rem; border-radius: .3rem; color: #fff; font-weight: bold; }
.verdict.SUCCESS { background: #2e7d32; } .verdict.MIGRATION_CONFIG_ERROR { background: #c62828; } .verdict.CUSTOM_CONFIGS_DETECTED { background: #e65100; }
.warn { border-left: 4px solid #ef6c00; padding-left: .6rem; }
.charts { display: grid; grid-template-columns: minmax(0, 2fr) minmax(0, 1fr); gap: 1.5rem; margin: 1rem 0; }
.chart { margin: 0; min-width: 0; }
.chart-title { font-weight: bold; margin: 0 0 .4rem; }
.legend { display: flex; flex-wrap: wrap; gap: .2rem 1rem; list-style: none; padding: 0; margin: 0 0 .6rem; font-size: .85rem; }
.legend li { display: flex; align-items: center; gap: .35rem; margin: 0; }
.swatch { display: inline-block; width: .8rem; height: .8rem; border-radius: 2px; }
.bars { display: grid; gap: .3rem; }
.bar-row { display: grid; grid-template-columns: minmax(5rem, 9rem) minmax(0, 1fr) 2.5rem; gap: .5rem; align-items: center; font-size: .85rem; }
.bar-track { display: flex; height: 1rem; background: #eeeeee; border-radius: 2px; overflow: hidden; min-width: 0; }
.bar-count { text-align: right; }
.seg, .swatch { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
.error { background: #c62828; } .warning { background: #ef6c00; } .info { background: #1565c0; } .ready { background: #2e7d32; }
.chart-empty { color: #616161; font-style: italic; margin: .2rem 0; }
@media (max-width: 640px) {
  body { padding: .75rem; }
  .charts { grid-template-columns: minmax(0, 1fr); }
  .bar-row { grid-template-columns: minmax(0, 1fr) 2.5rem; }
  .bar-label { grid-column: 1 / -1; }
  #namespaces-table th:nth-child(2), #namespaces-table td:nth-child(2) { width: 35%; }
}
@media print {
  @page { margin: 1.5cm; }
  body { max-width: none; padding: 0; font-size: 10pt; color: #000; }
  .verdict { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  h2, h3 { break-after: avoid; page-break-after: avoid; }
  pre, li, tr, .chart { break-inside: avoid; page-break-inside: avoid; }
  pre { border: 1px solid #ccc; background: #fff; }
  .charts { grid-template-columns: minmax(0, 2fr) minmax(0, 1fr); }
  .no-print { display: none; }
}
"""


def inline(text: str) -> str:
    """Escape, then turn the two marks (`code`, **bold**) into elements."""
    out, pos = [], 0
    for m in _MARK.finditer(text):
        out.append(html.escape(text[pos:m.start()]))
        out.append(f"<code>{html.escape(m.group(1))}</code>" if m.group(1) is not None else f"<strong>{inline(m.group(2))}</strong>")
        pos = m.end()
    out.append(html.escape(text[pos:]))
    return "".join(out)


def _id(b: document.Block) -> str:
    return f' id="{html.escape(b.id)}"' if b.id else ""


def _findings_chart(b: document.Block) -> str:
    rows = sorted(b.data["rows"].items())
    legend = "".join(f'<li><span class="swatch {s}"></span>{s}</li>' for s in SEVERITIES)
    if not rows:
        body = '<p class="chart-empty">no findings</p>'
    else:
        peak = max(sum(v.values()) for _, v in rows) or 1
        bars = []
        for area, sev in rows:
            segs = "".join(f'<span class="seg {s}" style="width:{100 * sev[s] / peak:.2f}%" title="{html.escape(area)}: {sev[s]} {s}"></span>'
                           for s in SEVERITIES if sev.get(s))
            bars.append(f'<div class="bar-row"><span class="bar-label">{html.escape(area)}</span><span class="bar-track">{segs}</span>'
                        f'<span class="bar-count">{sum(sev.values())}</span></div>')
        body = f'<div class="bars">{"".join(bars)}</div>'
    return (f'<figure class="chart"{_id(b)}><figcaption class="chart-title">{html.escape(b.text)}</figcaption>'
            f'<ul class="legend">{legend}</ul>{body}</figure>')


def _namespaces_chart(b: document.Block) -> str:
    ready, total = b.data["ready"], b.data["total"]
    if not total:
        body = '<p class="chart-empty">no namespaces to move</p>'
        legend = ""
    else:
        legend = '<ul class="legend"><li><span class="swatch ready"></span>ready</li><li><span class="swatch" style="background:#eeeeee"></span>not ready</li></ul>'
        body = (f'<div class="bars"><div class="bar-row"><span class="bar-label">{ready} of {total}</span><span class="bar-track">'
                f'<span class="seg ready" style="width:{100 * ready / total:.2f}%"></span></span><span class="bar-count">{ready}/{total}</span></div></div>')
    return (f'<figure class="chart"{_id(b)}><figcaption class="chart-title">{html.escape(b.text)}: {ready} of {total}</figcaption>'
            f'{legend}{body}</figure>')


def block(b: document.Block) -> str:
    if b.kind == "title":
        return f"<h1{_id(b)}>{inline(b.text)}</h1>"
    if b.kind in ("h2", "h3"):
        return f"<{b.kind}{_id(b)}>{inline(b.text)}</{b.kind}>"
    if b.kind == "p":
        return f"<p{_id(b)}>{inline(b.text)}</p>"
    if b.kind == "warn":
        return f'<p class="warn"><strong>Warning:</strong> {inline(b.text)}</p>'
    if b.kind == "list":
        return f"<ul{_id(b)}>" + "".join(f"<li>{inline(x)}</li>" for x in b.items) + "</ul>"
    if b.kind == "code":
        return "<pre><code>" + "\n".join(html.escape(printable(x)) for x in b.items) + "</code></pre>"
    if b.kind == "table":
        head = "".join(f"<th>{inline(h)}</th>" for h in b.header)
        rows = "".join("<tr>" + "".join(f"<td>{inline(x)}</td>" for x in row) + "</tr>" for row in b.items)
        return f"<table{_id(b)}><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"
    if b.kind == "chart":
        return _namespaces_chart(b) if "total" in b.data else _findings_chart(b)
    raise ValueError(f"unknown block {b.kind}")


def render(report: dict[str, Any]) -> str:
    state = html.escape(report["verdict"]["state"])
    blocks = document.build(report)
    charts = [b for b in blocks if b.kind == "chart"]
    body = []
    for b in blocks:
        if b.kind == "chart":
            if b is charts[0]:
                body.append('<div class="charts">' + "".join(block(c) for c in charts) + "</div>")
            continue
        body.append(block(b))
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>meshlint migration report: {state}</title>
<style>{CSS}</style></head>
<body data-state="{state}">
<p class="verdict {state}">{state}</p>
{chr(10).join(body)}
<script>document.body.setAttribute("data-rendered", "yes");</script>
</body></html>
"""
