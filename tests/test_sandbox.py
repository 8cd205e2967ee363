"""A hostile repository cannot make meshlint reach the network, read files outside its inputs or
run its code (issue 17, classes 1 and 2). The test-wide audit (tests/audit_site) refuses and
reports any socket, process or file outside the inputs in every test; these tests aim at it."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest
from conftest import FIXTURES, audited_env, check_audit_log

CRD = """\
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: destinationrules.networking.istio.io
spec:
  group: networking.istio.io
  names: {kind: DestinationRule, plural: destinationrules}
  scope: Namespaced
  versions:
  - name: v1alpha3
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            $ref: "REF"
        definitions:
          spec:
            type: object
            properties:
              host: {type: string}
              trafficPolicy: {type: object, x-kubernetes-preserve-unknown-fields: true}
"""
REF_LINE, REF_COLUMN = 18, 13

DR = """\
apiVersion: networking.istio.io/v1alpha3
kind: DestinationRule
metadata: {name: reviews, namespace: shop}
spec:
  host: reviews
  trafficPolicy:
    outlierDetection:
      consecutiveErrors: 5
"""


def _crd(tmp_path, ref):
    crd = tmp_path / "crds" / "destinationrule.yaml"
    crd.parent.mkdir(exist_ok=True)
    crd.write_text(CRD.replace("REF", ref))
    dr = tmp_path / "dr.yaml"
    dr.write_text(DR)
    return crd, dr


@pytest.mark.parametrize("ref", [
    "http://127.0.0.1:9/schema.json",       # would be fetched and trusted
    "https://schemas.example.com/dr.json",
    "file:///etc/hostname",                  # would be read
    "/etc/hostname",
    "../../../etc/hostname",                 # relative to the CRD file
    "other.json#/spec",
    "#/definitions/nothing",                 # inside the CRD, but resolves to nothing
])
@pytest.mark.parametrize("command", [("check",), ("convert",), ("convert", "--in-place"), ("report",)])
def test_a_ref_outside_the_crd_is_a_clear_error_not_a_fetch(cli, tmp_path, ref, command):
    crd, dr = _crd(tmp_path, ref)
    r = cli(*command, "--schemas", crd, dr)  # the audit fails the test on any socket or outside file
    assert r.code == 2, (r.code, r.out, r.err)
    assert f"{crd}:{REF_LINE}:{REF_COLUMN}:" in r.err and "$ref" in r.err and ref in r.err, r.err
    assert "internal error" not in r.err and "Traceback" not in r.err
    assert dr.read_text() == DR


def test_a_ref_inside_the_crd_is_resolved(cli, tmp_path):
    crd, dr = _crd(tmp_path, "#/definitions/spec")
    r = cli("check", "-f", "json", "--select", "ML8", "--schemas", crd, dr)
    assert r.code == 0, r.err
    dr.write_text(DR.replace("host: reviews", "host: 7"))
    r = cli("check", "-f", "json", "--select", "ML8", "--schemas", crd, dr)
    assert [(f["code"], f["line"], f["path"]) for f in r.json()["findings"]] == [("ML801", 5, "/spec/host")], r.out
    r = cli("convert", "--schemas", crd, dr)
    assert r.code == 1 and "per the CRDs in" in r.err and "internal error" not in r.err, (r.out, r.err)


def test_the_audit_refuses_what_it_must(tmp_path):
    """The audit itself: a CLI subprocess that opens an outside file or a socket is reported."""
    env, log = audited_env()
    code = "import socket, sys; open('/etc/hostname').close() if len(sys.argv) > 1 else socket.create_connection(('127.0.0.1', 9))"
    for argv in ([], ["file"]):
        subprocess.run([sys.executable, "-c", code, *argv], env=env, capture_output=True, cwd=tmp_path)
        with pytest.raises(pytest.fail.Exception, match="network" if not argv else "/etc/hostname"):
            check_audit_log(log)


def test_the_audit_refuses_in_process_too():
    from conftest import AUDIT

    with pytest.raises(PermissionError, match="meshlint test audit"):
        open("/etc/hostname").close()
    assert AUDIT.violations and "/etc/hostname" in AUDIT.violations[-1]
    AUDIT.violations.clear()  # this test's own violation was on purpose


def test_a_ref_outside_the_crd_is_refused_through_the_api(tmp_path):
    from meshlint.engine import Settings, lint
    from meshlint.schema.user_crds import UserSchemaError, load_user_schemas

    crd, dr = _crd(tmp_path, "file:///etc/hostname")
    with pytest.raises(UserSchemaError, match=f"{crd}:{REF_LINE}:{REF_COLUMN}: \\$ref 'file:///etc/hostname'"):
        load_user_schemas(str(crd))
    crd, dr = _crd(tmp_path, "#/definitions/spec")
    result = lint([str(dr)], Settings(user_schemas=load_user_schemas(str(crd))))
    assert not [f for f in result.findings if f.code == "ML090"]


# --------------------------------------------------------------------------- class 2: no code from the scanned tree

EVIL = "import pathlib; pathlib.Path(__file__).with_name('RAN-{name}').write_text('code from the scanned tree ran')\n"


def _hostile_repo(root):
    """A config repository that carries a plugin registration and modules shadowing what meshlint imports."""
    root.mkdir()
    dist = root / "x.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: x\nVersion: 1\n")
    (dist / "entry_points.txt").write_text("[meshlint.rules]\nevil = evilplugin\n")
    for name in ("evilplugin", "json", "difflib", "typer", "yaml", "jsonschema"):
        (root / f"{name}.py").write_text(EVIL.format(name=name))
    (root / "vs.yaml").write_text((FIXTURES / "rules" / "vs-websocket-upgrade" / "fail" / "ws.yaml").read_text())
    return root


def _ran(root):
    return sorted(p.name for p in root.glob("RAN-*"))


@pytest.mark.parametrize("command", [("check",), ("check", "-f", "sarif"), ("convert",), ("convert", "--in-place"), ("report",), ("rules",)])
def test_python_m_meshlint_in_a_hostile_repository_runs_none_of_its_code(cli, tmp_path, command):
    repo = _hostile_repo(tmp_path / "repo")
    r = cli(*command, *(["vs.yaml"] if command != ("rules",) else []), cwd=repo)
    assert _ran(repo) == [], r.err
    assert r.code in (0, 1), r.err
    assert "evil" not in r.err


def test_the_meshlint_command_and_the_api_run_none_of_the_scanned_trees_code(tmp_path, monkeypatch):
    repo = _hostile_repo(tmp_path / "repo")
    exe = os.path.join(os.path.dirname(sys.executable), "meshlint")
    if os.path.exists(exe):
        env, log = audited_env()
        proc = subprocess.run([exe, "check", "vs.yaml"], cwd=repo, env=env, capture_output=True, text=True)
        check_audit_log(log)
        assert proc.returncode == 1 and _ran(repo) == [], proc.stderr
    # the API inside a process whose working directory is the scanned tree (and '' on sys.path)
    from meshlint import registry

    monkeypatch.chdir(repo)
    monkeypatch.syspath_prepend("")
    assert [ep.name for ep in registry._plugin_entry_points()] == []
    assert _ran(repo) == []


def test_installed_plugins_still_load_and_a_broken_one_is_said(cli, tmp_path):
    site = tmp_path / "site"  # an installed environment (on PYTHONPATH), not the scanned tree
    site.mkdir()
    (site / "goodplugin.py").write_text(
        "from meshlint.model import Rule, Severity, Violation\n"
        "def _check(res, ctx):\n    yield Violation('/metadata/name', {'name': res.name})\n"
        "RULE = Rule(code='XG001', name='every-vs', severity=Severity.INFO, summary='Every VirtualService.', fixable=False,\n"
        "            area='core', messages={'default': 'VirtualService {name}.'}, kinds=('networking.istio.io/VirtualService',), reads=(), check=_check)\n")
    (site / "brokenplugin.py").write_text("raise RuntimeError('cannot start without its configuration')\n")
    dist = site / "team_rules-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: team-rules\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[meshlint.rules]\ngood = goodplugin:RULE\nbroken = brokenplugin:RULE\n")
    vs = FIXTURES / "rules" / "vs-websocket-upgrade" / "fail" / "ws.yaml"
    r = cli("check", "-f", "json", vs, env={"PYTHONPATH": str(site)})
    assert {"XG001", "ML050"} <= {f["code"] for f in r.json()["findings"]}  # the broken one is a finding too (ML050)
    assert "Plugin broken (brokenplugin:RULE) could not be loaded" in r.err and "cannot start without its configuration" in r.err, r.err
    r = cli("rules", env={"PYTHONPATH": str(site)})
    assert "XG001" in r.out and "Plugin broken" in r.err


def test_a_frozen_exception_is_reported_as_itself(monkeypatch, capsys):
    """convert used to die with 'internal error: FrozenInstanceError' (typer set an attribute on
    jsonschema's frozen reference error): the real error is named."""
    from referencing.exceptions import Unresolvable

    import meshlint.convert_cli
    from meshlint.cli import main

    def boom(*a, **k):
        raise Unresolvable(ref="file:///etc/hostname")

    monkeypatch.setattr(meshlint.convert_cli, "run_convert", boom)
    with pytest.raises(SystemExit) as exit:
        main(["convert", str(FIXTURES / "convert" / "comments" / "input.yaml")])
    assert exit.value.code == 2
    err = capsys.readouterr().err
    assert "Unresolvable" in err and "FrozenInstanceError" not in err, err
