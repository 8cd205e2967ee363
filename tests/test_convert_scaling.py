"""Convert's cost on repeated objects (issue 17, class 9): an export beside the repository it came
from holds every object twice, with the same names. The security verification compares each
distinct object once, so its work does not grow with the copies (a counter, not a clock: the
time ratio t(4N)/t(N) is measured in benchmarks/run.py and reported in docs/performance.md)."""
from __future__ import annotations

import shutil

from conftest import FIXTURES

from meshlint.engine import Settings, lint
from meshlint.verify import authn, rbac

EXPORT = FIXTURES / "examples" / "gke-1.4-addon-export.yaml"


def _copies(root, n):
    for c in range(n):
        (root / f"copy-{c}").mkdir(parents=True)
        shutil.copy(EXPORT, root / f"copy-{c}" / EXPORT.name)
    return root


def test_repeated_exports_are_verified_once(tmp_path, monkeypatch):
    work: list[tuple] = []
    compare, decide = rbac.compare, authn.new_decision

    def counting_compare(old, objects, dests, root_ns, memo, limit=1, attribute=None):
        work.append(("rbac", len(old.roles), len(old.bindings), len(old.v1beta1), len(objects), len(dests)))
        return compare(old, objects, dests, root_ns, memo, limit, attribute)

    def counting_decide(objects, *a, **k):
        work.append(("authn", len(objects)))
        return decide(objects, *a, **k)

    monkeypatch.setattr(rbac, "compare", counting_compare)
    monkeypatch.setattr(authn, "new_decision", counting_decide)
    results = {}
    per_copies = {}
    for n in (1, 4):
        work.clear()
        results[n] = lint([str(_copies(tmp_path / f"x{n}", n))], Settings())
        per_copies[n] = list(work)
    assert any(w[0] == "rbac" and w[1] and w[4] for w in per_copies[1]), per_copies[1]  # roles and converted policies compared
    assert any(w[0] == "authn" and w[1] for w in per_copies[1]), per_copies[1]
    assert per_copies[4] == per_copies[1]  # four copies: the same objects compared, as often
    # every copy is still reported, and converted alike
    codes = lambda r: sorted((f.code, f.line) for f in r.findings if f.code != "ML014")  # ML014: the copies themselves
    assert codes(results[4]) == sorted(codes(results[1]) * 4)
    # a role lists each of its bindings once, not once a copy (the messages, like the work, grew with the square)
    messages = lambda r: sorted(f.message for f in r.findings if f.code in ("ML400", "ML401"))
    assert messages(results[4]) == sorted(messages(results[1]) * 4)
    assert len(results[4].verification.refused) == 4 * len(results[1].verification.refused)


def test_repeated_exports_convert_alike_through_the_cli(cli, tmp_path):
    _copies(tmp_path / "one", 1)
    _copies(tmp_path / "four", 4)
    r1 = cli("convert", "--check", "-f", "json", "one", cwd=tmp_path)
    r4 = cli("convert", "--check", "-f", "json", "four", cwd=tmp_path)
    assert r1.code == r4.code == 1, (r1.err, r4.err)
    s1, s4 = r1.json()["summary"], r4.json()["summary"]
    assert s1["resources_converted"] > 0
    for key in ("resources_converted", "errors", "refused_by_verification", "differences"):  # ("unfixed" holds ML014 on the copies)
        assert s4[key] == 4 * s1[key], (key, s1, s4)
