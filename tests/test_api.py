"""The public Python API (docs/api.md): meshlint.check, meshlint.convert and meshlint.report on
real YAML, against what the command prints for the same inputs."""
from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import yaml
from conftest import FIXTURES, REPO

import meshlint

GITOPS = FIXTURES / "examples" / "gitops-repo"
EXPORT = FIXTURES / "examples" / "gke-1.4-addon-export.yaml"
CONVERT_CASES = sorted(p for p in (FIXTURES / "convert").iterdir() if p.is_dir())


def _rel(p: Path) -> str:
    return str(p.relative_to(REPO))


def _tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


# --------------------------------------------------------------------------- import cost and names

def test_import_meshlint_loads_nothing_else_and_the_api_on_first_use():
    code = ("import sys, meshlint\n"
            "before = sorted(m for m in sys.modules if m.split('.')[0] in ('meshlint', 'yaml', 'typer', 'jsonschema', 'typing'))\n"
            "meshlint.check\n"
            "print(before, 'meshlint.api' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True).stdout
    assert out.strip() == "['meshlint'] True"


def test_convert_and_report_stay_the_api_functions_when_their_modules_are_imported():
    """meshlint/convert.py exists: importing it must not put a module in the function's place
    (the import system sets each submodule on its package); nor does the migration report's package."""
    code = ("import meshlint.convert, meshlint.migration_report.render_markdown, meshlint.api\n"
            "import meshlint\n"
            "from meshlint.convert import summarize\n"
            "from meshlint import convert, report\n"
            "assert meshlint.convert is convert is meshlint.api.convert, meshlint.convert\n"
            "assert meshlint.report is report is meshlint.api.report, meshlint.report\n"
            "assert callable(summarize) and 'check' in dir(meshlint)\n"
            "print('ok')\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO)
    assert proc.stdout.strip() == "ok", proc.stderr
    with pytest.raises(AttributeError):
        meshlint.no_such_name  # noqa: B018


# --------------------------------------------------------------------------- check

@pytest.mark.parametrize("target", [GITOPS, EXPORT, FIXTURES / "examples" / "clean-1.6"], ids=lambda p: p.name)
def test_check_gives_what_the_command_prints(cli, target):
    result = meshlint.check([_rel(target)])
    for fmt in ("json", "text", "sarif"):
        r = cli("check", "-f", fmt, _rel(target))
        assert result.render(fmt) == r.out, fmt
        assert result.exit_code() == r.code
    assert result.to_json() == cli("check", "-f", "json", _rel(target)).out
    data = json.loads(result.to_json())
    assert [f.as_dict() for f in result.findings] == data["findings"]
    assert (result.resources, len(result.files)) == (data["summary"]["resources"], data["summary"]["files"])
    assert result.count("error") == data["summary"]["errors"] and result.warnings == ()


def test_check_options_are_the_commands(cli):
    got = meshlint.check(_rel(GITOPS), select=["ML2"], ignore="ML203", severity={"ML202": "info"}, namespace="shop")
    r = cli("check", "-f", "json", "--select", "ML2", "--ignore", "ML203", "--namespace", "shop", _rel(GITOPS))
    want = r.json()["findings"]
    for f in want:
        if f["code"] == "ML202":
            f["severity"] = "info"
    assert [f.as_dict() for f in got.findings] == want and want
    assert {f.code for f in got.findings} <= {c for c in (f["code"] for f in want)} and all(f.code.startswith("ML2") for f in got.findings)
    assert got.exit_code("error") == 0 if not any(f.severity == meshlint.Severity.ERROR for f in got.findings) else 1


def test_check_reads_a_configuration_only_when_given_one(tmp_path, monkeypatch):
    repo = tmp_path / "repo"
    shutil.copytree(GITOPS, repo)
    (repo / ".meshlint.yaml").write_text("ignore: [ML2]\nseverity: {ML100: info}\n")
    monkeypatch.chdir(repo)
    everything = meshlint.check(".")
    assert any(f.code.startswith("ML2") for f in everything.findings)
    configured = meshlint.check(".", config=".")
    assert not any(f.code.startswith("ML2") for f in configured.findings)
    assert all(f.severity == meshlint.Severity.INFO for f in configured.findings if f.code == "ML100")
    assert meshlint.check(".", config=".meshlint.yaml").findings == configured.findings
    (repo / "bad.yaml").write_text("selct: [ML2]\n")
    with pytest.raises(meshlint.MeshlintError, match="unknown configuration key"):
        meshlint.check(".", config="bad.yaml")


def test_texts_in_memory_are_checked_like_the_same_files():
    files = {str(p.relative_to(REPO)): p.read_text(encoding="utf-8") for p in sorted(GITOPS.rglob("*.yaml"))}
    from_texts = meshlint.check(files)
    from_paths = meshlint.check(list(files))
    assert from_texts.findings == from_paths.findings and from_texts.findings
    as_bytes = meshlint.check({name: text.encode() for name, text in files.items()})
    assert as_bytes.findings == from_paths.findings


def test_a_file_that_is_not_yaml_is_a_finding_not_an_exception():
    result = meshlint.check({"broken.yaml": "apiVersion: v1\nkind: [\n", "binary.yaml": b"\x00\x01"})
    assert {f.code for f in result.findings} == {"ML001", "ML004"}
    assert result.exit_code() == 1


@pytest.mark.parametrize("call, message", [
    (lambda: meshlint.check("no/such/dir"), "no/such/dir: no such file or directory"),
    (lambda: meshlint.check([]), "no paths given"),
    (lambda: meshlint.check(b"x.yaml"), "expected a path"),
    (lambda: meshlint.check({"x.yaml": 3}), "expected str or bytes"),
    (lambda: meshlint.check(_rel(GITOPS), namespace="Not A Namespace"), "is not a namespace name"),
    (lambda: meshlint.check(_rel(GITOPS), severity={"ML100": "fatal"}), "unknown severity"),
    (lambda: meshlint.check(_rel(GITOPS), schemas="no/such/crds.yaml"), "--schemas"),
    (lambda: meshlint.check(_rel(GITOPS)).exit_code("loud"), "fail_on"),
    (lambda: meshlint.check(_rel(GITOPS)).render("xml"), "unknown format 'xml'"),
    (lambda: meshlint.convert({"x.yaml": "a: 1\n"}, in_place=True), "texts in memory cannot be written"),
    (lambda: meshlint.convert(_rel(GITOPS), in_place=True, out="x"), "cannot be used together"),
    (lambda: meshlint.convert(_rel(GITOPS), out=_rel(GITOPS)), "inside"),
    (lambda: meshlint.report(_rel(GITOPS), revision="asm-1.4"), "unknown revision"),
    (lambda: meshlint.report(_rel(GITOPS)).render("pdf"), "unknown format 'pdf'"),
])
def test_what_the_command_calls_a_usage_error_raises_meshlint_error(call, message):
    with pytest.raises(meshlint.MeshlintError) as e:
        call()
    assert message in str(e.value)


# --------------------------------------------------------------------------- convert

@pytest.mark.parametrize("case", CONVERT_CASES, ids=[c.name for c in CONVERT_CASES])
def test_convert_texts_in_texts_out_matches_the_goldens(case):
    data = (case / "input.yaml").read_bytes()
    result = meshlint.convert({"input.yaml": data})
    (f,) = result.files
    # one case keeps an object whose converted form the target API rejects: the error names it
    assert [e.split(":")[0] for e in f.errors] == (["VirtualService ratings"] if case.name == "one-object-invalid" else [])
    assert f.data == (case / "expected.yaml").read_bytes()
    assert f.changed == (data != (case / "expected.yaml").read_bytes())
    again = meshlint.convert({"input.yaml": f.data})
    assert again.changed == ()


def test_convert_writes_nothing_unless_asked_and_gives_what_the_command_prints(cli, tmp_path, monkeypatch):
    repo = tmp_path / "repo"
    shutil.copytree(GITOPS, repo)
    before = _tree(tmp_path)
    monkeypatch.chdir(tmp_path)
    result = meshlint.convert("repo")
    assert _tree(tmp_path) == before and result.written == {}
    assert result.to_json() == cli("convert", "-f", "json", "repo", cwd=tmp_path).out and not result.differences
    verified = meshlint.convert("repo", verify=True)
    assert verified.to_json() == cli("convert", "-f", "json", "--verify", "repo", cwd=tmp_path).out
    assert verified.differences and all("documented: plaintext" in d for d in verified.differences)
    assert result.diff() == cli("convert", "--diff", "repo", cwd=tmp_path).out
    assert result.exit_code == cli("convert", "-f", "json", "repo", cwd=tmp_path).code
    out = tmp_path / "out"
    cli("convert", "--out", out, "repo", cwd=tmp_path)
    for f in result.files:
        assert (out / f.path).read_bytes() == (f.data if f.text is not None else (tmp_path / f.path).read_bytes()), f.path
    assert [f.path for f in result.files if f.text is None] == ["repo/kustomization.yaml"]  # skipped by name: not read
    assert {c.resource.kind for f in result.changed for c in f.changes} >= {"VirtualService", "DestinationRule"}
    assert [f.code for f in result.unfixed] == [f["code"] for f in json.loads(result.to_json())["unfixed"]]


def test_convert_in_place_and_out_write_like_the_command(tmp_path, monkeypatch):
    repo = tmp_path / "repo"
    shutil.copytree(GITOPS, repo)
    monkeypatch.chdir(tmp_path)
    planned = meshlint.convert("repo")
    written = meshlint.convert("repo", out="out")
    assert written.write_error is None and written.exit_code == planned.exit_code
    inputs = [f for f in planned.files if f.text is not None]  # kustomization.yaml is no object file: copied as it is
    assert set(written.written) == {f.path for f in inputs} and (tmp_path / "out" / "repo" / "kustomization.yaml").is_file()
    assert all(Path(written.written[f.path]).read_bytes() == f.data for f in inputs)
    done = meshlint.convert("repo", in_place=True)
    assert set(done.written) == {f.path for f in planned.changed}
    assert all(Path(f.path).read_bytes() == f.data for f in inputs)
    assert meshlint.convert("repo").changed == ()  # converting twice changes nothing


def test_generated_files_are_returned_not_written(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    operator = FIXTURES / "examples" / "operator-repo"
    result = meshlint.convert([str(operator)])
    assert result.generated and all(g.path.startswith("generated/") and g.status == "new" for g in result.generated)
    assert not (tmp_path / "generated").exists()
    gateway = yaml.safe_load_all(result.generated[0].text)
    assert any(isinstance(o, dict) and o.get("kind") == "Service" for o in gateway)
    assert all(src[0].startswith(str(operator)) for g in result.generated for src in g.sources)


# --------------------------------------------------------------------------- report

def test_report_gives_what_the_command_writes(cli):
    rep = meshlint.report(_rel(GITOPS))
    for fmt in ("json", "markdown", "html"):
        assert rep.render(fmt) == cli("report", "-f", fmt, _rel(GITOPS)).out, fmt
    assert rep.data == json.loads(rep.to_json()) and rep.data["version"] == "2.0"
    assert rep.verdict == rep.data["verdict"]["state"] == "MIGRATION_CONFIG_ERROR"
    rep.data["verdict"]["state"] = "changed"
    assert rep.verdict == "MIGRATION_CONFIG_ERROR"  # data is a copy: the report itself does not change


# --------------------------------------------------------------------------- secrets

def test_secret_values_never_reach_what_the_api_returns_besides_the_files_themselves(tmp_path, monkeypatch):
    secrets = [i for i in yaml.safe_load(EXPORT.read_text())["items"] if i["kind"] == "Secret"]
    values = [v for s in secrets for v in s["data"].values()]
    values += [base64.b64decode(v).decode() for v in values]
    lines = [line for v in values for line in v.splitlines() if len(line) > 8]
    assert lines
    monkeypatch.chdir(tmp_path)
    checked = meshlint.check(str(EXPORT))
    converted = meshlint.convert(str(EXPORT))
    reported = meshlint.report(str(EXPORT))
    outputs = [checked.render(fmt) for fmt in ("text", "json", "sarif", "junit", "github", "gitlab")]
    outputs += [repr(checked), converted.to_json(), converted.diff(), repr(converted.findings), repr(converted.differences)]
    outputs += [g.text for g in converted.generated] + [reported.render(fmt) for fmt in ("json", "markdown", "html")]
    for out in outputs:
        for line in lines:
            assert line not in out
    assert any("cacerts" in out for out in outputs)


# --------------------------------------------------------------------------- packaging

def test_the_wheel_ships_py_typed_the_catalogue_and_the_schemas(tmp_path, build_backend):
    """The API is typed (PEP 561): py.typed is in the wheel with the package data meshlint reads."""
    proc = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(tmp_path), str(REPO)],
                          capture_output=True, text=True, env={**os.environ, "PIP_NO_INDEX": "1"})
    assert proc.returncode == 0, proc.stderr
    (wheel,) = tmp_path.glob("meshlint-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {"meshlint/py.typed", "meshlint/api.py", "meshlint/schemas/output.schema.json", "meshlint/schemas/report.schema.json",
            "meshlint/_catalogue/ML202-vs-fault-percent.yaml"} <= names
    assert any(n.startswith("meshlint/schemas/istio/") for n in names) and any(n.startswith("meshlint/data/") for n in names)
