"""Hostile input and faults: bounded time and memory, no traceback, no lost bytes, no network."""
from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from importlib import resources

import jsonschema
import pytest
from conftest import FIXTURES, REPO
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from meshlint.engine import Settings, lint_sources
from meshlint.loader import load_bytes
from meshlint.reporters import get

OUTPUT_SCHEMA = json.loads(resources.files("meshlint").joinpath("schemas/output.schema.json").read_text())


def _measured(args, **kw):
    """Run the CLI in a child process; return (proc, wall seconds, child peak RSS in MB)."""
    code = ("import resource, subprocess, sys, time, json\n"
            "t = time.perf_counter()\n"
            "p = subprocess.run(sys.argv[1:], capture_output=True)\n"
            "w = time.perf_counter() - t\n"
            "rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024\n"
            "print(json.dumps({'rc': p.returncode, 'wall': w, 'rss': rss, 'out': p.stdout.decode('utf-8', 'replace'), 'err': p.stderr.decode('utf-8', 'replace')}))\n")
    proc = subprocess.run([sys.executable, "-c", code, sys.executable, "-m", "meshlint", *map(str, args)], capture_output=True, text=True, cwd=REPO, **kw)
    return json.loads(proc.stdout)


def test_alias_bomb_refused_in_bounded_time_and_memory(tmp_path):
    lines = ["apiVersion: v1", "kind: ConfigMap", "metadata: {name: lol}", "data:", '  a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    prev = "a"
    for n in "bcdefghijklmnopqrstu":
        lines.append(f"  {n}: &{n} [" + ",".join(["*" + prev] * 9) + "]")
        prev = n
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text("\n".join(lines) + "\n")
    r = _measured(["check", "-f", "json", bomb])
    assert r["rc"] == 1 and "Traceback" not in r["err"]
    assert [f["code"] for f in json.loads(r["out"])["findings"]] == ["ML009"]
    assert r["rss"] < 200, r["rss"]  # time is the benchmark's to measure: a wall-clock bound failed on a loaded machine


def test_a_100_mb_file_is_refused_clearly(tmp_path):
    big = tmp_path / "huge.yaml"
    with open(big, "wb") as fh:
        chunk = b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n---\n" * 20000
        while fh.tell() < 100 * 1024 * 1024:
            fh.write(chunk)
    r = _measured(["check", "-f", "json", big])
    assert r["rc"] == 1 and "Traceback" not in r["err"]
    findings = json.loads(r["out"])["findings"]
    assert [(f["code"], f["line"]) for f in findings] == [("ML010", 1)]
    assert r["rss"] < 200, r["rss"]


def test_in_place_write_failure_keeps_the_original(tmp_path):
    f = tmp_path / "vs.yaml"
    original = (FIXTURES / "convert" / "comments" / "input.yaml").read_bytes()
    f.write_bytes(original)
    # a read-only target: even root cannot rename over a file when os.replace is refused
    runner = textwrap.dedent(f"""
        import os, sys
        def refuse(*a, **k):
            raise PermissionError(13, "Read-only file system", a[1])
        os.replace = refuse
        from meshlint.cli import main
        main(["convert", "--in-place", {str(f)!r}])
    """)
    proc = subprocess.run([sys.executable, "-c", runner], capture_output=True, text=True, cwd=REPO)
    assert proc.returncode == 2, proc.stderr
    assert "cannot write" in proc.stderr and "Traceback" not in proc.stderr
    assert f.read_bytes() == original
    assert [p.name for p in tmp_path.iterdir()] == ["vs.yaml"]  # no temporary file left behind


def test_killed_mid_write_never_leaves_a_partial_file(tmp_path):
    target = tmp_path / "big.yaml"
    old = b"old: content\n" * 1000
    target.write_bytes(old)
    new = b"# new content\n" * 3_000_000  # ~42 MB: the kill lands mid-write
    writer = textwrap.dedent(f"""
        import sys
        from meshlint.fsutil import atomic_write_bytes
        sys.stdout.write("go\\n"); sys.stdout.flush()
        while True:
            atomic_write_bytes({str(target)!r}, b"# new content\\n" * 3_000_000)
    """)
    for delay in (0.05, 0.15, 0.3):
        proc = subprocess.Popen([sys.executable, "-c", writer], stdout=subprocess.PIPE, cwd=REPO)
        proc.stdout.readline()
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        data = target.read_bytes()
        assert data in (old, new), len(data)


NETWORK_GUARD = textwrap.dedent("""
    import sys
    def guard(event, args):
        if event.startswith("socket.") or event in ("urllib.Request",):
            raise RuntimeError("network access at run time: " + event)
    sys.addaudithook(guard)
    from meshlint.cli import main
    main(sys.argv[1:])
""")


@pytest.mark.parametrize("args", [["check", "fixtures/examples"], ["convert", "--check", "fixtures/examples"], ["rules"], ["explain", "ML100"],
                                  ["check", "-f", "sarif", "fixtures/examples"]])
def test_no_socket_is_opened(args, tmp_path):
    proc = subprocess.run([sys.executable, "-c", NETWORK_GUARD, *args], capture_output=True, text=True, cwd=REPO)
    assert proc.returncode in (0, 1), proc.stderr
    assert "network access" not in proc.stderr + proc.stdout


# --------------------------------------------------------------------------- fuzzing

def _corpus_files(shared):
    return sorted(p for p in (shared / "corpus").rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file())


MUTATIONS = ("delete", "duplicate", "swap", "insert", "truncate", "flip")
INSERTS = [b"\t", b":", b"[", b"{", b"&a ", b"*a", b"\x00", b"- ", b"---\n", b"!!python/object:os.system ", b"<<: *a\n", b"\xff", b'"', b"'", b"#"]


def mutate(data: bytes, ops: list[tuple[str, int, int]]) -> bytes:
    lines = data.splitlines(keepends=True) or [b""]
    for op, a, b in ops:
        i, j = a % len(lines), b % len(lines)
        if op == "delete" and len(lines) > 1:
            del lines[i]
        elif op == "duplicate":
            lines.insert(i, lines[j])
        elif op == "swap":
            lines[i], lines[j] = lines[j], lines[i]
        elif op == "insert":
            line = lines[i]
            pos = b % (len(line) + 1)
            lines[i] = line[:pos] + INSERTS[b % len(INSERTS)] + line[pos:]
        elif op == "truncate":
            lines = lines[: i + 1]
        elif op == "flip":
            line = bytearray(lines[i])
            if line:
                line[b % len(line)] ^= 0x20
                lines[i] = bytes(line)
    return b"".join(lines)


@pytest.fixture(scope="module")
def corpus_bytes(shared):
    return [(p.name, p.read_bytes()) for p in _corpus_files(shared)]


def _check_no_crash(name: str, data: bytes):
    src = load_bytes(data, name)
    result = lint_sources([src], Settings())
    assert not [f for f in result.findings if f.code == "ML090"], [f.message for f in result.findings if f.code == "ML090"]
    jsonschema.validate(json.loads(get("json")(result)), OUTPUT_SCHEMA)
    assert all(f.line >= 1 and f.column >= 1 for f in result.findings)
    from meshlint.convert import convert

    convert(result)  # conversion of hostile input reports errors, never raises


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(st.data())
def test_mutated_corpus_files_never_crash(corpus_bytes, data):
    name, raw = data.draw(st.sampled_from(corpus_bytes))
    ops = data.draw(st.lists(st.tuples(st.sampled_from(MUTATIONS), st.integers(0, 10_000), st.integers(0, 10_000)), min_size=1, max_size=6))
    _check_no_crash(name, mutate(raw, ops))


KEYS = st.sampled_from(["apiVersion", "kind", "metadata", "name", "namespace", "spec", "http", "route", "destination", "host", "appendHeaders",
                        "fault", "abort", "percent", "corsPolicy", "allowOrigin", "trafficPolicy", "outlierDetection", "consecutiveErrors",
                        "filters", "workloadLabels", "peers", "mtls", "origins", "jwt", "targets", "rules", "services", "subjects",
                        "roleRef", "labels", "annotations", "selector", "data", "items", "sni_hosts", "configPatches", "patch", "value"])
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-5, 10**6), st.floats(allow_nan=False), st.text(max_size=20),
                    st.sampled_from(["networking.istio.io/v1alpha3", "VirtualService", "DestinationRule", "Policy", "ServiceRole",
                                     "authentication.istio.io/v1alpha1", "rbac.istio.io/v1alpha1", "EnvoyFilter", "List", "v1", "Secret",
                                     "config.istio.io/v1alpha2", "handler", "LEAST_CONN", "*", "ON", "STRICT"]))
