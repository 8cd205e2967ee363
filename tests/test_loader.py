"""Reading hostile and unusual input: every case is a finding with a code and a line, never a traceback."""
from __future__ import annotations

import os
import time

import pytest

from meshlint import loader
from meshlint.engine import Settings, lint, lint_sources
from meshlint.loader import load_bytes, reading


def codes(src):
    return [(p.code, p.line) for p in src.problems]


def test_syntax_error_keeps_other_documents():
    text = b"apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n---\nkind: [\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: c}\n"
    src = load_bytes(text, "x.yaml")
    assert [r.name for r in src.resources] == ["a", "c"]
    assert [p.code for p in src.problems] == ["ML001"]
    assert src.problems[0].line == 6


def test_syntax_error_line_in_single_document():
    src = load_bytes(b"a: 1\nb: [1, 2\nc: 3\n", "x.yaml")
    assert codes(src)[0][0] == "ML001"
    assert codes(src)[0][1] >= 2


def test_block_scalar_containing_document_marker_is_not_split():
    text = b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata:\n  script: |\n    echo start\n    ---\n    echo end\n"
    src = load_bytes(text, "x.yaml")
    assert src.problems == []
    assert src.resources[0].body["data"]["script"] == "echo start\n---\necho end\n"


def test_non_mapping_and_missing_type_meta():
    src = load_bytes(b"- a\n---\nfoo\n---\nmetadata: {name: x}\n---\napiVersion: v1\nkind: 7\n", "x.yaml")
    assert codes(src) == [("ML002", 1), ("ML002", 3), ("ML003", 5), ("ML003", 7)]


def test_binary_and_encodings():
    assert codes(load_bytes(b"\x00\x01\x02apiVersion", "x.yaml")) == [("ML004", 1)]
    assert codes(load_bytes("apiVersion: v1".encode("utf-16"), "x.yaml")) == [("ML004", 1)]
    assert codes(load_bytes(b"a: 1\nb: caf\xe9\n", "x.yaml")) == [("ML005", 2)]


def test_bom_is_reported_and_content_still_read():
    src = load_bytes(b"\xef\xbb\xbfapiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n", "x.yaml")
    assert codes(src) == [("ML008", 1)]
    assert src.resources[0].name == "shop"


def test_duplicate_keys_reported_at_second_key():
    src = load_bytes(b"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n  name: b\n", "x.yaml")
    assert codes(src) == [("ML006", 5)]
    assert src.resources[0].name == "b"


def test_tab_indentation():
    src = load_bytes(b"apiVersion: v1\nkind: Namespace\nmetadata:\n\tname: a\n", "x.yaml")
    assert codes(src) == [("ML007", 4)]


