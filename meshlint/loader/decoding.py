"""An input's bytes to text: at most :data:`MAX_FILE_BYTES`, not binary (UTF-16/32 or NUL bytes),
UTF-8 with its byte-order mark noted (ML008) and removed; the text then goes to
:func:`~meshlint.loader.documents.load_text`, which notes CRLF line endings.
"""
from __future__ import annotations

import codecs

from ..model import Problem
from .documents import load_text
from .source import SourceFile

MAX_FILE_BYTES = 64 * 1024 * 1024

BINARY, ENCODING, BOM, TOO_LARGE = "ML004", "ML005", "ML008", "ML010"  # input problem codes (catalogue area "input")


def load_bytes(data: bytes, display: str) -> SourceFile:
    """The objects and problems of one file's bytes; ``display`` names it in findings."""
    if len(data) > MAX_FILE_BYTES:
        return SourceFile(display, None, problems=[Problem(TOO_LARGE, 1, 1, {"size": len(data), "limit": MAX_FILE_BYTES})])
    if data.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or b"\x00" in data[:8192]:
        return SourceFile(display, None, problems=[Problem(BINARY, 1, 1)])
    problems: list[Problem] = []
    bom = data.startswith(codecs.BOM_UTF8)
    if bom:
        problems.append(Problem(BOM, 1, 1))
        data = data[len(codecs.BOM_UTF8):]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        col = e.start - (data.rfind(b"\n", 0, e.start) + 1) + 1
        return SourceFile(display, None, problems=problems + [Problem(ENCODING, line, col, {"byte": f"0x{data[e.start]:02x}"})])
    src = load_text(text, display)
    src.problems[:0] = problems
    src.bom = bom
    return src
