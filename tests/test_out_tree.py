"""`convert --out` writes a complete copy of every input directory: YAML or not, links as links."""
from __future__ import annotations

import os
import shutil
import subprocess

import pytest
from conftest import FIXTURES

TREE = FIXTURES / "repos" / "kubeflow-like"


def _files(root):
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for n in dirnames + filenames:
            p = os.path.join(dirpath, n)
            out[os.path.relpath(p, root)] = ("link", os.readlink(p)) if os.path.islink(p) else ("dir" if os.path.isdir(p) else "file")
    return out


def test_out_copies_every_file_of_the_tree(cli, tmp_path):
    src = tmp_path / "repo"
    shutil.copytree(TREE, src)
    r = cli("convert", "--out", tmp_path / "out", "repo", cwd=tmp_path)
    assert r.code == 0, r.out + r.err
    copied = _files(tmp_path / "out" / "repo")
    assert copied.keys() == _files(src).keys()
    for rel, what in _files(src).items():
        if what == "file" and not rel.endswith((".yaml", ".yml", ".json")):
            assert (tmp_path / "out" / "repo" / rel).read_bytes() == (src / rel).read_bytes(), rel
    assert (tmp_path / "out/repo/istio/base/params.env").read_text() == (src / "istio/base/params.env").read_text()


def test_links_stay_links(cli, tmp_path):
    src = tmp_path / "repo"
    (src / "base").mkdir(parents=True)
    (src / "base" / "params.env").write_text("gatewaySelector=ingressgateway\n")
    (src / "base" / "gw.yaml").write_text("apiVersion: networking.istio.io/v1alpha3\nkind: DestinationRule\nmetadata:\n  name: r\nspec:\n  host: r\n  trafficPolicy:\n    loadBalancer:\n      simple: LEAST_CONN\n")
    os.symlink("base/gw.yaml", src / "a-link.yaml")  # read first (sorted): the file behind it is converted
    os.symlink(src / "base" / "params.env", src / "abs.env")  # absolute, into the tree
    outside = tmp_path / "shared-config"
    outside.mkdir()
    (outside / "notes.txt").write_text("kept\n")
    os.symlink(outside, src / "shared")  # leaves the tree: the same link, its target never read
    os.symlink("../shared-config/notes.txt", src / "notes.txt")  # relative, leaving the tree
    r = cli("convert", "--out", tmp_path / "out", "repo", cwd=tmp_path)
    assert r.code == 0, r.out + r.err
    out = tmp_path / "out" / "repo"
    assert os.readlink(out / "a-link.yaml") == "base/gw.yaml"
    assert "LEAST_REQUEST" in (out / "base" / "gw.yaml").read_text()
    assert os.path.islink(out / "abs.env") and not os.path.isabs(os.readlink(out / "abs.env"))
    assert os.path.realpath(out / "abs.env") == str((out / "base" / "params.env").resolve())
    assert os.readlink(out / "shared") == str(outside)  # nothing behind it was copied into OUT
    assert os.readlink(out / "notes.txt") == str(outside / "notes.txt")
    assert "LEAST_CONN" in (src / "base" / "gw.yaml").read_text()  # the input is untouched


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl (with its built-in kustomize) is not installed")
def test_kustomize_builds_the_output_tree(cli, tmp_path):
    r = cli("convert", "--out", tmp_path / "out", "repos/kubeflow-like", cwd=FIXTURES)
    assert r.code == 0, r.out + r.err
    overlay = tmp_path / "out" / "repos/kubeflow-like/istio/overlays/kubeflow"
    built = subprocess.run(["kubectl", "kustomize", str(overlay)], capture_output=True, text=True)
    assert built.returncode == 0, built.stderr
    assert "simple: LEAST_REQUEST" in built.stdout  # converted, and kustomize still builds it
    assert "istio: ingressgateway" in built.stdout  # params.env, params.yaml and vars were all copied
