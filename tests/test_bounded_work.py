"""Bounded work (issue 17, class 8): special files in a scanned tree, alias graphs budgeted per
file, one document's node tree at a time, the configuration read under the inputs' limits.

No wall-clock assertions: a hang is caught by a subprocess timeout (the test then fails), work
by counters and findings, memory by the child's peak RSS or an address-space limit."""
from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import textwrap

import pytest
from conftest import REPO

from meshlint.loader import load_bytes, values

HANG_GUARD = 300  # seconds: far above any run here; reaching it means a read without end

VS = """apiVersion: networking.istio.io/v1alpha3
kind: DestinationRule
metadata:
  name: reviews
  namespace: bookinfo
spec:
  host: reviews
  trafficPolicy:
    loadBalancer:
      simple: LEAST_CONN
"""


def _cli(args, cwd=REPO, limit_mb=None):
    """The CLI in a child process: (returncode, stdout, stderr). ``limit_mb`` caps its address space."""
    pre = None
    if limit_mb is not None:
        def pre():
            import resource
            resource.setrlimit(resource.RLIMIT_AS, (limit_mb << 20, limit_mb << 20))
    p = subprocess.run([sys.executable, "-m", "meshlint", *map(str, args)], capture_output=True, text=True, cwd=cwd,
                       timeout=HANG_GUARD, preexec_fn=pre)
    return p.returncode, p.stdout, p.stderr


# --------------------------------------------------------------------------- special files

@pytest.fixture
def tree_with_special_files(tmp_path):
    repo = tmp_path / "repo"
    (repo / "mesh").mkdir(parents=True)
    (repo / "mesh" / "reviews.yaml").write_text(VS)
    os.mkfifo(repo / "mesh" / "pipe.yaml")                      # nobody ever writes to it
    os.symlink("/dev/zero", repo / "mesh" / "zero.yaml")         # reads without end
    os.symlink("/dev/null", repo / "mesh" / "null.yml")
    os.mknod(repo / "mesh" / "agent.yaml", stat.S_IFSOCK | 0o600)  # a socket's inode (binding one is network access to the audit)
    assert stat.S_ISSOCK(os.lstat(repo / "mesh" / "agent.yaml").st_mode)
    return repo


@pytest.mark.parametrize("command, code", [(["check", "-f", "json"], 1), (["convert", "--check"], 1), (["report", "-f", "json"], 0)])
def test_a_walk_skips_fifos_devices_and_sockets(tree_with_special_files, command, code):
    rc, out, err = _cli([*command, tree_with_special_files])
    assert "Traceback" not in err and "internal error" not in err
    assert rc == code, err
    if command[0] == "check":
        assert {(f["file"].rsplit("/", 1)[-1], f["code"]) for f in json.loads(out)["findings"]} == {("reviews.yaml", "ML207")}
    assert "pipe.yaml" not in out + err and "zero.yaml" not in out + err and "agent.yaml" not in out + err


def test_a_fifo_given_by_name_is_refused_not_waited_on(tmp_path):
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    rc, _, err = _cli(["check", fifo])
    assert rc == 2 and "not a regular file" in err, (rc, err)


def test_a_file_replaced_by_a_fifo_after_the_walk_is_unreadable_not_a_hang(tmp_path):
    """The walk saw a regular file; by the time it is read it is a FIFO (or a link to /dev/zero)."""
    fifo, zero = tmp_path / "a.yaml", tmp_path / "b.yaml"
    os.mkfifo(fifo)
    os.symlink("/dev/zero", zero)
    code = textwrap.dedent(f"""
        from meshlint.loader import InputFile, read_input
        for p in ({str(fifo)!r}, {str(zero)!r}):
            src = read_input(InputFile(p, p))
            print([(x.code, x.params.get("error")) for x in src.problems])
    """)
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=HANG_GUARD)
    assert p.stdout.splitlines() == ["[('ML013', 'not a regular file')]"] * 2, p.stdout + p.stderr


# --------------------------------------------------------------------------- aliases: a budget per file

