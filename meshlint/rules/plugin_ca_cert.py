"""ML700: plugin CA certificates (Secret cacerts) and Citadel's own root (istio-ca-secret).

Only key names are ever reported; Secret values never appear in any output.
"""
from __future__ import annotations

from collections.abc import Iterator

from ..index import RuleContext
from ..model import Resource, Severity, Violation

CODE = "ML700"
KINDS = ("/Secret",)
READS = ()

PLUGIN_KEYS = ("ca-cert.pem", "ca-key.pem", "root-cert.pem", "cert-chain.pem")


def check(res: Resource, ctx: RuleContext) -> Iterator[Violation]:
    if res.namespace not in (None, "istio-system"):
        return
    keys = sorted(set((res.body.get("data") or {}) if isinstance(res.body.get("data"), dict) else {}) | set((res.body.get("stringData") or {}) if isinstance(res.body.get("stringData"), dict) else {}))
    if res.name == "cacerts":
        yield Violation("/metadata/name", {"keys": ", ".join(k for k in keys if k in PLUGIN_KEYS) or "none"})
    elif res.name == "istio-ca-secret":  # every default install has it: a step to plan, not a blocker
        yield Violation("/metadata/name", {}, message="self_signed", severity=Severity.WARNING)