def test_alias_bomb_refused_quickly():
    lines = ['apiVersion: v1', 'kind: ConfigMap', 'metadata: {name: lol}', 'data:', '  a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    prev = "a"
    for n in "bcdefghijklmnop":
        lines.append(f"  {n}: &{n} [" + ",".join(["*" + prev] * 9) + "]")
        prev = n
    start = time.perf_counter()
    src = load_bytes("\n".join(lines).encode(), "bomb.yaml")
    assert time.perf_counter() - start < 5  # generous: the bound is on work, this only guards a hang
    assert [p.code for p in src.problems] == ["ML009"]
    assert src.resources == []


def test_recursive_alias_refused():
    src = load_bytes(b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata: &d\n  self: *d\n", "x.yaml")
    assert [p.code for p in src.problems] == ["ML009"]


def test_small_aliases_and_merge_keys_are_fine():
    src = load_bytes(b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  labels: &l {app: a}\n  annotations:\n    <<: *l\n    b: c\n", "x.yaml")
    assert src.problems == []
    assert src.resources[0].body["metadata"]["annotations"] == {"app": "a", "b": "c"}


def test_tags_are_never_executed(tmp_path):
    marker = tmp_path / "pwned"
    text = f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: x}}\ndata:\n  a: !!python/object/apply:os.system ['touch {marker}']\n  b: !custom 5\n".encode()
    src = load_bytes(text, "x.yaml")
    assert not marker.exists()
    assert src.resources[0].body["data"]["b"] == "5"


def test_nesting_limit():
    src = load_bytes(b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata:\n  a: " + b"[" * 300 + b"]" * 300 + b"\n", "x.yaml")
    assert [p.code for p in src.problems] == ["ML012"]


def test_file_too_large(tmp_path, monkeypatch):
    monkeypatch.setattr(reading, "MAX_FILE_BYTES", 1000)  # what read_input checks a file's size against
    big = tmp_path / "big.yaml"
    big.write_bytes(b"a: " + b"x" * 2000 + b"\n")
    result = lint([str(big)], Settings())
    assert [(f.code, f.line) for f in result.findings] == [("ML010", 1)]


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root can read a chmod 000 file; covered by the monkeypatched open below")
def test_unreadable_file_in_directory(tmp_path):
    (tmp_path / "a.yaml").write_text("apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n")
    bad = tmp_path / "b.yaml"
    bad.write_text("x: 1\n")
    bad.chmod(0)
    result = lint([str(tmp_path)], Settings())
    assert [f.code for f in result.findings] == ["ML013"]


def test_unreadable_file_reported_even_as_root(tmp_path, monkeypatch):
    (tmp_path / "a.yaml").write_text("apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n")
    real_open = os.open  # inputs are opened with os.open (without blocking, a regular file checked)

    def failing_open(path, *a, **k):
        if str(path).endswith("a.yaml"):
            raise PermissionError(13, "Permission denied")
        return real_open(path, *a, **k)

    monkeypatch.setattr(os, "open", failing_open)
    result = lint([str(tmp_path)], Settings())
    assert [(f.code, f.file) for f in result.findings] == [("ML013", os.path.join(str(tmp_path), "a.yaml"))]
    assert "Permission denied" in result.findings[0].message


def test_list_export_items_are_resources_with_their_own_positions():
    text = b"""apiVersion: v1
kind: List
items:
- apiVersion: authentication.istio.io/v1alpha1
  kind: Policy
  metadata:
    name: first
    namespace: shop
- apiVersion: v1
  kind: Service
  metadata:
    name: reviews
- apiVersion: rbac.istio.io/v1alpha1
  kind: ServiceRole
  metadata:
    name: third
"""
    src = load_bytes(text, "export.yaml")
    assert [(r.kind, r.item_index, r.start_line) for r in src.resources] == [("Policy", 0, 4), ("Service", 1, 9), ("ServiceRole", 2, 13)]
    result = lint_sources([src], Settings(select=("ML100",)))
    assert [(f.code, f.line, f.column, f.resource.name) for f in result.findings] == [("ML100", 5, 3, "first"), ("ML100", 14, 3, "third")]


def test_json_input(tmp_path):
    p = tmp_path / "x.json"
    p.write_text('{"apiVersion": "authentication.istio.io/v1alpha1",\n "kind": "MeshPolicy",\n "metadata": {"name": "default"}}\n')
    result = lint([str(p)], Settings(select=("ML100",)))
    assert [(f.code, f.line) for f in result.findings] == [("ML100", 2)]


def test_directory_walk_is_sorted_recursive_and_survives_symlink_loops(tmp_path):
    (tmp_path / "b").mkdir()
    (tmp_path / "a.yml").write_text("apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n")
    (tmp_path / "b" / "c.yaml").write_text("apiVersion: v1\nkind: Namespace\nmetadata: {name: c}\n")
    (tmp_path / "b" / "notes.txt").write_text("not yaml")
    os.symlink(tmp_path, tmp_path / "b" / "loop")
    files, errors = loader.discover([str(tmp_path)])
    assert errors == []
    assert [f.display for f in files] == [str(tmp_path / "a.yml"), str(tmp_path / "b" / "c.yaml")]


def test_locator_resolves_keys_items_and_escaped_pointers():
    text = b"apiVersion: v1\nkind: Pod\nmetadata:\n  name: x\n  annotations:\n    sidecar.istio.io/inject: 'false'\nspec:\n  containers:\n  - name: a\n  - name: b\n    image: img\n"
    res = load_bytes(text, "x.yaml").resources[0]
    assert res.locate("/metadata/annotations/sidecar.istio.io~1inject") == (6, 5)
    assert res.locate("/spec/containers/1/image") == (11, 5)
    assert res.locate("/spec/containers/1") == (10, 5)
    assert res.locate("/spec/containers/7/image") == (8, 3)  # past the end: the deepest existing field
    assert res.locate("") == (1, 1)
