"""ML731: meshConfig values of an IstioOperator, each with where it goes on managed Anthos Service Mesh."""
from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from ..index import RuleContext
from ..model import Resource, Severity, Violation
from ..operator import is_addon, mesh_config

CODE = "ML731"
KINDS = ("install.istio.io/IstioOperator",)
READS = ()

_ACCESS_LOG = ("the Telemetry API (a Telemetry resource in istio-system with accessLogging, provider envoy), "
               "or accessLogFile in the istio-asm-managed ConfigMap's mesh key")
_TRACING = "the Telemetry API (tracing, randomSamplingPercentage); managed Anthos Service Mesh sends traces to Cloud Trace"
# field -> (message key, what it did, managed equivalent, what happens meanwhile)
TELEMETRY = {
    "accessLogFile": ("Envoy access logging", _ACCESS_LOG, "proxies write no Envoy access log (Cloud Logging still gets traffic logs)"),
    "accessLogFormat": ("the Envoy access log format", _ACCESS_LOG, "the default format is used"),
    "accessLogEncoding": ("the Envoy access log encoding", _ACCESS_LOG, "the default encoding is used"),
    "enableTracing": ("tracing", _TRACING, "the managed default tracing applies"),
    "defaultConfig.tracing": ("the tracer and its sampling", _TRACING, "the managed default tracing applies"),
    "defaultConfig.tracing.sampling": ("the trace sampling rate", _TRACING, "the managed default sampling applies"),
}
MIXER = {
    "disablePolicyChecks": "whether Mixer policy checks ran",
    "policyCheckFailOpen": "what happened when Mixer could not be reached",
    "mixerCheckServer": "the Mixer policy server",
    "mixerReportServer": "the Mixer telemetry server",
    "sidecarToTelemetrySessionAffinity": "affinity to the Mixer telemetry server",
    "disableMixerHttpReports": "HTTP reports to Mixer",
    "reportBatchMaxEntries": "report batching to Mixer",
    "reportBatchMaxTime": "report batching to Mixer",
}
INGRESS = ("ingressClass", "ingressService", "ingressControllerMode", "ingressSelector")


def _shown(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str)
    return text if len(text) <= 60 else text[:57] + "..."


def check(res: Resource, ctx: RuleContext) -> Iterator[Violation]:
    if is_addon(res):  # the add-on's own settings: Google's defaults, replaced by the managed control plane's
        for path, field, value in mesh_config(res):
            yield Violation(path, {"field": field, "value": _shown(value)}, message="addon", severity=Severity.INFO)
        return
    severity = None
    for path, field, value in mesh_config(res):
        params = {"field": field, "value": _shown(value)}
        if field in TELEMETRY:
            what, equivalent, default = TELEMETRY[field]
            if field in ("enableTracing",) and value is False or field == "accessLogFile" and value in ("", None):
                continue  # what the managed default already does
            yield Violation(path, {**params, "what": what, "equivalent": equivalent, "default": default}, message="telemetry", severity=severity)
        elif field in MIXER:
            yield Violation(path, {**params, "what": MIXER[field]}, message="mixer", severity=severity)
        elif field in INGRESS:
            yield Violation(path, params, message="ingress", severity=severity)
        elif field == "trustDomain":
            if value not in ("cluster.local", "", None):
                yield Violation(path, params, message="trust_domain", severity=severity)
        elif field == "rootNamespace":
            if value not in ("istio-system", "", None):
                yield Violation(path, params, message="root_namespace", severity=severity)
        else:
            yield Violation(path, params, severity=severity)
