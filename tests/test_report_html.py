"""The HTML report in headless Chromium, at 1280 px and 390 px wide: no overlapping boxes in the
charts, no horizontal scrolling (code blocks wrap), no empty chart, a print stylesheet. The
screenshots (and a printed PDF) are written to the test's temporary directory."""
from __future__ import annotations

import os
import struct

import pytest
from browser import Browser, find_chromium
from conftest import FIXTURES, REPO, run_cli

EXAMPLES = (FIXTURES / "examples").relative_to(REPO)
CASES = {"export+repo": (EXAMPLES / "gke-1.4-addon-export.yaml", EXAMPLES / "gitops-repo"), "partial": (EXAMPLES / "partial-repo",)}
WIDTHS = (1280, 390)

# the boxes of one chart: title, legend, and each bar row with its label, track and count
BOXES = """
(() => {
  const box = e => { const r = e.getBoundingClientRect(); return {x: r.left, y: r.top, w: r.width, h: r.height, text: e.textContent.trim().slice(0, 40)}; };
  return [...document.querySelectorAll('figure.chart')].map(f => ({
    id: f.id, figure: box(f),
    title: box(f.querySelector('.chart-title')),
    legend: f.querySelector('.legend') ? box(f.querySelector('.legend')) : null,
    rows: [...f.querySelectorAll('.bar-row')].map(r => ({row: box(r), parts: [...r.children].map(box)})),
    empty: f.querySelector('.chart-empty') ? f.querySelector('.chart-empty').textContent : null,
    tracks: f.querySelectorAll('.bar-track').length,
  }));
})()
"""
SCROLL = """
(() => ({
  page: [document.documentElement.scrollWidth, document.documentElement.clientWidth],
  pres: [...document.querySelectorAll('pre')].map(p => [p.scrollWidth, p.clientWidth, getComputedStyle(p).whiteSpace]),
  tables: [...document.querySelectorAll('table')].map(t => [t.getBoundingClientRect().right, document.documentElement.clientWidth]),
}))()
"""


def overlap(a: dict, b: dict) -> bool:
    """Two boxes share area (touching edges do not count; half a pixel of rounding is forgiven)."""
    return min(a["x"] + a["w"], b["x"] + b["w"]) - max(a["x"], b["x"]) > 0.5 and min(a["y"] + a["h"], b["y"] + b["h"]) - max(a["y"], b["y"]) > 0.5


def inside(inner: dict, outer: dict) -> bool:
    return (inner["x"] >= outer["x"] - 0.5 and inner["x"] + inner["w"] <= outer["x"] + outer["w"] + 0.5
            and inner["y"] >= outer["y"] - 0.5 and inner["y"] + inner["h"] <= outer["y"] + outer["h"] + 0.5)


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    chromium = find_chromium()
    if chromium is None:
        if os.environ.get("CI") == "true":
            pytest.fail("chromium is required in CI (.ci/run installs Debian's chromium)")
        pytest.skip("chromium is not installed")
    b = Browser(chromium, tmp_path_factory.mktemp("chromium-profile"))
    yield b
    b.close()


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    d = tmp_path_factory.mktemp("html")
    out = {}
    for case, paths in CASES.items():
        target = d / f"{case}.html"
        r = run_cli("report", "-f", "html", "--out", target, *paths)
        assert r.code == 0, r.err
        out[case] = target
    return out


def _png_size(path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("case", list(CASES))
def test_layout_holds_at_both_widths(browser, pages, tmp_path, case, width):
    page = browser.page(pages[case].as_uri(), width)
    assert page.eval("document.body.dataset.rendered") == "yes"
    shot = page.screenshot(tmp_path / f"report-{case}-{width}.png")
    w, h = _png_size(shot)
    assert w == width and h > 900  # the whole page, not one screen
    charts = page.eval(BOXES)
    assert {c["id"] for c in charts} == {"chart-findings", "chart-namespaces"}
    for c in charts:
        boxes = [("title", c["title"])] + ([("legend", c["legend"])] if c["legend"] else []) + [(f"row {i}", r["row"]) for i, r in enumerate(c["rows"])]
        if c["empty"]:
            boxes.append(("empty", c["empty"] and c["figure"]))
        for i, (na, a) in enumerate(boxes):
            assert a["w"] > 0 and a["h"] > 0, (c["id"], na)
            assert inside(a, c["figure"]), (c["id"], na, a, c["figure"])
            for nb, b in boxes[i + 1:]:
                if nb != "empty":
                    assert not overlap(a, b), (case, width, c["id"], na, a, nb, b)
        for r in c["rows"]:
            parts = r["parts"]
            assert len(parts) == 3
            for i, a in enumerate(parts):
                for b in parts[i + 1:]:
                    assert not overlap(a, b), (case, width, c["id"], a, b)
        assert c["figure"]["x"] + c["figure"]["w"] <= width + 0.5
    a, b = (c["figure"] for c in charts)
    assert not overlap(a, b)  # the two charts sit side by side, or one above the other
    scroll = page.eval(SCROLL)
    assert scroll["page"][0] <= scroll["page"][1], f"the page scrolls sideways at {width} px: {scroll['page']}"
    assert scroll["pres"], "the report has code blocks"
    for sw, cw, ws in scroll["pres"]:
        assert sw <= cw and ws == "pre-wrap", (case, width, sw, cw, ws)
    for right, cw in scroll["tables"]:
        assert right <= cw + 0.5


def test_an_empty_chart_says_so(browser, pages):
    page = browser.page(pages["partial"].as_uri(), 1280)
    charts = {c["id"]: c for c in page.eval(BOXES)}
    ns = charts["chart-namespaces"]
    assert ns["empty"] == "no namespaces to move" and ns["tracks"] == 0 and ns["rows"] == []
    assert "0 of 0" in ns["title"]["text"]
    full = browser.page(pages["export+repo"].as_uri(), 1280)
    charts = {c["id"]: c for c in full.eval(BOXES)}
    assert charts["chart-namespaces"]["tracks"] == 1 and charts["chart-namespaces"]["empty"] is None
    assert charts["chart-findings"]["tracks"] == len(charts["chart-findings"]["rows"]) > 3


def test_print_stylesheet(browser, pages, tmp_path):
    page = browser.page(pages["export+repo"].as_uri(), 1280)
    screen = page.eval("[getComputedStyle(document.body).maxWidth, getComputedStyle(document.querySelector('pre')).borderTopStyle]")
    page.media("print")
    printed = page.eval("[getComputedStyle(document.body).maxWidth, getComputedStyle(document.querySelector('pre')).borderTopStyle,"
                        " getComputedStyle(document.querySelector('pre')).breakInside, getComputedStyle(document.querySelector('h2')).breakAfter]")
    assert screen == ["992px", "none"]
    assert printed == ["none", "solid", "avoid", "avoid"]
    pdf = page.pdf(tmp_path / "report.pdf")
    data = pdf.read_bytes()
    assert data[:5] == b"%PDF-" and data.count(b"/Type /Page") - data.count(b"/Type /Pages") >= 3
    page.media("screen")


def test_no_console_errors(browser, pages):
    page = browser.page(pages["export+repo"].as_uri(), 390)
    page.send("Log.enable")
    assert page.eval("typeof document.querySelector('figure.chart') === 'object'")
    errors = [e for e in browser._events if e.get("method") in ("Runtime.exceptionThrown",) or (e.get("method") == "Log.entryAdded" and e["params"]["entry"]["level"] == "error")]
    assert errors == []
