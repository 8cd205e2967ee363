"""The examples in docs/api.md run: every ```python block, from the repository's root, on its
fixtures (a block that writes uses tempfile, pointed at the test's tmp directory)."""
from __future__ import annotations

import re
import tempfile

import pytest
from conftest import REPO

DOC = REPO / "docs" / "api.md"


def python_blocks(path) -> list[tuple[int, str]]:
    """(line of the opening fence, code) of every ```python block."""
    text = path.read_text(encoding="utf-8")
    return [(text.count("\n", 0, m.start()) + 1, m.group(1)) for m in re.finditer(r"^```python\n(.*?)^```$", text, re.MULTILINE | re.DOTALL)]


BLOCKS = python_blocks(DOC)


def test_the_api_page_has_examples_for_every_call():
    code = "\n".join(c for _, c in BLOCKS)
    assert len(BLOCKS) >= 6
    for call in ("meshlint.check(", "meshlint.convert(", "meshlint.report(", "except meshlint.MeshlintError", "out="):
        assert call in code, call


@pytest.mark.parametrize("line, code", BLOCKS, ids=[f"api.md:{line}" for line, _ in BLOCKS])
def test_api_md_example_runs(line, code, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(REPO)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    exec(compile(code, f"{DOC}:{line}", "exec"), {"__name__": f"api_md_{line}"})  # noqa: S102  (the docs' own examples)
