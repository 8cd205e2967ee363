"""Mixer listchecker drafts are verified against Mixer's own decision before they are written: a
draft that would let through an address Mixer denied (or deny one it allowed) is not written."""
from __future__ import annotations

import copy

from meshlint.engine import Settings, lint_sources
from meshlint.fixes import ExtraFile
from meshlint.loader import load_bytes

LEGACY = b"""\
apiVersion: config.istio.io/v1alpha2
kind: listchecker
metadata: {name: office, namespace: payments}
spec: {overrides: ["10.1.0.0/16", "192.0.2.7"], blacklist: false, entryType: IP_ADDRESSES}
---
apiVersion: config.istio.io/v1alpha2
kind: listentry
metadata: {name: src, namespace: payments}
spec: {value: source.ip}
---
apiVersion: config.istio.io/v1alpha2
kind: rule
metadata: {name: office-only, namespace: payments}
spec:
  match: destination.labels["app"] == "ledger"
  actions:
  - handler: office.listchecker
    instances: [src.listentry]
---
apiVersion: v1
kind: Service
metadata: {name: ledger, namespace: payments}
spec:
  selector: {app: ledger}
  ports: [{name: http, port: 80}]
"""


def _ml600(text: bytes):
    result = lint_sources([load_bytes(text, "mixer.yaml")], Settings(select=("ML600",)))
    return [f for f in result.findings if f.resource is not None and f.resource.kind == "rule"]


def _drafts(findings):
    return [o for f in findings if f.fix for op in f.fix.ops if isinstance(op, ExtraFile) for o in op.objects]


def test_legacy_listchecker_rule_gets_a_verified_draft():
    found = _ml600(LEGACY)
    drafts = _drafts(found)
    assert len(drafts) == 1, [f.message for f in found]
    assert drafts[0]["spec"]["rules"] == [{"from": [{"source": {"notIpBlocks": ["10.1.0.0/16", "192.0.2.7"]}}]}]


def _mutate(monkeypatch, change) -> None:
    """Make the rule propose a wrong draft: ``change`` edits a copy of the honest one."""
    from meshlint.rules import mixer_resource

    honest = mixer_resource.draft_policy

    def mutated(rule, ctx):
        out = honest(rule, ctx)
        if out is not None:
            out = copy.deepcopy(out)
            change(out)
        return out

    monkeypatch.setattr(mixer_resource, "draft_policy", mutated)


def test_a_wrong_draft_is_refused_with_the_request_it_would_let_through(monkeypatch):
    def widened(out):  # the whitelist grows from one address to its /24
        out["spec"]["rules"][0]["from"][0]["source"] = {"notIpBlocks": ["10.1.0.0/16", "192.0.2.0/24"]}

    _mutate(monkeypatch, widened)
    found = _ml600(LEGACY)
    assert _drafts(found) == []
    assert [str(f.severity) for f in found] == ["error"]
    assert "verification found a request" in found[0].message and "192.0.2." in found[0].message


def test_a_draft_reaching_other_workloads_is_refused(monkeypatch):
    def misplaced(out):  # the draft now reaches every workload of the namespace
        del out["spec"]["selector"]

    _mutate(monkeypatch, misplaced)
    text = LEGACY + b"""---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: payments}
spec:
  selector: {app: web}
  ports: [{name: http, port: 80}]
"""
    found = _ml600(text)
    assert _drafts(found) == []
    assert "verification found a request" in found[0].message and "web" in found[0].message
