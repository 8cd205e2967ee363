"""CI gate outputs: SARIF, JUnit, GitHub, GitLab; thresholds; baselines; unused suppressions; pre-commit."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET

import jsonschema
import pytest
from conftest import FIXTURES, REPO

from meshlint.reporters import REPORTERS
from meshlint.reporters.github import escape_data, escape_property

FORMATS = list(REPORTERS)
FINDINGS = FIXTURES / "rules" / "removed-api-kind" / "fail" / "alpha-apis.yaml"
CLEAN = FIXTURES / "examples" / "clean-1.6"


def test_all_six_formats_are_registered():
    assert set(FORMATS) == {"text", "json", "sarif", "junit", "github", "gitlab"}


@pytest.mark.parametrize("target,expected", [(FINDINGS, 1), (CLEAN, 0)])
def test_exit_code_identical_for_every_format(cli, target, expected):
    codes = {fmt: cli("check", "-f", fmt, target).code for fmt in FORMATS}
    assert set(codes.values()) == {expected}, codes


def test_sarif_on_the_corpus_validates_against_the_oasis_schema(cli, shared):
    r = cli("check", "-f", "sarif", shared / "corpus")
    assert r.code == 1
    doc = json.loads(r.out)
    schema = json.loads((shared / "schemas" / "sarif-schema-2.1.0.json").read_text())
    jsonschema.Draft7Validator(schema).validate(doc)
    run = doc["runs"][0]
    assert run["results"]
    for res in run["results"]:
        region = res["locations"][0]["physicalLocation"]["region"]
        assert region["startLine"] >= 1 and region["startColumn"] >= 1
        uri = res["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        assert not uri.startswith("/") and "\\" not in uri
        assert res["partialFingerprints"]["meshlintIdentity/v1"]
    rule_ids = {r["id"] for r in run["tool"]["driver"]["rules"]}
    assert {res["ruleId"] for res in run["results"]} <= rule_ids
    assert all(r["helpUri"].endswith(f"{r['id']}.md") and r["help"]["markdown"] for r in run["tool"]["driver"]["rules"])


def test_sarif_clean_run_has_empty_results_and_nothing_else(cli):
    r = cli("check", "-f", "sarif", CLEAN)
    assert r.code == 0
    assert json.loads(r.out)["runs"][0]["results"] == []


def test_sarif_fingerprints_survive_unrelated_edits(cli, tmp_path):
    f = tmp_path / "a.yaml"
    f.write_text(FINDINGS.read_text())
    before = [x["partialFingerprints"] for x in json.loads(cli("check", "-f", "sarif", f, cwd=tmp_path).out)["runs"][0]["results"]]
    f.write_text("# a new comment\n# and another\n" + FINDINGS.read_text())
    after = json.loads(cli("check", "-f", "sarif", f, cwd=tmp_path).out)["runs"][0]["results"]
    assert [x["partialFingerprints"] for x in after] == before
    assert after[0]["locations"][0]["physicalLocation"]["region"]["startLine"] == 5


def test_junit_has_a_testcase_per_resource_with_failures(cli):
    r = cli("check", "-f", "junit", FINDINGS)
    root = ET.fromstring(r.out)
    cases = root.findall(".//testcase")
    names = {c.get("name") for c in cases}
    assert "Policy shop/reviews-jwt" in names and "(file)" in names
    failed = [c for c in cases if c.find("failure") is not None]
    assert len(failed) == 6
    assert "ML300" in failed[0].find("failure").text and "ML100" in failed[1].find("failure").text


def test_github_annotations_and_escaping(cli):
    assert escape_property("a:b,c%d\r\ne") == "a%3Ab%2Cc%25d%0D%0Ae"
    assert escape_data("50% done\nnext: a,b") == "50%25 done%0Anext: a,b"
    r = cli("check", "-f", "github", FINDINGS.relative_to(REPO))
    first = r.out.splitlines()[1]
    assert first.startswith("::error file=fixtures/rules/removed-api-kind/fail/alpha-apis.yaml,line=12,col=1,title=ML100 removed-api-kind::")
    message = first.split("::", 2)[2]
    assert "removed in Istio 1.6: a modern" in message  # ':' is escaped only in properties, not in the message


def test_gitlab_code_quality(cli, shared):
    r = cli("check", "-f", "gitlab", shared / "corpus")
    issues = json.loads(r.out)
    assert issues
    fps = [i["fingerprint"] for i in issues]
    assert len(fps) == len(set(fps))
    assert {i["severity"] for i in issues} <= {"info", "minor", "major", "critical", "blocker"}
    assert all(i["location"]["lines"]["begin"] >= 1 and not i["location"]["path"].startswith("/") for i in issues)


def test_min_severity_filters_output_but_not_exit_code(cli):
    r = cli("check", "-f", "json", "--min-severity", "error", "--fail-on", "info", FIXTURES / "rules" / "byte-order-mark" / "fail" / "bom.yaml")
    assert r.code == 1 and r.json()["findings"] == []


def test_baseline_round_trip(cli, tmp_path):
    f = tmp_path / "vs.yaml"
    original = (FIXTURES / "rules" / "vs-websocket-upgrade" / "fail" / "ws.yaml").read_text()
    f.write_text(original)
    base = tmp_path / "baseline.json"
    assert cli("check", "--write-baseline", base, f, cwd=tmp_path).code == 0
    assert cli("check", "--baseline", base, f, cwd=tmp_path).code == 0
    # unrelated lines shift and a new violation appears: only the new one fails the gate
    shifted = "# header\n# more\n" + original.replace("    route:\n", "    route:\n", 1) + "---\n" + original.replace("name: chat", "name: chat2")
    f.write_text(shifted)
    r = cli("check", "-f", "json", "--baseline", base, f, cwd=tmp_path)
    assert r.code == 1
    assert [(x["code"], x["resource"]["name"]) for x in r.json()["findings"]] == [("ML201", "chat2")]
    # fixing the baselined violation reports the stale entry so the baseline can shrink
    f.write_text(original.replace("  - websocketUpgrade: true\n    route:", "  - route:"))
    r = cli("check", "--baseline", base, f, cwd=tmp_path)
    assert r.code == 0 and "no longer occur" in r.err and "ML201" in r.err


@pytest.mark.parametrize("directive,line", [("# meshlint: disable-next-line=ML201\n", 1), ("# meshlint: disable-file=ML201\n", 1)])
def test_unused_suppression_forms(cli, tmp_path, directive, line):
    f = tmp_path / "a.yaml"
    f.write_text(directive + (CLEAN / "mesh.yaml").read_text())
    r = cli("check", "-f", "json", f)
    assert [(x["code"], x["line"]) for x in r.json()["findings"]] == [("ML091", line)]


# --------------------------------------------------------------------------- pre-commit

def _git(cwd, *args):
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True,
                   env={**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@t"})


def _pre_commit():
    exe = shutil.which("pre-commit", path=os.path.dirname(sys.executable)) or shutil.which("pre-commit")
    if exe is None:
        pytest.fail("pre-commit is a test dependency (pip install '.[test]')")
    return exe


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory):
    """A snapshot of this project as a git repository, as pre-commit users reference it."""
    d = tmp_path_factory.mktemp("meshlint-hooks")
    for item in ("pyproject.toml", "README.md", "meshlint", "rules", ".pre-commit-hooks.yaml"):
        src = REPO / item
        (shutil.copytree(src, d / item, ignore=shutil.ignore_patterns("__pycache__")) if src.is_dir() else shutil.copy2(src, d / item))
    _git(d, "init", "-q")
    _git(d, "add", "-A")
    _git(d, "commit", "-qm", "snapshot")
    return d


def _try(hook_repo, work, *files):
    proc = subprocess.run([_pre_commit(), "try-repo", str(hook_repo), "meshlint", "--files", *files], cwd=work, capture_output=True, text=True, timeout=900,
                          env={**os.environ, "PRE_COMMIT_HOME": str(hook_repo.parent / "pre-commit-home")})
    return proc.returncode, proc.stdout + proc.stderr


def test_pre_commit_hook_fails_on_deprecated_passes_on_clean_and_resolves_cross_file(hook_repo, tmp_path):
    work = tmp_path / "config-repo"
    work.mkdir()
    _git(work, "init", "-q")
    (work / ".meshlint.yaml").write_text("select: [ML2, ML401]\n")
    (work / "old.yaml").write_text((FIXTURES / "rules" / "vs-websocket-upgrade" / "fail" / "ws.yaml").read_text())
    (work / "clean.yaml").write_text((CLEAN / "mesh.yaml").read_text())
    (work / "role.yaml").write_text(
        "apiVersion: rbac.istio.io/v1alpha1\nkind: ClusterRbacConfig\nmetadata: {name: default}\nspec: {mode: 'ON'}\n---\n"
        "apiVersion: rbac.istio.io/v1alpha1\nkind: ServiceRole\nmetadata: {name: viewer, namespace: shop}\nspec:\n  rules:\n  - services: ['*']\n    methods: [GET]\n")
    binding = "apiVersion: rbac.istio.io/v1alpha1\nkind: ServiceRoleBinding\nmetadata: {name: b, namespace: shop}\nspec:\n  subjects: [{user: '*'}]\n  roleRef: {kind: ServiceRole, name: ROLE}\n"
    (work / "binding.yaml").write_text(binding.replace("ROLE", "viewer"))
    # its own name: two bindings shop/b would be one object in the cluster (kubectl keeps one)
    (work / "dangling.yaml").write_text(binding.replace("ROLE", "missing-role").replace("name: b,", "name: dangling,"))
    _git(work, "add", "-A")
    code, out = _try(hook_repo, work, "old.yaml")
    assert code == 1 and "ML201" in out, out
    code, out = _try(hook_repo, work, "clean.yaml")
    assert code == 0, out
    code, out = _try(hook_repo, work, "binding.yaml")  # the role lives in role.yaml, which is not staged
    assert code == 0, out
    code, out = _try(hook_repo, work, "dangling.yaml")
    assert code == 1 and "missing-role" in out, out
