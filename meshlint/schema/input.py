"""meshlint's own strict JSON Schemas for the objects users bring (the Istio 1.4/1.6 input API).

Written from the field definitions of the Istio 1.4 and 1.6 APIs: each schema is the union of
what those two releases accepted, deprecated fields included (``appendHeaders``,
``websocketUpgrade``, fault ``percent``, ``mirrorPercent``/``mirror_percent``, ``allowOrigin``,
``consecutiveErrors``, ``LEAST_CONN``, ``minimumRingSize`` on ``consistentHash``, old-style
EnvoyFilter ``workloadLabels``/``filters``). Unknown fields are rejected except in user-data maps.
``required`` lists what Istio's validation refused to go without (a VirtualService's hosts, a
Gateway's servers); value rules a schema cannot state (host names, regexes, one field required
only in some modes) are left to Istio.

Fragments whose field sets did not change since 1.4 come from ``target``.
"""
from __future__ import annotations

from typing import Any

from .target import (
    CAPTURE_MODE,
    CONDITION,
    DESTINATION,
    DUR,
    HEADERS,
    L4_MATCH,
    LABELS,
    METADATA,
    OPERATION,
    PERCENT,
    PORT_NUM,
    PORT_SELECTOR,
    ROUTE_DESTINATION,
    SE_ENDPOINT,
    SELECTOR,
    STRING_MATCH,
    STRS,
    TCP_ROUTE,
    WORKLOAD_SELECTOR,
    B,
    I,
    S,
    arr,
    enum,
    obj,
)

MATCH_MAP = {"type": "object", "additionalProperties": STRING_MATCH}
LEGACY_HEADER_OPS = {"appendRequestHeaders": LABELS, "appendResponseHeaders": LABELS, "removeRequestHeaders": STRS, "removeResponseHeaders": STRS}
FAULT_PERCENT = {"percent": I, "percentage": PERCENT}  # percent: the integer form 1.4 still read

# ---------------------------------------------------------------- networking.istio.io/v1alpha3
HTTP_ROUTE = obj({
    "name": S,
    "match": arr(obj({
        "name": S, "uri": STRING_MATCH, "scheme": STRING_MATCH, "method": STRING_MATCH, "authority": STRING_MATCH, "headers": MATCH_MAP,
        "port": PORT_NUM, "sourceLabels": LABELS, "gateways": STRS, "queryParams": MATCH_MAP, "ignoreUriCase": B,
        "withoutHeaders": MATCH_MAP, "sourceNamespace": S,
    })),
    "route": arr(obj({"destination": DESTINATION, "weight": I, "headers": HEADERS, **LEGACY_HEADER_OPS}, ("destination",))),
    "redirect": obj({"uri": S, "authority": S, "redirectCode": I}),
    "rewrite": obj({"uri": S, "authority": S}),
    "delegate": obj({"name": S, "namespace": S}),
    "websocketUpgrade": B, "timeout": DUR,
    "retries": obj({"attempts": I, "perTryTimeout": DUR, "retryOn": S, "retryRemoteLocalities": B}),
    "fault": obj({
        "delay": obj({"fixedDelay": DUR, "exponentialDelay": DUR, **FAULT_PERCENT}),
        "abort": obj({"httpStatus": I, "grpcStatus": S, "http2Error": S, **FAULT_PERCENT}),
    }),
    "mirror": DESTINATION, "mirrorPercent": I, "mirror_percent": I, "mirrorPercentage": PERCENT,
    "corsPolicy": obj({"allowOrigin": STRS, "allowOrigins": arr(STRING_MATCH), "allowMethods": STRS, "allowHeaders": STRS,
                       "exposeHeaders": STRS, "maxAge": DUR, "allowCredentials": B}),
    "appendHeaders": LABELS, **LEGACY_HEADER_OPS, "headers": HEADERS,
})
VIRTUAL_SERVICE = obj({
    "hosts": STRS, "gateways": STRS, "exportTo": STRS, "http": arr(HTTP_ROUTE),
    "tls": arr(obj({"match": arr(obj({"sniHosts": STRS, **L4_MATCH, "sourceSubnet": S}, ("sniHosts",))), "route": arr(ROUTE_DESTINATION)},
                   ("match",))),
    "tcp": arr(TCP_ROUTE),
}, ("hosts",))

