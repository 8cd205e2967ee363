"""The report as one self-contained HTML file with an inline SVG readiness chart."""
from __future__ import annotations

import html
from typing import Any

from . import markdown

COLORS = {"error": "#c62828", "warning": "#ef6c00", "info": "#1565c0"}


def _chart(report: dict[str, Any]) -> str:
    areas = report["counts"]["by_area"]
    rows = sorted(areas.items())
    width, bar_h, gap, left = 640, 18, 8, 250
    top = 34
    height = top + len(rows) * (bar_h + gap) + 70
    peak = max([sum(v.values()) for _, v in rows] + [1])
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="Findings by category and severity" width="{width}" height="{height}" viewBox="0 0 {width} {height}">',
             '<text x="0" y="16" font-size="14" font-weight="bold">Findings by category and severity</text>']
    top = 34
    for i, (area, sev) in enumerate(rows):
        y = top + i * (bar_h + gap)
        parts.append(f'<text x="{left - 8}" y="{y + 13}" font-size="12" text-anchor="end">{html.escape(area)}</text>')
        x = left
        for s in ("error", "warning", "info"):
            n = sev.get(s, 0)
            if n:
                w = max(2, int((width - left - 40) * n / peak))
                parts.append(f'<rect x="{x}" y="{y}" width="{w}" height="{bar_h}" fill="{COLORS[s]}"><title>{area}: {n} {s}</title></rect>')
                x += w
        parts.append(f'<text x="{x + 4}" y="{y + 13}" font-size="11">{sum(sev.values())}</text>')
    ready = sum(1 for w in report["workloads"] if w["ready"])
    total = len(report["workloads"])
    y = top + len(rows) * (bar_h + gap) + 20
    parts.append(f'<text x="0" y="{y}" font-size="13" font-weight="bold">Namespaces ready: {ready} of {total}</text>')
    bw = width - 40
    parts.append(f'<rect x="0" y="{y + 10}" width="{bw}" height="{bar_h}" fill="#e0e0e0"/>')
    if total:
        parts.append(f'<rect x="0" y="{y + 10}" width="{int(bw * ready / total)}" height="{bar_h}" fill="#2e7d32"/>')
    lx = left
    for s in ("error", "warning", "info"):
        parts.append(f'<rect x="{lx}" y="6" width="10" height="10" fill="{COLORS[s]}"/><text x="{lx + 14}" y="15" font-size="11">{s}</text>')
        lx += 70
    parts.append("</svg>")
    return "".join(parts)


def _md_to_html(md: str) -> str:
    """Enough Markdown for the report itself: headings, lists, code blocks, quotes, details."""
    out, in_code, in_list = [], False, False
    for line in md.splitlines():
        if line.startswith("```"):
            out.append("</code></pre>" if in_code else "<pre><code>")
            in_code = not in_code
            continue
        if in_code:
            out.append(html.escape(line))
            continue
        if in_list and not line.startswith("- "):
            out.append("</ul>")
            in_list = False
        if line.startswith("<details>") or line.startswith("</details>"):
            out.append(line.replace("<summary>", "<summary>").replace("</summary>", "</summary>"))
        elif line.startswith("#"):
            level = len(line) - len(line.lstrip("#"))
            out.append(f"<h{level}>{_inline(line[level:].strip())}</h{level}>")
        elif line.startswith("- "):
            if not in_list:
                out.append("<ul>")
                in_list = True
            out.append(f"<li>{_inline(line[2:])}</li>")
        elif line.startswith("> "):
            out.append(f'<p class="warn">{_inline(line[2:])}</p>')
        elif line.strip():
            out.append(f"<p>{_inline(line)}</p>")
    if in_list:
        out.append("</ul>")
    return "\n".join(out)


def _inline(text: str) -> str:
    import re

    t = html.escape(text)
    t = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", t)
    return re.sub(r"`(.+?)`", r"<code>\1</code>", t)


def render(report: dict[str, Any]) -> str:
    state = report["verdict"]["state"]
    body = _md_to_html(markdown.render(report))
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>meshlint migration report: {html.escape(state)}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 60rem; color: #212121; }}
code, pre {{ background: #f5f5f5; }} pre {{ padding: .6rem; overflow-x: auto; }}
.verdict {{ display: inline-block; padding: .3rem .7rem; border-radius: .3rem; color: white;
  background: {'#2e7d32' if state == 'SUCCESS' else '#c62828' if state == 'MIGRATION_CONFIG_ERROR' else '#ef6c00'}; }}
.warn {{ border-left: 4px solid #ef6c00; padding-left: .6rem; }}
</style></head>
<body data-state="{html.escape(state)}">
<p class="verdict">{html.escape(state)}</p>
<figure>{_chart(report)}</figure>
{body}
<script>document.body.setAttribute("data-rendered", "yes");</script>
</body></html>
"""
