"""Secrets are redacted by where they are (Secret values, credential fields, PEM blocks, JWKS key
material, Authorization/Bearer values), in every output; redaction never rewrites anything else
and every format stays valid."""
from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest
from conftest import FIXTURES
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from meshlint.redact import mask_text

REPO_DIR = FIXTURES / "hostile" / "secrets"
# every fake secret of the fixture repository, and the pieces an output could quote
SECRETS = [
    "aHVudGVyMi1wcm9kLWRiLXBhc3N3b3Jk", "hunter2-prod-db-password",
    "c2tfbGl2ZV81MUh6Rmx3SzJlWnZLWU5mOHRQcQ==", "sk_live_51HzFlwK2eZvKYNf8tPq",
    'Sup3r"Quoted"Pw', 'Sup3r\\"Quoted\\"Pw', "Sup3r",
    "whsec_9fK2LmQ8vX4tR7nB", "Jp3sW6yZ1cV5hD0gA",
    "GawgguFyGrWKav7AX4VKUg9ZXlB0Jt1cWr3l2oHY0Gs",
    "Tr0ub4dor&3-edge",
    "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj", "MzEfYyjiWA4R4/M2bS1GB4t7NXp98C3SC6dVMvDuictGeurT8jNbvJZHtCSuYEvu",
    "eyJhbGciOiJIUzI1NiJ9", "eyJzdWIiOiJlZGdlIn0", "dGhpcy1pcy1mYWtl",
    "hvs.CAESIJlU9k2mR4xTqW8vN3pL7sY0",
]
CHECK_FORMATS = ["text", "json", "sarif", "junit", "github", "gitlab"]


def _outputs(cli, tmp_path):
    runs = {f"check -f {fmt}": ["check", "-f", fmt] for fmt in CHECK_FORMATS}
    runs.update({
        "convert --diff": ["convert", "--diff"],
        "convert --verify": ["convert", "--verify"],
        "convert -f json": ["convert", "-f", "json", "--verify"],
        "convert --out": ["convert", "-f", "json", "--out", tmp_path / "out"],
        "report -f markdown": ["report", "-f", "markdown"],
        "report -f html": ["report", "-f", "html"],
        "report -f json": ["report", "-f", "json"],
    })
    out = {}
    for name, args in runs.items():
        r = cli(*args, REPO_DIR)
        assert "Traceback" not in r.err and "internal error" not in r.err, (name, r.err)
        out[name] = r
    return out


@pytest.fixture(scope="module")
def outputs(tmp_path_factory):
    from conftest import run_cli

    return _outputs(run_cli, tmp_path_factory.mktemp("redaction"))


def test_no_secret_in_any_output(outputs):
    for name, r in outputs.items():
        for value in SECRETS:
            assert value not in r.out + r.err, (name, value)


def test_every_format_stays_valid(outputs, shared):
    import jsonschema

    for name in ("check -f json", "check -f sarif", "check -f gitlab", "convert -f json", "convert --out", "report -f json"):
        json.loads(outputs[name].out)
    sarif = json.loads(outputs["check -f sarif"].out)
    jsonschema.Draft7Validator(json.loads((shared / "schemas" / "sarif-schema-2.1.0.json").read_text())).validate(sarif)
    ET.fromstring(outputs["check -f junit"].out.encode("utf-8"))


def test_short_secret_values_rewrite_nothing_else(outputs):
    """The Secret payments-config holds "true", "file" and "prod": the namespace prod, the field
    websocketUpgrade: true and the word "file" elsewhere stay as they are."""
    findings = json.loads(outputs["check -f json"].out)["findings"]
    assert {f["resource"]["namespace"] for f in findings if f["resource"]} == {"prod"}
    converted = json.loads(outputs["convert -f json"].out)
    assert {r["resource"]["namespace"] for f in converted["files"] for r in f["resources"]} == {"prod"}
    diff = outputs["convert --diff"].out
    assert "-      websocketUpgrade: true" in diff.splitlines()
    assert "#    namespace: prod" in diff.splitlines() and "# +  namespace: prod" in diff.splitlines()
    assert "# +    forwardOriginalToken: true" in diff.splitlines()
    assert "3 file(s) would change" in outputs["convert --diff"].err  # the summary goes to stderr beside a diff
    report = outputs["report -f json"].out
    assert "VirtualService prod/payments" in report and "[redacted]/" not in report


