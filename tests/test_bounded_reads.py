"""YAML read outside the inputs goes through the inputs' bounds (issue 17, class 8): the
``[tool.meshlint]`` table of pyproject.toml is read under ``.meshlint.yaml``'s limits, and a
kustomization on disk or the mesh config string of the ``istio`` ConfigMap are read by the loader
(size cap, alias and merge work budgeted, depth bounded), not by an unbounded YAML parser.

The hostile YAML here is a chain of merge keys (``l2: {<<: *l1, k2: v}``): each mapping merges
the previous one, so a plain YAML parser copies every earlier key again at every link, work
growing with the square of the file (a 110 KB file took a minute and a half of CPU). No wall-clock
assertion: a run that does not finish is caught by the subprocess timeout, and the test fails."""
from __future__ import annotations

import subprocess
import sys

HANG_GUARD = 240  # seconds: far above these runs (a few seconds); the old readers took many minutes

DR = """apiVersion: networking.istio.io/v1alpha3
kind: DestinationRule
metadata:
  name: reviews
spec:
  host: reviews
  trafficPolicy:
    loadBalancer:
      simple: LEAST_CONN
"""


def _merge_chain(links: int, indent: str = "") -> str:
    lines = [f"{indent}x-anchors:", f"{indent}  l0: &l0 {{k0: v}}"]
    lines += [f"{indent}  l{i}: &l{i} {{<<: *l{i - 1}, k{i}: v}}" for i in range(1, links)]
    return "\n".join(lines) + "\n"


def _cli(args, cwd):
    p = subprocess.run([sys.executable, "-m", "meshlint", *map(str, args)], capture_output=True, text=True, cwd=cwd,
                       timeout=HANG_GUARD)
    return p.returncode, p.stdout, p.stderr


def _repo(tmp_path):
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    (repo / "base").mkdir()
    (repo / "base" / "reviews.yaml").write_text(DR)
    return repo


# --------------------------------------------------------------------------- pyproject.toml

def test_pyproject_larger_than_the_configuration_cap_is_an_error(tmp_path):
    repo = _repo(tmp_path)
    (repo / "pyproject.toml").write_text("[tool.meshlint]\nignore = []\n" + "# padding line\n" * 80_000)  # 1.2 MB
    rc, _out, err = _cli(["check", "base/reviews.yaml"], repo)
    assert rc == 2 and "pyproject.toml: cannot read configuration: larger than 1048576 bytes" in err, (rc, err[-500:])
    assert "Traceback" not in err


def test_pyproject_nested_beyond_the_parser_is_an_error_not_a_crash(tmp_path):
    repo = _repo(tmp_path)
    (repo / "pyproject.toml").write_text("[tool.meshlint]\nignore = " + "[" * 5000 + "]" * 5000 + "\n")
    rc, _out, err = _cli(["check", "base/reviews.yaml"], repo)
    assert rc == 2 and "pyproject.toml: cannot read configuration: nested too deeply" in err, (rc, err[-500:])
    assert "internal error" not in err and "Traceback" not in err


def test_pyproject_within_the_limits_still_configures(tmp_path):
    repo = _repo(tmp_path)
    (repo / "pyproject.toml").write_text('[project]\nname = "x"\n\n[tool.meshlint]\nignore = ["ML207"]\n')
    rc, out, err = _cli(["check", "-v", "base/reviews.yaml"], repo)
    assert "pyproject.toml [tool.meshlint]" in err and "ML207" not in out and "ML802" in out, (rc, out, err)


# --------------------------------------------------------------------------- kustomizations and mesh config

def _outputs(repo, kustomization: str) -> list[tuple[int, str]]:
    (repo / "base" / "kustomization.yaml").write_text(kustomization)
    runs = []
    for command in (["check", "-f", "json", "."], ["report", "-f", "json", "."], ["convert", "--check", "."]):
        rc, out, err = _cli(command, repo)
        assert "Traceback" not in err and "internal error" not in err, (command, err[-500:])
        runs.append((rc, out))
    return runs


def test_a_kustomization_is_read_under_the_inputs_bounds(tmp_path):
    """Namespaces from kustomizations, ML014's overlay layout and the report's kustomize roots all
    read kustomization.yaml: a merge-key chain there is refused like one in an input (the
    kustomization is not used, as one that does not parse) instead of costing minutes."""
    repo = _repo(tmp_path)
    hostile = "namespace: shop\nresources: [reviews.yaml]\npatches: [reviews.yaml]\n" + _merge_chain(6000)
    assert len(hostile) < 300_000
    broken = "namespace: shop\nresources: [reviews.yaml]\npatches: [reviews.yaml]\nx: [unclosed\n"
    assert _outputs(repo, hostile) == _outputs(repo, broken)
    fine = _outputs(repo, "namespace: shop\nresources: [reviews.yaml]\n")
    assert '"shop"' in fine[0][1]  # the guard: a readable kustomization does give its namespace


def test_the_mesh_config_string_is_read_under_the_inputs_bounds(tmp_path):
    repo = _repo(tmp_path)
    body = "rootNamespace: mesh-root\n" + _merge_chain(6000)
    block = "".join(f"    {line}\n" for line in body.splitlines())
    (repo / "base" / "istio.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: istio\n  namespace: istio-system\ndata:\n  mesh: |-\n" + block)
    rc, _out, err = _cli(["check", "-f", "json", "."], repo)
    assert rc in (0, 1) and "Traceback" not in err and "internal error" not in err, (rc, err[-500:])


def test_each_kustomization_reader_refuses_the_chain(tmp_path, monkeypatch):
    """The readers one by one (through the CLI above the first one reached hides the others): the
    namespace walk and the report's kustomize roots treat the file as one that does not parse."""
    from meshlint.migration_report.plan import kustomize_roots
    from meshlint.namespaces import kustomization_graph

    repo = _repo(tmp_path)
    monkeypatch.chdir(repo)
    kust = repo / "base" / "kustomization.yaml"
    kust.write_text("namespace: shop\nresources: [../other]\n" + _merge_chain(6000))
    assert kustomization_graph(["base/reviews.yaml"]) == {}
    assert kustomize_roots(["base/kustomization.yaml", "other/kustomization.yaml"]) == ["base", "other"]
    kust.write_text("namespace: shop\nresources: [../other]\n")  # the guard: the same file without the chain is read
    assert [k.namespace for k in kustomization_graph(["base/reviews.yaml"]).values()] == ["shop"]
    assert kustomize_roots(["base/kustomization.yaml", "other/kustomization.yaml"]) == ["base"]
