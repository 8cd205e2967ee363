"""JUnit XML: one testcase per resource (and per file for file-level findings)."""
from __future__ import annotations

from typing import Any
from xml.sax.saxutils import escape, quoteattr

from ..engine import Result
from ..escape import printable
from ..model import Finding


def render(result: Result, **_: Any) -> str:
    cases: dict[tuple[str, str], list[Finding]] = {}
    for src in result.sources:
        if src.path not in result.files:
            continue
        cases.setdefault((printable(src.path), "(file)"), [])
        for res in src.resources:
            cases.setdefault((printable(src.path), printable(str(res.identity))), [])
    for f in result.findings:
        cases.setdefault((printable(f.file), printable(str(f.resource)) if f.resource else "(file)"), []).append(f)
    failures = sum(1 for v in cases.values() if v)
    out = ['<?xml version="1.0" encoding="UTF-8"?>',
           f'<testsuites name="meshlint" tests="{len(cases)}" failures="{failures}">',
           f'  <testsuite name="meshlint" tests="{len(cases)}" failures="{failures}" errors="0" skipped="0">']
    for (file, name), found in cases.items():
        out.append(f"    <testcase classname={quoteattr(file)} name={quoteattr(name)}>")
        if found:
            summary = f"{len(found)} finding(s): " + ", ".join(sorted({f.code for f in found}))
            body = "\n".join(f"{printable(f.file)}:{f.line}:{f.column}: {f.severity} {f.code} {printable(f.message)}" for f in found)
            out.append(f"      <failure message={quoteattr(summary)} type={quoteattr(str(max(f.severity for f in found)))}>{escape(body)}</failure>")
        out.append("    </testcase>")
    out += ["  </testsuite>", "</testsuites>"]
    return "\n".join(out) + "\n"
