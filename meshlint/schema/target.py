"""meshlint's own strict JSON Schemas for the objects conversions write (the target API).

Written from the Istio API's field definitions, stricter than the upstream CRDs on
purpose: removed and deprecated fields (``mirrorPercent``, ``allowOrigin``,
``consecutiveErrors``, ``LEAST_CONN``, ``minimumRingSize`` outside ``ringHash``) are
unknown here, and every message rejects unknown fields except user-data maps.
"""
from __future__ import annotations

from typing import Any

S: dict[str, Any] = {"type": "string"}
I: dict[str, Any] = {"type": "integer"}
B: dict[str, Any] = {"type": "boolean"}
N: dict[str, Any] = {"type": "number"}
DUR = S  # durations are strings such as "5s"
ANY: dict[str, Any] = {}
STRS = {"type": "array", "items": S}
LABELS = {"type": "object", "additionalProperties": S}
PORT_NUM = {"type": "integer", "minimum": 0, "maximum": 4294967295}


def obj(props: dict[str, Any], required: tuple[str, ...] = (), **extra: Any) -> dict[str, Any]:
    out = {"type": "object", "additionalProperties": False, "properties": props}
    if required:
        out["required"] = list(required)
    out.update(extra)
    return out


def arr(items: dict[str, Any]) -> dict[str, Any]:
    return {"type": "array", "items": items}


def enum(*values: str) -> dict[str, Any]:
    return {"type": "string", "enum": list(values)}


PERCENT = obj({"value": N})
STRING_MATCH = obj({"exact": S, "prefix": S, "regex": S}, maxProperties=1)
PORT_SELECTOR = obj({"number": PORT_NUM})
DESTINATION = obj({"host": S, "subset": S, "port": PORT_SELECTOR}, ("host",))
HEADER_OPS = obj({"set": LABELS, "add": LABELS, "remove": STRS})
HEADERS = obj({"request": HEADER_OPS, "response": HEADER_OPS})
SELECTOR = obj({"matchLabels": LABELS})
TARGET_REF = obj({"group": S, "kind": S, "name": S, "namespace": S})

HTTP_MATCH = obj({
    "name": S, "uri": STRING_MATCH, "scheme": STRING_MATCH, "method": STRING_MATCH, "authority": STRING_MATCH,
    "headers": {"type": "object", "additionalProperties": STRING_MATCH}, "port": PORT_NUM, "sourceLabels": LABELS,
    "gateways": STRS, "queryParams": {"type": "object", "additionalProperties": STRING_MATCH}, "ignoreUriCase": B,
    "withoutHeaders": {"type": "object", "additionalProperties": STRING_MATCH}, "sourceNamespace": S, "statPrefix": S,
})
HTTP_ROUTE = obj({
    "name": S, "match": arr(HTTP_MATCH),
    "route": arr(obj({"destination": DESTINATION, "weight": I, "headers": HEADERS}, ("destination",))),
    "redirect": obj({"uri": S, "authority": S, "port": PORT_NUM, "derivePort": enum("FROM_PROTOCOL_DEFAULT", "FROM_REQUEST_PORT"), "scheme": S, "redirectCode": I}),
    "directResponse": obj({"status": I, "body": obj({"string": S, "bytes": S})}, ("status",)),
    "delegate": obj({"name": S, "namespace": S}),
    "rewrite": obj({"uri": S, "authority": S, "uriRegexRewrite": obj({"match": S, "rewrite": S})}),
    "timeout": DUR,
    "retries": obj({"attempts": I, "perTryTimeout": DUR, "retryOn": S, "retryRemoteLocalities": B, "retryIgnorePreviousHosts": B, "backoff": DUR}),
    "fault": obj({
        "delay": obj({"fixedDelay": DUR, "exponentialDelay": DUR, "percentage": PERCENT}),
        "abort": obj({"httpStatus": I, "grpcStatus": S, "http2Error": S, "percentage": PERCENT}),
    }),
    "mirror": DESTINATION, "mirrorPercentage": PERCENT,
    "mirrors": arr(obj({"destination": DESTINATION, "percentage": PERCENT}, ("destination",))),
    "corsPolicy": obj({"allowOrigins": arr(STRING_MATCH), "allowMethods": STRS, "allowHeaders": STRS, "exposeHeaders": STRS,
                       "maxAge": DUR, "allowCredentials": B, "unmatchedPreflights": enum("UNSPECIFIED", "FORWARD", "IGNORE")}),
    "headers": HEADERS,
})
ROUTE_DESTINATION = obj({"destination": DESTINATION, "weight": I}, ("destination",))
L4_MATCH = {"destinationSubnets": STRS, "port": PORT_NUM, "sourceLabels": LABELS, "gateways": STRS, "sourceNamespace": S}
TCP_ROUTE = obj({"match": arr(obj({**L4_MATCH, "sourceSubnet": S})), "route": arr(ROUTE_DESTINATION)})
VIRTUAL_SERVICE = obj({
    "hosts": STRS, "gateways": STRS, "exportTo": STRS, "http": arr(HTTP_ROUTE),
    "tls": arr(obj({"match": arr(obj({"sniHosts": STRS, **L4_MATCH}, ("sniHosts",))), "route": arr(ROUTE_DESTINATION)}, ("match",))),
    "tcp": arr(TCP_ROUTE),
})

