"""Terminal output like ruff's and yamllint's: grouped by file, one short line a finding, the long
explanation once, colours only on a terminal (never with NO_COLOR or --color never)."""
from __future__ import annotations

import os
import pty
import re
import subprocess
import sys

import pytest
from conftest import FIXTURES, REPO

EXPORT = FIXTURES / "examples" / "gke-1.4-addon-export.yaml"
REPO_DIR = FIXTURES / "examples" / "gitops-repo"
ANSI = re.compile(r"\x1b\[[0-9;]*m")
FINDING = re.compile(r"^  (\d+):(\d+) +(error|warning|info) +(ML\d{3})( \[\*\])? (.+)$")


def run_tty(*args: str, env: dict | None = None) -> str:
    """Run the CLI with stdout on a pseudo-terminal (what a user at a terminal sees)."""
    master, slave = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "meshlint", *map(str, args)], cwd=REPO, stdout=slave, stderr=subprocess.PIPE,
                            env={**{k: v for k, v in os.environ.items() if k != "NO_COLOR"}, **(env or {})})
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:  # the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    proc.wait(timeout=120)
    os.close(master)
    return b"".join(chunks).decode("utf-8", "replace").replace("\r\n", "\n")


@pytest.fixture(scope="module")
def checked():
    from conftest import run_cli

    text = run_cli("check", EXPORT, REPO_DIR).out
    data = run_cli("check", "-f", "json", EXPORT, REPO_DIR).json()
    return text, data["findings"]


def test_grouped_by_file_with_the_path_once(checked):
    text, findings = checked
    lines = text.splitlines()
    files = sorted({f["file"] for f in findings})
    for path in files:
        assert lines.count(path) == 1, path  # the path on a line of its own, once
        # and nowhere else (but where a duplicate-object finding names the other copy's place)
        assert sum(path in line and "ML014" not in line and not line.startswith("    ") for line in lines) == 1, path
    rows = [FINDING.match(line) for line in lines]
    assert sum(1 for m in rows if m) == len(findings)
    # every finding sits under its file's header, at its line and column
    current, seen = None, []
    for line, m in zip(lines, rows):
        if line in files:
            current = line
        elif m:
            seen.append((current, int(m.group(1)), int(m.group(2)), m.group(4)))
    assert sorted(seen) == sorted((f["file"], f["line"], f["column"], f["code"]) for f in findings)


def test_one_line_a_finding_of_at_most_120_characters(checked):
    text, findings = checked
    rows = [line for line in text.splitlines() if FINDING.match(line)]
    assert rows and max(len(line) for line in rows) <= 120
    assert any(line.endswith("…") for line in rows)  # long ones are cut, not wrapped
    assert all(len(line) <= 120 for line in text.splitlines() if not line.startswith(("Found ", "fixtures/")))
    shorts = [FINDING.match(line).group(6) for line in rows]
    assert all(len(s) <= 100 for s in shorts)
    fixable = {(f["line"], f["code"]) for f in findings if f["fixable"]}
    assert {(int(FINDING.match(line).group(1)), FINDING.match(line).group(4)) for line in rows if "[*]" in line} == fixable


def test_long_explanation_once_per_code_and_message(checked):
    text, findings = checked
    flat = " ".join(text.split())
    by_key: dict[tuple[str, str], list[dict]] = {}
    from meshlint.registry import all_rules

    rules = all_rules()
    for f in findings:
        key = next(k for k in rules[f["code"]].messages if _matches(rules[f["code"]].messages[k], f["message"]))
        by_key.setdefault((f["code"], key), []).append(f)
    for (code, key), fs in by_key.items():
        first = " ".join(fs[0]["message"].split())
        assert flat.count(first) == 1, (code, key)
        for other in fs[1:]:
            if " ".join(other["message"].split()) != first:
                assert " ".join(other["message"].split()) not in flat, (code, key)
    assert text.index("Explanations") > max(text.index(f["file"]) for f in findings)


def _matches(template: str, message: str) -> bool:
    pattern = re.escape(template)
    pattern = re.sub(r"\\\{\w+\\\}", ".*", pattern)
    return re.fullmatch(pattern, message, re.DOTALL) is not None


def test_show_explanation_puts_every_message_under_its_line(cli):
    r = cli("check", "--show-explanation", REPO_DIR)
    data = cli("check", "-f", "json", REPO_DIR).json()["findings"]
    flat = " ".join(r.out.split())
    for f in data:
        assert " ".join(f["message"].split()) in flat
    assert "Explanations" not in r.out
    assert max(len(line) for line in r.out.splitlines() if line.startswith("   ")) <= 120


def test_no_colour_when_not_a_terminal(cli):
    assert not ANSI.search(cli("check", EXPORT).out)
    assert ANSI.search(cli("check", "--color", "always", EXPORT).out)
    assert cli("check", "--color", "sometimes", EXPORT).code == 2


def test_colour_on_a_terminal_unless_no_color_or_never():
    assert ANSI.search(run_tty("check", EXPORT))
    assert not ANSI.search(run_tty("check", EXPORT, env={"NO_COLOR": "1"}))
    assert not ANSI.search(run_tty("check", "--color", "never", EXPORT))
    assert not ANSI.search(run_tty("check", "--no-color", EXPORT))
    coloured = run_tty("check", EXPORT)
    assert [ANSI.sub("", line) for line in coloured.splitlines()] == run_tty("check", "--color", "never", EXPORT).splitlines()


