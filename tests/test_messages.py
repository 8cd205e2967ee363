"""Messages cannot drift from the rules that use them: every message every rule renders, over
every fixture, example and the corpus, fills all its placeholders; an unknown key or placeholder
raises (MESHLINT_STRICT_MESSAGES, set for the whole suite by conftest)."""
from __future__ import annotations

import re

import pytest
from conftest import FIXTURES

from meshlint.engine import Settings, lint
from meshlint.registry import all_rules

UNFILLED = re.compile(r"(?<!\$)\{[A-Za-z_][A-Za-z0-9_]*\}")  # ${VAR} is a value of the input (envsubst), not a placeholder


def _messages(paths, **settings):
    result = lint([str(p) for p in paths], Settings(**settings))
    return [(f.code, text) for f in result.findings for text in (f.message, f.short)]


@pytest.mark.parametrize("tree", ["rules", "convert", "examples"])
def test_every_fixture_message_is_filled(tree):
    bad = [(c, m) for c, m in _messages([FIXTURES / tree]) if UNFILLED.search(m)]
    assert bad == []


def test_every_corpus_message_is_filled(shared):
    bad = [(c, m) for c, m in _messages([shared / "corpus"]) if UNFILLED.search(m)]
    assert bad == []
    bad = [(c, m) for c, m in _messages([shared / "corpus"], assume_rbac_on=True) if UNFILLED.search(m)]
    assert bad == []


def test_an_unknown_message_key_raises_under_tests():
    rule = all_rules()["ML402"]
    with pytest.raises(KeyError, match="no message"):
        rule.format("no-such-key", {"name": "x", "kind": "y"})


def test_a_missing_placeholder_raises_under_tests():
    rule = all_rules()["ML402"]
    with pytest.raises(KeyError, match="placeholder"):
        rule.format("refused", {"name": "default"})


def test_outside_tests_a_missing_value_never_prints_a_placeholder(monkeypatch):
    monkeypatch.setenv("MESHLINT_STRICT_MESSAGES", "0")
    rule = all_rules()["ML402"]
    text = rule.format("refused", {"name": "default"})
    assert not UNFILLED.search(text) and "?" in text
    assert rule.format("no-such-key", {"name": "x", "kind": "ClusterRbacConfig", "mode": "ON", "count": 1, "policies": "p", "root": "r"}).startswith("ClusterRbacConfig x")
