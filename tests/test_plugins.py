"""Rule plugins (docs/plugins.md): the example plugin package in fixtures/plugins is installed with
pip into a fresh directory and runs through its real entry point; a plugin that cannot be used is
said, by the command and by the API, and the built-in rules still run."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import FIXTURES, REPO

PLUGIN = FIXTURES / "plugins" / "meshlint-example-rules"
CLEAN = "fixtures/examples/clean-1.6"


@pytest.fixture(scope="module")
def installed(tmp_path_factory, build_backend) -> Path:
    """The example plugin, installed by pip (a wheel built by its own build backend) into a fresh target directory."""
    site = tmp_path_factory.mktemp("plugin-site")
    proc = subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--no-build-isolation", "--no-index", "-q",
                           "--target", str(site), str(PLUGIN)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (site / "meshlint_example_rules" / "vs_route_timeout.py").is_file()
    (dist,) = site.glob("meshlint_example_rules-1.0.0.dist-info")
    assert "meshlint.rules" in (dist / "entry_points.txt").read_text()
    return site


def test_the_installed_example_plugin_runs_through_its_entry_point(cli, installed):
    r = cli("check", "-f", "json", CLEAN, env={"PYTHONPATH": str(installed)})
    assert r.code == 1 and r.err == "", r.err
    (finding,) = r.json()["findings"]  # clean modern configuration: the plugin's is the only finding
    assert (finding["code"], finding["name"], finding["severity"], finding["line"], finding["column"], finding["path"]) == \
        ("XA101", "vs-route-timeout", "warning", 26, 5, "/spec/http/0")
    assert finding["message"].startswith("VirtualService reviews: HTTP route #1 sets no timeout.")
    assert cli("check", "-f", "json", CLEAN).json()["findings"] == []  # without it, nothing
    assert "XA101  vs-route-timeout" in cli("rules", env={"PYTHONPATH": str(installed)}).out
    assert "timeout: 15s" in cli("explain", "XA101", env={"PYTHONPATH": str(installed)}).out
    text = cli("check", CLEAN, env={"PYTHONPATH": str(installed)}).out
    assert "XA101 HTTP route #1 sets no timeout" in text  # the catalogue entry's short message


def test_the_api_runs_the_installed_plugin_too(installed):
    code = "import json, meshlint\nr = meshlint.check('" + CLEAN + "')\nprint(json.dumps([[f.code, f.line] for f in r.findings]), r.warnings)\n"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO,
                          env={**os.environ, "PYTHONPATH": str(installed)})
    assert proc.stdout.strip() == '[["XA101", 26]] ()', proc.stderr


BROKEN = {
    "raises": ("raise RuntimeError('needs its configuration')\n", "could not be loaded, so its rules did not run: RuntimeError: needs its configuration"),
    "exits": ("import sys\nsys.exit(3)\n", "could not be loaded, so its rules did not run: SystemExit: 3"),
    "no_code": ("CATALOGUE = {'name': 'x', 'severity': 'info', 'summary': 's', 'area': 'core'}\nKINDS = ('/Service',)\ndef check(res, ctx):\n    return []\n",
                "is not a usable rule (its catalogue entry has no 'code')"),
    "string_kinds": (("CATALOGUE = {'code': 'XB001', 'name': 'x', 'severity': 'info', 'summary': 's', 'area': 'core'}\n"
                     "KINDS = ('networking.istio.io/VirtualService')\ndef check(res, ctx):\n    return []\n"),
                     "is not a usable rule (KINDS is the string 'networking.istio.io/VirtualService', not a tuple of group/Kind patterns"),
    "ml_code": (("CATALOGUE = {'code': 'ML999', 'name': 'x', 'severity': 'info', 'summary': 's', 'area': 'core'}\n"
                "KINDS = ('/Service',)\ndef check(res, ctx):\n    return []\n"), "code 'ML999' is not a code of its own"),
    "bad_severity": (("CATALOGUE = {'code': 'XB002', 'name': 'x', 'severity': 'fatal', 'summary': 's', 'area': 'core'}\n"
                     "KINDS = ('/Service',)\ndef check(res, ctx):\n    return []\n"), "unknown severity 'fatal'"),
    "no_check": ("CATALOGUE = {'code': 'XB003', 'name': 'x', 'severity': 'info', 'summary': 's', 'area': 'core'}\nKINDS = ('/Service',)\n",
                 "it has no check function"),
    "not_a_rule": ("RULE = 42\n", "it is a int, neither a Rule nor a module with a CATALOGUE"),
}


def _broken_site(root: Path) -> Path:
    site = root / "broken-site"
    site.mkdir()
    lines = []
    for name, (source, _) in BROKEN.items():
        (site / f"broken_{name}.py").write_text(source)
        lines.append(f"{name} = broken_{name}" + (":RULE" if name == "not_a_rule" else ""))
    dist = site / "team_rules-2.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: team-rules\nVersion: 2.0\n")
    (dist / "entry_points.txt").write_text("[meshlint.rules]\n" + "\n".join(lines) + "\n")
    return site


def test_a_plugin_that_cannot_be_used_is_said_and_the_built_in_rules_still_run(cli, tmp_path):
    site = _broken_site(tmp_path)
    r = cli("check", "-f", "json", "fixtures/examples/gitops-repo", env={"PYTHONPATH": str(site)})
    assert r.code == 1 and "Traceback" not in r.err and "internal error" not in r.err, r.err
    assert r.json()["summary"]["errors"] > 0  # meshlint's own rules ran
    warnings = [line for line in r.err.splitlines() if line.startswith("meshlint: warning: Plugin ")]
    assert len(warnings) == len(BROKEN), r.err
    for name, (_, said) in BROKEN.items():
        assert any(f"Plugin {name} (broken_{name}" in w and said in w for w in warnings), (name, r.err)
    # each is an ML050 finding at the line of entry_points.txt that declares it, with the same sentence
    declared = site / "team_rules-2.0.dist-info" / "entry_points.txt"
    found = [f for f in r.json()["findings"] if f["code"] == "ML050"]
    assert sorted((f["file"], f["line"], f["column"], f["severity"]) for f in found) == \
        [(str(declared), line, 1, "error") for line in range(2, 2 + len(BROKEN))]
    assert sorted(f"meshlint: warning: {f['message']}" for f in found) == sorted(warnings)
    code = "import meshlint\nr = meshlint.check('fixtures/examples/clean-1.6')\nprint(len(r.warnings), sorted({f.code for f in r.findings}))\n"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, env={**os.environ, "PYTHONPATH": str(site)})
    assert proc.stdout.strip() == f"{len(BROKEN)} ['ML050']", proc.stderr


BROKEN_SITE = FIXTURES / "plugins" / "broken-site"  # an installed distribution whose rule raises on import


def test_a_plugin_that_fails_to_load_is_an_ml050_finding(cli):
    r = cli("check", "-f", "json", CLEAN, env={"PYTHONPATH": str(BROKEN_SITE)})
    assert r.code == 1 and "Traceback" not in r.err, r.err
    (finding,) = r.json()["findings"]  # clean configuration: the plugin's failure is the only finding
    assert (finding["code"], finding["name"], finding["severity"], finding["line"], finding["column"], finding["resource"]) == \
        ("ML050", "plugin-not-loaded", "error", 5, 1, None)  # line 5: "timeouts = team_rules.timeouts"
    assert Path(finding["file"]) == BROKEN_SITE / "team_rules-2.0.dist-info" / "entry_points.txt"
    assert finding["message"] == ("Plugin timeouts (team_rules.timeouts) could not be loaded, so its rules did not run: "
                                  "RuntimeError: team-rules: no configuration at /etc/team-rules/timeouts.yaml")
    text = cli("check", CLEAN, env={"PYTHONPATH": str(BROKEN_SITE)})
    assert "5:1       error    ML050 plugin timeouts could not be loaded: its rules did not run" in text.out
    sarif = cli("check", "-f", "sarif", CLEAN, env={"PYTHONPATH": str(BROKEN_SITE)}).json()
    assert [res["ruleId"] for res in sarif["runs"][0]["results"]] == ["ML050"]
    quiet = cli("check", "-f", "json", "--ignore", "ML050", CLEAN, env={"PYTHONPATH": str(BROKEN_SITE)})
    assert quiet.code == 0 and quiet.json()["findings"] == [], quiet.err
    assert "could not be loaded" in quiet.err  # still said on standard error
    proc = subprocess.run([sys.executable, "-c", "import meshlint\nr = meshlint.check('" + CLEAN + "')\n"
                           "print([(f.code, f.line) for f in r.findings], r.exit_code())\n"],
                          capture_output=True, text=True, cwd=REPO, env={**os.environ, "PYTHONPATH": str(BROKEN_SITE)})
    assert proc.stdout.strip() == "[('ML050', 5)] 1", proc.stderr


def test_docs_plugins_md_shows_the_example_plugin_as_it_is(tmp_path):
    """docs/plugins.md quotes the tested plugin's files verbatim: the documentation cannot drift from it."""
    doc = (REPO / "docs" / "plugins.md").read_text(encoding="utf-8")
    for rel in ("pyproject.toml", "meshlint_example_rules/vs_route_timeout.py", "meshlint_example_rules/XA101-vs-route-timeout.yaml"):
        marker = f"<!-- file: fixtures/plugins/meshlint-example-rules/{rel} -->\n"
        assert marker in doc, rel
        block = doc.split(marker, 1)[1]
        body = block.split("\n", 1)[1].split("```\n", 1)[0]  # after the opening fence, up to the closing one
        assert body == (PLUGIN / rel).read_text(encoding="utf-8"), rel