def test_a_secret_line_is_never_diff_context_and_the_diff_applies(outputs, cli, tmp_path):
    """A line holding a secret that does not change is left out of the hunks' context (so the
    patch applies); a file whose changed lines hold a secret is shown masked, every line commented
    out, so git apply and patch skip it instead of writing ``[redacted]`` into the file."""
    import shutil
    import subprocess

    diff = outputs["convert --diff"].out
    lines = diff.splitlines()
    assert "     db-password: [redacted]" not in lines  # the Secret after the converted VirtualService: not context
    assert "--- a/fixtures/hostile/secrets/cluster-export.yaml" in lines and "-      websocketUpgrade: true" in lines
    reading = [line for line in lines if line.startswith("# ")]
    assert reading[0] == "# fixtures/hostile/secrets/edge-filters.yaml: not part of this patch: a line it changes holds a secret, shown masked; for reading only"
    assert any(line.startswith("# +") and "Bearer [redacted]" in line for line in reading)  # the Lua of the converted EnvoyFilter
    assert any(line.startswith("# +") and '"k":"[redacted]"' in line for line in reading)  # the JWKS in the new RequestAuthentication
    assert not any(line.startswith(("+", "-", " ")) and "[redacted]" in line for line in lines)
    summary = outputs["convert --diff"].err
    assert summary.count("a line it changes holds a secret, which meshlint never prints") == 2, summary
    # applied with both tools, the patch changes exactly the file it holds, as --out converts it
    cli("convert", "--out", tmp_path / "out", REPO_DIR)
    tree = tmp_path / "tree"
    shutil.copytree(REPO_DIR, tree / "fixtures" / "hostile" / "secrets")
    (tmp_path / "run.patch").write_text(diff, encoding="utf-8")
    for tool in (["git", "apply", "-p1"], ["patch", "-p1", "--batch", "-i"]):
        applied = tmp_path / tool[0]
        shutil.copytree(tree, applied)
        done = subprocess.run([*tool, str(tmp_path / "run.patch")], cwd=applied, capture_output=True, text=True)
        assert done.returncode == 0 and "fuzz" not in done.stdout, done.stdout + done.stderr
        for name in ("cluster-export.yaml", "edge-filters.yaml", "payments.yaml", "routes.yaml"):
            want = (tmp_path / "out" / "fixtures" / "hostile" / "secrets" / name) if name == "cluster-export.yaml" else REPO_DIR / name
            assert (applied / "fixtures" / "hostile" / "secrets" / name).read_bytes() == want.read_bytes(), (tool[0], name)


def test_conversion_errors_do_not_quote_values(outputs):
    text = outputs["convert --diff"].out + outputs["convert --diff"].err
    lines = text.splitlines()  # the file's path once, then why it is not converted (convert's terminal summary)
    err = next(line for i, line in enumerate(lines) if line.startswith("  not converted: ") and lines[i - 1].endswith("routes.yaml"))
    assert err.endswith("/spec/http/0/headers/request/set/x-vault-token: is a list, must be of type string"), err
    report = outputs["report -f markdown"].out
    assert "x-vault-token: is a list, must be of type string" in report


def test_masked_text_keeps_every_line(tmp_path):
    for f in sorted(REPO_DIR.glob("*.yaml")):
        text = f.read_text()
        masked = mask_text(text)
        assert masked.count("\n") == text.count("\n"), f.name
        for value in SECRETS:
            assert value not in masked, (f.name, value)
        unchanged = [a for a, b in zip(text.splitlines(), masked.splitlines()) if a == b]
        assert len(unchanged) > len(text.splitlines()) / 2  # only the secret lines changed


def test_masked_text_keeps_crlf_and_cr_line_endings():
    text = (REPO_DIR / "payments.yaml").read_text()
    for nl in ("\r\n", "\r"):
        masked = mask_text(text.replace("\n", nl))
        assert masked == mask_text(text).replace("\n", nl)


# --------------------------------------------------------------------------- property: diffs beside secrets

# data last (a change after it has the values as leading context), data first (as trailing context)
_SECRET_DOCS = ["apiVersion: v1\nkind: Secret\nmetadata:\n  name: s{i}\ntype: Opaque\ndata:\n  password: {value}\n  token: {value}\n",
                "data:\n  token: {value}\napiVersion: v1\nkind: Secret\nmetadata:\n  name: s{i}\n"]
_VS_DOC = ("apiVersion: networking.istio.io/v1alpha3\nkind: VirtualService\nmetadata:\n  name: vs{i}\nspec:\n  hosts: [vs{i}]\n"
           "  http:\n  - route:\n    - destination: {{host: vs{i}}}\n{old}")
_OLD_FIELDS = ["", "    websocketUpgrade: true\n", "    appendHeaders:\n      x-a: b\n"]


def _apply_strictly(text: str, patch: str) -> str:
    """Apply a unified diff as git does without fuzz: every hunk at its header's line, each
    context and removed line matching exactly (a masked line would not)."""
    import re

    lines = text.splitlines(keepends=True)
    body = [line for line in patch.splitlines(keepends=True) if not line.startswith(("--- ", "+++ "))]
    out: list[str] = []
    at = 0
    i = 0
    while i < len(body):
        m = re.match(r"@@ -(\d+)(?:,(\d+))? \+\d+(?:,\d+)? @@", body[i])
        assert m, body[i]
        start = int(m.group(1)) - (0 if m.group(2) == "0" else 1)
        out += lines[at:start]
        at = start
        i += 1
        while i < len(body) and not body[i].startswith("@@"):
            tag, line = body[i][0], body[i][1:]
            if tag in " -":
                assert lines[at] == line, (at, lines[at], line)
                at += 1
            if tag in " +":
                out.append(line)
            i += 1
    return "".join(out + lines[at:])


@given(st.lists(st.tuples(st.sampled_from([None, *_SECRET_DOCS]), st.sampled_from(_OLD_FIELDS)), min_size=1, max_size=8),
       st.sampled_from(["dGhpcy1pcy1hLXNlY3JldA==", "aHVudGVyMg=="]))
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
def test_a_diff_beside_secrets_applies_exactly_and_never_prints_them(docs, value):
    """Secrets interleaved with VirtualServices that convert (or not): the diff applies exactly,
    context included, gives the converted text, and holds no secret value."""
    import meshlint

    text = "---\n".join(secret.format(i=i, value=value) if secret else _VS_DOC.format(i=i, old=old)
                        for i, (secret, old) in enumerate(docs))
    result = meshlint.convert({"app.yaml": text})
    converted = result.files[0]
    diff = result.diff()
    assert value not in diff
    if not converted.changed:
        assert diff == ""
        return
    assert diff.startswith("--- a/app.yaml\n")
    assert _apply_strictly(text, diff) == converted.text
