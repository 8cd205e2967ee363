"""The README's Quick start runs the main job on fixtures that ship with the repository."""
from __future__ import annotations

import re
import shlex

from conftest import REPO


def _block(heading: str) -> str:
    text = (REPO / "README.md").read_text()
    section = text.split(f"## {heading}", 1)[1]
    return re.search(r"```sh\n(.*?)```", section, re.DOTALL).group(1)


def test_quick_start_runs_on_shipped_examples(cli):
    block = _block("Quick start")
    line = next(l for l in block.splitlines() if l.startswith("meshlint check"))
    args = shlex.split(line.split(";")[0])[1:]
    for a in args[1:]:
        assert (REPO / a).exists(), a
    r = cli(*args)
    assert r.code == 1, r.err
    assert "Traceback" not in r.err
    assert "ML300" in r.out and "ML200" in r.out


def test_tests_block_installs_test_extra_and_runs_pytest():
    block = _block("Tests")
    assert "pip install '.[test]'" in block and block.strip().splitlines()[-1] == "pytest"


def test_tests_block_lints_and_type_checks_before_pytest():
    """CI runs the Tests block: ruff (the whole repository) and mypy (strict on meshlint/, from
    pyproject.toml) must pass before the tests run, with the versions the test extra pins."""
    try:
        import tomllib
    except ImportError:  # Python 3.10
        import tomli as tomllib
    assert _block("Tests").strip().splitlines()[-3:] == ["ruff check .", "mypy", "pytest"]
    project = tomllib.loads((REPO / "pyproject.toml").read_text())
    assert project["tool"]["mypy"]["strict"] is True and project["tool"]["mypy"]["files"] == ["meshlint"]
    extra = {re.split(r"[<>=; ]", r, maxsplit=1)[0] for r in project["project"]["optional-dependencies"]["test"]}
    assert {"ruff", "mypy", "types-PyYAML", "types-jsonschema"} <= extra


def test_clean_example_has_no_findings(cli):

    r = cli("check", "fixtures/examples/clean-1.6")
    assert r.code == 0 and "No findings" in r.out
