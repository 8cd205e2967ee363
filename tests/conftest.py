"""Shared test helpers: the repository layout, ../shared, and running the CLI."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "fixtures"


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


class Run:
    def __init__(self, proc: subprocess.CompletedProcess):
        self.code = proc.returncode
        self.out = proc.stdout
        self.err = proc.stderr

    def json(self):
        import json

        return json.loads(self.out)


def run_cli(*args: str, cwd: Path | str | None = None, stdin: bytes | None = None, env: dict | None = None) -> Run:
    """Run the installed command line exactly as a user would (``python -m meshlint``)."""
    proc = subprocess.run(
        [sys.executable, "-m", "meshlint", *map(str, args)],
        cwd=str(cwd or REPO),
        input=stdin,
        capture_output=True,
        env={**os.environ, **(env or {})},
    )
    return Run(subprocess.CompletedProcess(proc.args, proc.returncode, proc.stdout.decode("utf-8", "replace"), proc.stderr.decode("utf-8", "replace")))


@pytest.fixture
def cli():
    return run_cli
