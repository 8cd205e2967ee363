"""Untrusted text made safe to show: names, file names and messages that come from the scanned
files (or their paths) may hold terminal escapes, newlines that forge output lines, bidi
overrides that reorder what a reviewer sees, and characters XML cannot hold.

``printable`` is the one helper every line-oriented output (text, GitHub annotations, convert's
summary, JUnit) calls on each piece of untrusted text. JSON, SARIF and GitLab keep the exact
values: JSON escapes control characters itself.
"""
from __future__ import annotations

import re

# C0 controls (tab and newline included: one finding is one line), DEL, C1 controls, the
# Unicode bidi controls, lone surrogates and the two noncharacters XML 1.0 forbids
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff\ufffe\uffff]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escaped(m: re.Match[str]) -> str:
    c = m.group()
    named = _NAMED.get(c)
    if named is not None:
        return named
    n = ord(c)
    return f"\\x{n:02x}" if n < 0x100 else f"\\u{n:04x}"


def printable(text: str) -> str:
    """``text`` with every unsafe character written as a visible escape (``\\x1b``, ``\\n``, ``\\u202e``)."""
    if not isinstance(text, str):
        text = str(text)
    return _UNSAFE.sub(_escaped, text) if _UNSAFE.search(text) else text