LB = obj({
    "simple": enum("UNSPECIFIED", "RANDOM", "PASSTHROUGH", "ROUND_ROBIN", "LEAST_REQUEST"),
    "consistentHash": obj({
        "httpHeaderName": S, "httpCookie": obj({"name": S, "path": S, "ttl": DUR, "attributes": arr(obj({"name": S, "value": S}))}, ("name",)),
        "useSourceIp": B, "httpQueryParameterName": S,
        "ringHash": obj({"minimumRingSize": I}), "maglev": obj({"tableSize": I}),
    }),
    "localityLbSetting": obj({"distribute": arr(obj({"from": S, "to": {"type": "object", "additionalProperties": I}})),
                              "failover": arr(obj({"from": S, "to": S})), "failoverPriority": STRS, "enabled": {"type": ["boolean", "null"]}}),
    "warmupDurationSecs": DUR, "warmup": obj({"duration": DUR, "minimumPercent": N, "aggression": N}),
})
CONNECTION_POOL = obj({
    "tcp": obj({"maxConnections": I, "connectTimeout": DUR, "tcpKeepalive": obj({"probes": I, "time": DUR, "interval": DUR}),
                "maxConnectionDuration": DUR, "idleTimeout": DUR}),
    "http": obj({"http1MaxPendingRequests": I, "http2MaxRequests": I, "maxRequestsPerConnection": I, "maxRetries": I, "idleTimeout": DUR,
                 "h2UpgradePolicy": enum("DEFAULT", "DO_NOT_UPGRADE", "UPGRADE"), "useClientProtocol": B, "maxConcurrentStreams": I}),
})
OUTLIER = obj({"splitExternalLocalOriginErrors": B, "consecutiveLocalOriginFailures": I, "consecutiveGatewayErrors": I, "consecutive5xxErrors": I,
               "interval": DUR, "baseEjectionTime": DUR, "maxEjectionPercent": I, "minHealthPercent": I})
CLIENT_TLS = obj({"mode": enum("DISABLE", "SIMPLE", "MUTUAL", "ISTIO_MUTUAL"), "clientCertificate": S, "privateKey": S, "caCertificates": S,
                  "credentialName": S, "subjectAltNames": STRS, "sni": S, "insecureSkipVerify": {"type": ["boolean", "null"]}, "caCrl": S})