def test_output_file_is_never_coloured(cli, tmp_path):
    out = tmp_path / "findings.txt"
    cli("check", "--color", "always", "-o", out, EXPORT)
    assert not ANSI.search(out.read_text())


def test_a_very_long_name_still_fits(cli, tmp_path):
    f = tmp_path / "long.yaml"
    f.write_text("apiVersion: rbac.istio.io/v1alpha1\nkind: ServiceRoleBinding\nmetadata:\n  name: " + "x" * 300 + "\n  namespace: shop\n"
                 "spec:\n  subjects: [{user: a}]\n  roleRef: {kind: ServiceRole, name: " + "r" * 200 + "}\n")
    r = cli("check", f)
    rows = [line for line in r.out.splitlines() if FINDING.match(line)]
    assert rows and all(len(line) <= 120 for line in rows)
    assert "x" * 300 in " ".join(r.out.split()).replace(" ", "")  # the explanation still has it whole


# --------------------------------------------------------------------------- convert


def test_convert_names_what_it_changed_by_file_and_points_at_the_findings(cli):
    export, repo = EXPORT.relative_to(REPO), REPO_DIR.relative_to(REPO)
    r = cli("convert", "--color", "never", export, repo)
    assert r.code in (0, 1), r.err
    summary = r.err  # the diff is on stdout, the summary beside it
    lines = summary.splitlines()
    # the path once, the resources converted in it indented under it
    security = "fixtures/examples/gitops-repo/shop/security.yaml"
    assert lines.count(security) == 1
    below = lines[lines.index(security) + 1:]
    assert below[0].startswith("  ServiceRoleBinding shop/") or below[0].startswith("  ServiceRole shop/") or below[0].startswith("  Policy shop/")
    assert not any(line.startswith(security + ":") for line in lines)
    # the unfixed findings are not printed again: one line says how many and what lists them
    checked = cli("check", "-f", "json", EXPORT, REPO_DIR).json()["findings"]
    manual = [f for f in checked if not f["fixable"] and f["severity"] in ("error", "warning")]
    assert manual and not FINDING.search(summary) and "(not fixed automatically)" not in summary
    pointer = [line for line in lines if "need manual work" in line]
    assert len(pointer) == 1 and f"`meshlint check {export} {repo}` lists them" in pointer[0]
    assert not [f for f in manual if f["message"] in summary]


def test_convert_change_lines_wrap_between_their_parts(cli):
    """What a resource became fits 120 columns: wrapped after a fix or an object's name, never inside a name."""
    r = cli("convert", "--color", "never", EXPORT.relative_to(REPO), REPO_DIR.relative_to(REPO))
    lines = r.err.splitlines()
    changes = [line for line in lines if line.startswith("  ") and not line.startswith("  not converted: ")]
    assert changes and all(len(line) <= 120 for line in changes), [line for line in changes if len(line) > 120]
    jwt = next(i for i, line in enumerate(lines) if line.startswith("  Policy shop/frontend-jwt: "))
    assert lines[jwt + 1].startswith("    → PeerAuthentication shop/frontend-jwt-frontend")  # continuations indented deeper
    names = {"PeerAuthentication shop/frontend-jwt-frontend", "RequestAuthentication shop/frontend-jwt-frontend", "AuthorizationPolicy shop/frontend-jwt-frontend"}
    assert all(any(n in line for line in lines[jwt:jwt + 4]) for n in names)
    generated = [line for line in lines if ": would be generated" in line]
    assert generated and all(len(line) <= 120 for line in generated)


def test_convert_diff_is_coloured_on_a_terminal_only():
    plain = run_tty("convert", "--color", "never", REPO_DIR)
    coloured = run_tty("convert", REPO_DIR)
    assert not ANSI.search(plain) and "\n-      consecutiveErrors: 3" in plain
    assert "\x1b[31m-      consecutiveErrors: 3" in coloured and "\x1b[32m+      consecutiveGatewayErrors: 3" in coloured
    assert [ANSI.sub("", line) for line in coloured.splitlines()] == plain.splitlines()
    assert not ANSI.search(run_tty("convert", REPO_DIR, env={"NO_COLOR": "1"}))


def test_convert_names_each_refused_conversion_under_its_file(cli):
    """A conversion a converting rule refused is named with its short reason (the whole one with -v),
    where convert says what it changed; the other findings stay behind the pointer to `meshlint check`."""
    partial = (FIXTURES / "examples" / "partial-repo").relative_to(REPO)
    r = cli("convert", "--color", "never", partial)
    lines = r.err.splitlines()
    security = str(partial / "security.yaml")
    below = lines[lines.index(security) + 1:]
    refused = [line for line in below if line.startswith("  refused ")]
    assert [line.split()[1] for line in refused] == ["ML300", "ML401", "ML400"] and all(len(line) <= 120 for line in refused)
    assert "ServiceRoleBinding bind-viewer" in refused[1] and "ServiceRole ratings-reader" in refused[2]
    data = cli("check", "-f", "json", partial).json()["findings"]
    whole = next(f["message"] for f in data if f["code"] == "ML300" and f["severity"] == "error")
    assert whole not in r.err and whole in " ".join(cli("convert", "-v", "--color", "never", partial).err.split())
    assert [f for f in data if f["code"] == "ML100" and not f["fixable"]] and "ML100" not in r.err  # not refusals: `meshlint check` lists them
