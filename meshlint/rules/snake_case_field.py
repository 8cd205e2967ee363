"""ML209: snake_case spellings Istio 1.4 accepted (``sni_hosts``) → camelCase (``sniHosts``).

Only keys whose camelCase form is a real field of the networking API are renamed, and
user-data maps (labels, selectors, header and query maps, EnvoyFilter payloads) are
never entered, so user keys such as a header called ``x_trace_id`` are left alone.
"""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..fixes import Fix, RenameKey
from ..index import RuleContext
from ..model import Resource, Violation, pointer
from ..spellings import SNAKE_CASE, camel

CODE = "ML209"
KINDS = ("networking.istio.io/VirtualService", "networking.istio.io/DestinationRule", "networking.istio.io/Gateway",
         "networking.istio.io/ServiceEntry", "networking.istio.io/Sidecar")
READS = ()

FIELDS = frozenset(["sniHosts", "subjectAltNames", "caCertificates", "clientCertificate", "privateKey", "credentialName", "httpsRedirect", "serverCertificate", "minProtocolVersion", "maxProtocolVersion", "cipherSuites", "verifyCertificateSpki", "verifyCertificateHash", "exportTo", "retryOn", "perTryTimeout", "retryRemoteLocalities", "allowOrigins", "allowMethods", "allowHeaders", "exposeHeaders", "maxAge", "allowCredentials", "sourceLabels", "sourceNamespace", "ignoreUriCase", "queryParams", "withoutHeaders", "fixedDelay", "exponentialDelay", "httpStatus", "grpcStatus", "loadBalancer", "connectionPool", "outlierDetection", "portLevelSettings", "trafficPolicy", "consistentHash", "httpHeaderName", "httpCookie", "useSourceIp", "httpQueryParameterName", "minimumRingSize", "ringHash", "localityLbSetting", "maxConnections", "connectTimeout", "tcpKeepalive", "http1MaxPendingRequests", "http2MaxRequests", "maxRequestsPerConnection", "maxRetries", "idleTimeout", "h2UpgradePolicy", "useClientProtocol", "consecutiveGatewayErrors", "consecutive5xxErrors", "baseEjectionTime", "maxEjectionPercent", "minHealthPercent", "workloadSelector", "outboundTrafficPolicy", "egressProxy", "captureMode", "defaultEndpoint", "destinationSubnets", "sourceSubnet", "mirrorPercentage", "corsPolicy", "redirectCode", "targetPort", "insecureSkipVerify", "failoverPriority", "distribute"])
USER_MAPS = frozenset({"metadata", "labels", "sourceLabels", "matchLabels", "selector", "workloadLabels", "queryParams",
                       "withoutHeaders", "set", "add", "appendHeaders", "appendRequestHeaders", "appendResponseHeaders",
                       "ports", "headers", "status"})


def _walk(value: Any, tokens: tuple[str | int, ...], renamed: tuple[str | int, ...]) -> Iterator[tuple[tuple[str | int, ...], tuple[str | int, ...], str]]:

    """(original tokens, tokens after the renames of its parents, camelCase name)."""
    if isinstance(value, dict):
        for k, v in value.items():
            if not isinstance(k, str):
                continue
            new = camel(k) if SNAKE_CASE.match(k) and camel(k) in FIELDS else None
            if new:
                yield tokens + (k,), renamed + (k,), new
            if k in USER_MAPS or k == "mirror_percent":
                if k == "headers" and isinstance(v, dict) and ("request" in v or "response" in v):
                    for side in ("request", "response"):
                        if isinstance(v.get(side), dict):
                            inner = {kk: vv for kk, vv in v[side].items() if kk not in USER_MAPS}
                            yield from _walk(inner, tokens + (k, side), renamed + (k, side))
                continue
            yield from _walk(v, tokens + (k,), renamed + (new or k,))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _walk(v, tokens + (i,), renamed + (i,))


def check(res: Resource, ctx: RuleContext) -> Iterator[Violation]:
    # parents come before their children, and each fix names the key by the path it
    # has once the fixes before it (its parents' renames) are applied
    for tokens, current, new in _walk(res.spec, ("spec",), ("spec",)):
        ptr = pointer(*tokens)
        yield Violation(ptr, {"field": tokens[-1], "camel": new}, fix=Fix(f"{tokens[-1]} → {new}", (RenameKey(pointer(*current), new),)))