VALUES = st.recursive(SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(KEYS, inner, max_size=5)), max_leaves=25)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.dictionaries(KEYS, VALUES, max_size=6), min_size=1, max_size=3), st.booleans())
def test_random_yaml_never_crashes(docs, flow):
    import yaml

    text = yaml.safe_dump_all(docs, default_flow_style=flow, allow_unicode=True)
    _check_no_crash("random.yaml", text.encode("utf-8"))


def test_mutated_files_through_the_cli(shared, tmp_path):
    rng = random.Random(20261124)
    files = _corpus_files(shared)
    for i in range(12):
        p = rng.choice(files)
        ops = [(rng.choice(MUTATIONS), rng.randrange(10_000), rng.randrange(10_000)) for _ in range(rng.randint(1, 5))]
        (tmp_path / f"m{i}.yaml").write_bytes(mutate(p.read_bytes(), ops))
    proc = subprocess.run([sys.executable, "-m", "meshlint", "check", "-f", "json", str(tmp_path)], capture_output=True, text=True, cwd=REPO)
    assert proc.returncode in (0, 1) and "Traceback" not in proc.stderr
    jsonschema.validate(json.loads(proc.stdout), OUTPUT_SCHEMA)


def test_benchmark_harness_runs_at_tiny_size(shared, tmp_path):
    """The harness itself works (a smoke run: timings are read off its table, never asserted)."""
    proc = subprocess.run([sys.executable, "benchmarks/run.py", "--copies", "1", "--synthetic", "8", "--single-runs", "2", "--repeats", "1", "--joined", "1", "--work", str(tmp_path)],
                          capture_output=True, text=True, cwd=REPO, env={**os.environ, "MESHLINT_SHARED": str(shared)}, timeout=600)
    assert proc.returncode == 0, proc.stderr
    for row in ("PyYAML CSafeLoader load (floor)", "ruamel.yaml round-trip load", "meshlint check", "meshlint convert / ruamel round-trip load", "scaling time(4N) / time(N)",
                "meshlint convert --check, repeated exports: time(4 copies) / time(1)",
                "meshlint check -f json, one file of joined exports: time(4 copies"):
        assert row in proc.stdout, row
