"""meshlint report: the guide's steps from the findings, in three formats that agree."""
from __future__ import annotations

import json
import os
import re
import shutil
import struct
import subprocess
import zlib
from importlib import resources

import jsonschema
import pytest

from conftest import FIXTURES

EXPORT = FIXTURES / "examples" / "gke-1.4-addon-export.yaml"
CLEAN = FIXTURES / "examples" / "clean-1.6"
SCHEMA = json.loads(resources.files("meshlint").joinpath("schemas/report.schema.json").read_text())


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    from conftest import run_cli

    d = tmp_path_factory.mktemp("report")
    out = {}
    for fmt in ("markdown", "html", "json"):
        r = run_cli("report", "--format", fmt, "--out", d / f"r.{fmt}", EXPORT)
        assert r.code == 0, r.err
        out[fmt] = (d / f"r.{fmt}").read_text()
    out["dir"] = d
    return out


def test_json_report_validates_and_gives_the_verdict(reports):
    data = json.loads(reports["json"])
    jsonschema.validate(data, SCHEMA)
    assert data["verdict"]["state"] == "MIGRATION_CONFIG_ERROR"
    assert data["export"]["istio_versions"] == {"1.4.10-gke.8": 8}


def test_lists_every_blocking_finding(cli, reports):
    findings = cli("check", "-f", "json", EXPORT).json()["findings"]
    replaced = {(f["file"], f["resource"]["kind"], f["resource"]["namespace"], f["resource"]["name"]) for f in findings
                if f["fixable"] and f["code"] in ("ML300", "ML400", "ML401", "ML402")}
    blocking = [f for f in findings if f["severity"] == "error" and not f["fixable"]
                and (f["file"], f["resource"]["kind"], f["resource"]["namespace"], f["resource"]["name"]) not in replaced]
    assert len(blocking) >= 10
    for f in blocking:
        assert f"`{f['file']}:{f['line']}` **{f['code']}**" in reports["markdown"], f
    assert json.loads(reports["json"])["counts"]["blocking"] == len(blocking)


def test_command_block_for_every_injected_namespace_and_pdb_warnings(reports):
    md = reports["markdown"]
    for ns in ("shop", "payments", "legacy"):
        assert f"kubectl label namespace {ns} istio.io/rev=asm-managed istio-injection- --overwrite\nkubectl rollout restart deployment -n {ns}" in md
    assert "kubectl label namespace default" not in md
    data = json.loads(reports["json"])
    unprotected = {w["namespace"]: w["deployments_without_pdb"] for w in data["workloads"]}
    assert unprotected == {"legacy": ["inventory-v1"], "payments": ["ledger-v1"], "shop": ["ratings-v1", "reviews-v1"]}
    assert "no PodDisruptionBudget covers `ratings-v1`, `reviews-v1`" in md


def test_revision_option(cli):
    r = cli("report", "--revision", "asm-managed-rapid", EXPORT)
    assert "istio.io/rev=asm-managed-rapid" in r.out
    assert cli("report", "--revision", "asm-latest", EXPORT).code == 2


def test_clean_fixture_is_success(cli):
    r = cli("report", "-f", "json", CLEAN)
    assert json.loads(r.out)["verdict"]["state"] == "SUCCESS"


def test_formats_agree_on_counts(reports):
    data = json.loads(reports["json"])
    c = data["counts"]
    sentence = f"{c['findings']} finding(s): {c['errors']} error(s), {c['warnings']} warning(s), {c['infos']} info; {c['blocking']} blocking, {c['fixable']} convertible, {c['review']} for manual review"
    assert sentence in reports["markdown"]
    assert sentence in re.sub(r"<[^>]+>", "", reports["html"])
    assert f'data-state="{data["verdict"]["state"]}"' in reports["html"]
    assert reports["markdown"].count("### ") >= len(data["blocking"]["groups"])


def test_html_is_self_contained(reports):
    html = reports["html"]
    assert "<svg" in html and "Findings by category and severity" in html
    assert not re.search(r"""(src|href)=["']https?://""", html)


def _png_is_not_blank(path) -> bool:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, width = 8, b"", 0
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        chunk = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width = struct.unpack(">I", chunk[:4])[0]
        elif kind == b"IDAT":
            idat += chunk
        pos += 12 + length
    raw = zlib.decompress(idat)
    return len(set(raw[: width * 4 * 400])) > 8  # many distinct byte values: something was drawn


def test_html_renders_in_a_real_browser(reports, tmp_path):
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        if os.environ.get("CI") == "true":
            pytest.fail("chromium is required in CI (.ci/run installs Debian's chromium)")
        pytest.skip("chromium is not installed")
    page = reports["dir"] / "r.html"
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", f"--user-data-dir={tmp_path / 'profile'}", "--enable-logging=stderr", "--v=0"]
    shot = tmp_path / "shot.png"
    proc = subprocess.run([chromium, *flags, f"--screenshot={shot}", "--window-size=1200,1600", page.as_uri()], capture_output=True, text=True, timeout=120)
    assert shot.exists(), proc.stderr[-2000:]
    assert _png_is_not_blank(shot)
    dom = subprocess.run([chromium, *flags, "--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=120)
    assert 'data-rendered="yes"' in dom.stdout  # the page's script ran
    console = [l for l in (proc.stderr + dom.stderr).splitlines() if "CONSOLE" in l or "Uncaught" in l]
    assert not [l for l in console if "Uncaught" in l or "error" in l.lower()], console