LB = obj({
    "simple": enum("ROUND_ROBIN", "LEAST_CONN", "RANDOM", "PASSTHROUGH"),
    "consistentHash": obj({"httpHeaderName": S, "httpCookie": obj({"name": S, "path": S, "ttl": DUR}, ("name",)), "useSourceIp": B,
                           "httpQueryParameterName": S, "minimumRingSize": I}),
    "localityLbSetting": obj({"distribute": arr(obj({"from": S, "to": {"type": "object", "additionalProperties": I}})),
                              "failover": arr(obj({"from": S, "to": S})), "enabled": B}),
})
CONNECTION_POOL = obj({
    "tcp": obj({"maxConnections": I, "connectTimeout": DUR, "tcpKeepalive": obj({"probes": I, "time": DUR, "interval": DUR})}),
    "http": obj({"http1MaxPendingRequests": I, "http2MaxRequests": I, "maxRequestsPerConnection": I, "maxRetries": I, "idleTimeout": DUR,
                 "h2UpgradePolicy": enum("DEFAULT", "DO_NOT_UPGRADE", "UPGRADE")}),
})
OUTLIER = obj({"consecutiveErrors": I, "consecutive5xxErrors": I, "consecutiveGatewayErrors": I, "interval": DUR, "baseEjectionTime": DUR,
               "maxEjectionPercent": I, "minHealthPercent": I})
CLIENT_TLS = obj({"mode": enum("DISABLE", "SIMPLE", "MUTUAL", "ISTIO_MUTUAL"), "clientCertificate": S, "privateKey": S, "caCertificates": S,
                  "subjectAltNames": STRS, "sni": S})
POLICY_FIELDS = {"loadBalancer": LB, "connectionPool": CONNECTION_POOL, "outlierDetection": OUTLIER, "tls": CLIENT_TLS}
TRAFFIC_POLICY = obj({**POLICY_FIELDS, "portLevelSettings": arr(obj({"port": PORT_SELECTOR, **POLICY_FIELDS}))})
DESTINATION_RULE = obj({
    "host": S, "trafficPolicy": TRAFFIC_POLICY, "exportTo": STRS,
    "subsets": arr(obj({"name": S, "labels": LABELS, "trafficPolicy": TRAFFIC_POLICY}, ("name",))),
}, ("host",))

PORT = {"number": PORT_NUM, "protocol": S, "name": S}
TLS_VERSION = enum("TLS_AUTO", "TLSV1_0", "TLSV1_1", "TLSV1_2", "TLSV1_3")
SERVER_TLS = obj({
    "httpsRedirect": B, "mode": enum("PASSTHROUGH", "SIMPLE", "MUTUAL", "AUTO_PASSTHROUGH", "ISTIO_MUTUAL"), "serverCertificate": S,
    "privateKey": S, "caCertificates": S, "credentialName": S, "subjectAltNames": STRS, "verifyCertificateSpki": STRS,
    "verifyCertificateHash": STRS, "minProtocolVersion": TLS_VERSION, "maxProtocolVersion": TLS_VERSION, "cipherSuites": STRS,
})
GATEWAY = obj({
    "selector": LABELS,
    "servers": arr(obj({"port": obj(PORT, ("protocol", "name")), "bind": S, "hosts": STRS, "tls": SERVER_TLS, "defaultEndpoint": S},
                       ("port", "hosts"))),
}, ("servers",))
SERVICE_ENTRY = obj({
    "hosts": STRS, "addresses": STRS, "ports": arr(obj(PORT, ("number", "protocol", "name"))),
    "location": enum("MESH_EXTERNAL", "MESH_INTERNAL"), "resolution": enum("NONE", "STATIC", "DNS"),
    "endpoints": arr(SE_ENDPOINT), "workloadSelector": WORKLOAD_SELECTOR, "exportTo": STRS, "subjectAltNames": STRS,
}, ("hosts",))
SIDECAR = obj({
    "workloadSelector": WORKLOAD_SELECTOR,
    "ingress": arr(obj({"port": obj(PORT), "bind": S, "captureMode": CAPTURE_MODE, "defaultEndpoint": S, "localhostClientTls": CLIENT_TLS},
                       ("port",))),
    "egress": arr(obj({"port": obj(PORT), "bind": S, "captureMode": CAPTURE_MODE, "hosts": STRS, "localhostServerTls": SERVER_TLS}, ("hosts",))),
    "outboundTrafficPolicy": obj({"mode": enum("REGISTRY_ONLY", "ALLOW_ANY"), "egressProxy": DESTINATION}),
    "localhost": obj({"clientTls": CLIENT_TLS, "serverTls": SERVER_TLS}),
}, ("egress",))

