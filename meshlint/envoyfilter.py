"""EnvoyFilter facts shared by the ML5xx rules: add-on defaults, renamed filters, the old-style API."""
from __future__ import annotations

from collections.abc import Iterator
from fnmatch import fnmatchcase
from typing import Any, NamedTuple

from .model import Resource, pointer

KIND = "networking.istio.io/EnvoyFilter"

# 1.4's multicluster gateway filter and 1.6's telemetry v2 filters are installed by the add-on
ADDON_NAMES = ("istio-multicluster-ingressgateway", "metadata-exchange-*", "stats-filter-*", "tcp-metadata-exchange-*", "tcp-stats-filter-*")


def is_addon_default(res: Resource) -> bool:
    if res.labels.get("operator.istio.io/component") == "Pilot":
        return True
    return (res.namespace in (None, "istio-system")) and any(fnmatchcase(res.name or "", p) for p in ADDON_NAMES)


# Envoy's deprecated well-known names; Istio 1.19 stopped matching them.
RENAMED: dict[Any, str] = {
    "envoy.http_connection_manager": "envoy.filters.network.http_connection_manager",
    "envoy.tcp_proxy": "envoy.filters.network.tcp_proxy",
    "envoy.client_ssl_auth": "envoy.filters.network.client_ssl_auth",
    "envoy.mongo_proxy": "envoy.filters.network.mongo_proxy",
    "envoy.redis_proxy": "envoy.filters.network.redis_proxy",
    "envoy.ratelimit": "envoy.filters.network.ratelimit",
    "envoy.router": "envoy.filters.http.router",
    "envoy.lua": "envoy.filters.http.lua",
    "envoy.cors": "envoy.filters.http.cors",
    "envoy.fault": "envoy.filters.http.fault",
    "envoy.buffer": "envoy.filters.http.buffer",
    "envoy.gzip": "envoy.filters.http.compressor",
    "envoy.health_check": "envoy.filters.http.health_check",
    "envoy.ext_authz": "envoy.filters.http.ext_authz",
    "envoy.rate_limit": "envoy.filters.http.ratelimit",
    "envoy.grpc_web": "envoy.filters.http.grpc_web",
    "envoy.grpc_json_transcoder": "envoy.filters.http.grpc_json_transcoder",
    "envoy.ip_tagging": "envoy.filters.http.ip_tagging",
    "envoy.squash": "envoy.filters.http.squash",
    "envoy.listener.tls_inspector": "envoy.filters.listener.tls_inspector",
    "envoy.listener.original_dst": "envoy.filters.listener.original_dst",
    "envoy.listener.http_inspector": "envoy.filters.listener.http_inspector",
    "envoy.transport_sockets.tls": "envoy.transport_sockets.tls",
}
RENAMED = {k: v for k, v in RENAMED.items() if k != v}

# Filters that existed in 1.4/1.6 and no longer do: matching them matches nothing.
REMOVED_FILTERS = {
    "mixer": "the Mixer client filter (Mixer was removed in 1.8)",
    "envoy.filters.http.mixer": "the Mixer client filter (Mixer was removed in 1.8)",
    "istio_authn": "the alpha authentication filter (removed with the v1alpha1 authentication API in 1.6)",
    "istio.authn": "the alpha authentication filter (removed with the v1alpha1 authentication API in 1.6)",
    "jwt-auth": "Istio's own JWT filter (replaced by envoy.filters.http.jwt_authn)",
    "istio.jwt": "Istio's own JWT filter (replaced by envoy.filters.http.jwt_authn)",
}

OLD_FIELDS = ("workloadLabels", "filters")


def name_fields(res: Resource) -> Iterator[tuple[str, str]]:
    """(pointer, filter name) for every place an EnvoyFilter names an Envoy filter."""
    spec = res.spec
    for i, patch in enumerate(spec.get("configPatches") or []):
        if not isinstance(patch, dict):
            continue
        listener = ((patch.get("match") or {}) if isinstance(patch.get("match"), dict) else {}).get("listener")
        chain = listener.get("filterChain") if isinstance(listener, dict) else None
        filt = chain.get("filter") if isinstance(chain, dict) else None
        if isinstance(filt, dict):
            if isinstance(filt.get("name"), str):
                yield pointer("spec", "configPatches", i, "match", "listener", "filterChain", "filter", "name"), filt["name"]
            sub = filt.get("subFilter")
            if isinstance(sub, dict) and isinstance(sub.get("name"), str):
                yield pointer("spec", "configPatches", i, "match", "listener", "filterChain", "filter", "subFilter", "name"), sub["name"]
        value = (patch.get("patch") or {}).get("value") if isinstance(patch.get("patch"), dict) else None
        if isinstance(value, dict) and isinstance(value.get("name"), str):
            yield pointer("spec", "configPatches", i, "patch", "value", "name"), value["name"]
    for i, f in enumerate(spec.get("filters") or []):
        if isinstance(f, dict) and isinstance(f.get("filterName"), str):
            yield pointer("spec", "filters", i, "filterName"), f["filterName"]
        pos = f.get("insertPosition") if isinstance(f, dict) else None
        if isinstance(pos, dict) and isinstance(pos.get("relativeTo"), str):
            yield pointer("spec", "filters", i, "insertPosition", "relativeTo"), pos["relativeTo"]


def walk_strings(value: Any, base: str) -> Iterator[tuple[str, str, str]]:
    """(pointer, key, string) for every string value under ``value``."""
    if isinstance(value, dict):
        for k, v in value.items():
            p = base + pointer(str(k))
            if isinstance(v, str):
                yield p, str(k), v
            else:
                yield from walk_strings(v, p)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from walk_strings(v, f"{base}/{i}")


