"""Start-up: a plain command line runs without importing typer, with exactly the values typer passes
(meshlint/lazy_typer.py); help, errors and everything else stay typer's."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import FIXTURES, REPO
from hypothesis import given, settings
from hypothesis import strategies as st

from meshlint.cli import app

ONE_FILE = FIXTURES / "rules" / "vs-fault-percent" / "fail"

_calls: list[tuple[str, dict[str, Any]]] = []
_TYPER = app.click_command(call=lambda function, values: _calls.append((function.__name__, values)))


def typer_calls(argv: list[str]) -> list[tuple[str, dict[str, Any]]] | None:
    """The functions typer calls for ``argv`` and their values; None when typer refuses it (a usage
    error, help, ``--version``)."""
    _calls.clear()
    try:
        code = _TYPER.main(args=argv, prog_name="meshlint", standalone_mode=False)
    except (Exception, SystemExit):  # noqa: BLE001 (click's usage errors, help and --version all end here)
        return None
    return list(_calls) if code in (None, 0) and len(_calls) == 2 else None


def fast_calls(argv: list[str]) -> list[tuple[str, dict[str, Any]]] | None:
    plan = app.parse(list(argv))
    if plan is None:
        return None
    return [(function.__name__, values) for function, values in plan]


PLAIN = [
    ["check", "a.yaml"],
    ["check", "-", "b.yaml"],
    ["check", "-f", "json", "-o", "out.json", "a.yaml", "dir"],
    ["check", "--format=sarif", "--select", "ML2", "--select=ML5", "--ignore", "ML206", "x.yml"],
    ["check", "a.yaml", "--fail-on", "error", "--min-severity", "warning", "-v", "--no-color", "--show-explanation"],
    ["check", "a.yaml", "-n", "shop", "--context", "ctx", "--root-namespace", "mesh", "--assume-rbac-on"],
    ["check", "a.yaml", "--baseline", "b.json", "--schemas", "crds", "--color", "always", "-f", "json", "-f", "text"],
    ["convert", "--check", "a.yaml"],
    ["convert", "--in-place", "-f", "json", "a.yaml", "--verify", "--keep-server-fields"],
    ["report", "-f", "html", "--revision", "asm-managed-rapid", "-o", "r.html", "export.yaml"],
    ["rules", "-f", "json"],
    ["explain", "ML202"],
]


@pytest.mark.parametrize("argv", PLAIN, ids=" ".join)
def test_plain_command_lines_take_the_fast_path_with_typers_values(argv):
    fast = fast_calls(argv)
    assert fast is not None, "a plain command line must not need typer"
    assert fast == typer_calls(argv)


NEEDS_TYPER = [
    [], ["--version"], ["--help"], ["-h"], ["check"], ["check", "--help"], ["check", "a.yaml", "-h"],
    ["check", "a.yaml", "-fjson"], ["check", "a.yaml", "-vn", "ns"], ["check", "a.yaml", "--form", "json"],
    ["check", "a.yaml", "--format"], ["check", "--", "-a.yaml"], ["check", "a.yaml", "-o", ""],
    ["check", "a.yaml", "-o", "-"], ["check", "a.yaml", "--verbose=1"], ["check", "-x.yaml"],
    ["explain"], ["explain", "ML1", "ML2"], ["bogus", "a.yaml"], ["rules", "a.yaml"],
]


@pytest.mark.parametrize("argv", NEEDS_TYPER, ids=lambda a: " ".join(a) or "(none)")
def test_anything_else_is_left_to_typer(argv):
    assert fast_calls(argv) is None


WORDS = st.sampled_from(["a.yaml", "-", "dir/b.yml", "json", "text", "ML2,ML5", "", "-x", "--", "-h", "--help",
                         "x=y", "-fjson", "--verb", "--format", "-f", "-o", "--select", "--select=ML1", "--format=",
                         "-v", "--verbose", "--no-color", "--check", "--in-place", "--out", "--revision", "-n"])


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(["check", "convert", "report", "rules", "explain"]), st.lists(WORDS, max_size=8))
def test_the_fast_path_passes_what_typer_passes_or_leaves_it_to_typer(command, words):
    argv = [command, *words]
    fast = fast_calls(argv)
    if fast is not None:
        assert fast == typer_calls(argv)


def test_a_plain_check_does_not_import_typer_and_help_does():
    probe = ("import sys\nfrom meshlint.cli import main\n"
             "try:\n    main(sys.argv[1:])\nexcept SystemExit as e:\n    code = e.code\n"
             "print('typer' in sys.modules, code, file=sys.stderr)\n")
    plain = subprocess.run([sys.executable, "-c", probe, "check", str(ONE_FILE)], capture_output=True, text=True, cwd=REPO, check=False)
    assert plain.stderr.splitlines()[-1] == "False 1", plain.stderr
    assert "ML202" in plain.stdout
    helped = subprocess.run([sys.executable, "-c", probe, "check", "--help"], capture_output=True, text=True, cwd=REPO, check=False)
    assert helped.stderr.splitlines()[-1] == "True 0", helped.stderr
    assert "--fail-on" in helped.stdout


def test_fast_and_typer_runs_print_the_same(cli, tmp_path):
    """The same check through the fast path and through typer (an option only typer reads: -fjson)."""
    fast = cli("check", "-f", "json", ONE_FILE.relative_to(REPO))
    slow = cli("check", "-fjson", ONE_FILE.relative_to(REPO))
    assert (fast.code, fast.out, fast.err) == (slow.code, slow.out, slow.err)
    assert fast.code == 1 and fast.json()["findings"]
    bad = cli("check", "--fail-on", "bogus", ONE_FILE.relative_to(REPO))
    assert bad.code == 2 and bad.err.startswith("meshlint: error: --fail-on:")
    assert Path(REPO).is_dir()


def test_the_catalogue_is_known_by_file_name_and_parsed_per_code():
    """Code and name come from the catalogue's file names (CODE-name.yaml); an entry parsed alone is
    the entry the whole catalogue holds."""
    from meshlint.catalogue import _parse, catalogue_files, load_catalogue

    full = load_catalogue()
    assert list(catalogue_files()) == list(full)
    for code, file_name in catalogue_files().items():
        assert file_name == f"{code}-{full[code]['name']}.yaml"
        assert _parse(file_name) == full[code]


def test_every_rule_reads_its_catalogue_entry_in_full_when_asked():
    """A built-in rule made before its entry is parsed has every field of the rule made from the
    entry, and dataclasses.replace still makes a complete rule of it."""
    import dataclasses

    from meshlint import registry
    from meshlint.catalogue import load_catalogue

    declared = registry.scan()
    for code, rule in registry.all_rules().items():
        entry = load_catalogue().get(code)
        if entry is None:
            continue  # a plugin's
        expected = registry._rule_from_entry(entry, declared=declared.get(code), check=rule.check)
        assert (rule.check is None) == (code not in declared), code
        for field in dataclasses.fields(expected):
            assert getattr(rule, field.name) == getattr(expected, field.name), (code, field.name)
        changed = dataclasses.replace(rule, behaviour={})
        assert (changed.code, changed.severity, changed.messages, changed.behaviour) == (rule.code, rule.severity, rule.messages, {})


def test_a_single_file_check_parses_only_the_entries_of_codes_it_reports(tmp_path):
    """The pre-commit path: one VirtualService file; its check parses the catalogue entries of the
    codes it reports, not all of them (nor imports typer)."""
    probe = ("import json, sys\nimport meshlint.catalogue as c\nparsed = []\nparse = c._parse\n"
             "c._parse = lambda name: (parsed.append(name.split('-')[0]), parse(name))[1]\n"
             "from meshlint.cli import main\n"
             "try:\n    main(['check', '-f', 'json', sys.argv[1]])\nexcept SystemExit:\n    pass\n"
             "print(json.dumps(sorted(parsed)), file=sys.stderr)\n")
    run = subprocess.run([sys.executable, "-c", probe, str(ONE_FILE / "fault.yaml")], capture_output=True, text=True, cwd=REPO, check=False)
    import json

    reported = sorted({f["code"] for f in json.loads(run.stdout)["findings"]})
    assert reported and json.loads(run.stderr.splitlines()[-1]) == reported
