"""IstioOperator (install.istio.io/v1alpha1) read into plain data: the gateways it declares, its
meshConfig values (including the 1.6 ``values`` that the operator turned into meshConfig), its
add-on components and control-plane components, each with the JSON pointer it sits at.

Managed Anthos Service Mesh does not read the IstioOperator API: the rules ML730-ML734 say where
each setting goes instead. Field names follow the Istio 1.6 operator API (IstioOperatorSpec:
profile, revision, components, addonComponents, meshConfig, values).
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from .model import Resource, pointer
from .plain import dict_of

ADDON_NAME = re.compile(r"istio-\d+-\d+-\d+-gke-\d+")  # the Istio-on-GKE 1.6 add-on's own IstioOperator, e.g. istio-1-6-11-gke-0
ILB_ANNOTATIONS = {"cloud.google.com/load-balancer-type": "internal", "networking.gke.io/load-balancer-type": "internal"}
CONTROL_PLANE = ("base", "pilot", "policy", "telemetry", "citadel", "galley", "sidecarInjector", "nodeAgent", "proxy", "cni", "istiodRemote")
ADDONS = ("prometheus", "prometheusOperator", "grafana", "kiali", "tracing", "istiocoredns")
# 1.6 Helm values the operator rendered into meshConfig: value path -> meshConfig field
VALUES_TO_MESH = {
    ("global", "proxy", "accessLogFile"): "accessLogFile",
    ("global", "proxy", "accessLogFormat"): "accessLogFormat",
    ("global", "proxy", "accessLogEncoding"): "accessLogEncoding",
    ("global", "outboundTrafficPolicy", "mode"): "outboundTrafficPolicy.mode",
    ("global", "enableTracing"): "enableTracing",
    ("global", "disablePolicyChecks"): "disablePolicyChecks",
    ("global", "policyCheckFailOpen"): "policyCheckFailOpen",
    ("global", "trustDomain"): "trustDomain",
    ("pilot", "traceSampling"): "defaultConfig.tracing.sampling",
    ("global", "proxy", "tracer"): "defaultConfig.tracing",
}


def is_operator(res: Resource) -> bool:
    return res.group == "install.istio.io" and res.kind == "IstioOperator"


def is_addon(res: Resource) -> bool:
    """The Istio-on-GKE 1.6 add-on's own install resource (not one a user wrote)."""
    return bool(ADDON_NAME.fullmatch(res.name or ""))


def _enabled(spec: Any, default: bool) -> bool:
    v = dict_of(spec).get("enabled", default)
    return v is True or (isinstance(v, str) and v.lower() == "true")


@dataclass
class Gateway:
    """A gateway an IstioOperator declares (components.ingressGateways / egressGateways)."""

    direction: str  # "ingress" or "egress"
    name: str
    namespace: str
    path: str  # JSON pointer to the entry
    labels: dict[str, str] = field(default_factory=dict)
    service: dict[str, Any] = field(default_factory=dict)  # k8s.service: type, ports, loadBalancerIP, ...
    annotations: dict[str, str] = field(default_factory=dict)  # k8s.serviceAnnotations
    replicas: int = 1

    @property
    def internal(self) -> bool:
        return any(str(self.annotations.get(k, "")).lower() == v for k, v in ILB_ANNOTATIONS.items())

    @property
    def default(self) -> bool:
        return self.direction == "ingress" and self.name == "istio-ingressgateway" and self.namespace == "istio-system"


def gateways(res: Resource) -> list[Gateway]:
    """Every enabled gateway the resource declares. A gateway's namespace defaults to the
    operator's install namespace (spec.values.global.istioNamespace, else istio-system)."""
    spec = res.spec
    default_ns = dict_of(dict_of(spec.get("values")).get("global")).get("istioNamespace") or "istio-system"
    out = []
    for direction, key in (("ingress", "ingressGateways"), ("egress", "egressGateways")):
        entries = dict_of(spec.get("components")).get(key)
        if not isinstance(entries, list):
            continue
        for i, g in enumerate(entries):
            if not isinstance(g, dict) or not _enabled(g, direction == "ingress" and g.get("name") == "istio-ingressgateway"):
                continue
            name: str = g["name"] if isinstance(g.get("name"), str) else f"istio-{direction}gateway"
            k8s = dict_of(g.get("k8s"))
            labels = {str(k): str(v) for k, v in dict_of(g.get("label")).items()}
            labels.setdefault("app", name)
            labels.setdefault("istio", name.removeprefix("istio-"))
            hpa = dict_of(k8s.get("hpaSpec"))
            replicas: int = k8s["replicaCount"] if isinstance(k8s.get("replicaCount"), int) else hpa["minReplicas"] if isinstance(hpa.get("minReplicas"), int) else 1
            out.append(Gateway(direction, name, str(g.get("namespace") or default_ns), pointer("spec", "components", key, i),
                               labels, dict_of(k8s.get("service")), {str(k): str(v) for k, v in dict_of(k8s.get("serviceAnnotations")).items()}, replicas))
    return out


