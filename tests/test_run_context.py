"""One run context (issue 19, part 3): a run's result carries its index, root namespace and
redactor; convert, verify and report reuse them; nothing renders by changing the result; the
``meshlint.io/converted-from`` annotation is written for people, never read back."""
from __future__ import annotations

import dataclasses
import json
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import FIXTURES, run_cli

import meshlint
from meshlint import duplicates, engine, index, redact
from meshlint.convert_cli import run_convert
from meshlint.engine import Result, Settings
from meshlint.model import Severity

EXPORT = FIXTURES / "examples" / "gke-1.4-addon-export.yaml"
REPO_TREE = FIXTURES / "examples" / "gitops-repo"
CONTEXT = FIXTURES / "examples" / "partial-repo"
INPUTS = [str(EXPORT), str(REPO_TREE)]


@pytest.fixture
def built(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """How many times the run's index and redactor are built, and the input's copies grouped."""
    made: Counter[str] = Counter()

    def counting(name: str, original: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            made[name] += 1
            return original(*args, **kwargs)
        return wrapper

    monkeypatch.setattr(index.ResourceIndex, "__init__", counting("index", index.ResourceIndex.__init__))
    monkeypatch.setattr(redact.Redactor, "__init__", counting("redactor", redact.Redactor.__init__))
    monkeypatch.setattr(duplicates, "groups", counting("copies", duplicates.groups))
    return made


def test_report_builds_the_index_once(built: Counter[str]) -> None:
    report = meshlint.report(INPUTS, context=[str(CONTEXT)])
    assert report.data["converted"]["changed"] or report.data["converted"]["deleted"]  # conversions were planned
    assert (built["index"], built["redactor"]) == (1, 1)
    assert built["copies"] <= 1


def test_convert_and_verify_build_the_index_once(built: Counter[str]) -> None:
    converted = meshlint.convert(INPUTS, verify=True, context=[str(CONTEXT)])
    assert any(f.changes for f in converted.files)
    assert (built["index"], built["redactor"]) == (1, 1)
    assert built["copies"] <= 1


def test_check_builds_the_index_once(built: Counter[str]) -> None:
    checked = meshlint.check(INPUTS)
    assert checked.findings
    assert (built["index"], built["redactor"]) == (1, 1)


# --------------------------------------------------------------------------- nothing mutates the result

def _fingerprint(result: Result) -> str:
    """Everything a result holds that an output is made of, as text."""
    def sources(items: list[Any]) -> list[Any]:
        return [(s.path, s.text, s.bom, s.newline, s.not_object, [repr(p) for p in s.problems],
                 [(r.file, r.doc_index, r.item_index, r.applied_namespace, json.dumps(r.body, sort_keys=True, default=repr))
                  for r in s.resources]) for s in items]

    return json.dumps({"findings": [repr(f) for f in result.findings], "files": result.files, "resources": result.resources,
                       "rules": sorted(result.rules), "root": result.root_namespace, "sources": sources(result.sources),
                       "context": sources(result.context_sources),
                       "verification": repr(result.verification)}, default=repr)


def _outputs(result: Result, tmp: Path) -> Iterator[str]:
    """Every output made from one result: check's reporters, convert's summaries and diff, the report."""
    from meshlint import reporters
    from meshlint.migration_report import build
    from meshlint.migration_report import render_html as html
    from meshlint.migration_report import render_json as json_report
    from meshlint.migration_report import render_markdown as markdown

    for fmt in ("text", "json", "sarif", "junit", "github", "gitlab"):
        yield reporters.get(fmt)(result.filtered(Severity.INFO))
    yield reporters.get("json")(result.without_texts())
    for fmt, diff in (("json", False), ("text", True)):
        stdout, stderr, code = run_convert(result, out=None, in_place=False, diff=diff, check_only=not diff, fmt=fmt,
                                           keep_server_fields=False, verify=True, inputs=INPUTS)
        yield f"{stdout}\n{stderr}\n{code}"
    model = result.redactor.data(build(result, inputs=INPUTS))
    for render in (markdown.render, html.render, json_report.render):
        yield render(model)


def test_outputs_leave_the_result_as_it_was(tmp_path: Path) -> None:
    """Rendering twice gives the same outputs, and the result afterwards is what the run made."""
    result = engine.lint(INPUTS, Settings(context_paths=(str(CONTEXT),)))
    before = _fingerprint(result)
    first = list(_outputs(result, tmp_path))
    assert _fingerprint(result) == before
    assert list(_outputs(result, tmp_path)) == first
    assert _fingerprint(result) == before
    assert all(s.text is None for s in result.without_texts().sources) and any(s.text for s in result.sources)
    assert _fingerprint(result) == before


@pytest.mark.parametrize("command", [("check", "-f", "json"), ("check",), ("convert", "--check", "--verify", "-f", "json"),
                                     ("convert", "--diff"), ("report", "-f", "json"), ("report", "-f", "markdown")])
def test_commands_leave_the_result_as_it_was(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], command: tuple[str, ...]) -> None:
    """The command line reads the run's result and never changes it (it used to drop the files' texts from it)."""
    from meshlint import cli

    made: list[tuple[Result, str]] = []
    lint = engine.lint

    def recording(paths: list[str], settings: Settings | None = None) -> Result:
        result = lint(paths, settings or Settings())
        made.append((result, _fingerprint(result)))
        return result

    monkeypatch.setattr(engine, "lint", recording)
    with pytest.raises(SystemExit):
        cli.main([*command, *INPUTS, "--context", str(CONTEXT)])
    assert capsys.readouterr().out
    assert len(made) == 1 and _fingerprint(made[0][0]) == made[0][1]


def test_the_result_is_frozen() -> None:
    result = engine.lint([str(EXPORT)])
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.findings = []  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.index = index.ResourceIndex([])  # type: ignore[misc]


# --------------------------------------------------------------------------- the provenance annotation is not read back

POLICY = """\
# the repository's 1.4 policy
apiVersion: authentication.istio.io/v1alpha1
kind: Policy
metadata:
  name: default
  namespace: shop
spec:
  peers:
  - mtls: {}
"""

CONVERTED = """\
# written by an earlier `meshlint convert --out` and committed beside the original
apiVersion: security.istio.io/v1beta1
kind: PeerAuthentication
metadata:
  name: legacy
  namespace: payments
  annotations:
    meshlint.io/converted-from: {origin}
spec:
  mtls:
    mode: STRICT
"""


def test_provenance_annotation_is_not_read_back(tmp_path: Path) -> None:
    """The same repository with any value (its real origin, another object, garbage) in an already
    converted object's ``meshlint.io/converted-from``: every output is the same."""
    def outputs(value: str) -> list[str]:
        (tmp_path / "shop").mkdir(exist_ok=True)
        (tmp_path / "payments").mkdir(exist_ok=True)
        (tmp_path / "shop" / "policy.yaml").write_text(POLICY)
        (tmp_path / "payments" / "peer.yaml").write_text(CONVERTED.format(origin=value))
        runs = [run_cli(*args, cwd=tmp_path) for args in (("report", "-f", "json", "."), ("check", "-f", "json", "."),
                                                           ("convert", "--check", "--verify", "-f", "json", "."))]
        return [f"{r.code}\n{r.out}\n{r.err}" for r in runs]

    baseline = outputs("payments/old.yaml#Policy payments/default")
    for origin in ("shop/policy.yaml#Policy shop/default", "'#'", "nonsense"):
        assert outputs(origin) == baseline, origin