PORT_POLICY = obj({"port": PORT_SELECTOR, "loadBalancer": LB, "connectionPool": CONNECTION_POOL, "outlierDetection": OUTLIER, "tls": CLIENT_TLS})
TRAFFIC_POLICY = obj({"loadBalancer": LB, "connectionPool": CONNECTION_POOL, "outlierDetection": OUTLIER, "tls": CLIENT_TLS,
                      "portLevelSettings": arr(PORT_POLICY), "tunnel": obj({"protocol": S, "targetHost": S, "targetPort": PORT_NUM}),
                      "proxyProtocol": obj({"version": enum("V1", "V2")}), "retryBudget": obj({"percent": N, "minRetryConcurrency": I})})
DESTINATION_RULE = obj({
    "host": S, "trafficPolicy": TRAFFIC_POLICY, "exportTo": STRS, "workloadSelector": SELECTOR,
    "subsets": arr(obj({"name": S, "labels": LABELS, "trafficPolicy": TRAFFIC_POLICY}, ("name",))),
}, ("host",))

WORKLOAD_SELECTOR = obj({"labels": LABELS})
ENVOY_FILTER = obj({
    "workloadSelector": WORKLOAD_SELECTOR, "targetRefs": arr(TARGET_REF), "priority": I,
    "configPatches": arr(obj({
        "applyTo": enum("INVALID", "LISTENER", "FILTER_CHAIN", "NETWORK_FILTER", "HTTP_FILTER", "ROUTE_CONFIGURATION", "VIRTUAL_HOST",
                        "HTTP_ROUTE", "CLUSTER", "EXTENSION_CONFIG", "BOOTSTRAP", "LISTENER_FILTER"),
        "match": obj({
            "context": enum("ANY", "SIDECAR_INBOUND", "SIDECAR_OUTBOUND", "GATEWAY", "WAYPOINT"),
            "proxy": obj({"proxyVersion": S, "metadata": LABELS}),
            "listener": obj({"portNumber": PORT_NUM, "portName": S, "name": S, "listenerFilter": S,
                             "filterChain": obj({"name": S, "sni": S, "transportProtocol": S, "applicationProtocols": S, "destinationPort": PORT_NUM,
                                                 "filter": obj({"name": S, "subFilter": obj({"name": S})})})}),
            "routeConfiguration": obj({"portNumber": PORT_NUM, "portName": S, "gateway": S, "name": S,
                                       "vhost": obj({"name": S, "domainName": S, "route": obj({"name": S, "action": enum("ANY", "ROUTE", "REDIRECT", "DIRECT_RESPONSE")})})}),
            "cluster": obj({"portNumber": PORT_NUM, "service": S, "subset": S, "name": S}),
            "waypoint": obj({"filter": obj({"name": S, "subFilter": obj({"name": S})}), "route": obj({"name": S}), "portNumber": PORT_NUM}),
        }),
        "patch": obj({"operation": enum("INVALID", "MERGE", "ADD", "REMOVE", "INSERT_BEFORE", "INSERT_AFTER", "INSERT_FIRST", "REPLACE"),
                      "value": {"type": "object"}, "filterClass": enum("UNSPECIFIED", "AUTHN", "AUTHZ", "STATS")}),
    })),
})

PORT = {"number": PORT_NUM, "protocol": S, "name": S, "targetPort": PORT_NUM}
TLS_VERSION = enum("TLS_AUTO", "TLSV1_0", "TLSV1_1", "TLSV1_2", "TLSV1_3")
SERVER_TLS = obj({
    "httpsRedirect": B, "mode": enum("PASSTHROUGH", "SIMPLE", "MUTUAL", "AUTO_PASSTHROUGH", "ISTIO_MUTUAL", "OPTIONAL_MUTUAL"),
    "serverCertificate": S, "privateKey": S, "caCertificates": S, "caCrl": S, "credentialName": S, "credentialNames": STRS,
    "caCertCredentialName": S, "tlsCertificates": arr(obj({"serverCertificate": S, "privateKey": S, "caCertificates": S})),
    "subjectAltNames": STRS, "verifyCertificateSpki": STRS, "verifyCertificateHash": STRS,
    "minProtocolVersion": TLS_VERSION, "maxProtocolVersion": TLS_VERSION, "cipherSuites": STRS,
})
GATEWAY = obj({
    "selector": LABELS,
    "servers": arr(obj({"port": obj(PORT, ("number", "protocol", "name")), "bind": S, "hosts": STRS, "tls": SERVER_TLS,
                        "defaultEndpoint": S, "name": S}, ("port", "hosts"))),
})
SE_ENDPOINT = obj({"address": S, "ports": {"type": "object", "additionalProperties": PORT_NUM}, "labels": LABELS, "network": S,
                   "locality": S, "weight": I, "serviceAccount": S})