def workload(g: Gateway) -> tuple[dict[str, Any], dict[str, Any]]:
    """The Deployment and Service the 1.6 operator rendered for a gateway (the parts a replacement keeps)."""
    ports = [p for p in g.service.get("ports") or [] if isinstance(p, dict)]
    container_ports: list[int] = sorted({p["targetPort"] if isinstance(p.get("targetPort"), int) else p["port"] for p in ports

                              if isinstance(p.get("targetPort"), int) or isinstance(p.get("port"), int)})
    deployment = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": g.name, "namespace": g.namespace, "labels": dict(g.labels)},
                  "spec": {"replicas": g.replicas, "selector": {"matchLabels": dict(g.labels)},
                           "template": {"metadata": {"labels": dict(g.labels)},
                                        "spec": {"containers": [{"name": "istio-proxy", "image": "proxyv2", "args": ["proxy", "router"],
                                                                 "ports": [{"containerPort": p} for p in container_ports]}]}}}}
    service_spec = {k: v for k, v in g.service.items() if k in ("type", "loadBalancerIP", "loadBalancerSourceRanges", "externalTrafficPolicy")}
    service_spec["type"] = service_spec.get("type") or ("LoadBalancer" if g.direction == "ingress" else "ClusterIP")
    service_spec["selector"] = dict(g.labels)
    service_spec["ports"] = [{k: v for k, v in p.items() if k in ("name", "port", "targetPort", "nodePort", "protocol")} for p in ports]
    service = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": g.name, "namespace": g.namespace, "labels": dict(g.labels),
                                                                   **({"annotations": dict(g.annotations)} if g.annotations else {})},
               "spec": service_spec}
    return deployment, service


def mesh_config(res: Resource) -> Iterator[tuple[str, str, Any]]:
    """(pointer, meshConfig field, value) for every meshConfig leaf set (nested fields dotted,
    ``defaultConfig.tracing`` whole), and for the 1.6 values that become meshConfig."""
    spec = res.spec

    def walk(node: dict[str, Any], tokens: tuple[str, ...], dotted: str) -> Iterator[tuple[str, str, Any]]:
        for k, v in node.items():
            name = f"{dotted}.{k}" if dotted else str(k)
            if isinstance(v, dict) and v and name not in ("defaultConfig.tracing", "outboundTrafficPolicy", "localityLbSetting", "defaultConfig.proxyMetadata"):
                yield from walk(v, tokens + (k,), name)
            else:
                yield pointer(*tokens, k), name, v

    yield from walk(dict_of(spec.get("meshConfig")), ("spec", "meshConfig"), "")
    values = dict_of(spec.get("values"))
    for path, mesh_field in VALUES_TO_MESH.items():
        node: Any = values
        for t in path:
            node = node.get(t) if isinstance(node, dict) else None
        if node is not None and node != "" and node != {}:
            yield pointer("spec", "values", *path), mesh_field, node


def addons(res: Resource) -> Iterator[tuple[str, str]]:
    """(pointer, add-on) for every add-on the resource enables: addonComponents (1.6) and the
    1.6 ``values.<addon>.enabled`` switches."""
    spec = res.spec
    for name, conf in dict_of(spec.get("addonComponents")).items():
        if name in ADDONS and _enabled(conf, False):
            yield pointer("spec", "addonComponents", name, "enabled"), name
    values = dict_of(spec.get("values"))
    for name in ADDONS:
        if _enabled(values.get(name), False):
            yield pointer("spec", "values", name, "enabled"), name


def components(res: Resource) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(pointer, component, its spec) for control-plane components set in spec.components."""
    for name, conf in dict_of(res.spec.get("components")).items():
        if name in CONTROL_PLANE and isinstance(conf, dict):
            yield pointer("spec", "components", name), name, conf


def enabled(conf: dict[str, Any], default: bool = False) -> bool:
    return _enabled(conf, default)
