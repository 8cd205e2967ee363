"""Write meshlint's own schemas as JSON Schema files, one per kind and version:

    python -m meshlint.schema.export [meshlint/schemas/istio]

``target/<group>/<version>/<Kind>.json`` (the current API, as conversions must produce it) and
``input/<group>/<version>/<Kind>.json`` (Istio 1.4/1.6, as users bring it). The files ship in the
package for editors and other tools; a test fails when they differ from the schemas meshlint runs.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from .input import INPUT_SPECS, input_schema
from .target import SPECS, document_schema

DRAFT = "http://json-schema.org/draft-07/schema#"
BASE = "https://meshlint.dev/schemas/istio"


def generate() -> dict[str, str]:
    """Relative file name -> JSON text of every schema."""
    out: dict[str, str] = {}
    for (group, kind), (_, versions) in sorted(SPECS.items()):
        for version in versions:
            out[f"target/{group}/{version}/{kind}.json"] = _file("target", group, version, kind, document_schema(group, version, kind),
                                                                 "the current Istio API: what a modern or managed control plane keeps")
    for group, version, kind in sorted(INPUT_SPECS):
        out[f"input/{group}/{version}/{kind}.json"] = _file("input", group, version, kind, input_schema(group, version, kind),
                                                            "the Istio 1.4/1.6 API: what those releases accepted")
    return out


def _file(side: str, group: str, version: str, kind: str, schema: dict[str, Any] | None, about: str) -> str:
    doc = {"$schema": DRAFT, "$id": f"{BASE}/{side}/{group}/{version}/{kind}.json",
           "title": f"{kind} ({group}/{version}), {about}", **(schema or {})}
    return json.dumps(doc, indent=1, sort_keys=False) + "\n"


def main(argv: list[str]) -> int:
    root = Path(argv[0] if argv else Path(__file__).resolve().parent.parent / "schemas" / "istio")
    files = generate()
    for old in root.rglob("*.json") if root.exists() else ():
        if old.relative_to(root).as_posix() not in files:
            old.unlink()
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    print(f"wrote {len(files)} schemas to {root}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
