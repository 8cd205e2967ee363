"""What a managed control plane won't run: corpus coverage, generated manifests, conversions."""
from __future__ import annotations

import csv
import json

import yaml
from conftest import FIXTURES
from upstream_crds import strict_errors

from meshlint.convert import convert
from meshlint.engine import Settings, lint, lint_sources
from meshlint.envoyfilter import convert_old_style
from meshlint.fixes import ExtraFile
from meshlint.loader import load_bytes

FEATURE_CODES = {
    "envoyfilter-old:filters": ("ML501", "filters"),
    "envoyfilter-old:workloadLabels": ("ML501", "workloadLabels"),
    "envoyfilter-new:configPatches": ("ML500", "kind"),
    "cacerts-secret": ("ML700", "name"),
    "gateway-deployment": ("ML710", "name"),
}


def test_corpus_files_with_these_features_are_reported_at_their_lines(shared):
    checked = 0
    with open(shared / "corpus" / "MANIFEST.tsv") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    for row in rows:
        feats = [f for f in row["deprecated_features"].split(";") if f in FEATURE_CODES]
        if not feats or row["parse"] != "ok":
            continue
        path = shared / "corpus" / row["local_path"]
        lines = path.read_text().splitlines()
        result = lint([str(path)], Settings())
        for feat in feats:
            code, key = FEATURE_CODES[feat]
            hits = [f for f in result.findings if f.code == code]
            if feat == "envoyfilter-new:configPatches" and not hits:
                # the add-on's own telemetry filters (stats-filter-*, metadata-exchange-*) are not user config
                assert all(r.name.startswith(("stats-filter", "metadata-exchange", "tcp-stats-filter", "tcp-metadata-exchange")) for s in result.sources for r in s.resources if r.kind == "EnvoyFilter"), row["local_path"]
                continue
            assert hits, (row["local_path"], feat)
            for h in hits:
                last = h.path.rsplit("/", 1)[-1].replace("~1", "/").replace("~0", "~")
                text = lines[h.line - 1]
                assert (last.isdigit() and text.lstrip().startswith("-")) or last in text, (row["local_path"], h.line, h.path, text)
            # ML501 is one finding per EnvoyFilter: it names every old field it is about
            assert any(key in lines[h.line - 1] or (code == "ML501" and key in h.message) for h in hits) or key in ("kind", "name"), (row["local_path"], feat)
            checked += 1
    assert checked >= 8


def test_old_style_envoyfilters_convert_to_strictly_valid_configpatches_or_are_refused_with_reasons(shared):
    corpus = [shared / "corpus/istio__istio/1.4.10/galley/testdata/validation/dataset/networking-v1alpha3-EnvoyFilter-valid.yaml",
              shared / "corpus/istio__istio/1.4.10/tests/testdata/networking/envoyfilter-without-service/configs.yaml",
              shared / "corpus/istio__istio/1.4.10/galley/pkg/config/analysis/analyzers/testdata/deprecation.yaml"]
    outcomes = {}
    for path in corpus:
        for doc in yaml.safe_load_all(path.read_text()):
            if isinstance(doc, dict) and doc.get("kind") == "EnvoyFilter" and "filters" in doc.get("spec", {}):
                conv = convert_old_style(doc["spec"])
                outcomes[doc["metadata"]["name"]] = conv
                if conv.spec is None:
                    assert conv.refusals and all(len(reason) > 20 for _, reason in conv.refusals)
                    continue
                assert strict_errors(shared, "1.30.3", {**doc, "spec": conv.spec}) == []
    # listenerProtocol HTTP on an HTTP filter constrains nothing: the Lua filter converts, typed
    lua = outcomes["test-lua"].spec["configPatches"][0]["patch"]["value"]
    assert lua["typed_config"]["@type"] == "type.googleapis.com/envoy.extensions.filters.http.lua.v3.Lua" and "config" not in lua
    # the fault sample gives headers as a mapping where Envoy wants a list: kept untyped, with the reason
    assert [name for name, why in outcomes["simple-envoy-filter"].untyped if "must be a list" in why] == ["envoy.filters.http.fault"]
    # a filter without filterName cannot be converted
    assert outcomes["istio-multicluster-egressgateway"].spec is None
    expected = next(yaml.safe_load_all((FIXTURES / "convert" / "envoyfilter-old-style" / "expected.yaml").read_text()))
    assert "configPatches" in expected["spec"] and "filters" not in expected["spec"]
    assert strict_errors(shared, "1.30.3", expected) == []


