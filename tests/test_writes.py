"""What meshlint writes, it writes like a careful editor, all or nothing, and only where asked
(issue 17, classes 3-5): --in-place with links, owners, concurrent edits and failures; --out
collisions, loops and links; file modes under the umask."""
from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import textwrap

import pytest
from conftest import FIXTURES, audited_env, check_audit_log

CASE = FIXTURES / "convert" / "comments"
BEFORE = (CASE / "input.yaml").read_bytes()
AFTER = (CASE / "expected.yaml").read_bytes()
DR = b"apiVersion: networking.istio.io/v1alpha3\nkind: DestinationRule\nmetadata: {name: ratings, namespace: shop}\nspec:\n  host: ratings\n  trafficPolicy:\n    loadBalancer: {simple: LEAST_CONN}\n"
DR_AFTER = DR.replace(b"LEAST_CONN", b"LEAST_REQUEST")


def _temps(*dirs):
    return sorted(p.name for d in dirs for p in d.rglob("*") if p.name.endswith(".meshlint-tmp"))


def _tree(root, **files):
    root.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (root / name).write_bytes(data)
    return root


# --------------------------------------------------------------------------- class 3: --in-place like a careful editor

def test_a_symlinked_file_inside_the_tree_edits_its_target_once(cli, tmp_path):
    tree = _tree(tmp_path / "tree", **{"vs.yaml": BEFORE})
    (tree / "a-link.yaml").symlink_to("vs.yaml")  # sorts first: the file is found by its link's name
    sub = tree / "team"
    sub.mkdir()
    (sub / "vs.yaml").symlink_to("../vs.yaml")
    r = cli("convert", "--in-place", "-f", "json", tree)
    assert r.code == 0, r.out + r.err
    assert (tree / "vs.yaml").read_bytes() == AFTER
    assert os.readlink(tree / "a-link.yaml") == "vs.yaml" and os.readlink(sub / "vs.yaml") == "../vs.yaml"
    assert r.json()["summary"]["files_changed"] == 1
    assert _temps(tree) == []


def test_links_that_lead_out_of_the_tree_are_refused_with_a_finding(cli, tmp_path):
    outside = _tree(tmp_path / "outside", **{"shared.yaml": BEFORE, "dr.yaml": DR})
    tree = _tree(tmp_path / "tree", **{"own.yaml": DR})
    (tree / "shared.yaml").symlink_to(outside / "shared.yaml")
    (tree / "vendor").symlink_to(outside, target_is_directory=True)  # a directory link: vendor/dr.yaml lives outside
    r = cli("convert", "--in-place", tree)
    assert r.code == 1, r.out + r.err
    assert (outside / "shared.yaml").read_bytes() == BEFORE and (outside / "dr.yaml").read_bytes() == DR
    assert (tree / "shared.yaml").is_symlink() and (tree / "vendor").is_symlink()
    for name in ("shared.yaml", "vendor/dr.yaml"):
        line = next(x for x in r.out.splitlines() if x.startswith(f"{tree / name}:1:1:"))
        assert "ML030" in line and "outside the tree" in line and str(outside) in line, r.out
    assert (tree / "own.yaml").read_bytes() == DR_AFTER  # the rest of the tree is converted
    r = cli("convert", "--in-place", "-f", "json", tree)
    refused = r.json()["refused"]
    assert sorted(f["file"] for f in refused) == [str(tree / "shared.yaml"), str(tree / "vendor" / "dr.yaml")]
    assert {f["code"] for f in refused} == {"ML030"}


def test_hard_links_owner_mode_and_xattrs_are_kept(cli, tmp_path):
    tree = _tree(tmp_path / "tree", **{"linked.yaml": BEFORE, "owned.yaml": b"\xef\xbb\xbf" + DR})
    elsewhere = tmp_path / "elsewhere.yaml"
    os.link(tree / "linked.yaml", elsewhere)
    linked_ino = os.stat(tree / "linked.yaml").st_ino
    owned = tree / "owned.yaml"
    os.chmod(owned, 0o640)
    if os.geteuid() == 0:
        os.chown(owned, 1234, 4321)
    try:
        os.setxattr(owned, "user.meshlint-test", b"kept")
        xattrs = True
    except OSError:  # a file system without user xattrs
        xattrs = False
    r = cli("convert", "--in-place", tree)
    assert r.code == 0, r.out + r.err
    assert os.stat(tree / "linked.yaml").st_ino == linked_ino and os.stat(elsewhere).st_nlink == 2
    assert elsewhere.read_bytes() == AFTER
    st = os.stat(owned)
    assert owned.read_bytes() == b"\xef\xbb\xbf" + DR_AFTER  # the byte order mark stays too
    assert stat.S_IMODE(st.st_mode) == 0o640
    if os.geteuid() == 0:
        assert (st.st_uid, st.st_gid) == (1234, 4321)
    if xattrs:
        assert os.getxattr(owned, "user.meshlint-test") == b"kept"
    assert _temps(tree) == []


