"""meshlint convert: goldens, idempotence, writes, and the corpus."""
from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml
from conftest import FIXTURES
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from upstream_crds import strict_errors

from meshlint.convert import convert
from meshlint.engine import Settings, lint, lint_sources
from meshlint.loader import load_bytes

CASES = sorted(p for p in (FIXTURES / "convert").iterdir() if p.is_dir())


def convert_bytes(data: bytes, name: str = "x.yaml") -> str:
    src = load_bytes(data, name)
    result = convert(lint_sources([src], Settings()))
    f = result.files[0]
    assert not f.errors, f.errors
    return f.new_text if f.new_text is not None else src.text


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_golden(case: Path):
    got = convert_bytes((case / "input.yaml").read_bytes(), "input.yaml")  # the name the goldens were written under (annotations quote it)
    expected = (case / "expected.yaml").read_bytes().decode("utf-8")
    assert got == expected


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_converting_twice_changes_nothing(case: Path):
    expected = (case / "expected.yaml").read_bytes()
    assert convert_bytes(expected).encode("utf-8") == expected


def test_goldens_cover_the_formats_that_must_survive():
    names = {c.name for c in CASES}
    assert {"comments", "anchors", "flow-style", "crlf", "block-scalar-separator", "empty-document", "list-export", "no-change", "headers-merge"} <= names
    assert b"\r\n" in (FIXTURES / "convert" / "crlf" / "expected.yaml").read_bytes()
    assert (FIXTURES / "convert" / "no-change" / "input.yaml").read_bytes() == (FIXTURES / "convert" / "no-change" / "expected.yaml").read_bytes()


def test_check_mode_exit_codes(cli):
    case = FIXTURES / "convert" / "comments"
    assert cli("convert", "--check", case / "input.yaml").code == 1
    assert cli("convert", "--check", case / "expected.yaml").code == 0


def test_in_place_touches_only_changed_files(cli, tmp_path):
    changed = tmp_path / "a.yaml"
    same = tmp_path / "b.yaml"
    changed.write_bytes((FIXTURES / "convert" / "comments" / "input.yaml").read_bytes())
    same.write_bytes((FIXTURES / "convert" / "no-change" / "input.yaml").read_bytes())
    os.utime(same, (1_000_000, 1_000_000))
    r = cli("convert", "--in-place", tmp_path)
    assert r.code == 0, r.out + r.err
    assert changed.read_bytes() == (FIXTURES / "convert" / "comments" / "expected.yaml").read_bytes()
    assert os.stat(same).st_mtime == 1_000_000
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".meshlint-tmp")]


def test_out_mirrors_relative_paths(cli, tmp_path):
    out = tmp_path / "out"
    r = cli("convert", "--out", out, "fixtures/convert/comments/input.yaml", "fixtures/convert/no-change")
    assert r.code == 0, r.err
    assert (out / "fixtures/convert/comments/input.yaml").read_bytes() == (FIXTURES / "convert/comments/expected.yaml").read_bytes()
    assert (out / "fixtures/convert/no-change/input.yaml").read_bytes() == (FIXTURES / "convert/no-change/input.yaml").read_bytes()


def test_diff_and_json_summary(cli):
    r = cli("convert", "fixtures/convert/anchors/input.yaml")
    assert "-      simple: LEAST_CONN" in r.out and "+      simple: LEAST_REQUEST" in r.out
    j = cli("convert", "--check", "--format", "json", "fixtures/convert/list-export/input.yaml")
    data = j.json()
    assert j.code == 1
    res = data["files"][0]["resources"][0]
    assert res["resource"]["name"] == "ratings"
    assert "/spec/trafficPolicy/loadBalancer/simple" in res["changes"]["changed"]
    assert "/metadata/uid" in res["changes"]["removed"]


def test_keep_server_fields(tmp_path, cli):
    out = tmp_path / "o"
    cli("convert", "--keep-server-fields", "--out", out, "fixtures/convert/list-export/input.yaml")
    text = (out / "fixtures/convert/list-export/input.yaml").read_text()
    assert "uid: 0b9d4c5e" in text and "LEAST_REQUEST" in text