ENVOY_FILTER = obj({
    # old style (1.4 only): filters inserted by listener match
    "workloadLabels": LABELS,
    "filters": arr(obj({
        "listenerMatch": obj({"portNumber": PORT_NUM, "portNamePrefix": S, "listenerType": enum("ANY", "SIDECAR_INBOUND", "SIDECAR_OUTBOUND", "GATEWAY"),
                              "listenerProtocol": enum("ALL", "HTTP", "TCP"), "address": STRS}),
        "insertPosition": obj({"index": enum("FIRST", "LAST", "BEFORE", "AFTER"), "relativeTo": S}),
        "filterType": enum("INVALID", "HTTP", "NETWORK"), "filterName": S, "filterConfig": {"type": "object"},
    }, ("filterType", "filterName"))),
    # new style (1.4 and 1.6)
    "workloadSelector": WORKLOAD_SELECTOR,
    "configPatches": arr(obj({
        "applyTo": enum("INVALID", "LISTENER", "FILTER_CHAIN", "NETWORK_FILTER", "HTTP_FILTER", "ROUTE_CONFIGURATION", "VIRTUAL_HOST",
                        "HTTP_ROUTE", "CLUSTER"),
        "match": obj({
            "context": enum("ANY", "SIDECAR_INBOUND", "SIDECAR_OUTBOUND", "GATEWAY"),
            "proxy": obj({"proxyVersion": S, "metadata": LABELS}),
            "listener": obj({"portNumber": PORT_NUM, "portName": S, "name": S,
                             "filterChain": obj({"name": S, "sni": S, "transportProtocol": S, "applicationProtocols": S,
                                                 "filter": obj({"name": S, "subFilter": obj({"name": S})})})}),
            "routeConfiguration": obj({"portNumber": PORT_NUM, "portName": S, "gateway": S, "name": S,
                                       "vhost": obj({"name": S, "route": obj({"name": S, "action": enum("ANY", "ROUTE", "REDIRECT", "DIRECT_RESPONSE")})})}),
            "cluster": obj({"portNumber": PORT_NUM, "service": S, "subset": S, "name": S}),
        }),
        "patch": obj({"operation": enum("INVALID", "MERGE", "ADD", "REMOVE", "INSERT_BEFORE", "INSERT_AFTER", "INSERT_FIRST"),
                      "value": {"type": "object"}}, ("operation",)),
    }, ("applyTo", "patch"))),
})

# ---------------------------------------------------------------- authentication.istio.io/v1alpha1 (1.4 only)
PATH_MATCH = obj({"exact": S, "prefix": S, "suffix": S, "regex": S}, maxProperties=1)
TRIGGER_RULE = obj({k: arr(PATH_MATCH) for k in ("includedPaths", "included_paths", "excludedPaths", "excluded_paths")})
JWT = obj({"issuer": S, "audiences": STRS, "jwksUri": S, "jwks_uri": S, "jwks": S, "jwtHeaders": STRS, "jwt_headers": STRS,
           "jwtParams": STRS, "triggerRules": arr(TRIGGER_RULE), "trigger_rules": arr(TRIGGER_RULE)}, ("issuer",))
AUTHN_POLICY = obj({
    "targets": arr(obj({"name": S, "labels": LABELS, "ports": arr(obj({"number": PORT_NUM, "name": S}))})),
    # `mtls:` with nothing after it (null) was the documented way to turn mutual TLS on
    "peers": arr(obj({"mtls": obj({"allowTls": B, "mode": enum("STRICT", "PERMISSIVE")}, type=["object", "null"]), "jwt": JWT})),
    "peerIsOptional": B, "origins": arr(obj({"jwt": JWT})), "originIsOptional": B, "principalBinding": enum("USE_PEER", "USE_ORIGIN"),
})

