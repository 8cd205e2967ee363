"""Shared test helpers: the repository layout, ../shared, running the CLI, and the audit that
fails any test in which meshlint opens a socket or a file outside its inputs."""
from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "fixtures"
# a rule asking for a message key or placeholder the catalogue lacks raises, in-process and in CLI runs
os.environ["MESHLINT_STRICT_MESSAGES"] = "1"
AUDIT_SITE = Path(__file__).resolve().parent / "audit_site"

sys.path.insert(0, str(AUDIT_SITE))
import meshlint_audit

AUDIT = meshlint_audit.Audit((), processes=False)
AUDIT.armed = False
sys.addaudithook(AUDIT)


def shared_dir() -> Path | None:
    candidate = Path(os.environ.get("MESHLINT_SHARED") or REPO.parent / "shared")
    return candidate if candidate.is_dir() else None


@pytest.fixture(scope="session")
def shared() -> Path:
    path = shared_dir()
    if path is None:
        if os.environ.get("CI") == "true":
            pytest.fail("../shared (or $MESHLINT_SHARED) is missing; CI must have it")
        pytest.skip("../shared is not available")
    return path


@pytest.fixture(scope="session")
def build_backend() -> None:
    """hatchling (the test extra), for building wheels without build isolation (no network)."""
    import importlib.util

    if importlib.util.find_spec("hatchling") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("hatchling is missing; CI installs it with the test extra")
        pytest.skip("hatchling is not installed: pip install -e '.[test]'")


AUDIT_ROOTS: list[str] = []  # the inputs (repository, ../shared, the tests' tmp dirs) and the installed package
AUDIT_LOGS: list[Path] = []


def pytest_sessionstart(session):
    import tempfile

    import meshlint

    factory = getattr(session.config, "_tmp_path_factory", None)
    basetemp = Path(factory.getbasetemp() if factory is not None else tempfile.mkdtemp(prefix="meshlint-tests-"))
    AUDIT_ROOTS[:] = [str(REPO), str(shared_dir() or REPO), str(basetemp), os.path.dirname(meshlint.__file__)]
    AUDIT_LOGS[:] = [basetemp / "audit-logs"]
    AUDIT_LOGS[0].mkdir(exist_ok=True)
    AUDIT.allow(AUDIT_ROOTS + meshlint_audit.python_roots())


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item):
    return (yield from _audited())


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    return (yield from _audited())


def _audited():
    AUDIT.violations.clear()
    AUDIT.armed = True
    try:
        result = yield
    finally:
        AUDIT.armed = False
    if AUDIT.violations:
        raise AssertionError("meshlint test audit: " + "; ".join(dict.fromkeys(AUDIT.violations)))
    return result


def audited_env(env: dict | None = None) -> tuple[dict, Path]:
    """The environment of a CLI subprocess under the audit, and the file it records refusals in."""
    log = AUDIT_LOGS[0] / f"{uuid.uuid4().hex}.log"
    env = {**os.environ, **(env or {})}
    env["PYTHONPATH"] = os.pathsep.join(x for x in (str(AUDIT_SITE), env.get("PYTHONPATH")) if x)
    env[meshlint_audit.ENV_ALLOW] = os.pathsep.join(AUDIT_ROOTS)
    env[meshlint_audit.ENV_LOG] = str(log)
    return env, log


def check_audit_log(log: Path) -> None:
    if log.exists():
        refused = log.read_text(encoding="utf-8").splitlines()
        log.unlink()
        if refused:
            pytest.fail("meshlint test audit (CLI subprocess): " + "; ".join(dict.fromkeys(refused)))


class Run:
    def __init__(self, proc: subprocess.CompletedProcess):
        self.code = proc.returncode
        self.out = proc.stdout
        self.err = proc.stderr

    def json(self):
        import json

        return json.loads(self.out)


def run_cli(*args: str, cwd: Path | str | None = None, stdin: bytes | None = None, env: dict | None = None, umask: int | None = None) -> Run:
    """Run the installed command line exactly as a user would (``python -m meshlint``), under the audit."""
    env, log = audited_env(env)
    proc = subprocess.run(
        [sys.executable, "-m", "meshlint", *map(str, args)],
        cwd=str(cwd or REPO),
        input=stdin,
        capture_output=True,
        env=env,
        preexec_fn=None if umask is None else (lambda: os.umask(umask)),
    )
    check_audit_log(log)
    return Run(subprocess.CompletedProcess(proc.args, proc.returncode, proc.stdout.decode("utf-8", "replace"), proc.stderr.decode("utf-8", "replace")))


@pytest.fixture
def cli():
    return run_cli


def pytest_terminal_summary(terminalreporter):
    """The differential tests say how many examples they ran (the issue asks for at least 2,000)."""
    mod = sys.modules.get("test_differential")
    stats = getattr(mod, "STATS", None)
    if stats and stats.get("examples"):
        terminalreporter.write_line(
            f"differential RBAC test: {stats['examples']} examples, {stats['converted']} converted and checked on "
            f"{stats['requests']} concrete requests, {stats['refused']} refused with a finding")
    authn = getattr(mod, "AUTHN_STATS", None)
    if authn and authn.get("examples"):
        terminalreporter.write_line(
            f"differential authentication test: {authn['examples']} examples, {authn['converted']} converted and checked on "
            f"{authn['requests']} concrete requests, {authn['refused']} refused with a finding")
