"""Read YAML/JSON files into :class:`Resource` objects, fast and without ever raising.

The lint path parses with libyaml (PyYAML's C parser and composer), which keeps a
line/column mark on every node. Values are built from the node tree by a small
safe builder: tags are never executed, duplicate keys, alias bombs and recursive
aliases are detected. Positions are resolved lazily, only for fields that a
finding points at. Conversion edits the text itself (:mod:`meshlint.textedit`), on the same parser.

Every problem with the input becomes a :class:`Problem` value, not an exception.

This module is the loader's one door: the rest of meshlint imports these names from
``meshlint.loader``, never from its modules, which are the steps of a read, in order:

- :mod:`.discovery`: the paths given to a run expanded into input files;
- :mod:`.reading`: bounded reads of those files (and of stdin and small data files);
- :mod:`.decoding`: bytes to text (size, binary, byte-order mark, UTF-8);
- :mod:`.documents`: text to :class:`SourceFile` (:mod:`.source`): resources and problems;
- :mod:`.values`: node trees to plain values, bounded (aliases, depth), and data files;
- :mod:`.composing`: libyaml composition and syntax errors;
- :mod:`.positions`: a JSON Pointer to a line and column, lazily.
"""
from __future__ import annotations

from .composing import PositionComposer, compose_positions, is_plain_string, marker_bounds
from .decoding import load_bytes
from .discovery import SKIP_DIRS, YAML_SUFFIXES, InputFile, discover
from .documents import load_text
from .reading import InputError, read_input, read_paths, read_regular
from .source import SourceFile
from .values import load_data

__all__ = [
    "SKIP_DIRS",
    "YAML_SUFFIXES",
    "InputError",
    "InputFile",
    "PositionComposer",
    "SourceFile",
    "compose_positions",
    "discover",
    "is_plain_string",
    "load_bytes",
    "load_data",
    "load_text",
    "marker_bounds",
    "read_input",
    "read_paths",
    "read_regular",
]
