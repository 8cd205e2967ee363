"""ML600: Mixer (config.istio.io) resources, telling add-on defaults from user config.

A resource is an add-on default only when both its name and the SHA-256 of its
``spec`` (compact JSON, sorted keys) match what the Istio-on-GKE add-on installs.
"""
from __future__ import annotations

import functools
import hashlib
import json
import re
from collections.abc import Iterator
from importlib import resources as _res
from typing import Any

from ..annotations import CONVERTED_FROM, DRAFT
from ..fixes import ExtraFile, Fix
from ..index import RuleContext
from ..model import Resource, Severity, Violation
from ..placeholders import has_placeholder
from ..verify.values import parse_cidr

CODE = "ML600"
KINDS = ("config.istio.io/*",)
READS = ("config.istio.io/handler", "config.istio.io/instance", "config.istio.io/listchecker", "config.istio.io/listentry")

_NOT_MIXER = {"RouteRule", "DestinationPolicy", "EgressRule"}  # pre-1.0 routing kinds: ML100

_TELEMETRY = "telemetry v2: the proxies' own Envoy stats produce the standard metrics, customised with the Telemetry API (telemetry.istio.io/v1 `metrics` overrides)"
_AUTHZ = "an AuthorizationPolicy (security.istio.io/v1), e.g. `action: DENY` with `from.source.ipBlocks` or `notIpBlocks`"
_RATELIMIT = "Envoy rate limiting (a global rate-limit service, or local rate limiting on in-cluster Istio); a managed control plane has no Mixer quotas"
_LOGGING = "access logging through the Telemetry API (`accessLogging`) or meshConfig.accessLogFile"
GUIDANCE = {
    "prometheus": _TELEMETRY,
    "stackdriver": "managed telemetry: Anthos Service Mesh sends metrics, logs and traces to Cloud Monitoring, Logging and Trace itself; tune it with the Telemetry API",
    "denier": _AUTHZ,
    "listchecker": _AUTHZ,
    "opa": "an AuthorizationPolicy with `action: CUSTOM` and an ext_authz provider (OPA as an external authorizer)",
    "rbac": "AuthorizationPolicy (security.istio.io/v1)",
    "memquota": _RATELIMIT,
    "redisquota": _RATELIMIT,
    "stdio": _LOGGING,
    "fluentd": _LOGGING,
    "kubernetesenv": "nothing: telemetry v2 derives workload attributes in the proxy, so this adapter has no replacement and can simply be removed",
    "zipkin": "tracing configuration through the Telemetry API (`tracing`) and meshConfig extension providers",
    "statsd": _TELEMETRY,
    "signalfx": _TELEMETRY,
    "cloudwatch": _TELEMETRY,
    "dogstatsd": _TELEMETRY,
}
_SCHEMA_KINDS = {"attributemanifest", "template", "adapter"}
_SPEC_KINDS = {"HTTPAPISpec", "HTTPAPISpecBinding", "QuotaSpec", "QuotaSpecBinding"}


@functools.lru_cache(maxsize=1)
def defaults() -> dict[str, dict[str, frozenset[str]]]:
    """``{kind: {spec sha256: names}}`` of the Mixer resources the GKE add-on installs by default."""
    with _res.files("meshlint").joinpath("data/mixer_defaults.json").open("rb") as fh:
        data = json.load(fh)
    return {kind: {digest: frozenset(names) for digest, names in by_digest.items()} for kind, by_digest in data.items() if not kind.startswith("_")}