CAPTURE_MODE = enum("DEFAULT", "IPTABLES", "NONE")
SERVICE_ENTRY = obj({
    "hosts": STRS, "addresses": STRS, "ports": arr(obj(PORT, ("number", "name"))), "location": enum("MESH_EXTERNAL", "MESH_INTERNAL"),
    "resolution": enum("NONE", "STATIC", "DNS", "DNS_ROUND_ROBIN", "DYNAMIC_DNS"),
    "endpoints": arr(SE_ENDPOINT), "workloadSelector": WORKLOAD_SELECTOR, "exportTo": STRS, "subjectAltNames": STRS,
}, ("hosts",))
SIDECAR = obj({
    "workloadSelector": WORKLOAD_SELECTOR,
    "ingress": arr(obj({"port": obj(PORT), "bind": S, "captureMode": CAPTURE_MODE, "defaultEndpoint": S, "tls": SERVER_TLS,
                        "connectionPool": CONNECTION_POOL}, ("port",))),
    "egress": arr(obj({"port": obj(PORT), "bind": S, "captureMode": CAPTURE_MODE, "hosts": STRS}, ("hosts",))),
    "outboundTrafficPolicy": obj({"mode": enum("REGISTRY_ONLY", "ALLOW_ANY"), "egressProxy": DESTINATION}),
    "inboundConnectionPool": CONNECTION_POOL,
})

SOURCE = obj({k: STRS for k in ("principals", "notPrincipals", "requestPrincipals", "notRequestPrincipals", "namespaces", "notNamespaces",
                                "ipBlocks", "notIpBlocks", "remoteIpBlocks", "notRemoteIpBlocks", "serviceAccounts", "notServiceAccounts",
                                "trustDomains", "notTrustDomains")})
OPERATION = obj({k: STRS for k in ("hosts", "notHosts", "ports", "notPorts", "methods", "notMethods", "paths", "notPaths")})
CONDITION = obj({"key": S, "values": STRS, "notValues": STRS}, ("key",))
AUTHORIZATION_POLICY = obj({
    "selector": SELECTOR, "targetRef": TARGET_REF, "targetRefs": arr(TARGET_REF),
    "action": enum("ALLOW", "DENY", "AUDIT", "CUSTOM"), "provider": obj({"name": S}),
    "rules": arr(obj({"from": arr(obj({"source": SOURCE})), "to": arr(obj({"operation": OPERATION})), "when": arr(CONDITION)})),
})
MTLS = obj({"mode": enum("UNSET", "DISABLE", "PERMISSIVE", "STRICT")})
PEER_AUTHENTICATION = obj({"selector": SELECTOR, "mtls": MTLS, "portLevelMtls": {"type": "object", "additionalProperties": MTLS}})
REQUEST_AUTHENTICATION = obj({
    "selector": SELECTOR, "targetRef": TARGET_REF, "targetRefs": arr(TARGET_REF),
    "jwtRules": arr(obj({"issuer": S, "audiences": STRS, "jwksUri": S, "jwks": S, "fromHeaders": arr(obj({"name": S, "prefix": S}, ("name",))),
                         "fromParams": STRS, "fromCookies": STRS, "outputPayloadToHeader": S, "forwardOriginalToken": B,
                         "outputClaimToHeaders": arr(obj({"header": S, "claim": S})), "timeout": DUR, "spaceDelimitedClaims": STRS}, ("issuer",))),
})

