"""Human-readable output: one line per finding, then a summary."""
from __future__ import annotations

from ..engine import Result
from ..escape import printable
from ..model import Severity

_COLORS = {Severity.ERROR: "\033[31m", Severity.WARNING: "\033[33m", Severity.INFO: "\033[36m"}
_BOLD, _DIM, _RESET = "\033[1m", "\033[2m", "\033[0m"


def render(result: Result, color: bool = False) -> str:
    def c(code: str, text: str) -> str:
        return f"{code}{text}{_RESET}" if color else text

    lines = []
    for f in result.findings:
        where = c(_BOLD, f"{printable(f.file)}:{f.line}:{f.column}:")
        sev = c(_COLORS[f.severity], f"{f.severity}")
        lines.append(f"{where} {sev} {c(_BOLD, f.code)} {printable(f.message)} {c(_DIM, f'[{printable(f.name)}]')}")
    lines.append(summary_line(result))
    return "\n".join(lines) + "\n"


def summary_line(result: Result) -> str:
    n = len(result.findings)
    if n == 0:
        return f"No findings in {len(result.files)} file(s), {result.resources} resource(s)."
    parts = [f"{result.count(s)} {s.name.lower()}{'s' if result.count(s) != 1 and s != Severity.INFO else ''}" for s in (Severity.ERROR, Severity.WARNING, Severity.INFO)]
    fixable = sum(1 for f in result.findings if f.fixable)
    tail = f" {fixable} can be fixed with `meshlint convert`." if fixable else ""
    return f"Found {n} finding(s) ({', '.join(parts)}) in {len(result.files)} file(s), {result.resources} resource(s).{tail}"