def test_old_style_envoyfilter_convert_golden():
    case = FIXTURES / "convert" / "envoyfilter-old-style"
    src = load_bytes((case / "input.yaml").read_bytes(), "input.yaml")
    f = convert(lint_sources([src], Settings())).files[0]
    assert not f.errors
    assert f.new_text == (case / "expected.yaml").read_text()


def test_gateway_replacements_keep_selector_labels_and_are_well_formed():
    src = load_bytes((FIXTURES / "rules" / "custom-gateway" / "fail" / "private.yaml").read_bytes(), "gw.yaml")
    result = lint_sources([src], Settings(select=("ML710",)))
    extras = [op for f in result.findings for op in f.fix.ops if isinstance(op, ExtraFile)]
    assert len(extras) == 2
    objs = {o["kind"]: o for o in extras[0].objects}
    # no Service selecting these pods among the inputs: the cluster's keeps serving them, none is generated
    # (tests/test_output.py's gateway golden copies one)
    assert set(objs) == {"ServiceAccount", "Deployment", "Role", "RoleBinding"}
    assert "no service selecting these pods is among the inputs" in extras[0].note.lower()
    dep = objs["Deployment"]
    tmpl = dep["spec"]["template"]
    assert dep["spec"]["selector"]["matchLabels"].items() <= tmpl["metadata"]["labels"].items()
    assert tmpl["metadata"]["labels"]["istio"] == "private-ingressgateway"  # what Gateway selectors use
    assert tmpl["metadata"]["labels"]["istio.io/rev"] == "asm-managed"
    assert tmpl["metadata"]["annotations"]["inject.istio.io/templates"] == "gateway"
    assert tmpl["spec"]["containers"][0]["image"] == "auto"
    assert tmpl["spec"]["serviceAccountName"] == objs["ServiceAccount"]["metadata"]["name"]
    assert dep["metadata"]["name"] == "istio-private-ingressgateway-asm-managed"  # runs next to the old gateway
    assert objs["RoleBinding"]["roleRef"]["name"] == objs["Role"]["metadata"]["name"]
    for o in extras[0].objects:
        assert o["apiVersion"] and o["kind"] and o["metadata"]["name"] and o["metadata"]["namespace"] == "istio-system"


def test_convert_out_writes_generated_gateway_manifests(cli, tmp_path):
    r = cli("convert", "--out", tmp_path, FIXTURES / "rules" / "custom-gateway" / "fail" / "private.yaml")
    assert r.code == 0, r.err
    files = sorted(p.name for p in (tmp_path / "generated" / "gateways").iterdir())
    assert files == ["istio-system-istio-egressgateway.yaml", "istio-system-istio-private-ingressgateway.yaml"]
    docs = list(yaml.safe_load_all((tmp_path / "generated" / "gateways" / files[1]).read_text()))
    assert [d["kind"] for d in docs] == ["ServiceAccount", "Deployment", "Role", "RoleBinding"]


def test_default_1_6_addon_export_gives_no_findings_at_all(cli):
    export = FIXTURES / "examples" / "gke-1.6-addon-export.yaml"
    r = cli("check", "-f", "json", export)
    assert r.code == 0 and r.json()["findings"] == []
    assert r.json()["summary"]["resources"] >= 10
    rep = cli("report", "-f", "json", export)
    assert json.loads(rep.out)["verdict"]["state"] == "SUCCESS"
    assert json.loads(rep.out)["inputs"]["addon_markers"] == ["istio-1611"]


def test_addon_default_filters_are_not_flagged_by_any_envoyfilter_rule():
    src = load_bytes((FIXTURES / "examples" / "gke-1.6-addon-export.yaml").read_bytes(), "x.yaml")
    result = lint_sources([src], Settings(select=("ML5",)))
    assert result.findings == []
    filters = [r for r in src.resources if r.kind == "EnvoyFilter"]
    assert len(filters) == 4


def test_mixer_addon_defaults_are_information_only(shared, tmp_path):
    """A Mixer object whose spec digest is one the add-on installs is reported as info, not an error;
    the same object with one changed value is custom configuration."""
    from meshlint.rules.mixer_resource import spec_digest

    facts = {line.split()[1] for line in (shared / "mixer-default-hashes.txt").read_text().splitlines() if line.strip() and not line.startswith("#")}
    assert len(facts) == 52
    path = shared / "corpus/istio__istio/1.4.10/samples/fortio/stackdriver.yaml"
    docs = [d for d in yaml.safe_load_all(path.read_text()) if isinstance(d, dict) and d.get("kind") == "instance" and d["metadata"]["name"] == "stackdriver-span"]
    assert spec_digest(docs[0]["spec"]) in facts
    result = lint([str(path)], Settings(select=("ML600",)))
    default = [f for f in result.findings if f.resource.name == "stackdriver-span"]
    assert [str(f.severity) for f in default] == ["info"] and "add-on" in default[0].message
    changed = dict(docs[0], spec={**docs[0]["spec"], "name": "changed"})
    p = tmp_path / "m.yaml"
    p.write_text(yaml.safe_dump(changed))
    assert [str(f.severity) for f in lint([str(p)], Settings(select=("ML600",))).findings] == ["error"]