PROVIDERS = arr(obj({"name": S}, ("name",)))
MODE = enum("CLIENT_AND_SERVER", "CLIENT", "SERVER")
TELEMETRY = obj({
    "selector": SELECTOR, "targetRef": TARGET_REF, "targetRefs": arr(TARGET_REF),
    "tracing": arr(obj({
        "match": obj({"mode": MODE}), "providers": PROVIDERS, "randomSamplingPercentage": N, "disableSpanReporting": B,
        "customTags": {"type": "object", "additionalProperties": obj({
            "literal": obj({"value": S}, ("value",)), "environment": obj({"name": S, "defaultValue": S}, ("name",)),
            "header": obj({"name": S, "defaultValue": S}, ("name",)), "formatter": obj({"value": S}, ("value",))}, maxProperties=1)},
        "useRequestIdForTraceSampling": B, "enableIstioTags": B, "disableContextPropagation": B,
    })),
    "metrics": arr(obj({
        "providers": PROVIDERS, "reportingInterval": DUR,
        "overrides": arr(obj({
            "match": obj({"metric": enum("ALL_METRICS", "REQUEST_COUNT", "REQUEST_DURATION", "REQUEST_SIZE", "RESPONSE_SIZE", "TCP_OPENED_CONNECTIONS",
                                         "TCP_CLOSED_CONNECTIONS", "TCP_SENT_BYTES", "TCP_RECEIVED_BYTES", "GRPC_REQUEST_MESSAGES", "GRPC_RESPONSE_MESSAGES"),
                          "customMetric": S, "mode": MODE}),
            "disabled": B, "tagOverrides": {"type": "object", "additionalProperties": obj({"operation": enum("UPSERT", "REMOVE"), "value": S})},
        })),
    })),
    "accessLogging": arr(obj({"match": obj({"mode": MODE}), "providers": PROVIDERS, "disabled": B, "filter": obj({"expression": S})})),
})

METADATA: dict[str, Any] = {"type": "object", "required": ["name"], "properties": {"name": S, "namespace": S, "labels": LABELS, "annotations": LABELS}}

SPECS = {
    ("networking.istio.io", "VirtualService"): (VIRTUAL_SERVICE, ("v1alpha3", "v1beta1", "v1")),
    ("networking.istio.io", "DestinationRule"): (DESTINATION_RULE, ("v1alpha3", "v1beta1", "v1")),
    ("networking.istio.io", "Gateway"): (GATEWAY, ("v1alpha3", "v1beta1", "v1")),
    ("networking.istio.io", "ServiceEntry"): (SERVICE_ENTRY, ("v1alpha3", "v1beta1", "v1")),
    ("networking.istio.io", "Sidecar"): (SIDECAR, ("v1alpha3", "v1beta1", "v1")),
    ("networking.istio.io", "EnvoyFilter"): (ENVOY_FILTER, ("v1alpha3",)),
    ("security.istio.io", "AuthorizationPolicy"): (AUTHORIZATION_POLICY, ("v1beta1", "v1")),
    ("security.istio.io", "PeerAuthentication"): (PEER_AUTHENTICATION, ("v1beta1", "v1")),
    ("security.istio.io", "RequestAuthentication"): (REQUEST_AUTHENTICATION, ("v1beta1", "v1")),
    ("telemetry.istio.io", "Telemetry"): (TELEMETRY, ("v1alpha1", "v1")),
}


def document_schema(group: str, version: str, kind: str) -> dict[str, Any] | None:
    entry = SPECS.get((group, kind))
    if entry is None or version not in entry[1]:
        return None
    spec, _ = entry
    return obj({"apiVersion": {"const": f"{group}/{version}"}, "kind": {"const": kind}, "metadata": METADATA, "spec": spec},
               ("apiVersion", "kind", "metadata"))
