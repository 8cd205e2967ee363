"""The command line as users and CI gates drive it."""
from __future__ import annotations

import json
from importlib import resources

import jsonschema
import pytest
from conftest import FIXTURES, REPO

RULE_FIXTURES = FIXTURES / "rules"
REMOVED = RULE_FIXTURES / "removed-api-kind" / "fail" / "alpha-apis.yaml"
CLEAN = RULE_FIXTURES / "removed-api-kind" / "pass" / "modern.yaml"
OUTPUT_SCHEMA = json.loads(resources.files("meshlint").joinpath("schemas/output.schema.json").read_text())


def test_check_text_reports_file_line_and_exit_1(cli):
    r = cli("check", "--select", "ML100", REMOVED.relative_to(REPO))
    assert r.code == 1
    assert r.err == ""
    first, second = r.out.splitlines()[:2]
    assert first == "fixtures/rules/removed-api-kind/fail/alpha-apis.yaml"
    assert second.split()[:4] == ["3:1", "error", "ML100", "MeshPolicy"]
    assert "Found 6 finding(s)" in r.out


def test_clean_file_exits_0(cli):
    r = cli("check", CLEAN)
    assert r.code == 0, r.out
    assert "No findings" in r.out


def test_json_output_matches_contract_and_keeps_relative_paths(cli):
    r = cli("check", "--format", "json", "--select", "ML100", REMOVED.relative_to(REPO))
    assert r.code == 1
    data = r.json()
    jsonschema.validate(data, OUTPUT_SCHEMA)
    assert data["summary"]["findings"] == 6 == data["summary"]["errors"]
    f = data["findings"][1]
    assert (f["file"], f["line"], f["column"], f["path"]) == ("fixtures/rules/removed-api-kind/fail/alpha-apis.yaml", 12, 1, "/kind")
    assert f["resource"] == {"apiVersion": "authentication.istio.io/v1alpha1", "kind": "Policy", "namespace": "shop", "name": "reviews-jwt"}


def test_exit_code_is_the_same_for_every_format(cli):
    for path, expected in ((REMOVED, 1), (CLEAN, 0)):
        assert {cli("check", "-f", fmt, path).code for fmt in ("text", "json")} == {expected}


def test_fail_on_and_min_severity_are_independent(cli):
    bom = RULE_FIXTURES / "byte-order-mark" / "fail" / "bom.yaml"  # one warning
    assert cli("check", bom).code == 1  # default threshold: warning
    assert cli("check", "--fail-on", "error", bom).code == 0
    r = cli("check", "--min-severity", "error", "-f", "json", bom)
    assert r.code == 1 and r.json()["findings"] == []


def test_select_and_ignore_by_prefix_and_name(cli):
    assert cli("check", "--select", "ML2", REMOVED).code == 0
    assert cli("check", "--select", "ML1,ML4", "--ignore", "removed-api-kind,ML4", REMOVED).code == 0
    r = cli("check", "--select", "ML1", "-f", "json", REMOVED)
    assert {f["code"] for f in r.json()["findings"]} == {"ML100"}


def test_stdin(cli):
    r = cli("check", "-f", "json", "-", stdin=REMOVED.read_bytes())
    assert r.code == 1
    assert {f["file"] for f in r.json()["findings"]} == {"-"}


def test_missing_path_is_usage_error(cli):
    r = cli("check", "does/not/exist.yaml")
    assert r.code == 2
    assert "no such file" in r.err and "Traceback" not in r.err


@pytest.mark.parametrize("args", [["check", "--format", "nope", "x"], ["check", "--fail-on", "fatal", "x"], ["explain", "ML999"], ["frobnicate"]])
def test_usage_errors_exit_2_without_traceback(cli, args):
    r = cli(*args)
    assert r.code == 2
    assert "Traceback" not in r.err + r.out


def test_suppression_comments_and_annotation(cli, tmp_path):
    p = tmp_path / "s.yaml"
    p.write_text(
        "apiVersion: rbac.istio.io/v1alpha1\n"
        "kind: ServiceRole  # meshlint: disable=ML100\n"
        "metadata: {name: a}\n"
        "---\n"
        "apiVersion: rbac.istio.io/v1alpha1\n"
        "# meshlint: disable-next-line=removed-api-kind\n"
        "kind: ServiceRole\n"
        "metadata: {name: b}\n"
        "---\n"
        "apiVersion: rbac.istio.io/v1alpha1\n"
        "kind: ServiceRole\n"
        "metadata:\n  name: c\n  annotations:\n    meshlint.io/ignore: ML100\n"
        "---\n"
        "apiVersion: rbac.istio.io/v1alpha1\n"
        "kind: ServiceRole\n"
        "metadata: {name: d}\n"
    )
    r = cli("check", "-f", "json", "--select", "ML1", p)
    assert [(f["code"], f["resource"]["name"]) for f in r.json()["findings"]] == [("ML100", "d")]


