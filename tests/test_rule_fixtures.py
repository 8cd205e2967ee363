"""Data-driven rule tests: fixtures/rules/<rule-name>/{pass,fail}/*.yaml.

A fail case lists its expected findings in ``<case>.findings.txt``, one per line:
``CODE LINE:COLUMN [JSON-POINTER] [severity=S]``. Only findings of the rule that
owns the directory are compared; a pass case must give none of them.
"""
from __future__ import annotations

from pathlib import Path

import pytest
from conftest import FIXTURES

from meshlint.engine import Settings, lint
from meshlint.registry import all_rules

RULES_DIR = FIXTURES / "rules"
BY_NAME = {r.name: r for r in all_rules().values()}


def cases():
    for rule_dir in sorted(p for p in RULES_DIR.iterdir() if p.is_dir()):
        for kind in ("pass", "fail"):
            for f in sorted((rule_dir / kind).glob("*.yaml")):
                yield pytest.param(rule_dir.name, kind, f, id=f"{rule_dir.name}/{kind}/{f.name}")


def parse_expected(path: Path) -> list[tuple]:
    out = []
    for raw in path.read_text().splitlines():
        if not raw.strip() or raw.startswith("#"):
            continue
        parts = raw.split()
        code, pos = parts[0], parts[1]
        line, col = (int(x) for x in pos.split(":"))
        ptr = next((p for p in parts[2:] if p.startswith("/")), "")
        sev = next((p.split("=", 1)[1] for p in parts[2:] if p.startswith("severity=")), None)
        out.append((code, line, col, ptr, sev))
    return out


@pytest.mark.parametrize("rule_name,kind,path", list(cases()))
def test_rule_fixture(rule_name: str, kind: str, path: Path):
    rule = BY_NAME.get(rule_name)
    assert rule is not None, f"fixtures/rules/{rule_name} does not name a rule"
    result = lint([str(path)], Settings())
    got = [f for f in result.findings if f.code == rule.code]
    crashed = [f.message for f in result.findings if f.code == "ML090"]
    assert not crashed, crashed
    if kind == "pass":
        assert got == [], [f"{f.line}:{f.column} {f.message}" for f in got]
        return
    expected_file = path.with_suffix(".findings.txt")
    assert expected_file.exists(), f"{expected_file.name} is missing"
    expected = parse_expected(expected_file)
    assert expected, "a fail fixture must expect at least one finding"
    actual = [(f.code, f.line, f.column, f.path, str(f.severity)) for f in got]
    assert [(c, l, k) for c, l, k, _, _ in expected] == [(c, l, k) for c, l, k, _, _ in actual], [f"{f.line}:{f.column} {f.path} {f.message}" for f in got]
    for exp, act in zip(expected, actual):
        if exp[3]:
            assert exp[3] == act[3], (exp, act)
        if exp[4]:
            assert exp[4] == act[4], (exp, act)
