"""Benchmark: meshlint against the floor (PyYAML C load), a ruamel.yaml round-trip load and yamllint.

    pip install -e '.[bench]'     # the yardsticks: yamllint, ruamel.yaml
    python benchmarks/run.py [--copies 25] [--synthetic 600] [--repeats 5] [--joined 40] [--work DIR]

Builds a large config repository from ../shared/corpus (read at run time, never copied into
the repository) plus generated files full of deprecated fields, then measures everything on the
same tree, in child processes, and prints a Markdown table with the ratios that
docs/performance.md reports. It asserts nothing: targets are read off the table.
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("MESHLINT_SHARED") or REPO.parent / "shared")

SYNTHETIC = """# generated for the benchmark: file {i}
apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata:
  name: svc-{i}-{j}
  namespace: ns-{n}
spec:
  hosts: ["svc-{i}-{j}"]
  http:
  - appendHeaders:
      x-bench: "{j}"
    websocketUpgrade: true
    fault:
      abort:
        percent: 5
        httpStatus: 503
    route:
    - destination: {{host: svc-{i}-{j}, subset: v1}}
    mirror: {{host: svc-{i}-{j}, subset: v2}}
    mirror_percent: 10
    corsPolicy:
      allowOrigin: ["https://{j}.example.com"]
---
apiVersion: networking.istio.io/v1alpha3
kind: DestinationRule
metadata:
  name: svc-{i}-{j}
  namespace: ns-{n}
spec:
  host: svc-{i}-{j}
  trafficPolicy:
    loadBalancer:
      simple: LEAST_CONN
    outlierDetection:
      consecutiveErrors: 5
      interval: 10s
---
"""


def build(work: Path, copies: int, synthetic: int, docs_per_file: int = 10) -> tuple[int, int]:
    if work.exists():
        shutil.rmtree(work)
    corpus = SHARED / "corpus"
    for c in range(copies):
        shutil.copytree(corpus, work / f"corpus-{c:03d}", ignore=shutil.ignore_patterns("*.tsv", "*.pem", "*.md"))
    gen = work / "generated"
    gen.mkdir(parents=True)
    for i in range(synthetic):
        (gen / f"app-{i:05d}.yaml").write_text("".join(SYNTHETIC.format(i=i, j=j, n=i % 40) for j in range(docs_per_file // 2)))
    files = [p for p in work.rglob("*") if p.suffix in (".yaml", ".yml", ".json")]
    import yaml

    docs = 0
    for p in files:
        try:
            docs += sum(1 for d in yaml.load_all(p.read_bytes(), Loader=yaml.CSafeLoader) if isinstance(d, dict))
        except yaml.YAMLError:
            pass
    return len(files), docs


FLOOR = """
import os, sys, yaml
for root, _, names in os.walk(sys.argv[1]):
    for n in names:
        if n.endswith(('.yaml', '.yml', '.json')):
            try:
                with open(os.path.join(root, n), 'rb') as fh:
                    for _ in yaml.load_all(fh, Loader=yaml.CSafeLoader):
                        pass
            except Exception:
                pass
"""
RUAMEL = """
import os, sys
from ruamel.yaml import YAML
y = YAML(typ='rt')
for root, _, names in os.walk(sys.argv[1]):
    for n in names:
        if n.endswith(('.yaml', '.yml', '.json')):
            try:
                with open(os.path.join(root, n), 'rb') as fh:
                    for _ in y.load_all(fh):
                        pass
            except Exception:
                pass