def test_a_run_without_plugins_does_not_pay_for_plugin_discovery():
    """Start-up (pre-commit runs one file at a time): with no installed distribution naming the
    ``meshlint.rules`` group, importlib.metadata (and the email/zipfile modules it pulls in) is
    never imported; with the example plugin on the path it is, and the plugin runs (above)."""
    code = ("import sys\nfrom meshlint.cli import main\n"
            "try:\n    main(['check', 'fixtures/examples/clean-1.6'])\nexcept SystemExit as e:\n    print('exit', e.code)\n"
            "print('importlib.metadata' in sys.modules, 'meshlint.rules.vs_fault_percent' in sys.modules)\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO)
    assert proc.stdout.strip().splitlines()[-2:] == ["exit 0", "False True"], proc.stdout + proc.stderr


def test_plugin_discovery_looks_at_every_installed_distribution(installed):
    from meshlint.registry import _may_declare_plugins

    assert _may_declare_plugins([str(installed)]) is True
    assert _may_declare_plugins([str(installed / "meshlint_example_rules")]) is False
    assert _may_declare_plugins([str(installed / "missing")]) is False


def _site(root: Path, modules: dict[str, str], entry_points: str) -> Path:
    """A directory on PYTHONPATH holding ``modules`` and one distribution whose entry_points.txt is ``entry_points``."""
    site = root / "site"
    (site / "team_rules-2.0.dist-info").mkdir(parents=True)
    for name, source in modules.items():
        (site / f"{name}.py").write_text(source)
    (site / "team_rules-2.0.dist-info" / "METADATA").write_text("Metadata-Version: 2.1\nName: team-rules\nVersion: 2.0\n")
    (site / "team_rules-2.0.dist-info" / "entry_points.txt").write_text(entry_points)
    return site


TIMEOUTS = ("CATALOGUE = {'code': 'XC001', 'name': 'route-timeouts', 'severity': 'warning', 'summary': 'routes need a timeout', 'area': 'core'}\n"
            "KINDS = ('networking.istio.io/VirtualService',)\ndef check(res, ctx):\n    return []\n")


def test_a_plugin_rule_whose_code_another_plugin_took_is_not_loaded(cli, tmp_path):
    """Two plugins of one distribution declare XC001 (a copy-pasted rule): the first runs, the second is an ML050 finding."""
    site = _site(tmp_path, {"team_timeouts": TIMEOUTS, "team_retries": TIMEOUTS.replace("route-timeouts", "route-retries")},
                 "[meshlint.rules]\ntimeouts = team_timeouts\nretries = team_retries\n")
    r = cli("check", "-f", "json", CLEAN, env={"PYTHONPATH": str(site)})
    assert r.code == 1 and "Traceback" not in r.err, r.err
    (finding,) = r.json()["findings"]
    assert (finding["code"], finding["line"]) == ("ML050", 3)  # line 3: "retries = team_retries"
    assert finding["message"] == "Plugin rule XC001 (route-retries) uses a code meshlint already has, so it was not loaded."
    assert "XC001  route-timeouts" in cli("rules", env={"PYTHONPATH": str(site)}).out


def test_plugins_that_cannot_be_listed_are_an_ml050_finding(cli, tmp_path):
    """A damaged installation (an entry_points.txt edited by hand into a line without '='): no plugin can be
    listed, which is said, and meshlint's own rules still run."""
    site = _site(tmp_path, {}, "[meshlint.rules]\ntimeouts team_timeouts\n")
    r = cli("check", "-f", "json", "fixtures/examples/gitops-repo", env={"PYTHONPATH": str(site)})
    assert r.code == 1 and "Traceback" not in r.err, r.err
    found = [f for f in r.json()["findings"] if f["code"] == "ML050"]
    assert [f["message"].split(":")[0] for f in found] == ["Plugins could not be listed, so none was loaded"], found
    assert r.json()["summary"]["errors"] > 1  # the built-in rules ran