def test_read_only_files_are_refused_and_left_alone(cli, tmp_path):
    tree = _tree(tmp_path / "tree", **{"ro.yaml": BEFORE, "rw.yaml": DR})
    os.chmod(tree / "ro.yaml", 0o444)
    r = cli("convert", "--in-place", tree)
    assert r.code == 1, r.out + r.err
    assert (tree / "ro.yaml").read_bytes() == BEFORE and stat.S_IMODE(os.stat(tree / "ro.yaml").st_mode) == 0o444
    line = next(x for x in r.out.splitlines() if x.startswith(f"{tree / 'ro.yaml'}:1:1:"))
    assert "ML030" in line and "read-only" in line
    assert (tree / "rw.yaml").read_bytes() == DR_AFTER


def _lint_then(tmp_path, meddle):
    """Read and convert a tree through the API, let ``meddle`` act between the read and the write."""
    from meshlint.convert_cli import run_convert
    from meshlint.engine import lint

    tree = _tree(tmp_path / "tree", **{"a.yaml": DR, "b.yaml": BEFORE})
    result = lint([str(tree)])
    meddle(tree)
    text, _, code = run_convert(result, out=None, in_place=True, diff=False, check_only=False, fmt="text",
                                keep_server_fields=False, verify=False, inputs=[str(tree)])  # no diff: the summary is stdout
    return tree, (text, code)


def test_an_edit_saved_between_read_and_write_is_never_overwritten(tmp_path):
    edited = DR.replace(b"host: ratings", b"host: ratings  # saved by an editor meanwhile")
    tree, (text, code) = _lint_then(tmp_path, lambda t: (t / "a.yaml").write_bytes(edited))
    assert code == 2, text
    assert (tree / "a.yaml").read_bytes() == edited
    assert (tree / "b.yaml").read_bytes() == BEFORE  # all or nothing
    assert f"{tree / 'a.yaml'}: changed since meshlint read it" in text and "not written" in text and str(tree / "b.yaml") in text
    assert _temps(tree) == []


def test_a_file_deleted_during_the_run_is_not_recreated(tmp_path):
    tree, (text, code) = _lint_then(tmp_path, lambda t: (t / "a.yaml").unlink())
    assert code == 2, text
    assert not (tree / "a.yaml").exists() and (tree / "b.yaml").read_bytes() == BEFORE
    assert "deleted" in text and _temps(tree) == []


def test_a_file_replaced_by_a_pipe_during_the_run_is_not_written_into(tmp_path):
    def to_fifo(t):
        (t / "a.yaml").unlink()
        os.mkfifo(t / "a.yaml")

    tree, (text, code) = _lint_then(tmp_path, to_fifo)
    assert code == 2, text
    assert stat.S_ISFIFO(os.lstat(tree / "a.yaml").st_mode) and (tree / "b.yaml").read_bytes() == BEFORE
    assert f"{tree / 'a.yaml'}: not a regular file" in text and _temps(tree) == []


