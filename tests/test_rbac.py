"""Alpha RBAC → AuthorizationPolicy: upstream istioctl 1.4 cases, the evaluator, the corpus."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from conftest import run_cli
from upstream_crds import strict_errors

from meshlint.convert import replacement_objects
from meshlint.engine import Settings, lint
from meshlint.index import ResourceIndex
from meshlint.verify import placed
from meshlint.verify.destinations import destinations
from meshlint.verify.rbac import _mentioned_labels, compare, world

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


def _run(shared: Path, row, tmp_path=None, fqdn=False):
    name, rbac, svcs, cfg, expected = row
    d = shared / CASES_DIR
    files = [d / f for f in (rbac.split(",") + (svcs.split(",") if svcs else [])) if f]
    if fqdn:  # the case as 1.4 needed it written: services by hostname
        files = [_fqdn(f, tmp_path) for f in files]
    root = "my-root-namespace" if cfg != "(none)" else "istio-system"
    has_config = any("rbac-config" in f.name or "rbac-global" in f.name for f in files)
    golden = [] if not expected.startswith("golden:") else [d for d in yaml.safe_load_all((d / expected.split(":", 1)[1]).read_text()) if d]
    assume = not has_config and bool(golden)
    result = lint([str(f) for f in files], Settings(root_namespace=root, assume_rbac_on=assume))
    return name, result, golden, root, assume


def _fqdn(path: Path, tmp_path: Path) -> Path:
    docs = [doc for doc in yaml.safe_load_all(path.read_text()) if doc]
    for doc in docs:
        for rule in (doc.get("spec") or {}).get("rules") or [] if doc.get("kind") == "ServiceRole" else []:
            rule["services"] = [s if "*" in s or "." in s else f"{s}.{doc['metadata'].get('namespace', 'default')}.svc.cluster.local" for s in rule.get("services", [])]
    out = tmp_path / path.name
    out.write_text(yaml.safe_dump_all(docs))
    return out


def _differences(result, objects, root, assume=False):
    """1.4's decisions (the inputs) against those of ``objects``, on every request class."""
    resources = [r for s in result.sources for r in s.resources]
    index = ResourceIndex(resources)
    old = world(resources, index, root)
    if old.config is None and assume:
        old.config = {"mode": "ON_WITH_INCLUSION", "inclusion": {"namespaces": sorted({ns for ns, _, _ in old.roles})}}
    objs = [placed(o, o["metadata"].get("namespace") or "default") for o in objects]
    namespaces = {ns for ns, _, _ in old.roles} | {o["metadata"]["namespace"] for o in objs} | {"default"}
    return compare(old, objs, destinations(namespaces - {root}, index, _mentioned_labels(old, objs)), root, {})


def test_all_thirteen_upstream_cases_are_present(shared):
    assert len(_cases(shared)) == 13


@pytest.mark.parametrize("index", range(13))
def test_upstream_case_converts_exactly(shared, tmp_path, index):
    """Each istioctl 1.4 case converts with no refusal, and the written policies decide every
    request class as 1.4 did. Where the upstream golden agrees with 1.4, it is the same decision
    function; where it does not (services written as short names, which 1.4 compared with
    hostnames and so never matched), the case written with hostnames must match the golden."""
    row = _cases(shared)[index]
    name, result, golden, root, assume = _run(shared, row)
    assert not [f for f in result.findings if f.code == "ML090"]
    mine = _converted(result)
    if "Missing ClusterRbacConfig" in name:
        assert mine == [] and golden == []
        assert any(f.code == "ML400" and f.severity.name == "WARNING" for f in result.findings)
        return
    assert result.verification is not None and result.verification.refused == {}
    assert _differences(result, mine, root, assume) == []
    for obj in mine:
        assert strict_errors(shared, "1.30.3", obj) == []
    if "group" in name:  # upstream 1.4 refused `group`; 1.5 converted it to a claims condition, as we do
        name, result, golden, root, assume = _run(shared, row, tmp_path, fqdn=True)
        mine = _converted(result)
        assert result.verification.refused == {} and _differences(result, mine, root, assume) == []
        assert any(r.get("when") == [{"key": "request.auth.claims[groups]", "values": ["foobar"]}] for p in mine for r in p["spec"].get("rules", []))
        return
    if _differences(result, golden, root, assume):
        # the golden allows what 1.4 denied: short service names, which meshlint warns about
        assert any(f.code == "ML400" and "is not a service hostname" in f.message for f in result.findings)
        name, result, golden, root, assume = _run(shared, row, tmp_path, fqdn=True)
        assert result.verification.refused == {}
        mine = _converted(result)
    assert _differences(result, golden, root, assume) == [], name
    assert _differences(result, mine, root, assume) == [], name


def test_verification_refuses_a_widened_policy(shared):
    """Verification must be able to fail: with a source constraint dropped, the difference shows."""
    _, result, _, root, assume = _run(shared, _cases(shared)[4])
    mine = _converted(result)
    widened = [dict(p, spec={**p["spec"], "rules": [{}]}) if p["spec"].get("rules") else p for p in mine]
    diffs = _differences(result, widened, root, assume)
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


FIELDS_WITH_A_SLASH = """\
apiVersion: rbac.istio.io/v1alpha1
kind: ClusterRbacConfig
metadata:
  name: default
spec:
  mode: "ON"
---
apiVersion: rbac.istio.io/v1alpha1
kind: ServiceRole
metadata:
  name: reader
  namespace: shop
spec:
  rules:
  - services: ["*"]
    methods: ["GET"]
    example.com/verbs: ["read"]
---
apiVersion: rbac.istio.io/v1alpha1
kind: ServiceRoleBinding
metadata:
  name: reader-binding
  namespace: shop
spec:
  subjects:
  - user: cluster.local/ns/shop/sa/frontend
    example.com/team: payments
  roleRef:
    kind: ServiceRole
    name: reader
"""


def test_a_refused_field_whose_name_holds_a_slash_is_pointed_at_exactly(tmp_path):
    """A rule or subject field named like an annotation (``example.com/verbs``) is refused at its own
    line, with its JSON pointer escaped (``~1``): it was ``/spec/rules/0/example.com/verbs``, which
    points at nothing, so the finding fell back to the rule's line and ML800 reported the same field again."""
    (tmp_path / "rbac.yaml").write_text(FIELDS_WITH_A_SLASH)
    lines = FIELDS_WITH_A_SLASH.splitlines()
    verbs, team = (next(n for n, text in enumerate(lines, 1) if key in text) for key in ("example.com/verbs", "example.com/team"))
    run = run_cli("check", "-f", "json", "rbac.yaml", cwd=tmp_path)
    found = {(f["code"], f["path"], f["line"]) for f in run.json()["findings"] if f["code"] in ("ML400", "ML401", "ML800")}
    assert found == {("ML400", "/spec/rules/0/example.com~1verbs", verbs), ("ML401", "/spec/subjects/0/example.com~1team", team)}, found
