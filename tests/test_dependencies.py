"""Dependencies earn their place (docs/architecture.md "Dependencies"): every runtime dependency in
pyproject.toml is imported by the commands, and every third-party module the commands import comes
from a declared dependency (or one of its own requirements). ruamel.yaml (a benchmark yardstick)
and deepdiff (replaced by convert.summarize) are no longer among them."""
from __future__ import annotations

import json
import subprocess
import sys

import tomllib
from conftest import FIXTURES, REPO

RUN_EVERY_COMMAND = """
import json, sys
before = set(sys.modules)
from meshlint.cli import main
export, repo, crds, out = sys.argv[1:5]
for args in (["check", "-f", "json", export, repo], ["check", "--schemas", crds, repo], ["convert", "--verify", "-f", "json", export, repo],
             ["convert", "--out", out, repo], ["report", "-f", "html", export, repo], ["rules"], ["explain", "ML202"],
             ["check", "--help"]):  # help is typer's (plain command lines run without it: meshlint/lazy_typer.py)
    try:
        main(args)
    except SystemExit:
        pass
print(json.dumps(sorted({m.split(".")[0] for m in set(sys.modules) - before})))
"""


def _imported_by_the_commands(tmp_path) -> set[str]:
    crds = tmp_path / "crds.yaml"
    crds.write_text(_CRD)
    proc = subprocess.run([sys.executable, "-c", RUN_EVERY_COMMAND, str(FIXTURES / "examples" / "gke-1.4-addon-export.yaml"),
                           str(FIXTURES / "examples" / "gitops-repo"), str(crds), str(tmp_path / "out")],
                          capture_output=True, text=True, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    return set(json.loads(proc.stdout.splitlines()[-1]))


_CRD = """apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: virtualservices.networking.istio.io}
spec:
  group: networking.istio.io
  names: {kind: VirtualService, plural: virtualservices}
  scope: Namespaced
  versions:
  - name: v1alpha3
    served: true
    storage: true
    schema:
      openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}
"""


def _declared() -> list[str]:
    from packaging.requirements import Requirement

    deps = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]["dependencies"]
    return [r.name for r in map(Requirement, deps) if r.marker is None or r.marker.evaluate()]


def _with_requirements(names: list[str]) -> set[str]:
    """The distributions these need when installed: themselves and their requirements, recursively."""
    from importlib.metadata import PackageNotFoundError, requires

    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    seen: set[str] = set()
    todo = list(names)
    while todo:
        name = canonicalize_name(todo.pop())
        if name in seen:
            continue
        seen.add(name)
        try:
            reqs = requires(name) or []
        except PackageNotFoundError:
            continue
        for text in reqs:
            r = Requirement(text)
            if r.marker is None or r.marker.evaluate({"extra": ""}):
                todo.append(r.name)
    return seen


def test_every_runtime_dependency_is_used_and_every_import_is_declared(tmp_path):
    from importlib.metadata import packages_distributions

    from packaging.utils import canonicalize_name

    imported = _imported_by_the_commands(tmp_path)
    pseudo = {"cython_runtime"}  # made by Cython extension modules (PyYAML's _yaml), no file of its own
    third_party = {m for m in imported if m not in sys.stdlib_module_names | pseudo and m != "meshlint" and not m.startswith("_")}
    dists = packages_distributions()
    declared = _declared()
    for name in declared:  # each one earns its place: some command imports it
        modules = {m for m, ds in dists.items() if canonicalize_name(name) in {canonicalize_name(d) for d in ds}}
        assert modules & imported, f"{name} is a runtime dependency, but no command imports it ({sorted(modules)})"
    allowed = _with_requirements(declared)
    for module in sorted(third_party):  # and nothing else is needed at run time
        owners = {canonicalize_name(d) for d in dists.get(module, [])}
        assert owners & allowed, f"the commands import {module} ({sorted(owners)}), which no runtime dependency provides"
    assert not {"ruamel", "deepdiff"} & imported


def test_a_conversion_that_cannot_be_written_exactly_is_explained_by_paths_only():
    """The one message deepdiff used to write: where the re-read data differs, never the values."""
    from meshlint.convert import explain_difference

    want = {"spec": {"a": 1, "b": [1, 2], "token": "s3cr3t-value"}, "kind": "VirtualService"}
    have = {"spec": {"a": 2, "b": [1], "extra": "s3cr3t-value"}, "kind": "VirtualService"}
    said = explain_difference(want, have)
    assert said == "missing /spec/b/1, /spec/token; unexpected /spec/extra; different /spec/a"
    assert "s3cr3t" not in said
    assert explain_difference({"a": 1}, ["a"]) == "different (the whole object)"
