"""Inputs that used to end the whole run with "internal error": CR-only line endings, mixed line
endings, non-string mapping keys; and a no-crash property over convert and report."""
from __future__ import annotations

import json

import pytest
from conftest import FIXTURES
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from meshlint.convert import convert
from meshlint.engine import Settings, lint_sources
from meshlint.loader import load_bytes

CR_ONLY = FIXTURES / "convert" / "cr-only" / "input.yaml"
INT_KEYS = FIXTURES / "hostile" / "integer-keys.yaml"


def test_cr_only_file_converts_through_the_cli(cli, tmp_path):
    f = tmp_path / "routes.yaml"
    f.write_bytes(CR_ONLY.read_bytes())
    r = cli("convert", "--in-place", f)
    assert r.code == 0 and "internal error" not in r.err, r.err
    assert f.read_bytes() == (FIXTURES / "convert" / "cr-only" / "expected.yaml").read_bytes()


def test_cr_only_diff_has_one_line_per_line(cli):
    r = cli("convert", "--diff", CR_ONLY)
    assert r.code == 0 and "\r" not in r.out, r.err
    assert "-    websocketUpgrade: true" in r.out.splitlines()


@pytest.mark.parametrize("fmt", ["markdown", "json", "html"])
def test_report_reads_cr_only_files(cli, fmt):
    r = cli("report", "-f", fmt, CR_ONLY)
    assert r.code == 0 and "internal error" not in r.err, r.err
    if fmt == "json":
        assert json.loads(r.out)


def test_mixed_line_endings_are_left_alone_with_an_error_naming_the_file(cli, tmp_path):
    f = tmp_path / "mixed.yaml"
    data = (FIXTURES / "convert" / "comments" / "input.yaml").read_bytes()
    f.write_bytes(data.replace(b"  http:\n", b"  http:\r", 1))
    r = cli("convert", "--in-place", f)
    assert r.code == 1 and "internal error" not in r.err, r.err
    assert f"{f}\n  not converted: " in r.out and "line endings" in r.out
    assert f.read_bytes() == data.replace(b"  http:\n", b"  http:\r", 1)


@pytest.mark.parametrize("args", [["convert"], ["convert", "--check"], ["convert", "-f", "json"], ["report"], ["report", "-f", "json"]])
def test_non_string_keys_do_not_crash(cli, args):
    r = cli(*args, INT_KEYS)
    assert "internal error" not in r.err and "Traceback" not in r.err, r.err
    assert r.code == 1 if args[0] == "convert" else r.code in (0, 1)
    if args == ["convert"]:
        assert "integer-keys.yaml\n  not converted: " in r.err and "404" in r.err  # the summary is on stderr, next to the diff


# --------------------------------------------------------------------------- property

SEEDS = sorted(p for p in (FIXTURES / "convert").glob("*/input.yaml")) + [FIXTURES / "examples" / "gke-1.4-addon-export.yaml", INT_KEYS]
SEED_BYTES = [(p.name, p.read_bytes()) for p in SEEDS]
KEY_INSERTS = [b"404: oops\n", b"1.5: x\n", b"true: y\n", b"null: z\n", b"? [a, b]\n: c\n", b"~: n\n"]


def _mutated(data: bytes, ops) -> bytes:
    lines = data.splitlines(keepends=True) or [b""]
    for op, a, b in ops:
        i = a % len(lines)
        line = lines[i]
        indent = line[: len(line) - len(line.lstrip(b" "))]
        if op == "key":
            lines.insert(i, indent + KEY_INSERTS[b % len(KEY_INSERTS)])
        elif op == "cr":
            lines[i] = line.replace(b"\n", b"\r")
        elif op == "crlf":
            lines[i] = line.replace(b"\n", b"\r\n")
        elif op == "all-cr":
            lines = [x.replace(b"\n", b"\r") for x in lines]
        elif op == "delete" and len(lines) > 1:
            del lines[i]
        elif op == "duplicate":
            lines.insert(i, lines[b % len(lines)])
    return b"".join(lines)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(SEED_BYTES), st.lists(st.tuples(st.sampled_from(["key", "cr", "crlf", "all-cr", "delete", "duplicate"]), st.integers(0, 10_000), st.integers(0, 10_000)), min_size=1, max_size=4))
def test_convert_and_report_never_crash_on_mutated_fixtures(seed, ops):
    from meshlint.convert_cli import run_convert
    from meshlint.migration_report import build
    from meshlint.migration_report import render_html as html
    from meshlint.migration_report import render_json as json_report
    from meshlint.migration_report import render_markdown as markdown

    name, raw = seed
    result = lint_sources([load_bytes(_mutated(raw, ops), name)], Settings())
    converted = convert(result)
    assert not [e for f in converted.files for e in f.errors if "internal error" in e]
    for fmt in ("text", "json"):
        _, summary, code = run_convert(result, out=None, in_place=False, diff=True, check_only=False, fmt=fmt, keep_server_fields=False, verify=True)
        assert code in (0, 1)
        if fmt == "json":
            json.loads(summary)  # with a diff, the diff is stdout and the summary goes to stderr
    data = build(result)
    for renderer in (markdown, html, json_report):
        assert renderer.render(data)
