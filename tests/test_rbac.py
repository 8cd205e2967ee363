"""Alpha RBAC → AuthorizationPolicy: upstream istioctl 1.4 cases, the evaluator, the corpus."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from meshlint.engine import Settings, lint
from meshlint.convert import replacement_objects
from meshlint.index import ResourceIndex
from meshlint.rbac.convert import assumed_enforcement, enforcement
from meshlint.rbac.evaluate import new_allows, request_classes, verify

from upstream_crds import strict_errors

CASES_DIR = "corpus/istio__istio/1.4.10/istioctl/cmd/testdata/authz/converter"


def _cases(shared: Path):
    rows = []
    with open(shared / CASES_DIR / "CASES.tsv") as fh:
        for line in fh:
            if line.startswith("#") or not line.strip():
                continue
            rows.append(line.rstrip("\n").split("\t"))
    return rows


def _converted(result):
    return replacement_objects(result.findings, ("ML400", "ML401", "ML402"))


def _run(shared: Path, row):
    name, rbac, svcs, cfg, expected = row
    d = shared / CASES_DIR
    files = [str(d / f) for f in (rbac.split(",") + (svcs.split(",") if svcs else [])) if f]
    root = "my-root-namespace" if cfg != "(none)" else "istio-system"
    has_config = any("rbac-config" in f or "rbac-global" in f for f in files)
    golden = [] if not expected.startswith("golden:") else [d for d in yaml.safe_load_all((d / expected.split(":", 1)[1]).read_text()) if d]
    assume = not has_config and bool(golden)
    result = lint(files, Settings(root_namespace=root, assume_rbac_on=assume))
    return name, result, golden, root, assume


def test_all_thirteen_upstream_cases_are_present(shared):
    assert len(_cases(shared)) == 13


@pytest.mark.parametrize("index", range(13))
def test_upstream_case_matches_semantically(shared, index):
    name, result, golden, root, assume = _run(shared, _cases(shared)[index])
    assert not [f for f in result.findings if f.code == "ML090"]
    mine = _converted(result)
    resources = [r for s in result.sources for r in s.resources]
    idx = ResourceIndex(resources)
    roles = idx.of_kind("ServiceRole")
    if "Missing ClusterRbacConfig" in name:
        assert mine == [] and golden == []
        assert any(f.code == "ML400" and f.severity.name == "WARNING" for f in result.findings)
        return
    if "group" in name:  # upstream 1.4 refused; 1.5 converted `group` to a claims condition, as we do
        assert any(r.get("when") for p in mine for r in p["spec"].get("rules", []))
    else:
        # same decisions as the upstream golden on every request class
        classes = list(request_classes(roles, idx, mine + golden))
        assert classes
        differ = [c.describe() for c in classes if new_allows(c, mine, root) != new_allows(c, golden, root)]
        assert differ == [], differ[:5]
    # and the same decisions as 1.4 itself
    enf = enforcement(idx) if not assume else assumed_enforcement(idx)
    if enf.mode is not None:
        diffs = verify(roles, idx, enf, mine, root)
        assert diffs == [], [d.describe() for d in diffs[:5]]
    for obj in mine:
        assert strict_errors(shared, "1.30.3", obj) == []


def test_evaluator_catches_a_widened_policy(shared):
    """The verification must be able to fail: drop a source constraint and it reports the difference."""
    name, result, golden, root, assume = _run(shared, _cases(shared)[0])
    mine = _converted(result)
    resources = [r for s in result.sources for r in s.resources]
    idx = ResourceIndex(resources)
    widened = [dict(p, spec={**p["spec"], "rules": [{}]}) if p["spec"].get("rules") else p for p in mine]
    diffs = verify(idx.of_kind("ServiceRole"), idx, enforcement(idx), widened, root)
    assert diffs and all(d.new and not d.old for d in diffs)


def test_every_corpus_rbac_resource_converts_or_is_refused(shared):
    result = lint([str(shared / "corpus")], Settings())
    by_resource = {}
    for f in result.findings:
        if f.code in ("ML400", "ML401", "ML402") and f.resource:
            by_resource.setdefault((f.file, f.resource.kind, f.resource.name), []).append(f)
    rbac = [(r.file, r.kind, r.name) for s in result.sources for r in s.resources if r.group == "rbac.istio.io" and r.kind in ("ServiceRole", "ServiceRoleBinding", "ClusterRbacConfig", "RbacConfig")]
    assert len(rbac) > 20
    missing = [k for k in rbac if k not in by_resource]
    # a binding or role is only silent when the enforcement itself is unknown or OFF: then its role says so
    for key in missing:
        assert key[1] == "ServiceRoleBinding", key
    for f in [f for fs in by_resource.values() for f in fs]:
        assert f.fixable or f.severity.name in ("ERROR", "WARNING", "INFO") and len(f.message) > 40
    for obj in _converted(result):
        assert strict_errors(shared, "1.30.3", obj) == [], obj


def test_inclusion_and_exclusion_by_service_use_workload_selectors(tmp_path):
    p = tmp_path / "cfg.yaml"
    base = "apiVersion: v1\nkind: Service\nmetadata: {name: ratings, namespace: shop}\nspec:\n  selector: {app: ratings, tier: backend}\n---\n"
    for mode, key, expect_rules in (("ON_WITH_INCLUSION", "inclusion", False), ("ON_WITH_EXCLUSION", "exclusion", True)):
        p.write_text(base + f"apiVersion: rbac.istio.io/v1alpha1\nkind: ClusterRbacConfig\nmetadata: {{name: default}}\nspec:\n  mode: {mode}\n  {key}:\n    services: [ratings.shop.svc.cluster.local]\n")
        result = lint([str(p)], Settings())
        objs = _converted(result)
        svc_policies = [o for o in objs if o["metadata"]["namespace"] == "shop"]
        assert len(svc_policies) == 1
        assert svc_policies[0]["spec"]["selector"] == {"matchLabels": {"app": "ratings", "tier": "backend"}}
        assert ("rules" in svc_policies[0]["spec"]) is expect_rules
    p.write_text(base.replace("ratings, namespace", "other, namespace") + "apiVersion: rbac.istio.io/v1alpha1\nkind: ClusterRbacConfig\nmetadata: {name: default}\nspec:\n  mode: ON_WITH_INCLUSION\n  inclusion:\n    services: [ratings.shop.svc.cluster.local]\n")
    result = lint([str(p)], Settings())
    refused = [f for f in result.findings if f.code == "ML402" and f.severity.name == "ERROR"]
    assert refused and refused[0].path == "/spec/inclusion/services/0" and _converted(result) == []