def test_read_only_target_keeps_original(cli, tmp_path):
    d = tmp_path / "ro"
    d.mkdir()
    f = d / "a.yaml"
    original = (FIXTURES / "convert" / "comments" / "input.yaml").read_bytes()
    f.write_bytes(original)
    d.chmod(0o555)
    try:
        if os.geteuid() == 0:
            pytest.skip("root can write into a read-only directory")
        r = cli("convert", "--in-place", f)
        assert r.code == 2 and "cannot write" in r.err and "Traceback" not in r.err
        assert f.read_bytes() == original
    finally:
        d.chmod(0o755)


# --------------------------------------------------------------------------- properties

DEPRECATED = ("appendHeaders", "appendRequestHeaders", "appendResponseHeaders", "removeRequestHeaders", "removeResponseHeaders",
              "websocketUpgrade", "mirrorPercent", "mirror_percent")
header_names = st.from_regex(r"x-[a-z]{1,6}", fullmatch=True)
header_list = st.lists(header_names, min_size=1, max_size=3, unique=True)


@st.composite
def virtual_services(draw):
    http = []
    for i in range(draw(st.integers(1, 3))):
        route: dict = {}
        # distinct header names per route: a name added twice with two values is a
        # conflict that is reported, not converted (tested on its own below)
        names = iter(draw(st.lists(header_names, min_size=12, max_size=12, unique=True)))
        values = st.from_regex(r"[a-z0-9]{1,5}", fullmatch=True)

        def amap():
            return {next(names): draw(values) for _ in range(draw(st.integers(1, 3)))}  # noqa: B023  (called at once)

        if draw(st.booleans()):
            route["headers"] = {"request": {"add": amap()}}
        for field in ("appendHeaders", "appendRequestHeaders", "appendResponseHeaders"):
            if draw(st.booleans()):
                route[field] = amap()
        for field in ("removeRequestHeaders", "removeResponseHeaders"):
            if draw(st.booleans()):
                route[field] = draw(header_list)
        if draw(st.booleans()):
            route["websocketUpgrade"] = True
        if draw(st.booleans()):
            route["fault"] = {"abort": {"percent": draw(st.integers(0, 100)), "httpStatus": 503}}
        route["route"] = [{"destination": {"host": f"svc{i}"}}]
        if draw(st.booleans()):
            route["mirror"] = {"host": "shadow"}
            route[draw(st.sampled_from(["mirrorPercent", "mirror_percent"]))] = draw(st.integers(0, 100))
        if draw(st.booleans()):
            route["corsPolicy"] = {"allowOrigin": draw(st.lists(st.from_regex(r"https://[a-z]{1,5}\.com", fullmatch=True), min_size=1, max_size=2))}
        http.append(route)
    vs = {"apiVersion": "networking.istio.io/v1alpha3", "kind": "VirtualService", "metadata": {"name": "vs"}, "spec": {"hosts": ["vs"], "http": http}}
    flow = draw(st.booleans())
    return yaml.safe_dump(vs, default_flow_style=None if flow else False, sort_keys=False)


def _expected(vs: dict) -> dict:
    """The conversion's meaning, computed independently of meshlint."""
    for route in vs["spec"]["http"]:
        headers = route.get("headers") or {}
        for field, side, op in (("appendHeaders", "request", "add"), ("appendRequestHeaders", "request", "add"), ("appendResponseHeaders", "response", "add"),
                                ("removeRequestHeaders", "request", "remove"), ("removeResponseHeaders", "response", "remove")):
            if field in route:
                slot = headers.setdefault(side, {})
                if op == "add":
                    for k, v in route.pop(field).items():
                        slot.setdefault("add", {}).setdefault(k, v)
                else:
                    cur = slot.setdefault("remove", [])
                    cur += [x for x in route.pop(field) if x not in cur]
        if headers:
            route["headers"] = headers
        route.pop("websocketUpgrade", None)
        if "fault" in route:
            route["fault"]["abort"]["percentage"] = {"value": route["fault"]["abort"].pop("percent")}
        for f in ("mirrorPercent", "mirror_percent"):
            if f in route:
                route["mirrorPercentage"] = {"value": route.pop(f)}
        if "corsPolicy" in route:
            route["corsPolicy"] = {"allowOrigins": [{"exact": o} for o in route["corsPolicy"]["allowOrigin"]]}
    return vs