# ---------------------------------------------------------------- rbac.istio.io/v1alpha1
CONSTRAINTS = arr(obj({"key": S, "values": STRS}, ("key", "values")))
ACCESS_RULE = {**{k: STRS for k in ("services", "hosts", "notHosts", "paths", "notPaths", "methods", "notMethods")},
               "ports": arr(I), "notPorts": arr(I), "constraints": CONSTRAINTS}
SERVICE_ROLE = obj({"rules": arr(obj(ACCESS_RULE, ("services",)))}, ("rules",))
SERVICE_ROLE_BINDING = obj({
    "subjects": arr(obj({"user": S, "group": S, "properties": LABELS,
                         **{k: STRS for k in ("names", "notNames", "groups", "notGroups", "namespaces", "notNamespaces", "ips", "notIps")}})),
    "roleRef": obj({"kind": enum("ServiceRole"), "name": S}, ("kind", "name")), "role": S, "actions": arr(obj(ACCESS_RULE)),
    "mode": enum("ENFORCED", "PERMISSIVE"),
}, ("subjects",))
RBAC_TARGETS = obj({"services": STRS, "namespaces": STRS})
RBAC_CONFIG = obj({"mode": enum("OFF", "ON", "ON_WITH_INCLUSION", "ON_WITH_EXCLUSION"), "inclusion": RBAC_TARGETS, "exclusion": RBAC_TARGETS,
                   "enforcementMode": enum("ENFORCED", "PERMISSIVE")})

# ---------------------------------------------------------------- security.istio.io/v1beta1 (1.4; 1.6 added action and the not* fields)
AUTHORIZATION_POLICY = obj({
    "selector": SELECTOR, "action": enum("ALLOW", "DENY"),
    "rules": arr(obj({
        "from": arr(obj({"source": obj({k: STRS for k in ("principals", "notPrincipals", "requestPrincipals", "notRequestPrincipals",
                                                          "namespaces", "notNamespaces", "ipBlocks", "notIpBlocks")})})),
        "to": arr(obj({"operation": OPERATION})),
        "when": arr(CONDITION),
    })),
})

# (group, version, kind) -> (spec schema, the only metadata.name Istio accepted or None)
INPUT_SPECS: dict[tuple[str, str, str], tuple[dict[str, Any], str | None]] = {
    ("networking.istio.io", "v1alpha3", "VirtualService"): (VIRTUAL_SERVICE, None),
    ("networking.istio.io", "v1alpha3", "DestinationRule"): (DESTINATION_RULE, None),
    ("networking.istio.io", "v1alpha3", "Gateway"): (GATEWAY, None),
    ("networking.istio.io", "v1alpha3", "ServiceEntry"): (SERVICE_ENTRY, None),
    ("networking.istio.io", "v1alpha3", "Sidecar"): (SIDECAR, None),
    ("networking.istio.io", "v1alpha3", "EnvoyFilter"): (ENVOY_FILTER, None),
    ("authentication.istio.io", "v1alpha1", "Policy"): (AUTHN_POLICY, None),
    ("authentication.istio.io", "v1alpha1", "MeshPolicy"): (AUTHN_POLICY, "default"),
    ("rbac.istio.io", "v1alpha1", "ServiceRole"): (SERVICE_ROLE, None),
    ("rbac.istio.io", "v1alpha1", "ServiceRoleBinding"): (SERVICE_ROLE_BINDING, None),
    ("rbac.istio.io", "v1alpha1", "ClusterRbacConfig"): (RBAC_CONFIG, "default"),
    ("rbac.istio.io", "v1alpha1", "RbacConfig"): (RBAC_CONFIG, "default"),
    ("security.istio.io", "v1beta1", "AuthorizationPolicy"): (AUTHORIZATION_POLICY, None),
}


def input_schema(group: str, version: str, kind: str) -> dict[str, Any] | None:
    """The whole-document schema (apiVersion, kind, metadata, spec) of an Istio 1.4/1.6 object, or None."""
    entry = INPUT_SPECS.get((group, version, kind))
    if entry is None:
        return None
    spec, only_name = entry
    metadata = METADATA if only_name is None else {**METADATA, "properties": {**METADATA["properties"], "name": {"const": only_name}}}
    return obj({"apiVersion": {"const": f"{group}/{version}"}, "kind": {"const": kind}, "metadata": metadata, "spec": spec},
               ("apiVersion", "kind", "metadata"))
