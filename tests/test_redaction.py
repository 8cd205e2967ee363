"""Secrets are redacted by where they are (Secret values, credential fields, PEM blocks, JWKS key
material, Authorization/Bearer values), in every output; redaction never rewrites anything else
and every format stays valid."""
from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest
from conftest import FIXTURES

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
    assert "   namespace: prod" in diff.splitlines() and "+  namespace: prod" in diff.splitlines()
    assert "+    forwardOriginalToken: true" in diff.splitlines()
    assert "3 file(s) would change" in outputs["convert --diff"].err  # the summary goes to stderr beside a diff
    report = outputs["report -f json"].out
    assert "VirtualService prod/payments" in report and "[redacted]/" not in report


def test_diff_context_lines_are_masked_in_place(outputs):
    lines = outputs["convert --diff"].out.splitlines()
    assert "     db-password: [redacted]" in lines  # the Secret after the converted VirtualService
    assert "     [redacted]" in lines  # a folded line of webhook-signing-key, before the replaced Policy
    assert any(line.startswith("+") and '"k":"[redacted]"' in line for line in lines)  # the JWKS in the new RequestAuthentication
    assert any(line.startswith("+") and "Bearer [redacted]" in line for line in lines)  # the Lua of the converted EnvoyFilter


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