def test_one_file_read_by_two_names_that_convert_differently_is_not_written(cli, tmp_path):
    """b.yaml is a hard link to a.yaml: one Policy read twice is a duplicate (ML014), replaced where it is applied
    last and removed from the other copy, so the two names of one file get two texts: neither is written (ML030
    two-names), and the tree's other files are converted."""
    policy = b"apiVersion: authentication.istio.io/v1alpha1\nkind: Policy\nmetadata:\n  name: default\n  namespace: shop\nspec:\n  peers:\n  - mtls: {}\n"
    tree = _tree(tmp_path / "tree", **{"a.yaml": policy, "dr.yaml": DR})
    os.link(tree / "a.yaml", tree / "b.yaml")
    r = cli("convert", "--in-place", "-f", "json", ".", cwd=tree)
    assert r.code == 1, r.out + r.err
    (refused,) = r.json()["refused"]
    assert refused["code"] == "ML030" and "also read as ./a.yaml" in refused["message"], refused
    assert (tree / "a.yaml").read_bytes() == policy and os.stat(tree / "a.yaml").st_nlink == 2
    assert (tree / "dr.yaml").read_bytes() == DR_AFTER


# --------------------------------------------------------------------------- class 4: all or nothing

def _run(args, cwd, *, preexec=None, code=None):
    """meshlint in a subprocess (under the audit), optionally with a patched os.replace (``code``)."""
    env, log = audited_env()
    prog = ["-m", "meshlint", *map(str, args)] if code is None else ["-c", code, *map(str, args)]
    proc = subprocess.run([sys.executable, *prog], cwd=cwd, env=env, capture_output=True, text=True, preexec_fn=preexec)
    check_audit_log(log)
    return proc


def test_a_write_failure_writes_nothing_and_lists_what_was_not_written(tmp_path):
    import resource

    big = BEFORE + b"".join(b"# padding comment %05d to make this file larger than the file-size limit\n" % i for i in range(400))
    tree = _tree(tmp_path / "tree", **{"a.yaml": DR, "b.yaml": big})
    limit = 16 * 1024  # a.yaml's new copy fits, b.yaml's (~30 KB) does not: the write fails half-way

    def preexec():
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    proc = _run(["convert", "--in-place", tree], tmp_path, preexec=preexec)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert (tree / "a.yaml").read_bytes() == DR and (tree / "b.yaml").read_bytes() == big
    assert "nothing was written" in proc.stderr and f"not written: {tree / 'a.yaml'}, {tree / 'b.yaml'}" in proc.stderr, proc.stderr
    assert ".meshlint-tmp" not in proc.stderr and "Traceback" not in proc.stderr
    assert _temps(tree) == []


REPLACE_FAILS_SECOND_TIME = textwrap.dedent("""
    import os, sys
    real, calls = os.replace, []
    def replace(*a, **k):
        calls.append(a)
        if len(calls) == 2:
            raise OSError(5, "Input/output error", a[1])
        return real(*a, **k)
    os.replace = replace
    from meshlint.cli import main
    main(sys.argv[1:])
""")


def test_a_failure_while_renaming_puts_back_what_was_renamed(tmp_path):
    tree = _tree(tmp_path / "tree", **{"a.yaml": DR, "b.yaml": BEFORE})
    os.chmod(tree / "a.yaml", 0o600)
    proc = _run(["convert", "--in-place", tree], tmp_path, code=REPLACE_FAILS_SECOND_TIME)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert (tree / "a.yaml").read_bytes() == DR and (tree / "b.yaml").read_bytes() == BEFORE
    assert stat.S_IMODE(os.stat(tree / "a.yaml").st_mode) == 0o600
    assert "Input/output error" in proc.stderr and "not written" in proc.stderr and "Traceback" not in proc.stderr
    assert _temps(tree) == []


KILLED_BEFORE_RENAMING = textwrap.dedent("""
    import os, signal, sys
    os.replace = lambda *a, **k: os.kill(os.getpid(), signal.SIGKILL)
    from meshlint.cli import main
    main(sys.argv[1:])
""")