def _graph(levels: int, last_width: int, key: str = "data") -> list[str]:
    """An alias graph: level 0 is nine strings, every next level nine aliases of the one before;
    the last level has ``last_width`` aliases. Expands to about 10 * 9**(levels-1) * last_width nodes."""
    names = "abcdefghij"
    lines = [f"{key}:", '  a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, levels):
        width = 9 if i < levels - 1 else last_width
        lines.append(f"  {names[i]}: &{names[i]} [" + ",".join(["*" + names[i - 1]] * width) + "]")
    return lines


def _configmap(name: str, levels: int, width: int) -> str:
    return "\n".join(["apiVersion: v1", "kind: ConfigMap", f"metadata: {{name: {name}, namespace: apps}}", *_graph(levels, width)]) + "\n"


def test_alias_graphs_are_budgeted_by_file_not_by_document(tmp_path):
    # each document expands to ~141,000 nodes, under the old per-document bound of 200,000; the
    # file is padded so that its size allows the full 200,000: the second document passes the budget
    docs = [_configmap(f"graph-{i}", 6, 1) for i in range(6)]
    padding = "# " + "x" * 78 + "\n"
    text = padding * 400 + "---\n".join(docs)
    assert len(text) * values.EXPANSION_PER_BYTE > values.MAX_EXPANDED_NODES
    f = tmp_path / "graphs.yaml"
    f.write_text(text)
    src = load_bytes(f.read_bytes(), str(f))
    assert [p.code for p in src.problems] == ["ML009"], src.problems
    assert [r.name for r in src.resources] == ["graph-0"]  # the rest of the file is not read
    rc, out, _ = _cli(["check", "-f", "json", f])
    findings = json.loads(out)["findings"]
    first = 400 + docs[0].count("\n") + 1  # the line of the second document's '---'
    assert rc == 1 and [x["code"] for x in findings] == ["ML009"]
    assert first < findings[0]["line"] <= first + docs[1].count("\n"), (findings[0]["line"], first)
    assert "this document and the rest of the file are refused" in findings[0]["message"]


def test_a_small_file_cannot_expand_far_beyond_its_size(tmp_path):
    # 300 bytes expanding to ~141,000 nodes (the old per-document bound let it through)
    text = _configmap("small", 6, 1)
    assert len(text) < 400
    src = load_bytes(text.encode(), "small.yaml")
    assert [p.code for p in src.problems] == ["ML009"] and not src.resources
    assert src.problems[0].params["limit"] == values.EXPANSION_BASE + values.EXPANSION_PER_BYTE * len(text)


def test_ordinary_anchors_and_merge_keys_stay_well_inside_the_budget(tmp_path):
    """A List export-like file where every item merges shared labels and reuses a port list."""
    items = []
    for i in range(300):
        labels = ("&labels\n      app: web\n      team: payments\n      tier: frontend\n      env: prod" if i == 0
                  else f"\n      <<: *labels\n      version: v{i % 3}")
        ports = "&ports [{number: 80, name: http, protocol: HTTP}, {number: 443, name: https, protocol: HTTPS}]" if i == 0 else "*ports"
        items.append(f"""\
- apiVersion: networking.istio.io/v1alpha3
  kind: Gateway
  metadata:
    name: gw-{i}
    namespace: web
    labels: {labels}
  spec:
    selector: {{istio: ingressgateway}}
    servers:
    - hosts: ["web-{i}.example.com"]
      port: {{number: 80, name: http, protocol: HTTP}}
      extra: {ports}
""")
    text = "apiVersion: v1\nkind: List\nitems:\n" + "".join(items)
    src = load_bytes(text.encode(), "export.yaml")
    assert not [p for p in src.problems if p.code == "ML009"], src.problems
    assert len(src.resources) == 300


# --------------------------------------------------------------------------- memory: one document's nodes at a time

def test_a_large_file_keeps_one_documents_node_tree_at_a_time(tmp_path):
    """Position lookups compose one document, and a file keeps one document's nodes: the
    largest node tree alive is a document's, not the file's (counted, not timed)."""
    doc = VS.replace("LEAST_CONN", "LEAST_CONN")
    text = "---\n".join(doc.replace("name: reviews", f"name: reviews-{i}") for i in range(200))
    src = load_bytes(text.encode(), "many.yaml")
    assert len(src.resources) == 200
    held = []
    for res in src.resources:
        assert res.locate("/spec/trafficPolicy/loadBalancer/simple") == (res.start_line + 9, 7)
        chunks = {id(r.locate.ref.chunk) for r in src.resources if r.locate.ref.chunk._nodes is not None}
        held.append(len(chunks))
        nodes = res.locate.ref.chunk.nodes()
        assert len(nodes) == 1  # this document only, not the file's 200
    assert max(held) == 1


def test_positions_survive_documents_a_marker_split_cannot_isolate(tmp_path):
    """A %TAG directive above a document, and a bare document after '...': the one-document
    stretch does not compose alone, so the whole text is used; positions stay exact."""
    text = ("%TAG !k! tag:k8s.io,2020:\n--- !k!obj\n" + VS + "...\n" + VS.replace("reviews", "ratings") + "---\n" + VS.replace("reviews", "details"))
    src = load_bytes(text.encode(), "odd.yaml")
    lines = text.splitlines()
    for res in src.resources:
        line, col = res.locate("/spec/trafficPolicy/loadBalancer/simple")
        assert lines[line - 1][col - 1:].startswith("simple: LEAST_CONN"), (res.name, line, col)
        line, col = res.locate("/metadata/name")
        assert lines[line - 1][col - 1:].startswith(f"name: {res.name}"), (res.name, line, col)


def test_a_multi_megabyte_file_costs_memory_in_proportion_to_its_values(tmp_path):
    """6 MB of List exports: the peak stays under 30 bytes a byte of input beyond the
    interpreter's own (17 measured; the file's node trees all alive at once took 45)."""
    from conftest import FIXTURES

    export = (FIXTURES / "examples" / "gke-1.4-addon-export.yaml").read_text()
    big = tmp_path / "exports.yaml"
    with open(big, "w") as fh:
        while fh.tell() < 6 << 20:
            fh.write(export.rstrip("\n") + "\n---\n")
    size = big.stat().st_size
    code = ("import resource, sys\nfrom meshlint.cli import main\n"
            "try:\n    main(sys.argv[1:])\nexcept SystemExit:\n    pass\n"
            "sys.stderr.write('RSS %d\\n' % resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)\n")
    base = subprocess.run([sys.executable, "-c", code, "check", "-f", "json", str(tmp_path / "none.yaml")], capture_output=True, text=True, cwd=REPO, timeout=HANG_GUARD)
    p = subprocess.run([sys.executable, "-c", code, "check", "-f", "json", str(big)], capture_output=True, text=True, cwd=REPO, timeout=HANG_GUARD)
    rss = lambda proc: int(proc.stderr.rsplit("RSS ", 1)[1]) * 1024
    assert json.loads(p.stdout)["findings"], p.stderr[-2000:]
    assert rss(p) - rss(base) < 30 * size, (rss(p) >> 20, rss(base) >> 20, size >> 20)


# --------------------------------------------------------------------------- the configuration file

def _bomb(levels: int = 9) -> str:
    lines = _graph(levels, 9, key="x-anchors")
    return "\n".join(lines) + f"\nignore: [*{'abcdefghij'[levels - 1]}]\n"


def test_an_alias_bomb_in_the_configuration_is_an_error_not_no_findings(tmp_path):
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    (repo / "reviews.yaml").write_text(VS)
    bomb = _bomb()
    assert len(bomb) < 450
    (repo / ".meshlint.yaml").write_text(bomb)
    # a 512 MB address space: the old reader expanded the bomb to hundreds of megabytes and more
    for command in (["check"], ["convert", "--check"], ["report"]):
        rc, out, err = _cli([*command, "reviews.yaml"], cwd=repo, limit_mb=512)
        assert rc == 2, (command, rc, out, err[-500:])
        assert ".meshlint.yaml:" in err and "ML009" in err and "alias" in err, err
        assert "No findings" not in out + err and "Traceback" not in err


@pytest.mark.parametrize("content, says", [
    ("select: [ML207]\nselect: [ML100]\n", "ML006"),           # duplicate key: which one was meant?
    ("ignore: [ML207]\n---\nignore: []\n", "2 YAML documents"),
    ("ignore: [" * 300 + "]" * 300 + "\n", "ML012"),          # nesting past the inputs' depth bound
])
def test_the_configuration_goes_through_the_inputs_loader(tmp_path, content, says):
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    (repo / "reviews.yaml").write_text(VS)
    (repo / ".meshlint.yaml").write_text(content)
    rc, _, err = _cli(["check", "reviews.yaml"], cwd=repo)
    assert rc == 2 and says in err and "Traceback" not in err, (rc, err)


def test_a_configuration_that_is_a_fifo_is_an_error_not_a_hang(tmp_path):
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    (repo / "reviews.yaml").write_text(VS)
    os.mkfifo(repo / ".meshlint.yaml")
    rc, _, err = _cli(["check", "reviews.yaml"], cwd=repo)
    assert rc == 2 and "not a regular file" in err, (rc, err)
