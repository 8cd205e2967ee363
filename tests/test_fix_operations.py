"""Each fix operation is written once: one class in meshlint/fixes.py carries its text edit and
its data edit, convert applies them in one dispatcher, and a document is composed again only
after an edit changed its text. The conversions themselves are covered by the goldens
(test_convert.py, test_rule_fixtures.py, test_security_cases.py)."""
from __future__ import annotations

import ast
from pathlib import Path
from typing import Any, get_args

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import meshlint
import meshlint.textedit
from meshlint import fixes

ROOT = Path(__file__).resolve().parent.parent
ENGINE = ("convert.py", "fixes.py", "textedit.py")


def _tree(name: str) -> ast.Module:
    return ast.parse((ROOT / "meshlint" / name).read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", ENGINE)
def test_the_fix_engine_imports_only_public_names(name: str) -> None:
    private = [f"{node.module}.{alias.name}" for node in ast.walk(_tree(name)) if isinstance(node, ast.ImportFrom)
               for alias in node.names if alias.name.startswith("_") and alias.name != "__future__"]
    assert private == [], f"meshlint/{name} imports private names: {private}"


def test_every_field_edit_carries_its_text_edit_and_its_data_edit() -> None:
    for op in get_args(fixes.FieldEdit):
        assert "edit_text" in vars(op) and "edit_data" in vars(op), op.__name__
    operations = set(get_args(fixes.Operation))
    assert operations == set(get_args(fixes.FieldEdit)) | {fixes.ReplaceResource, fixes.ExtraFile}


def test_convert_has_no_ladder_over_the_field_edits() -> None:
    names = {n.id for n in ast.walk(_tree("convert.py")) if isinstance(n, ast.Name)}
    named = names & {op.__name__ for op in get_args(fixes.FieldEdit) if op is not fixes.Remove}
    assert named == set(), f"convert.py names operations it should leave to them: {sorted(named)}"


def _composed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    seen: list[str] = []
    real = meshlint.textedit.compose_documents

    def spy(text: str) -> Any:
        seen.append(text)
        return real(text)

    monkeypatch.setattr(meshlint.textedit, "compose_documents", spy)
    return seen


@pytest.mark.parametrize("case", ["headers-merge", "list-export", "comments"])
def test_a_document_is_composed_again_only_after_its_text_changed(case: str, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = ROOT / "fixtures" / "convert" / case
    text = (folder / "input.yaml").read_text(encoding="utf-8")
    seen = _composed(monkeypatch)
    result = meshlint.convert({"input.yaml": text})
    assert result.files[0].text == (folder / "expected.yaml").read_text(encoding="utf-8")
    assert seen, "the conversion composed nothing: the spy is not in the path"
    again = [i for i in range(1, len(seen)) if seen[i] == seen[i - 1]]
    assert again == [], f"the same text composed twice in a row (compositions {again} of {len(seen)})"


def test_a_list_export_is_composed_whole_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each fixed item of a List is edited on its own text (the whole List composed again after
    every edit of one item made a List of n fixed items cost n times its size)."""
    folder = ROOT / "fixtures" / "convert" / "list-export-items"
    text = (folder / "input.yaml").read_text(encoding="utf-8")
    seen = _composed(monkeypatch)
    result = meshlint.convert({"x.yaml": text})
    assert result.files[0].text == (folder / "expected.yaml").read_text(encoding="utf-8")
    whole = [t for t in seen if "\nkind: List\n" in t]
    assert len(whole) == 1, f"the whole List was composed {len(whole)} times for {len(result.files[0].changes)} changed items"
    assert len(seen) > 1


@pytest.mark.parametrize("case", ["list-export-own-style", "list-export-items"])
def test_a_list_is_composed_whole_once_when_its_style_is_one(case: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A List written by hand (no metadata at the top) whose items all show one style, the first
    item on its own, is edited item by item too; its golden, written by the engine that edited
    such Lists whole, says the result is the same."""
    folder = ROOT / "fixtures" / "convert" / case
    seen = _composed(monkeypatch)
    result = meshlint.convert({"x.yaml": (folder / "input.yaml").read_text(encoding="utf-8")})
    assert result.files[0].text == (folder / "expected.yaml").read_text(encoding="utf-8")
    assert len([t for t in seen if "\nkind: List\n" in t]) == 1


@pytest.mark.parametrize("case", ["list-export-mixed-style", "list-export-anchors"])
def test_a_list_whose_items_are_not_independent_is_edited_whole(case: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Items laid out in styles that differ, or tied by an anchor, are edited on the whole
    document's text (the goldens, written by the engine that always did so, say it is exact)."""
    folder = ROOT / "fixtures" / "convert" / case
    seen = _composed(monkeypatch)
    result = meshlint.convert({"x.yaml": (folder / "input.yaml").read_text(encoding="utf-8")})
    assert result.files[0].text == (folder / "expected.yaml").read_text(encoding="utf-8")
    assert len([t for t in seen if "\nkind: List\n" in t]) > 1


# --------------------------------------------------------------------------- item by item == whole, property

_ITEMS = {
    "vs": {"apiVersion": "networking.istio.io/v1alpha3", "kind": "VirtualService", "metadata": {"name": "r{i}"},
           "spec": {"hosts": ["r{i}"], "http": [{"route": [{"destination": {"host": "r{i}"}}], "appendHeaders": {"x-r": "{i}"}, "websocketUpgrade": True}]}},
    "dr": {"apiVersion": "networking.istio.io/v1alpha3", "kind": "DestinationRule", "metadata": {"name": "r{i}"},
           "spec": {"host": "r{i}", "trafficPolicy": {"loadBalancer": {"simple": "LEAST_CONN"}, "outlierDetection": {"consecutiveErrors": 5}}}},
    "svc": {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "r{i}"}, "spec": {"selector": {"app": "r{i}"}, "ports": [{"port": 80}]}},
}


def _item(kind: str, i: int) -> Any:
    import json

    return json.loads(json.dumps(_ITEMS[kind]).replace("{i}", str(i)))


@given(items=st.lists(st.tuples(st.sampled_from(sorted(_ITEMS)), st.sampled_from([2, 4]), st.booleans()), min_size=1, max_size=6),
       uniform=st.booleans(), metadata=st.booleans())
@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
def test_a_list_edited_item_by_item_is_the_list_edited_whole(items: list[tuple[str, int, bool]], uniform: bool, metadata: bool) -> None:
    """Lists in one style or several, with or without metadata at the top: converting them item by
    item (where meshlint.list_items finds that exact) writes the same text as editing the whole
    document after every item (the engine's way before it)."""
    from meshlint import list_items
    from meshlint.textedit import Style, dump_block

    blocks = []
    for i, (kind, indent, seqs) in enumerate(items):
        style = Style(items[0][1], items[0][2]) if uniform else Style(indent, seqs)
        blocks.append(dump_block([_item(kind, i)], style))
    head = "apiVersion: v1\nkind: List\n" + ('metadata:\n  resourceVersion: ""\n' if metadata else "")
    text = head + "items:\n" + "".join(blocks)
    fast = meshlint.convert({"x.yaml": text}).files[0].text
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(list_items.ListItems, "of", classmethod(lambda cls, text, root: None))
        whole = meshlint.convert({"x.yaml": text}).files[0].text
    assert fast == whole