def spec_digest(spec: Any) -> str:
    return hashlib.sha256(json.dumps(spec, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()).hexdigest()


def is_addon_default(res: Resource) -> bool:
    """An unmodified add-on default: its name *and* the digest of its spec are a pair the add-on
    installs (a digest whose default names are not known is matched on the digest alone)."""
    names = defaults().get(res.kind or "", {}).get(spec_digest(res.body.get("spec")))
    return names is not None and (not names or (res.name or "") in names)


def adapter_of(res: Resource) -> str | None:
    """The adapter a handler (or legacy per-adapter kind) configures."""
    spec = res.spec
    if res.kind == "handler":
        if isinstance(spec.get("connection"), dict) and spec["connection"].get("address"):
            return "out-of-process"
        a = spec.get("compiledAdapter") or spec.get("adapter")
        return a if isinstance(a, str) else None
    if res.kind in GUIDANCE:
        return res.kind
    return None


def _ref(ref: str, ns: str, ctx: RuleContext, kinds: tuple[str, ...]) -> Resource | None:
    """A rule's reference to a handler or instance: ``name``, ``name.namespace``, or the legacy
    ``name.kind`` / ``name.kind.namespace``."""
    parts = ref.split(".")
    if len(parts) >= 2 and parts[1] in kinds:
        candidates = [(parts[1], parts[2] if len(parts) > 2 else ns)]
    else:
        candidates = [(k, parts[1] if len(parts) >= 2 else ns) for k in kinds]
    for kind, where in candidates:
        found = ctx.index.get(kind, where, parts[0], group="config.istio.io")
        if found is not None:
            return found
    return None


_MATCH_LABEL = re.compile(r'^\s*destination\.labels\["([^"]+)"\]\s*==\s*"([^"]*)"\s*$')


def draft_policy(rule: Resource, ctx: RuleContext) -> dict[str, Any] | None:
    """A draft AuthorizationPolicy for the one pattern that converts exactly: a rule sending the
    source IP (listentry) to an IP listchecker, matching everything or one destination label."""
    spec = rule.spec
    match = str(spec.get("match", "") or "").strip()
    selector = None
    if match not in ("", "true"):
        m = _MATCH_LABEL.match(match)
        if not m:
            return None
        selector = {m.group(1): m.group(2)}
    ns = ctx.index.ns(rule)
    actions: list[Any] = spec["actions"] if isinstance(spec.get("actions"), list) else []
    if len(actions) != 1 or not isinstance(actions[0], dict):
        return None
    handler = _ref(str(actions[0].get("handler", "")), ns, ctx, ("handler", "listchecker"))
    instances = [_ref(str(i), ns, ctx, ("instance", "listentry")) for i in actions[0].get("instances") or []]
    if handler is None or len(instances) != 1 or instances[0] is None:
        return None
    hspec = handler.spec
    params = hspec.get("params") if handler.kind == "handler" else hspec
    if (handler.kind == "handler" and hspec.get("compiledAdapter") != "listchecker") or not isinstance(params, dict):
        return None
    if params.get("entryType", "STRINGS") != "IP_ADDRESSES" or not isinstance(params.get("overrides"), list) or params.get("providerUrl"):
        return None
    inst = instances[0]
    ispec = inst.spec.get("params") if inst.kind == "instance" else inst.spec
    if (inst.kind == "instance" and inst.spec.get("compiledTemplate") != "listentry") or not isinstance(ispec, dict):
        return None
    if not str(ispec.get("value", "")).strip().startswith("source.ip"):
        return None
    blocks = [str(b) for b in params["overrides"]]
    if not all(isinstance(b, str) and (parse_cidr(b) is not None or has_placeholder(b)) for b in params["overrides"]):
        return None  # an entry that is no IP address or range: the API server would reject the draft
        # (a placeholder's value is unknown: the verification holds that draft back, saying why)
    source = {"ipBlocks": blocks} if params.get("blacklist") else {"notIpBlocks": blocks}
    # a Mixer rule in the root (config default) namespace applied mesh-wide; elsewhere, to its own
    # namespace's workloads: the draft lives where it has the same reach, and a rule written
    # without a namespace gives a draft without one (applied with the same `kubectl -n`)
    where = {"namespace": ctx.root_namespace} if ns == ctx.root_namespace else ({"namespace": rule.namespace} if rule.namespace else {})
    out: dict[str, Any] = {"apiVersion": "security.istio.io/v1", "kind": "AuthorizationPolicy",
                 "metadata": {"name": f"{rule.name}-draft", **where,
                              "annotations": {DRAFT: "Generated from a Mixer listchecker rule: review before applying.",
                                              CONVERTED_FROM: f"{rule.file}#rule {ns}/{rule.name}"}},
                 "spec": {"action": "DENY", "rules": [{"from": [{"source": source}]}]}}
    if selector:
        out["spec"] = {"selector": {"matchLabels": selector}, **out["spec"]}
    return out


def check(res: Resource, ctx: RuleContext) -> Iterator[Violation]:
    if res.kind in _NOT_MIXER:
        return
    if res.kind == "rule" and not is_addon_default(res):
        draft = draft_policy(res, ctx)
        if draft is not None:
            fix = Fix(f"write a draft AuthorizationPolicy for Mixer rule {res.name}",
                      (ExtraFile(f"mixer/{res.name}-draft-authorizationpolicy.yaml", (draft,), note="DRAFT generated by meshlint from a Mixer listchecker rule: review before applying."),))
            yield Violation("/kind", {"kind": res.kind, "name": res.name or "?", "apiVersion": res.api_version}, message="draft", fix=fix)
            return
    params = {"kind": res.kind, "name": res.name or "?", "apiVersion": res.api_version}
    if is_addon_default(res):
        yield Violation("/kind", params, message="addon_default", severity=Severity.INFO)
        return
    adapter = adapter_of(res)
    if adapter == "out-of-process":
        yield Violation("/spec/connection/address", params, message="out_of_process")
    elif adapter in GUIDANCE:
        yield Violation("/kind", {**params, "adapter": adapter, "replacement": GUIDANCE[adapter]}, message="adapter")
    elif res.kind in _SCHEMA_KINDS:
        yield Violation("/kind", params, message="schema")
    elif res.kind in _SPEC_KINDS:
        yield Violation("/kind", params, message="api_spec")
    else:
        yield Violation("/kind", params)
