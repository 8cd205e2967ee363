"""ML732: add-ons an IstioOperator installs (Prometheus, Grafana, Kiali, tracing, istiocoredns) and their managed equivalents."""
from __future__ import annotations

from collections.abc import Iterator

from ..index import RuleContext
from ..model import Resource, Severity, Violation
from ..operator import addons, is_addon

CODE = "ML732"
KINDS = ("install.istio.io/IstioOperator",)
READS = ()

_PROMETHEUS = ("Metrics go to Cloud Monitoring; for Prometheus itself use Google Cloud Managed Service for Prometheus, "
               "or run your own Prometheus and scrape the proxies.")
EQUIVALENT = {
    "prometheus": _PROMETHEUS,
    "prometheusOperator": _PROMETHEUS,
    "grafana": "Use Cloud Monitoring dashboards, or run your own Grafana on your Prometheus.",
    "kiali": "The service mesh pages of the Google Cloud console show the topology and health; run your own Kiali if you need it.",
    "tracing": "Traces go to Cloud Trace: enable and sample them with the Telemetry API (tracing).",
    "istiocoredns": "Use the sidecar's DNS proxying instead (ISTIO_META_DNS_CAPTURE: \"true\" in defaultConfig.proxyMetadata).",
}


def check(res: Resource, ctx: RuleContext) -> Iterator[Violation]:
    severity = Severity.INFO if is_addon(res) else None
    for path, name in addons(res):
        yield Violation(path, {"addon": name, "where": path.removeprefix("/spec/").replace("/", "."), "equivalent": EQUIVALENT[name]}, severity=severity)