def test_disable_file(cli, tmp_path):
    p = tmp_path / "s.yaml"
    p.write_text("# meshlint: disable-file=ML1,ML3,ML4\n" + REMOVED.read_text())
    assert cli("check", p).code == 0


def test_config_file_found_upward(cli, tmp_path):
    (tmp_path / ".meshlint.yaml").write_text("ignore: [ML100, ML3, ML4]\nseverity:\n  ML008: error\n")
    sub = tmp_path / "deep" / "er"
    sub.mkdir(parents=True)
    (sub / "a.yaml").write_text(REMOVED.read_text())
    (sub / "b.yaml").write_bytes((RULE_FIXTURES / "byte-order-mark" / "fail" / "bom.yaml").read_bytes())
    r = cli("check", "-f", "json", "--fail-on", "error", "a.yaml", "b.yaml", cwd=sub)
    assert [(f["code"], f["severity"]) for f in r.json()["findings"]] == [("ML008", "error")]
    assert r.code == 1


def test_pyproject_config_and_per_path_ignores(cli, tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool.meshlint]\nselect = ["ML100"]\nper-path-ignores = { "legacy/*" = ["ML100"] }\n')
    (tmp_path / "legacy").mkdir()
    (tmp_path / "legacy" / "a.yaml").write_text(REMOVED.read_text())
    (tmp_path / "new.yaml").write_text(REMOVED.read_text())
    r = cli("check", "-f", "json", ".", cwd=tmp_path)
    assert {f["file"] for f in r.json()["findings"]} == {"./new.yaml"}


def test_bad_config_is_a_usage_error(cli, tmp_path):
    (tmp_path / ".meshlint.yaml").write_text("selekt: [ML1]\n")
    (tmp_path / "a.yaml").write_text("apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n")
    r = cli("check", "a.yaml", cwd=tmp_path)
    assert r.code == 2 and "unknown configuration key" in r.err


def test_rules_and_explain(cli):
    r = cli("rules")
    assert r.code == 0 and "ML100  removed-api-kind" in r.out
    data = json.loads(cli("rules", "--format", "json").out)
    assert len({d["code"] for d in data}) == len(data)
    e = cli("explain", "removed-api-kind")
    assert e.code == 0 and e.out.startswith("# ML100 removed-api-kind") and "## Bad" in e.out and "## Good" in e.out
    assert cli("explain", "ml100").out == e.out


def test_version_and_entry_point(cli):
    import subprocess
    import sys
    from pathlib import Path

    r = cli("--version")
    assert r.code == 0 and r.out.startswith("meshlint ")
    exe = Path(sys.executable).with_name("meshlint")
    if exe.exists():
        proc = subprocess.run([str(exe), "--version"], capture_output=True, text=True)
        assert proc.stdout == r.out


def test_output_file_is_written(cli, tmp_path):
    out = tmp_path / "report.json"
    r = cli("check", "-f", "json", "-o", out, REMOVED)
    assert r.code == 1 and r.out == ""
    jsonschema.validate(json.loads(out.read_text()), OUTPUT_SCHEMA)


def test_secret_values_never_printed(cli, tmp_path):
    secret = "c3VwZXItc2VjcmV0LWtleS1tYXRlcmlhbA=="
    p = tmp_path / "s.yaml"
    p.write_text(
        "apiVersion: v1\nkind: Secret\nmetadata: {name: cacerts, namespace: istio-system}\n"
        f"data:\n  ca-key.pem: {secret}\nstringData:\n  token: plain-text-token-value\n"
        "---\n"
        f"apiVersion: networking.istio.io/v1alpha3\nkind: {secret}\nmetadata: {{name: x}}\n"
    )
    for fmt in ("text", "json"):
        r = cli("check", "-f", fmt, p)
        assert secret not in r.out + r.err
        assert "plain-text-token-value" not in r.out + r.err
        assert "[redacted]" in r.out


def test_secret_values_never_reach_any_format_or_conversion_output(cli, tmp_path):
    """The example export carries a plugin CA Secret; none of its values may be printed."""
    import base64

    import yaml

    export = REPO / "fixtures" / "examples" / "gke-1.4-addon-export.yaml"
    secrets = [i for i in yaml.safe_load(export.read_text())["items"] if i["kind"] == "Secret"]
    values = [v for s in secrets for v in s["data"].values()]
    values += [base64.b64decode(v).decode() for v in values]
    assert values
    from meshlint.reporters import REPORTERS

    outputs = [cli("check", "-f", fmt, export).out for fmt in REPORTERS]
    conv = tmp_path / "out"
    r = cli("convert", "--diff", export)
    outputs.append(r.out + r.err)
    outputs.append(cli("convert", "--format", "json", "--out", conv, export).out)
    outputs += [p.read_text() for p in (conv / "generated").rglob("*.yaml")] if (conv / "generated").exists() else []
    for out in outputs:
        for v in values:
            for line in v.splitlines():
                if len(line) > 8:
                    assert line not in out
    assert any("cacerts" in o for o in outputs)
