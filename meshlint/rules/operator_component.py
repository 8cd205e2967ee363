"""ML733: control-plane components in an IstioOperator: run by the managed control plane, or Mixer (gone)."""
from __future__ import annotations

from collections.abc import Iterator

from ..index import RuleContext
from ..model import Resource, Severity, Violation
from ..operator import components, enabled, is_addon

CODE = "ML733"
KINDS = ("install.istio.io/IstioOperator",)
READS = ()

MIXER = {"policy": "policy checks", "telemetry": "telemetry reports"}


def check(res: Resource, ctx: RuleContext) -> Iterator[Violation]:
    addon = is_addon(res)
    for path, name, conf in components(res):
        if name in MIXER:
            if enabled(conf):
                yield Violation(path + "/enabled", {"component": name, "what": MIXER[name]}, message="mixer", severity=Severity.INFO if addon else None)
        elif name == "cni":
            if enabled(conf):
                yield Violation(path + "/enabled", {"component": name}, message="cni", severity=Severity.INFO)
        elif set(conf) - {"enabled"}:  # settings beyond on/off: sizing a control plane Google runs
            yield Violation(path, {"component": name}, severity=Severity.INFO)