def test_listchecker_rule_gives_a_strictly_valid_draft_authorization_policy(shared):
    from meshlint.schema import validate

    result = lint([str(FIXTURES / "examples" / "gke-1.4-addon-export.yaml")], Settings(select=("ML600",)))
    drafts = [op for f in result.findings if f.fix for op in f.fix.ops if isinstance(op, ExtraFile) and op.name.startswith("mixer/")]
    assert [d.name for d in drafts] == ["mixer/ledger-office-only-draft-authorizationpolicy.yaml"]
    policy = drafts[0].objects[0]
    assert policy["spec"] == {"selector": {"matchLabels": {"app": "ledger"}}, "action": "DENY",
                              "rules": [{"from": [{"source": {"notIpBlocks": ["203.0.113.0/24"]}}]}]}
    assert "review" in policy["metadata"]["annotations"]["meshlint.io/draft"]
    assert strict_errors(shared, "1.30.3", policy) == [] and validate(policy) == []
    # the prometheus rule has no exact equivalent: no draft, guidance only
    assert not any(op.name.startswith("mixer/orders") for op in drafts)


def _facts(shared):
    rows = [line.split() for line in (shared / "mixer-default-hashes.txt").read_text().splitlines() if line.strip() and not line.startswith("#")]
    return {(kind, digest) for kind, digest in rows}


def test_shipped_mixer_defaults_hold_exactly_the_reference_digests(shared):
    """The package's defaults are the 52 reference digests (with the names known for them), plus the
    attributemanifests of Istio 1.4's chart; nothing else is taken for an add-on default."""
    from meshlint.rules.mixer_resource import defaults

    shipped = defaults()
    assert {(k, d) for k in ("handler", "instance", "rule") for d in shipped[k]} == _facts(shared)
    assert sorted(n for names in shipped["attributemanifest"].values() for n in names) == ["istioproxy", "kubernetes"]
    named = sum(1 for k in ("handler", "instance", "rule") for names in shipped[k].values() if names)
    assert named >= 38


def test_default_1_4_addon_export_gives_no_errors_from_the_managed_plane_rules(cli):
    """A fresh 1.4 add-on install: every Mixer object is recognised as a default by name and digest
    (information only); Citadel's self-signed root and its optional cacerts mount are warnings."""
    export = FIXTURES / "examples" / "gke-1.4-addon-default-export.yaml"
    r = cli("check", "-f", "json", "--select", "ML5,ML6,ML7", export)
    findings = r.json()["findings"]
    assert [f for f in findings if f["severity"] == "error"] == []
    mixer = [f for f in findings if f["code"] == "ML600"]
    assert len(mixer) == 27 and all(f["severity"] == "info" and "unmodified default" in f["message"] for f in mixer)
    assert sorted((f["code"], f["severity"]) for f in findings if f["code"] != "ML600") == [("ML700", "warning"), ("ML701", "warning")]
    report = cli("report", "-f", "json", export).json()
    assert report["verdict"]["state"] != "BLOCKED" and "No blocking findings" in report["verdict"]["reason"]


def test_a_mixer_default_needs_its_name_and_its_spec(tmp_path):
    """The add-on's spec under another name is custom configuration, like a changed spec under the default name."""
    export = yaml.safe_load((FIXTURES / "examples" / "gke-1.4-addon-default-export.yaml").read_text())
    rule = next(i for i in export["items"] if i["kind"] == "rule" and i["metadata"]["name"] == "stackdriver-mixer")
    renamed = dict(rule, metadata={**rule["metadata"], "name": "my-stackdriver-mixer"})
    p = tmp_path / "m.yaml"
    p.write_text(yaml.safe_dump_all([rule, renamed]))
    got = sorted((f.resource.name, str(f.severity)) for f in lint([str(p)], Settings(select=("ML600",))).findings)
    assert got == [("my-stackdriver-mixer", "error"), ("stackdriver-mixer", "info")]
