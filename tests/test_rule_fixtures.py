"""Data-driven rule tests: fixtures/rules/<rule-name>/{pass,fail}/*.yaml.

A fail case lists its expected findings in ``<case>.findings.txt``, one per line:
``CODE LINE:COLUMN [JSON-POINTER] [severity=S]``. Only findings of the rule that
owns the directory are compared; a pass case must give none of them.

Every case is also converted with only its rule selected (``meshlint.convert({case: text},
select=[code])``, the case's text under its repository path), so each fix is tested where its
rule lives (sqlfluff's ``fix_str``): ``<case>.fixed.yaml`` beside a fail case is the expected
converted file, byte for byte; ``<case>.generated/`` holds the files convert generates for it
(a replacement gateway, a draft), by their path under ``generated/``. No ``.fixed.yaml``:
convert must leave the case as it is; no ``.generated/``: convert must generate nothing.
Converting the fixed output again changes nothing and leaves no fixable finding of the rule.
``MESHLINT_REGENERATE=1`` rewrites the expected outputs from the current code (review the
diff before committing).
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from conftest import FIXTURES, REPO

import meshlint
from meshlint.engine import Settings, lint
from meshlint.registry import all_rules

RULES_DIR = FIXTURES / "rules"
FIXED = ".fixed.yaml"  # beside a fail case: its expected converted text
GENERATED = ".generated"  # beside a fail case: the files convert generates for it
BY_NAME = {r.name: r for r in all_rules().values()}


def cases():
    for rule_dir in sorted(p for p in RULES_DIR.iterdir() if p.is_dir()):
        for kind in ("pass", "fail"):
            for f in sorted(p for p in (rule_dir / kind).glob("*.yaml") if not p.name.endswith(FIXED)):
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


def _expected_outputs(path: Path) -> tuple[Path, Path]:
    return path.with_name(path.stem + FIXED), path.with_name(path.stem + GENERATED)


def _generated_on_disk(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _regenerate(path: Path, converted: meshlint.ConvertedFile, generated: dict[str, bytes]) -> None:
    fixed, folder = _expected_outputs(path)
    if converted.changed and converted.data is not None:
        fixed.write_bytes(converted.data)
    elif fixed.exists():
        fixed.unlink()
    if folder.exists():
        shutil.rmtree(folder)
    for name, data in generated.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)


@pytest.mark.parametrize("rule_name,kind,path", list(cases()))
def test_rule_fixture_converts_to_its_expected_output(rule_name: str, kind: str, path: Path):
    rule = BY_NAME.get(rule_name)
    assert rule is not None, f"fixtures/rules/{rule_name} does not name a rule"
    name = path.relative_to(REPO).as_posix()  # the name converted-from annotations carry, wherever the tests run
    result = meshlint.convert({name: path.read_bytes()}, select=[rule.code])
    (converted,) = result.files
    generated = {g.path.removeprefix("generated/"): g.text.encode("utf-8") for g in result.generated}
    fixed, folder = _expected_outputs(path)
    if kind == "fail" and os.environ.get("MESHLINT_REGENERATE") == "1":
        _regenerate(path, converted, generated)
    if fixed.exists():
        assert converted.data == fixed.read_bytes(), f"convert --select {rule.code} {path.name} differs from {fixed.name}"
    else:
        assert not converted.changed, f"convert --select {rule.code} changes {path.name}, and {fixed.name} (its expected output) is missing"
    assert generated == (_generated_on_disk(folder) if folder.is_dir() else {}), f"the files convert generates for {path.name} differ from {folder.name}/"
    if converted.changed:
        again = meshlint.convert({name: converted.data or b""}, select=[rule.code])
        assert not again.files[0].changed, f"converting {fixed.name} again changes it"
        left = [f for f in again.findings if f.code == rule.code and f.fixable]
        assert left == [], [f"{f.line}:{f.column} {f.message}" for f in left]


def test_expected_outputs_sit_beside_a_fail_case():
    """A .fixed.yaml or .generated/ whose case was renamed or removed would never be compared."""
    for rule_dir in sorted(p for p in RULES_DIR.iterdir() if p.is_dir()):
        for kind in ("pass", "fail"):
            folder = rule_dir / kind
            for p in sorted(folder.glob(f"*{FIXED}")) + sorted(folder.glob(f"*{GENERATED}")):
                case = p.name.removesuffix(FIXED).removesuffix(GENERATED)
                assert kind == "fail" and (folder / f"{case}.yaml").is_file(), f"{p.relative_to(FIXTURES)} is the output of no fail case"


@pytest.mark.parametrize("rule_name", sorted(p.name for p in RULES_DIR.iterdir() if p.is_dir()))
def test_catalogue_fixable_agrees_with_the_rule(rule_name: str):
    """``fixable: true`` in the catalogue when, and only when, the rule's own fixes make some of its
    findings on its fail cases go away (a fix that only generates files leaves its finding)."""
    rule = BY_NAME.get(rule_name)
    assert rule is not None, f"fixtures/rules/{rule_name} does not name a rule"
    fail = [p for p in sorted((RULES_DIR / rule_name / "fail").glob("*.yaml")) if not p.name.endswith(FIXED)]
    fixable = [f for p in fail for f in meshlint.check(str(p), select=[rule.code]).findings if f.code == rule.code and f.fixable]
    where = f"rules/{rule.doc.get('_file', rule.code)}"
    if rule.fixable:
        assert fixable, f"{where} says fixable: true, but convert fixes none of {rule.code}'s findings on its fail cases"
    else:
        assert not fixable, f"{where} says fixable: false, but convert fixes {rule.code} at {[f'{f.file}:{f.line}' for f in fixable]}"
