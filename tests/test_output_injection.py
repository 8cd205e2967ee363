"""Hostile names (terminal escapes, newlines, bidi overrides, XML-invalid characters) cannot
forge output lines, drive the terminal or break a CI report."""
from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET

import pytest
from conftest import FIXTURES

HOSTILE = FIXTURES / "hostile" / "control-characters.yaml"
# C0 (but the newline ending each line), DEL, C1, bidi controls, XML noncharacters
UNSAFE = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069\ufffe\uffff]")


def _lines_are_safe(text: str, shown: str = "forged finding") -> None:
    assert not UNSAFE.search(text), repr(UNSAFE.search(text).group())
    assert shown in text  # the name is shown, escaped, not dropped
    forged = [line for line in text.splitlines() if line.startswith("fixtures/examples/clean-1.6/ok.yaml")]
    assert forged == []


@pytest.mark.parametrize("args", [["check"], ["check", "--color", "always"], ["convert", "--diff"], ["convert", "--check"]])
def test_terminal_output_escapes_control_characters(cli, args):
    r = cli(*args, HOSTILE)
    assert r.code in (0, 1) and (r.err == "" or args[:2] == ["convert", "--diff"]), r.err  # convert --diff: the summary is on stderr
    text = r.out + r.err
    # convert names what it changed and points at `meshlint check` for the findings (whose names check escapes)
    shown, escaped = ("forged finding", "\\x1b[2J") if args[0] == "check" else ("reviews\\x0broute\\ufffe", "\\x0b")
    _lines_are_safe(text.replace("\x1b[0m", "").replace("\x1b[1m", "").replace("\x1b[2m", "").replace("\x1b[31m", "").replace("\x1b[33m", ""), shown)
    assert escaped in text and ("\\n" in text or args[0] == "convert")  # the forged newline is in a finding's name


def test_color_codes_are_only_meshlints_own(cli):
    r = cli("check", "--color", "always", HOSTILE)
    assert "\x1b[2J" not in r.out and "\x1b]0;" not in r.out
    assert "\x1b[31m" in r.out  # the colour meshlint adds is kept


def test_github_annotations_cannot_be_forged(cli):
    r = cli("check", "-f", "github", HOSTILE)
    _lines_are_safe(r.out)
    assert all(line.startswith("::") for line in r.out.splitlines())


def test_junit_stays_valid_xml(cli):
    r = cli("check", "-f", "junit", HOSTILE)
    root = ET.fromstring(r.out.encode("utf-8"))
    names = [c.get("name") for c in root.iter("testcase")]
    assert any("\\x1b[2J" in n for n in names), names
    assert not UNSAFE.search(r.out.replace("\t", ""))


@pytest.mark.parametrize("fmt", ["json", "sarif", "gitlab"])
def test_json_formats_keep_the_exact_names(cli, fmt):
    r = cli("check", "-f", fmt, HOSTILE)
    values = []

    def strings(x):
        if isinstance(x, dict):
            x = list(x.values())
        if isinstance(x, list):
            for v in x:
                strings(v)
        elif isinstance(x, str):
            values.append(x)

    strings(json.loads(r.out))
    assert any("\x1b[2J" in v for v in values)  # JSON escapes it; consumers get the real value
