"""Human-readable output, like ruff's and yamllint's: findings grouped by file (the path once),
one line a finding (line:col, severity, code, short message; at most 120 characters), then the
long explanation once for each code and message, then a summary. ``explain`` puts each
finding's long message under its line instead.
"""
from __future__ import annotations

from ..engine import Result
from ..escape import printable
from ..model import Finding, Severity
from ..terminal import BOLD, DIM, WIDTH, Paint, by_file, finding_line, wrapped


def render(result: Result, color: bool = False, explain: bool = False) -> str:
    paint = Paint(color)
    lines: list[str] = []
    for path, found in by_file(result.findings):
        streams = list(dict.fromkeys(f.rendered.file for f in found if f.rendered))
        lines.append(paint(BOLD, printable(path)) + paint(DIM, namespace_note(found) + rendered_note(streams)))
        for f in found:
            lines.append(finding_line(f, paint, rendered_file=len(streams) > 1))
            if explain:
                lines += [paint(DIM, x) for x in wrapped(f.message, 13)]
        lines.append("")
    if result.findings and not explain:
        lines += explanations(result.findings, paint)
    lines.append(summary_line(result))
    return "\n".join(lines) + "\n"


def explanations(findings: list[Finding], paint: Paint) -> list[str]:
    """Each code's long message once (once per message of the code), in code order."""
    first: dict[tuple[str, str], Finding] = {}
    count: dict[tuple[str, str], int] = {}
    for f in findings:
        k = (f.code, f.key)
        first.setdefault(k, f)
        count[k] = count.get(k, 0) + 1
    keys_of: dict[str, int] = {}
    for code, _ in first:
        keys_of[code] = keys_of.get(code, 0) + 1
    out = ["Explanations (`meshlint explain CODE` shows the whole rule; --show-explanation puts them under each finding):"]
    for k in sorted(first):
        f, n = first[k], count[k]
        times = f"{n} findings, the first:" if n > 1 else "1 finding:"
        which = f" [{printable(f.key)}]" if keys_of[f.code] > 1 else ""
        out.append(f"  {paint(BOLD, f.code)} {printable(f.name)}{which} ({times})")
        out += wrapped(f.message, 4, WIDTH)
    out.append("")
    return out


def namespace_note(findings: list[Finding]) -> str:
    """Where the namespace came from of the objects these findings are on, when their file did not
    say it: `` (namespace tutorial from --namespace)``."""
    from ..namespaces import ASSUMED

    seen = sorted({f.applied for f in findings if f.applied and f.applied[1] != ASSUMED})  # assumed: once, in the summary
    notes = [f"namespace {ns} from {src}" for ns, src in seen]
    return f"  ({'; '.join(printable(n) for n in notes)})" if notes else ""


def rendered_note(streams: list[str]) -> str:
    """`` (rendered in -)``: the stream (kustomize build, helm template output) whose objects these
    findings are on, when the file is their source; several streams are named on each line instead."""
    return f"  (rendered in {'stdin' if streams[0] == '-' else printable(streams[0])})" if len(streams) == 1 else ""


def not_objects_note(n: int) -> str:
    """The summary's note on skipped files (shared with convert's summary)."""
    if not n:
        return ""
    return " 1 file is not a Kubernetes object (skipped)." if n == 1 else f" {n} files are not Kubernetes objects (skipped)."


def summary_line(result: Result) -> str:
    n = len(result.findings)
    skipped = not_objects_note(len(result.not_objects))
    if n == 0:
        return f"No findings in {len(result.files)} file(s), {result.resources} resource(s).{skipped}"
    parts = [f"{result.count(s)} {s.name.lower()}{'s' if result.count(s) != 1 and s != Severity.INFO else ''}" for s in (Severity.ERROR, Severity.WARNING, Severity.INFO)]
    fixable = sum(1 for f in result.findings if f.fixable)
    tail = f"\n{fixable} can be fixed with `meshlint convert` (marked [*])." if fixable else ""
    return f"Found {n} finding(s) ({', '.join(parts)}) in {len(result.files)} file(s), {result.resources} resource(s).{skipped}{tail}{_assumed_note(result)}"


def _assumed_note(result: Result) -> str:
    from ..namespaces import ASSUMED

    files = {f.file for f in result.findings if f.applied and f.applied[1] == ASSUMED}
    if not files:
        return ""
    return (f"\nObjects in {len(files)} file(s) name no namespace and none was given: assumed `default`. Tell meshlint with "
            "--namespace NS, `namespaces:` in .meshlint.yaml, or a kustomization's `namespace:`.")
