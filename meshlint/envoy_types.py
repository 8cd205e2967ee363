"""Envoy v3 types for the filters 1.4/1.6 EnvoyFilters configured with untyped ``config``.

Envoy removed untyped (Struct) filter configuration and the v2 API: a filter now takes
``typed_config`` with the ``@type`` of its v3 message. :func:`typed_config` turns a filter's v2
``config`` into that, or says why it cannot be done exactly:

- the v3 message must have every field the config sets (a field v3 dropped is refused, so nothing
  is silently lost); fields v3 renamed or restructured are mapped (fault ``percent``, Wasm
  ``configuration`` and ``code``) and ``transport_api_version: V3`` is added where Envoy now
  requires it (gRPC ext_authz, rate limit service);
- v2 regular expressions (``regex``, ``regex_match``) used ECMAScript syntax and v3 only has RE2
  ``safe_regex``: they are refused, since the same pattern can match differently (and these
  filters decide who gets in).

Facts from Envoy's v3 API protos (``previous_message_type`` and ``reserved`` fields); no Envoy code.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .spellings import snake

_PREFIX = "type.googleapis.com/"


@dataclass(frozen=True)
class FilterType:
    type_name: str  # the v3 message
    fields: frozenset[str]  # top-level fields the v2 config may set that the v3 message has (snake_case)
    lists: frozenset[str] = frozenset()  # repeated top-level fields: must be lists
    adapt: Callable[[dict[str, Any]], str | None] | None = None  # maps renamed fields in place; returns a refusal reason or None
    note: str = ""  # what the user must know about the typed filter

    @property
    def url(self) -> str:
        return _PREFIX + self.type_name


def _key(obj: dict[str, Any], name: str) -> str | None:
    """The spelling (snake_case or the protobuf JSON camelCase) under which ``obj`` holds ``name``."""
    for k in obj:
        if isinstance(k, str) and snake(k) == name:
            return k
    return None


def _new_key(obj: dict[str, Any], name: str) -> str:
    """A new key in the spelling the mapping already uses."""
    camel = any(isinstance(k, str) and k != snake(k) for k in obj)
    return re.sub(r"_([a-z])", lambda m: m.group(1).upper(), name) if camel else name


def _percent(obj: Any) -> str | None:
    """v2 fault ``percent`` (an integer, deprecated) → ``percentage`` (v3 dropped ``percent``)."""
    if not isinstance(obj, dict):
        return None
    k = _key(obj, "percent")
    if k is None:
        return None
    value = obj.pop(k)
    if _key(obj, "percentage") is None:
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 100:
            return f"percent {value!r} is not a whole percentage"
        obj[_new_key(obj, "percentage")] = {"numerator": value, "denominator": "HUNDRED"}
    return None


def _fault_delay(delay: Any) -> str | None:
    if not isinstance(delay, dict):
        return None
    k = _key(delay, "type")
    if k is not None:
        if delay[k] not in ("FIXED", 0):
            return f"delay type {delay[k]!r} has no v3 equivalent"
        del delay[k]  # v3 dropped the field: FIXED was its only value
    return _percent(delay)


def _fault(cfg: dict[str, Any]) -> str | None:
    for name, adapt in (("delay", _fault_delay), ("abort", _percent)):
        k = _key(cfg, name)
        if k is not None:
            why = adapt(cfg[k])
            if why:
                return why
    return None


def _transport_v3(obj: Any) -> None:
    if isinstance(obj, dict) and _key(obj, "transport_api_version") is None:
        obj[_new_key(obj, "transport_api_version")] = "V3"


def _ext_authz(cfg: dict[str, Any]) -> str | None:
    k = _key(cfg, "use_alpha")
    if k is not None:
        if cfg[k]:
            return "use_alpha selected the alpha ext_authz protocol, which Envoy removed"
        del cfg[k]
    if _key(cfg, "grpc_service") is not None:
        _transport_v3(cfg)
    return None


def _rate_limit(cfg: dict[str, Any]) -> str | None:
    k = _key(cfg, "rate_limit_service")
    if k is not None:
        _transport_v3(cfg[k])
    return None


_STRING_VALUE = _PREFIX + "google.protobuf.StringValue"


def _as_any(value: Any) -> Any:
    """v2 Wasm ``configuration`` was a string; v3 takes an Any (a StringValue for a string)."""
    return {"@type": _STRING_VALUE, "value": value} if isinstance(value, str) else value


def _wasm(cfg: dict[str, Any]) -> str | None:
    k = _key(cfg, "config")
    plugin = cfg.get(k) if k else None
    if not isinstance(plugin, dict):
        return "a Wasm filter needs its plugin config under config"
    ck = _key(plugin, "configuration")
    if ck is not None:
        plugin[ck] = _as_any(plugin[ck])
    vk = _key(plugin, "vm_config")
    vm = plugin.get(vk) if vk else None
    if isinstance(vm, dict):
        rk = _key(vm, "runtime")
        if rk is not None and vm[rk] == "envoy.wasm.runtime.null":
            return ("it runs a plugin built into Istio 1.4-1.6's proxy (the null VM), which modern proxies do not have; "
                    "the telemetry these plugins produced is built in now and configured with the Telemetry API")
        ck = _key(vm, "configuration")
        if ck is not None:
            vm[ck] = _as_any(vm[ck])
        code_key = _key(vm, "code")
        code = vm.get(code_key) if code_key else None
        if isinstance(code, dict) and _key(code, "local") is None and _key(code, "remote") is None:
            vm[code_key] = {"local": code}  # v2 took a DataSource; v3 an AsyncDataSource
    return None


_EXT_AUTHZ_NOTE = "the authorization server must serve Envoy's v3 gRPC API (envoy.service.auth.v3), as current Envoy speaks no other"
_RATE_LIMIT_NOTE = "the rate limit service must serve Envoy's v3 gRPC API (envoy.service.ratelimit.v3)"


def _t(type_name: str, fields: str = "", lists: str = "", adapt: Callable[[dict[str, Any]], str | None] | None = None, note: str = "") -> FilterType:
    return FilterType(type_name, frozenset(fields.split()), frozenset(lists.split()), adapt, note)


FILTERS: dict[str, FilterType] = {
    # HTTP filters
    "envoy.filters.http.lua": _t("envoy.extensions.filters.http.lua.v3.Lua", "inline_code source_codes"),
    "envoy.filters.http.cors": _t("envoy.extensions.filters.http.cors.v3.Cors"),
    "envoy.filters.http.fault": _t("envoy.extensions.filters.http.fault.v3.HTTPFault",
                                   "delay abort upstream_cluster headers downstream_nodes max_active_faults response_rate_limit "
                                   "delay_percent_runtime abort_percent_runtime delay_duration_runtime abort_http_status_runtime "
                                   "max_active_faults_runtime response_rate_limit_percent_runtime abort_grpc_status_runtime",
                                   "headers downstream_nodes", _fault),
    "envoy.filters.http.ext_authz": _t("envoy.extensions.filters.http.ext_authz.v3.ExtAuthz",
                                       "grpc_service http_service failure_mode_allow use_alpha with_request_body clear_route_cache "
                                       "status_on_error metadata_context_namespaces filter_enabled deny_at_disable include_peer_certificate "
                                       "transport_api_version",
                                       "metadata_context_namespaces", _ext_authz, _EXT_AUTHZ_NOTE),
    "envoy.filters.http.ratelimit": _t("envoy.extensions.filters.http.ratelimit.v3.RateLimit",
                                       "domain stage request_type timeout failure_mode_deny rate_limited_as_resource_exhausted rate_limit_service",
                                       "", _rate_limit, _RATE_LIMIT_NOTE),
    "envoy.filters.http.rbac": _t("envoy.extensions.filters.http.rbac.v3.RBAC", "rules shadow_rules"),
    "envoy.filters.http.jwt_authn": _t("envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication",
                                       "providers rules filter_state_rules bypass_cors_preflight", "rules"),
    "envoy.filters.http.header_to_metadata": _t("envoy.extensions.filters.http.header_to_metadata.v3.Config",
                                                "request_rules response_rules", "request_rules response_rules"),
    "envoy.filters.http.buffer": _t("envoy.extensions.filters.http.buffer.v3.Buffer", "max_request_bytes"),
    "envoy.filters.http.health_check": _t("envoy.extensions.filters.http.health_check.v3.HealthCheck",
                                          "pass_through_mode cache_time cluster_min_healthy_percentages headers", "headers"),
    "envoy.filters.http.grpc_web": _t("envoy.extensions.filters.http.grpc_web.v3.GrpcWeb"),
    "envoy.filters.http.grpc_json_transcoder": _t("envoy.extensions.filters.http.grpc_json_transcoder.v3.GrpcJsonTranscoder",
                                                  "proto_descriptor proto_descriptor_bin services print_options match_incoming_request_route "
                                                  "ignored_query_parameters auto_mapping ignore_unknown_query_parameters convert_grpc_status",
                                                  "services ignored_query_parameters"),
    "envoy.filters.http.ip_tagging": _t("envoy.extensions.filters.http.ip_tagging.v3.IPTagging", "request_type ip_tags", "ip_tags"),
    "envoy.filters.http.csrf": _t("envoy.extensions.filters.http.csrf.v3.CsrfPolicy", "filter_enabled shadow_enabled additional_origins", "additional_origins"),
    "envoy.filters.http.router": _t("envoy.extensions.filters.http.router.v3.Router",
                                    "dynamic_stats start_child_span suppress_envoy_headers strict_check_headers respect_expected_rq_timeout"),
    "envoy.filters.http.wasm": _t("envoy.extensions.filters.http.wasm.v3.Wasm", "config", "", _wasm),
    # network filters
    "envoy.filters.network.tcp_proxy": _t("envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy",
                                          "stat_prefix cluster weighted_clusters metadata_match idle_timeout downstream_idle_timeout "
                                          "upstream_idle_timeout max_connect_attempts hash_policy tunneling_config", "hash_policy"),
    "envoy.filters.network.ratelimit": _t("envoy.extensions.filters.network.ratelimit.v3.RateLimit",
                                          "stat_prefix domain descriptors timeout failure_mode_deny rate_limit_service",
                                          "descriptors", _rate_limit, _RATE_LIMIT_NOTE),
    "envoy.filters.network.rbac": _t("envoy.extensions.filters.network.rbac.v3.RBAC", "rules shadow_rules stat_prefix enforcement_type"),
    "envoy.filters.network.ext_authz": _t("envoy.extensions.filters.network.ext_authz.v3.ExtAuthz",
                                          "stat_prefix grpc_service failure_mode_allow include_peer_certificate transport_api_version",
                                          "", _ext_authz, _EXT_AUTHZ_NOTE),
    "envoy.filters.network.mongo_proxy": _t("envoy.extensions.filters.network.mongo_proxy.v3.MongoProxy",
                                            "stat_prefix access_log delay emit_dynamic_metadata", "", lambda cfg: _fault_delay(cfg.get(_key(cfg, "delay") or ""))),
    # Istio's TCP metadata exchange (1.5/1.6 telemetry v2): Istio's own message, still served
    "envoy.filters.network.metadata_exchange": _t("envoy.tcp.metadataexchange.config.MetadataExchange", "protocol"),
    # listener filters
    "envoy.filters.listener.tls_inspector": _t("envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector"),
    "envoy.filters.listener.http_inspector": _t("envoy.extensions.filters.listener.http_inspector.v3.HttpInspector"),
    "envoy.filters.listener.original_dst": _t("envoy.extensions.filters.listener.original_dst.v3.OriginalDst"),
}

# keys whose value is a v2 (ECMAScript) regex, and the v3 key that replaced them with RE2
_REGEX_KEYS = {"regex": "safe_regex", "regex_match": "safe_regex_match"}


def _regex(value: Any, path: str = "") -> str | None:
    if isinstance(value, dict):
        for k, v in value.items():
            name = snake(str(k))
            if name in _REGEX_KEYS and isinstance(v, str):
                return (f"{path}/{k} is a v2 regular expression (ECMAScript syntax); v3 only has {_REGEX_KEYS[name]} (RE2), "
                        "where the same pattern can match differently")
            if name == "name" and path.endswith("/authenticated"):
                return f"{path}/{k}: v3 matches an authenticated peer by principal_name (a string matcher), not name"
            found = _regex(v, f"{path}/{k}")
            if found:
                return found
    elif isinstance(value, list):
        for i, v in enumerate(value):
            found = _regex(v, f"{path}/{i}")
            if found:
                return found
    return None


@dataclass(frozen=True)
class Typed:
    """The outcome for one filter: ``value`` is the typed_config (with ``@type``), or ``None``
    with ``reason`` saying why the config stays untyped (``known`` tells an unknown filter from
    one meshlint knows but cannot type exactly)."""

    value: dict[str, Any] | None
    reason: str = ""
    known: bool = True
    note: str = ""


def typed_config(filter_name: Any, config: Any) -> Typed:
    import copy

    from .envoyfilter import RENAMED

    name = RENAMED.get(filter_name, filter_name) if isinstance(filter_name, str) else filter_name
    ftype = FILTERS.get(name) if isinstance(name, str) else None
    if ftype is None:
        return Typed(None, f"meshlint knows no v3 type for the filter {filter_name!r}", known=False)
    if config is None:
        config = {}
    if not isinstance(config, dict):
        return Typed(None, "its config is not a mapping")
    cfg = copy.deepcopy(config)
    for k, v in cfg.items():
        field = snake(str(k))
        if field not in ftype.fields:
            return Typed(None, f"{k} is not a field of {ftype.type_name}")
        if field in ftype.lists and not isinstance(v, list):
            return Typed(None, f"{k} must be a list (Envoy rejected this config in 1.4/1.6 too)")
    why = _regex(cfg)
    if why:
        return Typed(None, why.lstrip("/"))
    if ftype.adapt is not None:
        why = ftype.adapt(cfg)
        if why:
            return Typed(None, why)
    return Typed({"@type": ftype.url, **cfg}, note=ftype.note)
