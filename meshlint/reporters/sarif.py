"""SARIF 2.1.0 for code-scanning gates (GitHub code scanning and others)."""
from __future__ import annotations

from typing import Any

from .. import __version__
from ..docgen import HELP_URI, rule_markdown
from ..engine import Result
from ..model import Finding
from ..paths import repo_root
from .common import ITEMS, LEVELS, encode_with_items, fingerprint, relative_uri


def render(result: Result, **_: Any) -> str:
    rules = list(result.rules.values())
    index = {r.code: i for i, r in enumerate(rules)}
    run = {
        "tool": {
            "driver": {
                "name": "meshlint",
                "version": __version__,
                "informationUri": "https://github.com/meshlint/meshlint",
                "rules": [
                    {
                        "id": r.code,
                        "name": r.name,
                        "shortDescription": {"text": r.summary},
                        "fullDescription": {"text": (r.doc.get("description") or r.summary).strip()},
                        "help": {"text": r.summary, "markdown": rule_markdown(r)},
                        "helpUri": HELP_URI.format(code=r.code),
                        "defaultConfiguration": {"level": LEVELS[r.severity]},
                        "properties": {"tags": [r.area]},
                    }
                    for r in rules
                ],
            }
        },
        "originalUriBaseIds": {"%SRCROOT%": {"uri": "file://" + repo_root().rstrip("/") + "/"}},
        "results": ITEMS,
    }
    results = (
        {
            "ruleId": f.code,
            **({"ruleIndex": index[f.code]} if f.code in index else {}),
            "level": LEVELS[f.severity],
            "message": {"text": f.message},
            "locations": [{
                "physicalLocation": {
                    "artifactLocation": {"uri": relative_uri(f.file), "uriBaseId": "%SRCROOT%"},
                    "region": {"startLine": f.line, "startColumn": f.column},
                },
                **({"logicalLocations": [{"name": str(f.resource), "fullyQualifiedName": f"{f.resource}{f.path}"}]} if f.resource else {}),
            }],
            **({"relatedLocations": [_rendered(f)]} if f.rendered else {}),
            "partialFingerprints": {"meshlintIdentity/v1": fingerprint(f)},
        }
        for f in result.findings
    )
    doc = {"$schema": "https://json.schemastore.org/sarif-2.1.0.json", "version": "2.1.0", "runs": [run]}
    return encode_with_items(doc, results, separator=",\n")


def _rendered(f: Finding) -> dict[str, Any]:
    """The finding's position in the rendered stream (kustomize build, helm template output) when
    its location is the object's source file: a plain YAML file, or a template (at its first line)."""
    r = f.rendered
    assert r is not None  # only asked of rendered findings
    return {
        "id": 1,
        "physicalLocation": {
            "artifactLocation": {"uri": relative_uri(r.file), "uriBaseId": "%SRCROOT%"},
            "region": {"startLine": r.line, "startColumn": r.column},
        },
        "message": {"text": f"rendered by {r.by}"},
    }
