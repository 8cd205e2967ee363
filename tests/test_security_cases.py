"""Security conversion cases as fixtures (fixtures/security/<case>/): each input converts to its
golden exactly or is refused with the findings listed, converting the output again changes nothing,
and what is written decides every request class as 1.4 did (verification finds no difference that
is not a documented note).

Regenerate a golden after a deliberate change with ``MESHLINT_REGENERATE=1 pytest tests/test_security_cases.py``
and review the diff."""
from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml
from conftest import FIXTURES
from test_rule_fixtures import parse_expected

from meshlint.convert import convert
from meshlint.engine import Settings, lint, lint_sources
from meshlint.loader import load_bytes

CASES = sorted(p for p in (FIXTURES / "security").iterdir() if p.is_dir())
CODES = ("ML300", "ML400", "ML401", "ML402")


def _settings(case: Path) -> Settings:
    extra = yaml.safe_load((case / "settings.yaml").read_text()) if (case / "settings.yaml").exists() else {}
    return Settings(**(extra or {}))


def _convert(text: bytes, settings: Settings):
    result = lint_sources([load_bytes(text, "input.yaml")], settings)
    converted = convert(result)
    f = converted.files[0]
    assert not f.errors, f.errors
    return result, (f.new_text if f.new_text is not None else f.original)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_security_case(case: Path):
    settings = _settings(case)
    result, out = _convert((case / "input.yaml").read_bytes(), settings)
    golden = case / "expected.yaml"
    if os.environ.get("MESHLINT_REGENERATE") == "1":
        golden.write_text(out)
    assert out == golden.read_text(), case.name
    got = [(f.code, f.line, f.column, f.path, str(f.severity)) for f in result.findings if f.code in CODES]
    want = parse_expected(case / "findings.txt")
    assert [(c, l, k, p, s) for c, l, k, p, s in want] == got
    assert [d.describe() for d in (result.verification.differences if result.verification else []) if d.note is None] == []
    # converting the output again changes nothing
    _, again = _convert(out.encode("utf-8"), settings)
    assert again == out


def test_cases_cover_the_issue():
    names = {c.name for c in CASES}
    assert {"subject-user-and-principal", "permissive-mode", "header-subject", "overlapping-patterns", "impossible-rule", "name-taken"} <= names


def _written(result) -> list[tuple]:
    """The kind/namespace/name of every object the security conversions write. One object
    converted from two copies of one input object (an export beside its repo) counts once: the
    copies are reported as duplicates; two different objects under one name are a failure."""
    import json

    from meshlint.fixes import ExtraFile, ReplaceResource

    seen: dict[tuple, set[str]] = {}
    for f in result.findings:
        if f.code not in CODES + ("ML600",):
            continue
        for op in (f.fix.ops if f.fix is not None else ()):
            if isinstance(op, (ReplaceResource, ExtraFile)):
                for o in op.objects:
                    md = dict(o.get("metadata") or {})
                    md["annotations"] = {k: v for k, v in (md.get("annotations") or {}).items() if k != "meshlint.io/converted-from"}
                    key = (o.get("kind"), md.get("namespace") or (f.resource.namespace if f.resource else None), md.get("name"))
                    seen.setdefault(key, set()).add(json.dumps({**o, "metadata": md}, sort_keys=True, default=str))
    return [k for k, bodies in seen.items() for _ in bodies]


@pytest.mark.parametrize("tree", ["rules", "convert", "examples", "security"])
def test_every_object_a_run_writes_has_its_own_name(tree):
    keys = _written(lint([str(FIXTURES / tree)]))
    assert len(keys) == len(set(keys)), sorted(k for k in keys if keys.count(k) > 1)


def test_every_object_a_corpus_run_writes_has_its_own_name(shared):
    """Each corpus project is one repository (one mesh): every object its run writes has its own name."""
    total = 0
    for project in sorted(p for p in (shared / "corpus").glob("*/*") if p.is_dir()):
        for settings in (Settings(), Settings(assume_rbac_on=True)):
            keys = _written(lint([str(project)], settings))
            assert len(keys) == len(set(keys)), (project.name, sorted(k for k in keys if keys.count(k) > 1))
            total += len(keys)
    assert total > 0