def test_temp_files_of_a_killed_run_are_removed_by_the_next_run(tmp_path):
    tree = _tree(tmp_path / "tree", **{"a.yaml": DR})
    _tree(tree / "team", **{"b.yaml": BEFORE})
    proc = _run(["convert", "--in-place", tree], tmp_path, code=KILLED_BEFORE_RENAMING)
    assert proc.returncode == -signal.SIGKILL
    left = _temps(tree)
    assert left and all(n.startswith((".a.yaml.", ".b.yaml.")) for n in left), left  # recognisable: named for their file
    assert (tree / "a.yaml").read_bytes() == DR  # nothing was renamed
    proc = _run(["convert", "--in-place", tree], tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert _temps(tree) == []
    assert (tree / "a.yaml").read_bytes() == DR_AFTER and (tree / "team" / "b.yaml").read_bytes() == AFTER


# --------------------------------------------------------------------------- class 5: --out

def test_out_gives_every_input_its_own_path(cli, tmp_path):
    (tmp_path / "a" / "repo").mkdir(parents=True)
    (tmp_path / "a" / "repo" / "dr.yaml").write_bytes(DR)
    work = tmp_path / "work"
    (work / "a" / "repo").mkdir(parents=True)
    (work / "a" / "repo" / "dr.yaml").write_bytes(BEFORE)
    out = tmp_path / "out"
    r = cli("convert", "-f", "json", "--out", out, "a/repo", "../a/repo", cwd=work)
    assert r.code == 0, r.err
    written = sorted(f["written_to"] for f in r.json()["files"])
    assert len(set(written)) == 2, written
    assert (out / "a" / "repo" / "dr.yaml").read_bytes() == AFTER
    outside = out / str(tmp_path / "a" / "repo" / "dr.yaml").lstrip(os.sep)
    assert outside.read_bytes() == DR_AFTER


def test_out_refuses_two_inputs_for_one_path(cli, tmp_path):
    other = _tree(tmp_path / "other", **{"dr.yaml": DR}) / "dr.yaml"  # outside the working directory: its absolute path
    work = tmp_path / "work"
    twin = work / str(other).lstrip(os.sep)  # inside it, at the same relative path
    twin.parent.mkdir(parents=True)
    twin.write_bytes(BEFORE)
    out = tmp_path / "out"
    r = cli("convert", "--out", out, str(twin.relative_to(work)), other, cwd=work)
    assert r.code == 2, r.out + r.err
    assert "would both be written to" in r.err and str(other) in r.err
    assert not out.exists() or not any(p.is_file() for p in out.rglob("*"))


def test_out_inside_the_input_tree_is_never_read_back(cli, tmp_path):
    tree = _tree(tmp_path / "tree", **{"dr.yaml": DR})
    for _ in range(3):
        r = cli("convert", "-f", "json", "--out", "tree/converted", "tree", cwd=tmp_path)
        assert r.code == 0, r.err
        assert [f["file"] for f in r.json()["files"]] == ["tree/dr.yaml"]
    assert sorted(str(p.relative_to(tree)) for p in tree.rglob("*") if p.is_file()) == ["converted/tree/dr.yaml", "dr.yaml"]
    r = cli("convert", "--out", "tree", "tree/converted", cwd=tmp_path)  # reading its own output
    assert r.code == 2 and "inside the --out directory" in r.err, r.err


def test_out_never_writes_through_a_file_where_a_directory_goes(cli, tmp_path):
    _tree(tmp_path / "cfg", **{"dr.yaml": DR})
    out = _tree(tmp_path / "out", cfg=b"left by an earlier tool\n")  # out/cfg is a file: out/cfg/dr.yaml cannot be written
    r = cli("convert", "--out", out, "cfg", cwd=tmp_path)
    assert r.code == 2, r.out + r.err
    assert "not a directory" in r.err and str(out / "cfg") in r.err, r.err
    assert (out / "cfg").read_bytes() == b"left by an earlier tool\n"


def test_out_never_follows_a_link_inside_it(cli, tmp_path):
    _tree(tmp_path / "cfg", **{"dr.yaml": DR, "vs.yaml": BEFORE})
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    out = tmp_path / "out"
    out.mkdir()
    (out / "cfg").symlink_to(elsewhere, target_is_directory=True)
    r = cli("convert", "--out", out, "cfg", cwd=tmp_path)
    assert r.code == 2, r.out + r.err
    assert list(elsewhere.iterdir()) == []
    assert "symbolic link" in r.err and str(out / "cfg") in r.err
    (out / "cfg").unlink()
    (out / "cfg").mkdir()
    (out / "cfg" / "dr.yaml").symlink_to(elsewhere / "dr.yaml")  # a link where a file goes is replaced, not written through
    r = cli("convert", "--out", out, "cfg", cwd=tmp_path)
    assert r.code == 0, r.err
    assert list(elsewhere.iterdir()) == [] and not (out / "cfg" / "dr.yaml").is_symlink()
    assert (out / "cfg" / "dr.yaml").read_bytes() == DR_AFTER


@pytest.mark.parametrize("umask,expected", [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_written_files_follow_the_umask(cli, tmp_path, umask, expected):
    cfg = _tree(tmp_path / "cfg", **{"dr.yaml": DR})
    os.chmod(cfg / "dr.yaml", 0o666)
    gw = FIXTURES / "rules" / "custom-gateway" / "fail" / "private.yaml"
    r = cli("convert", "--out", tmp_path / "out", "cfg", gw, cwd=tmp_path, umask=umask)
    assert r.code == 0, r.err
    assert cli("check", "-o", tmp_path / "report.txt", "cfg", cwd=tmp_path, umask=umask).code == 1
    assert cli("check", "--write-baseline", tmp_path / "baseline.json", "cfg", cwd=tmp_path, umask=umask).code == 0
    assert cli("report", "-o", tmp_path / "report.md", "cfg", cwd=tmp_path, umask=umask).code in (0, 1)
    files = [tmp_path / "out" / "cfg" / "dr.yaml", tmp_path / "report.txt", tmp_path / "baseline.json", tmp_path / "report.md"]
    files += [p for p in (tmp_path / "out" / "generated").rglob("*") if p.is_file()]
    assert len(files) > 4
    assert {str(p.relative_to(tmp_path)): f"{stat.S_IMODE(os.stat(p).st_mode):o}" for p in files} == \
           {str(p.relative_to(tmp_path)): f"{expected:o}" for p in files}


def test_an_existing_report_keeps_its_mode_and_a_private_input_stays_private(cli, tmp_path):
    cfg = _tree(tmp_path / "cfg", **{"dr.yaml": DR})
    os.chmod(cfg / "dr.yaml", 0o600)
    report = tmp_path / "report.txt"
    report.write_text("old")
    os.chmod(report, 0o640)
    assert cli("check", "-o", report, "cfg", cwd=tmp_path, umask=0o022).code == 1
    assert stat.S_IMODE(os.stat(report).st_mode) == 0o640 and report.read_text() != "old"
    assert cli("convert", "--out", "out", "cfg", cwd=tmp_path, umask=0o022).code == 0
    assert stat.S_IMODE(os.stat(tmp_path / "out" / "cfg" / "dr.yaml").st_mode) == 0o600


def test_a_report_to_a_device_or_through_a_link_writes_there(cli, tmp_path):
    _tree(tmp_path / "cfg", **{"dr.yaml": DR})
    r = cli("check", "-o", "/dev/null", "cfg", cwd=tmp_path)  # replaced by a regular file, as root, before
    assert r.code == 1 and r.err == "" and stat.S_ISCHR(os.stat("/dev/null").st_mode), r.err
    (tmp_path / "reports").mkdir()
    (tmp_path / "reports" / "latest.txt").write_text("old")
    (tmp_path / "latest.txt").symlink_to("reports/latest.txt")
    assert cli("check", "-o", "latest.txt", "cfg", cwd=tmp_path).code == 1
    assert (tmp_path / "latest.txt").is_symlink() and "ML207" in (tmp_path / "reports" / "latest.txt").read_text()


def test_out_copies_a_tree_with_more_directories_than_open_files(tmp_path):
    import resource

    repo = tmp_path / "repo"
    for i in range(300):  # a kustomize monorepo: one directory per app and overlay
        _tree(repo / f"app-{i:03d}" / "base", **{"params.env": b"replicas=2\n", "dr.yaml": DR})

    def preexec():
        resource.setrlimit(resource.RLIMIT_NOFILE, (128, 128))

    proc = _run(["convert", "--out", "out", "repo"], tmp_path, preexec=preexec)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert (tmp_path / "out" / "repo" / "app-299" / "base" / "dr.yaml").read_bytes() == DR_AFTER
    assert (tmp_path / "out" / "repo" / "app-000" / "base" / "params.env").read_bytes() == b"replicas=2\n"
    # when nothing can be written, the error names a few files and counts the rest
    (tmp_path / "out2").write_text("a file where the output directory should be")
    proc = _run(["convert", "--out", "out2", "repo"], tmp_path)
    assert proc.returncode == 2 and "more file(s)" in proc.stderr and len(proc.stderr) < 5000, proc.stderr[-2000:]
