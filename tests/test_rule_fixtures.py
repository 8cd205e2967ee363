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


# ---------------------------------------------------------------------------------------------------------
# Every message key is rendered: each (code, message key) of the catalogue is the key of some finding on the
# fixture cases (linted once per module), or it cannot be a fixture and a named test renders it.

# Keys that no YAML fixture can render, each with the test that does and the text by which that test asserts
# it (a string of the test's source; for a key other than ``default``, part of the key's message or its
# short form). This table may only shrink: a key some fixture renders must leave it.
RENDERED_BY_TESTS: dict[tuple[str, str], tuple[str, str]] = {
    # a 64 MB file does not belong in the repository: the test lowers the limit
    ("ML010", "default"): ("tests/test_loader.py::test_file_too_large", "ML010"),
    # permissions cannot be committed: the test makes opening fail
    ("ML013", "default"): ("tests/test_loader.py::test_unreadable_file_reported_even_as_root", "ML013"),
    # write refusals are conditions of the file system at convert time (links, hard links, modes, edits meanwhile)
    ("ML030", "outside"): ("tests/test_writes.py::test_links_that_lead_out_of_the_tree_are_refused_with_a_finding", "outside the tree"),
    ("ML030", "read-only"): ("tests/test_writes.py::test_read_only_files_are_refused_and_left_alone", "read-only"),
    ("ML030", "changed"): ("tests/test_writes.py::test_an_edit_saved_between_read_and_write_is_never_overwritten", "changed since"),
    ("ML030", "deleted"): ("tests/test_writes.py::test_a_file_deleted_during_the_run_is_not_recreated", "deleted"),
    ("ML030", "link"): ("tests/test_writes.py::test_out_never_follows_a_link_inside_it", "symbolic link"),
    ("ML030", "not-a-file"): ("tests/test_writes.py::test_a_file_replaced_by_a_pipe_during_the_run_is_not_written_into", "regular file"),
    ("ML030", "not-a-directory"): ("tests/test_writes.py::test_out_never_writes_through_a_file_where_a_directory_goes", "not a directory"),
    ("ML030", "two-names"): ("tests/test_writes.py::test_one_file_read_by_two_names_that_convert_differently_is_not_written", "also read as"),
    # a plugin is an installed distribution, not a YAML file
    ("ML050", "default"): ("tests/test_plugins.py::test_a_plugin_that_fails_to_load_is_an_ml050_finding", "could not be loaded"),
    ("ML050", "not-a-rule"): ("tests/test_plugins.py::test_a_plugin_that_cannot_be_used_is_said_and_the_built_in_rules_still_run", "is not a usable rule"),
    ("ML050", "code-taken"): ("tests/test_plugins.py::test_a_plugin_rule_whose_code_another_plugin_took_is_not_loaded", "uses a code meshlint already has"),
    ("ML050", "not-listed"): ("tests/test_plugins.py::test_plugins_that_cannot_be_listed_are_an_ml050_finding", "Plugins could not be listed"),
    # no built-in rule crashes on purpose: the test installs one that does
    ("ML090", "default"): ("tests/test_engine.py::test_entry_point_plugins_run_and_crashes_become_findings", "ML090"),
    # an honest listchecker draft always verifies (the draft and the verification read the same patterns): the test
    # makes the rule propose a wrong one
    ("ML600", "unverified"): ("tests/test_verify_mixer.py::test_a_wrong_draft_is_refused_with_the_request_it_would_let_through", "verification found a request"),
    # needs the user's CustomResourceDefinitions (--schemas), which a fixture case cannot pass
    ("ML802", "unserved"): ("tests/test_user_schemas.py::test_check_against_the_users_crds_pins_their_version", "is not served"),
}

# Codes whose every finding names its message key: their ``default`` (which the catalogue schema requires) is
# only the fallback for a key the catalogue lacks, which the test suite turns into an error (MESHLINT_STRICT_MESSAGES).
FALLBACK_ONLY = {
    "ML009": "the loader reports an alias bomb as expansion or recursive (loader.py)",
    "ML030": "every write refusal has its reason (fsutil.Refusal.reason, write_targets)",
    "ML091": "an unused suppression is reported by its scope: line, file or annotation (engine._unused)",
    "ML710": "a gateway is reported as custom, egress or knative; the default ingress gateway is not reported (rules/custom_gateway.py)",
}


@pytest.fixture(scope="module")
def rendered() -> set[tuple[str, str]]:
    """(code, message key) of every finding on every fixture case, each case linted once as its test does: the rule
    cases above, and the security cases (fixtures/security/<case>/input.yaml with its settings, tests/test_security_cases.py)."""
    from test_security_cases import CASES, _settings

    out: set[tuple[str, str]] = set()
    for param in cases():
        _, _, path = param.values
        out |= {(f.code, f.key) for f in lint([str(path)], Settings()).findings}
    for case in CASES:
        out |= {(f.code, f.key) for f in lint([str(case / "input.yaml")], _settings(case)).findings}
    return out


def _catalogue_keys() -> set[tuple[str, str]]:
    from meshlint.catalogue import load_catalogue

    return {(code, key) for code, entry in load_catalogue().items() for key in entry["messages"]}


def test_every_message_key_is_rendered_by_a_fixture(rendered: set[tuple[str, str]]):
    keys = _catalogue_keys()
    excused = set(RENDERED_BY_TESTS) | {(code, "default") for code in FALLBACK_ONLY}
    missing = sorted(keys - rendered - excused)
    assert not missing, f"no fixture case renders {missing}: add a fail case under fixtures/rules/<rule-name>/fail/ (or remove a dead message)"
    stale = sorted((excused & rendered) | (excused - keys))
    assert not stale, f"{stale} are rendered by a fixture now, or are no message key: take them out of this file's tables"
    assert not rendered - keys, f"findings with message keys the catalogue lacks: {sorted(rendered - keys)}"


def test_keys_no_fixture_renders_are_rendered_by_a_named_test():
    """Each entry of RENDERED_BY_TESTS names a test that exists and asserts the key's text (in its body or a table of
    its module it reads)."""
    import ast

    from meshlint.catalogue import load_catalogue

    catalogue = load_catalogue()
    for (code, key), (where, text) in RENDERED_BY_TESTS.items():
        file, name = where.split("::")
        tree = ast.parse((REPO / file).read_text(encoding="utf-8"))
        (func,) = [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == name] or [None]
        assert func is not None, f"{code} {key}: {where} does not exist"
        used = {n.id for n in ast.walk(func) if isinstance(n, ast.Name)}  # and the module's tables it reads (cases, expected texts)
        tables = [n for n in tree.body if isinstance(n, ast.Assign) and any(isinstance(t, ast.Name) and t.id in used for t in n.targets)]
        strings = [n.value for part in (func, *tables) for n in ast.walk(part) if isinstance(n, ast.Constant) and isinstance(n.value, str)]
        assert any(text in s for s in strings), f"{code} {key}: {where} does not assert {text!r}"
        entry = catalogue[code]
        if key == "default":
            assert text == code or text in entry["messages"][key], f"{code} {key}: {text!r} is neither the code nor part of its message"
        else:
            assert text in entry["messages"][key] + entry["short"][key], f"{code} {key}: {text!r} is not part of the key's message"
