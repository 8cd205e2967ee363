"""Core acceptance on the real-world corpus in ../shared/corpus."""
from __future__ import annotations

import json
from importlib import resources

import jsonschema
import yaml

OUTPUT_SCHEMA = json.loads(resources.files("meshlint").joinpath("schemas/output.schema.json").read_text())
REMOVED_GROUPS = ("authentication.istio.io", "rbac.istio.io", "config.istio.io")
CONVERSIONS = ("ML300", "ML400", "ML401", "ML402")  # a converted removed kind gets its conversion finding, not ML100


def _expected_removed(corpus):
    """Independently (PyYAML, no meshlint code) list every alpha-auth, RBAC and Mixer object."""
    out = set()
    for path in sorted(corpus.rglob("*")):
        if path.suffix not in (".yaml", ".yml", ".json") or not path.is_file():
            continue
        try:
            docs = list(yaml.safe_load_all(path.read_text(encoding="utf-8")))
        except (yaml.YAMLError, UnicodeDecodeError):
            continue
        for doc in docs:
            items = doc.get("items") if isinstance(doc, dict) and doc.get("kind") == "List" else [doc]
            for d in items or []:
                if isinstance(d, dict) and str(d.get("apiVersion", "")).split("/")[0] in REMOVED_GROUPS:
                    md = d.get("metadata") or {}
                    out.add((str(path), d.get("kind"), md.get("namespace"), md.get("name")))
    return out


def test_corpus_json_is_valid_and_reports_every_removed_resource(cli, shared):
    corpus = shared / "corpus"
    r = cli("check", corpus, "--format", "json")
    assert r.code in (0, 1)
    assert "Traceback" not in r.err
    data = r.json()
    jsonschema.validate(data, OUTPUT_SCHEMA)
    assert data["findings"], "the corpus is full of deprecated config"
    assert all(f["line"] >= 1 and f["column"] >= 1 for f in data["findings"])
    # a finding on a rendered object (the Helm-rendered install file) names its template; the input is the stream
    reported = {((f.get("rendered") or f)["file"], f["resource"]["kind"], f["resource"]["namespace"], f["resource"]["name"])
                for f in data["findings"] if f["code"] in ("ML100", "ML600", *CONVERSIONS) and f["resource"]}
    expected = _expected_removed(corpus)
    assert len(expected) > 100
    missing = expected - reported
    assert not missing, sorted(missing)[:10]
    assert not [f for f in data["findings"] if f["code"] == "ML090"]