"""


def timed(cmd: list[str], cwd: Path = REPO) -> tuple[float, float, int]:
    """(wall seconds, peak RSS MB, exit code) of a child process."""
    probe = ("import json, resource, subprocess, sys, time\n"
             "t = time.perf_counter(); p = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)\n"
             "print(json.dumps([time.perf_counter() - t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, p.returncode]))")
    out = subprocess.run([sys.executable, "-c", probe, *cmd], capture_output=True, text=True, cwd=cwd, check=False)
    return tuple(json.loads(out.stdout))


PAIRED = """
import json, resource, subprocess, sys, time
a, b, runs = json.loads(sys.argv[1]), json.loads(sys.argv[2]), int(sys.argv[3])
def run(cmd):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return [after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime, wall]
run(a), run(b)  # one warm-up pair, not counted
print(json.dumps([[run(a), run(b)] for _ in range(runs)]))
"""


def paired(a: list[str], b: list[str], runs: int) -> dict[str, float]:
    """Whole-process runs of A and B in turn (A B A B ...), after one warm-up pair: the median CPU
    (user + system) and wall time of each, and the median of the pair-by-pair ratios A/B (pairing
    keeps the ratio meaningful while a shared machine's speed drifts)."""
    out = subprocess.run([sys.executable, "-c", PAIRED, json.dumps(a), json.dumps(b), str(runs)],
                         capture_output=True, text=True, cwd=REPO, check=True)
    pairs = json.loads(out.stdout)
    med = statistics.median
    return {"a_cpu": med(p[0][0] for p in pairs), "b_cpu": med(p[1][0] for p in pairs),
            "a_wall": med(p[0][1] for p in pairs), "b_wall": med(p[1][1] for p in pairs),
            "cpu": med(p[0][0] / p[1][0] for p in pairs), "wall": med(p[0][1] / p[1][1] for p in pairs), "runs": len(pairs)}


def startup(one: Path, runs: int) -> dict[str, dict[str, float]]:
    """A single-file ``meshlint check`` against ``yamllint`` on the same file, paired; and the floor:
    the interpreter alone. meshlint's bytecode is compiled first, as an installed wheel has it
    (an editable checkout under PYTHONDONTWRITEBYTECODE would otherwise compile every module each run)."""
    package = importlib.util.find_spec("meshlint")
    if package is not None and package.submodule_search_locations:
        subprocess.run([sys.executable, "-m", "compileall", "-q", *package.submodule_search_locations],
                       stdout=subprocess.DEVNULL, check=False)
    py = sys.executable
    here = os.path.dirname(py)
    meshlint = shutil.which("meshlint", path=here) or shutil.which("meshlint")
    yamllint = shutil.which("yamllint", path=here) or shutil.which("yamllint")
    rows: dict[str, dict[str, float]] = {}
    if yamllint and meshlint:
        rows["meshlint check FILE / yamllint FILE"] = paired([meshlint, "check", str(one)], [yamllint, str(one)], runs)
    if importlib.util.find_spec("yamllint") is not None:
        rows["python -m meshlint check FILE / python -m yamllint FILE"] = paired([py, "-m", "meshlint", "check", str(one)],
                                                                                 [py, "-m", "yamllint", str(one)], runs)
        rows["python -c pass / python -m yamllint FILE"] = paired([py, "-c", "pass"], [py, "-m", "yamllint", str(one)], runs)
    return rows


def print_startup(rows: dict[str, dict[str, float]], one: Path) -> None:
    print(f"\nStart-up: paired whole-process runs on {one.name} ({one.stat().st_size} bytes; medians)\n")
    print("| A / B | A cpu | B cpu | A/B cpu | A/B wall | pairs |\n|---|---|---|---|---|---|")
    for name, r in rows.items():
        print(f"| {name} | {r['a_cpu'] * 1000:.0f} ms | {r['b_cpu'] * 1000:.0f} ms | {r['cpu']:.2f}x | {r['wall']:.2f}x | {r['runs']:.0f} |")
    if not rows:
        print("| yamllint not installed (pip install '.[bench]') | | | | | |")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--copies", type=int, default=25)
    ap.add_argument("--synthetic", type=int, default=1200)
    ap.add_argument("--work", type=Path, default=REPO / "benchmarks" / ".work")
    ap.add_argument("--single-runs", type=int, default=20)
    ap.add_argument("--repeats", type=int, default=5, help="N copies of the 1.4 add-on export for convert's scaling on repeated objects")
    ap.add_argument("--startup-only", action="store_true", help="only the paired single-file runs against yamllint (no tree)")
    ap.add_argument("--joined", type=int, default=40, help="N copies of the 1.4 add-on export joined into one file (a large, finding-dense file)")
    args = ap.parse_args()
    if args.startup_only:
        one = args.work / "startup" / "app-00000.yaml"
        one.parent.mkdir(parents=True, exist_ok=True)
        one.write_text("".join(SYNTHETIC.format(i=0, j=j, n=0) for j in range(5)))  # the tree's generated/app-00000.yaml
        print_startup(startup(one, args.single_runs), one)
        return 0
    if not (SHARED / "corpus").is_dir():
        print(f"benchmark: {SHARED}/corpus is missing (set MESHLINT_SHARED)", file=sys.stderr)
        return 2
    tree = args.work / "tree"
    nfiles, ndocs = build(tree, args.copies, args.synthetic)
    py = sys.executable
    rows = {}
    rows["PyYAML CSafeLoader load (floor)"] = timed([py, "-c", FLOOR, str(tree)])
    # ruamel.yaml is a yardstick only (the bench extra): meshlint itself never imports it
    ruamel = importlib.util.find_spec("ruamel") is not None and importlib.util.find_spec("ruamel.yaml") is not None
    rows["ruamel.yaml round-trip load"] = timed([py, "-c", RUAMEL, str(tree)]) if ruamel else None
    rows["meshlint check"] = timed([py, "-m", "meshlint", "check", "-f", "json", "-o", str(args.work / "out.json"), str(tree)])
    yamllint = shutil.which("yamllint", path=os.path.dirname(py)) or shutil.which("yamllint")
    rows["yamllint -d relaxed"] = timed([yamllint, "-d", "relaxed", str(tree)]) if yamllint else None
    # pre-commit latency (before the convert step, whose thousands of fsyncs would still be flushing)
    one = tree / "generated" / "app-00000.yaml"
    os.sync()
    starts = startup(one, args.single_runs)
    singles = [timed([py, "-m", "meshlint", "check", str(one)])[0] for _ in range(args.single_runs)]
    # scaling: N and 4N generated files, best of 3 runs each (one slow run is noise, not scaling)
    scale = {}
    for label, n in (("N", args.synthetic // 4), ("4N", args.synthetic)):
        d = args.work / f"scale-{label}"
        if d.exists():
            shutil.rmtree(d)
        d.mkdir(parents=True)
        for p in sorted((tree / "generated").iterdir())[:n]:
            shutil.copy(p, d / p.name)
    os.sync()
    for label in ("N", "4N"):
        scale[label] = min(timed([py, "-m", "meshlint", "check", str(args.work / f"scale-{label}")])[0] for _ in range(3))
    # convert on repeated objects: N and 4N copies of the 1.4 add-on export (same names: an export
    # beside the repository it came from), convert --check and check, best of 3 each
    export = REPO / "fixtures" / "examples" / "gke-1.4-addon-export.yaml"
    repeated: dict[tuple[str, str], tuple[float, float]] = {}
    for label, n in (("N", args.repeats), ("4N", 4 * args.repeats)):
        d = args.work / f"repeated-{label}"
        if d.exists():
            shutil.rmtree(d)
        for c in range(n):
            (d / f"copy-{c:03d}").mkdir(parents=True)
            shutil.copy(export, d / f"copy-{c:03d}" / export.name)
    os.sync()
    for label in ("N", "4N"):
        for cmd in ("convert", "check"):
            argv = [py, "-m", "meshlint", *(["convert", "--check"] if cmd == "convert" else ["check"]), str(args.work / f"repeated-{label}")]
            runs = [timed(argv) for _ in range(3)]
            repeated[(cmd, label)] = (min(r[0] for r in runs), max(r[1] for r in runs))
    # one large file: N and 4N copies of the export joined by '---' (issue 17's 60 MB file is 1,535 copies)
    joined: dict[str, tuple[float, float]] = {}
    for label, n in (("N", args.joined), ("4N", 4 * args.joined)):
        f = args.work / f"joined-{label}.yaml"
        f.write_text("---\n".join([export.read_text(encoding="utf-8").rstrip("\n") + "\n"] * n), encoding="utf-8")
    os.sync()
    for label in ("N", "4N"):
        runs = [timed([py, "-m", "meshlint", "check", "-f", "json", "-o", str(args.work / "joined.json"), str(args.work / f"joined-{label}.yaml")])
                for _ in range(3)]
        joined[label] = (min(r[0] for r in runs), max(r[1] for r in runs))
    # convert when every file needs a change: the generated files only
    gen = args.work / "convert-tree"
    if gen.exists():
        shutil.rmtree(gen)
    shutil.copytree(tree / "generated", gen)
    os.sync()
    rows["ruamel.yaml round-trip load (convert tree)"] = timed([py, "-c", RUAMEL, str(gen)]) if ruamel else None
    rows["meshlint convert --in-place (every file changes)"] = timed([py, "-m", "meshlint", "convert", "--in-place", str(gen)])

    floor = rows["PyYAML CSafeLoader load (floor)"][0]
    check = rows["meshlint check"]
    print(f"Tree: {nfiles} files, {ndocs} resources ({args.copies} copies of the corpus + {args.synthetic} generated files); machine: {os.cpu_count()} cores\n")
    print("| measure | wall (s) | peak RSS (MB) |\n|---|---|---|")
    for name, r in rows.items():
        print(f"| {name} | {r[0]:.2f} | {r[1]:.0f} |" if r else f"| {name} | not installed | |")
    print(f"| meshlint check one file (median of {len(singles)}) | {statistics.median(singles) * 1000:.0f} ms | |")
    print("\n| ratio | value | target |\n|---|---|---|")
    print(f"| meshlint check / PyYAML C load | {check[0] / floor:.2f}x | <= 3x |")
    if rows["yamllint -d relaxed"]:
        print(f"| meshlint check / yamllint | {check[0] / rows['yamllint -d relaxed'][0]:.3f}x | <= 0.15x |")
    if ruamel:
        conv = rows["meshlint convert --in-place (every file changes)"][0] / rows["ruamel.yaml round-trip load (convert tree)"][0]
        print(f"| meshlint convert / ruamel round-trip load | {conv:.2f}x | <= 1.5x |")
    else:
        print("| meshlint convert / ruamel round-trip load | ruamel.yaml not installed (pip install '.[bench]') | <= 1.5x |")
    print(f"| meshlint check one file, median | {statistics.median(singles) * 1000:.0f} ms | <= 250 ms |")
    print(f"| peak RSS, meshlint check on the tree | {check[1]:.0f} MB | <= 200 MB |")
    print(f"| scaling time(4N) / time(N), best of 3 each | {scale['4N'] / scale['N']:.2f} | <= 4.4 |")
    for name, r in starts.items():
        if name.startswith("meshlint check"):
            print(f"| meshlint check FILE / yamllint FILE, cpu, median of {r['runs']:.0f} paired runs | {r['cpu']:.2f}x | <= 1.0x |")
    n = args.repeats
    for cmd, name in (("convert", "meshlint convert --check"), ("check", "meshlint check")):
        t1, t4 = repeated[(cmd, "N")][0], repeated[(cmd, "4N")][0]
        print(f"| {name}, repeated exports: time({4 * n} copies) / time({n}), best of 3 each "
              f"({t1:.2f} s, {t4:.2f} s; peak RSS {repeated[(cmd, '4N')][1]:.0f} MB) | {t4 / t1:.2f} | <= 4.4 |")
    print_startup(starts, one)
    t1, t4 = joined["N"][0], joined["4N"][0]
    size = (args.work / "joined-4N.yaml").stat().st_size / 1e6
    print(f"| meshlint check -f json, one file of joined exports: time({4 * args.joined} copies, {size:.1f} MB) / time({args.joined}), "
          f"best of 3 each ({t1:.2f} s, {t4:.2f} s; peak RSS {joined['4N'][1]:.0f} MB) | {t4 / t1:.2f} | <= 4.4 |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
