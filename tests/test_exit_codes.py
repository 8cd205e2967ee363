"""Every command's exit codes, as the README's "Exit codes" table states them, and the trust rules
of configuration discovery (the repository root bounds it; -v names the file used)."""
from __future__ import annotations

import re
import subprocess
import sys
import textwrap

import pytest
from conftest import FIXTURES, REPO

CLEAN = FIXTURES / "examples" / "clean-1.6"
FINDINGS = FIXTURES / "rules" / "removed-api-kind" / "fail" / "alpha-apis.yaml"
CONVERTIBLE = FIXTURES / "convert" / "comments" / "input.yaml"
CONVERTED = FIXTURES / "convert" / "comments" / "expected.yaml"
BROKEN = FIXTURES / "hostile" / "merge-conflict.yaml"
NOT_CONVERTIBLE = FIXTURES / "hostile" / "integer-keys.yaml"

# A file the operating system refuses to read. Tests may run as root, who reads anything: the
# refusal is then simulated at open(), which is where meshlint meets it.
LOCKED_RUNNER = textwrap.dedent("""
    import builtins, os, sys
    def refusing(real):
        def refusing_open(file, *args, **kwargs):
            if str(file).endswith("locked.yaml"):
                raise PermissionError(13, "Permission denied", str(file))
            return real(file, *args, **kwargs)
        return refusing_open
    builtins.open = refusing(builtins.open)
    os.open = refusing(os.open)  # inputs are opened with os.open (without blocking)
    from meshlint.cli import main
    main(sys.argv[1:])
""")


@pytest.fixture
def locked(tmp_path):
    p = tmp_path / "locked.yaml"
    p.write_bytes(CONVERTIBLE.read_bytes())
    p.chmod(0)
    yield p
    p.chmod(0o644)


def run(*args, cwd=REPO):
    proc = subprocess.run([sys.executable, "-c", LOCKED_RUNNER, *map(str, args)], capture_output=True, text=True, cwd=cwd)
    assert "Traceback" not in proc.stderr and "internal error" not in proc.stderr, proc.stderr
    return proc


CASES = [
    # (command line, exit code); "LOCKED" is a file that cannot be read
    (["check", CLEAN], 0),
    (["check", FINDINGS], 1),
    (["check", BROKEN], 1),
    (["check", "LOCKED"], 2),
    (["check", CLEAN, "LOCKED"], 2),
    (["check", "no/such/file.yaml"], 2),
    (["check", "--select", "NOPE", FINDINGS], 2),
    (["check", "--ignore", "ML100,NOPE", FINDINGS], 2),
    (["check", "--select", "ML1", FINDINGS], 1),
    (["check", "-f", "nope", CLEAN], 2),
    (["convert", CONVERTIBLE], 0),
    (["convert", CLEAN], 0),
    (["convert", BROKEN], 1),
    (["convert", NOT_CONVERTIBLE], 1),
    (["convert", "LOCKED"], 2),
    (["convert", "--select", "NOPE", CONVERTIBLE], 2),
    (["convert", "--check", CONVERTED], 0),
    (["convert", "--check", CONVERTIBLE], 1),
    (["convert", "--check", BROKEN], 1),
    (["convert", "--check", "LOCKED"], 2),
    (["convert", "--check", CONVERTED, "LOCKED"], 2),
    (["convert", "-f", "json", BROKEN], 1),
    (["report", FINDINGS], 0),
    (["report", BROKEN], 1),
    (["report", "-f", "json", BROKEN], 1),
    (["report", "LOCKED"], 2),
    (["report", "-f", "nope", CLEAN], 2),
    (["rules"], 0),
    (["rules", "-f", "nope"], 2),
    (["explain", "ML100"], 0),
    (["explain", "NOPE"], 2),
    (["--version"], 0),
]


@pytest.mark.parametrize("args,code", CASES, ids=[" ".join(str(a).replace(str(REPO) + "/", "") for a in c[0]) for c in CASES])
def test_exit_code(args, code, locked):
    proc = run(*[locked if a == "LOCKED" else a for a in args])
    assert proc.returncode == code, proc.stdout[-2000:] + proc.stderr
    if code == 2:
        assert "meshlint: error:" in proc.stderr, proc.stderr


def test_unreadable_input_is_named(locked):
    proc = run("check", locked)
    assert f"meshlint: error: cannot read {locked}: Permission denied" in proc.stderr
    assert "ML013" in proc.stdout  # the report still says what was read and what was not


def test_unknown_codes_are_named(tmp_path):
    proc = run("check", "--select", "ML1,NOPE,removed-api-kind", FINDINGS)
    assert "NOPE" in proc.stderr and "meshlint rules" in proc.stderr and "ML1," not in proc.stderr


@pytest.mark.parametrize("config", ["select: [ML1, NOPE]\n", "ignore: [ML99x]\n", "per-path-ignores:\n  'legacy/*': [ML1, nope]\n", "severity:\n  NOPE: error\n"])
def test_unknown_codes_in_configuration(tmp_path, config):
    (tmp_path / ".meshlint.yaml").write_text(config)
    (tmp_path / "a.yaml").write_bytes(FINDINGS.read_bytes())
    proc = run("check", "a.yaml", cwd=tmp_path)
    assert proc.returncode == 2 and ".meshlint.yaml" in proc.stderr and "unknown rule" in proc.stderr, proc.stderr


def _repo_under_hostile_config(tmp_path):
    outer = tmp_path / "shared-checkout-dir"
    repo = outer / "team-config"
    (repo / ".git").mkdir(parents=True)
    (outer / ".meshlint.yaml").write_text("ignore: [ML]\n")  # would silence everything
    (repo / "vs.yaml").write_bytes(FINDINGS.read_bytes())
    return outer, repo


def test_configuration_above_the_repository_is_not_used(tmp_path):
    _, repo = _repo_under_hostile_config(tmp_path)
    proc = run("check", "vs.yaml", cwd=repo)
    assert proc.returncode == 1 and "ML100" in proc.stdout
    (repo / "sub").mkdir()
    proc = run("check", "../vs.yaml", cwd=repo / "sub")
    assert proc.returncode == 1 and "ML100" in proc.stdout


def test_configuration_at_the_repository_root_is_used(tmp_path):
    _, repo = _repo_under_hostile_config(tmp_path)
    (repo / ".meshlint.yaml").write_text("ignore: [ML1, ML3, ML4]\n")
    (repo / "sub").mkdir()
    assert run("check", "../vs.yaml", cwd=repo / "sub").returncode == 0


@pytest.mark.parametrize("command", ["check", "convert", "report"])
def test_verbose_names_the_configuration_file(tmp_path, command):
    _, repo = _repo_under_hostile_config(tmp_path)
    proc = run(command, "-v", "vs.yaml", cwd=repo)
    assert re.search(r"meshlint: configuration: none \(searched .*team-config\b", proc.stderr), proc.stderr
    (repo / ".meshlint.yaml").write_text("ignore: [ML3]\n")
    proc = run(command, "--verbose", "vs.yaml", cwd=repo)
    assert f"meshlint: configuration: {repo / '.meshlint.yaml'}" in proc.stderr, proc.stderr


def test_readme_documents_every_command_exit_codes():
    text = (REPO / "README.md").read_text()
    section = text.split("## Exit codes", 1)[1].split("\n## ", 1)[0]
    for command in ("check", "convert", "convert --check", "report", "rules", "explain"):
        assert re.search(rf"^\| `meshlint {re.escape(command)}\b", section, re.MULTILINE), command