def _strip_order(x):
    if isinstance(x, dict):
        return {k: _strip_order(v) for k, v in sorted(x.items())}
    if isinstance(x, list):
        return [_strip_order(v) for v in x]
    return x


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(virtual_services())
def test_convert_is_idempotent_complete_and_exact(text):
    once = convert_bytes(text.encode())
    twice = convert_bytes(once.encode())
    assert twice == once
    data = yaml.safe_load(once)
    remaining = [f.code for f in lint_sources([load_bytes(once.encode(), "x.yaml")], Settings()).findings if f.code.startswith("ML2")]
    assert remaining == []
    assert not any(k in DEPRECATED for route in data["spec"]["http"] for k in route)
    assert _strip_order(data) == _strip_order(_expected(yaml.safe_load(text)))


# --------------------------------------------------------------------------- corpus

FEATURES = {
    "vs:appendHeaders": ("ML200", "appendHeaders"),
    "vs:appendRequestHeaders": ("ML200", "appendRequestHeaders"),
    "vs:appendResponseHeaders": ("ML200", "appendResponseHeaders"),
    "vs:removeRequestHeaders": ("ML200", "removeRequestHeaders"),
    "vs:removeResponseHeaders": ("ML200", "removeResponseHeaders"),
    "vs:websocketUpgrade": ("ML201", "websocketUpgrade"),
    "vs:fault.abort.percent": ("ML202", "percent"),
    "vs:corsPolicy.allowOrigin": ("ML204", "allowOrigin"),
}


def _manifest(shared):
    import csv

    with open(shared / "corpus" / "MANIFEST.tsv") as fh:
        return list(csv.DictReader(fh, delimiter="\t"))


def test_corpus_traffic_fields_reported_at_their_lines_and_converted_output_is_strictly_valid(shared):
    checked = 0
    for row in _manifest(shared):
        feats = [f for f in row["deprecated_features"].split(";") if f in FEATURES]
        if not feats or row["parse"] != "ok":
            continue
        path = shared / "corpus" / row["local_path"]
        lines = path.read_text(encoding="utf-8").splitlines()
        result = lint([str(path)], Settings())
        for feat in feats:
            code, field = FEATURES[feat]
            hits = [f for f in result.findings if f.code == code and f.path.endswith("/" + field)]
            assert hits, f"{row['local_path']}: {feat} not reported"
            for h in hits:
                assert lines[h.line - 1].lstrip(" -").startswith(field), (row["local_path"], h.line, lines[h.line - 1])
            checked += 1
        conv = convert(result)
        f = conv.files[0]
        assert not f.errors, (row["local_path"], f.errors)
        for doc in yaml.safe_load_all(f.new_text):
            if isinstance(doc, dict) and doc.get("kind") in ("VirtualService", "DestinationRule"):
                assert strict_errors(shared, "1.30.3", doc) == [], (row["local_path"], doc["metadata"])
    assert checked >= 15


def test_conflicting_added_headers_are_reported_not_guessed():
    text = (FIXTURES / "rules" / "vs-legacy-header-fields" / "pass" / "modern.yaml").read_text()
    text = text.replace('        add: {appendHeaders: "a header named like the old field"}', '        add: {x-a: "one"}\n    appendHeaders: {x-a: "two"}')
    src = load_bytes(text.encode(), "x.yaml")
    result = lint_sources([src], Settings())
    ml200 = [f for f in result.findings if f.code == "ML200"]
    assert len(ml200) == 1 and not ml200[0].fixable and "x-a" in ml200[0].message
    assert convert(result).files[0].new_text == text


def test_change_summary_aligns_lists_and_tells_booleans_from_numbers():
    """The summary JSON reports: a removed middle item is one removal (not a change plus a removal
    at the end), nested changes are reported at the leaf, and YAML false -> 0 is a change."""
    from meshlint.convert import summarize

    old = {"spec": {"hosts": ["a", "b", "c"], "http": [{"retries": {"attempts": 3}}], "tls": False}}
    new = {"spec": {"hosts": ["a", "c"], "http": [{"retries": {"attempts": 5}, "timeout": "1s"}], "tls": 0}}
    assert summarize(old, new) == {
        "added": ["/spec/http/0/timeout"],
        "removed": ["/spec/hosts/1"],
        "changed": ["/spec/http/0/retries/attempts", "/spec/tls"],
    }
    assert summarize({"a/b": {"~": 1}}, {"a/b": {}}) == {"added": [], "removed": ["/a~1b/~0"], "changed": []}