INSERT = {"FIRST": "INSERT_FIRST", "LAST": "INSERT_AFTER", "BEFORE": "INSERT_BEFORE", "AFTER": "INSERT_AFTER"}
CONTEXT = {"SIDECAR_INBOUND": "SIDECAR_INBOUND", "SIDECAR_OUTBOUND": "SIDECAR_OUTBOUND", "GATEWAY": "GATEWAY", "ANY": "ANY"}
HCM = "envoy.filters.network.http_connection_manager"
ROUTER = "envoy.filters.http.router"
REFUSED = {"portNamePrefix": "1.6's listener match has no port-name prefix", "address": "1.6's listener match cannot select listener addresses",
           "listenerProtocol": "configPatches select the protocol through applyTo (HTTP_FILTER or NETWORK_FILTER) and the listener's filter chain, not a listener protocol; check the match by hand"}


class OldStyle(NamedTuple):
    spec: dict[str, Any] | None  # the configPatches spec, or None when refused
    refusals: list[tuple[str, str]]  # (pointer, reason)
    untyped: list[tuple[str, str]]  # (filter name, why its config stays untyped `config`)
    notes: list[str]  # what the user must know about typed filters (e.g. a v3 gRPC service)


def _protocol_refused(lm: dict[str, Any], ftype: Any) -> bool:
    """``listenerProtocol`` has no configPatches field, but ALL constrains nothing and HTTP adds
    nothing to an HTTP filter (only listeners with an HTTP connection manager take one)."""
    proto = lm.get("listenerProtocol")
    return not (proto == "ALL" or (proto == "HTTP" and ftype == "HTTP"))


def convert_old_style(spec: dict[str, Any]) -> OldStyle:
    """Old-style (1.4) EnvoyFilter spec → configPatches spec (filter config as typed_config where
    its v3 type is known), or refusals (pointer, reason)."""
    refusals: list[tuple[str, str]] = []
    untyped: list[tuple[str, str]] = []
    notes: list[str] = []
    patches = []
    for i, f in enumerate(spec.get("filters") or []):
        if not isinstance(f, dict):
            refusals.append((pointer("spec", "filters", i), "a filter must be a mapping"))
            continue
        lm = f["listenerMatch"] if isinstance(f.get("listenerMatch"), dict) else {}
        for key, why in REFUSED.items():
            if key in lm and (key != "listenerProtocol" or _protocol_refused(lm, f.get("filterType", "HTTP"))):
                refusals.append((pointer("spec", "filters", i, "listenerMatch", key), why))
        ftype = f.get("filterType", "HTTP")
        if ftype not in ("HTTP", "NETWORK"):
            refusals.append((pointer("spec", "filters", i, "filterType"), f"unknown filterType {ftype!r}"))
            continue
        name = RENAMED.get(f.get("filterName"), f.get("filterName"))
        if not isinstance(name, str):
            refusals.append((pointer("spec", "filters", i), "filterName is missing"))
            continue
        match: dict[str, Any] = {"context": CONTEXT.get(str(lm.get("listenerType", "ANY")), "ANY")}
        listener: dict[str, Any] = {}
        if "portNumber" in lm:
            listener["portNumber"] = lm["portNumber"]
        pos = f["insertPosition"] if isinstance(f.get("insertPosition"), dict) else {}
        index = str(pos.get("index", "FIRST"))
        relative = RENAMED.get(pos.get("relativeTo"), pos.get("relativeTo"))
        if index not in INSERT:
            refusals.append((pointer("spec", "filters", i, "insertPosition", "index"), f"unknown insert position {index!r}"))
            continue
        if index in ("BEFORE", "AFTER") and not relative:
            refusals.append((pointer("spec", "filters", i, "insertPosition"), f"{index} needs relativeTo"))
            continue
        if ftype == "HTTP":
            sub = relative if index in ("BEFORE", "AFTER") else ROUTER
            listener["filterChain"] = {"filter": {"name": HCM, "subFilter": {"name": sub}}}
        elif index in ("BEFORE", "AFTER"):
            listener["filterChain"] = {"filter": {"name": relative}}
        if listener:
            match["listener"] = listener
        value = _patch_value(name, f, untyped, notes)
        patches.append({"applyTo": "HTTP_FILTER" if ftype == "HTTP" else "NETWORK_FILTER", "match": match, "patch": {"operation": INSERT[index], "value": value}})
    if refusals:
        return OldStyle(None, refusals, [], [])
    out: dict[str, Any] = {}
    for k, v in spec.items():
        if k == "workloadLabels":
            out["workloadSelector"] = {"labels": v}
        elif k == "filters":
            out["configPatches"] = patches
        else:
            out[k] = v
    return OldStyle(out, [], untyped, notes)


def _patch_value(name: str, f: dict[str, Any], untyped: list[tuple[str, str]], notes: list[str]) -> dict[str, Any]:
    """The inserted filter: its name and its ``filterConfig`` as ``typed_config`` where the v3 type is
    known (else as the untyped ``config``, added to ``untyped`` with the reason)."""
    from .envoy_types import typed_config

    value: dict[str, Any] = {"name": name}
    if "filterConfig" in f:
        typed = typed_config(name, f["filterConfig"])
        if typed.value is not None:
            value["typed_config"] = typed.value
            if typed.note and typed.note not in notes:
                notes.append(typed.note)
        else:
            value["config"] = f["filterConfig"]
            untyped.append((name, typed.reason))
    return value
