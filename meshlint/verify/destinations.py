"""Destination classes: the Services among the inputs (their pods, ports and protocols), a Service
that is not among them, and a namespace nothing mentions.

Assumption, stated in docs/convert.md: pods are reached through the Services among the inputs that
select them. A request's port is the workload port a Service port targets; its protocol follows
the Service port's name or appProtocol as Istio reads it (``http``, ``http2``, ``grpc`` and their
``-suffix`` forms: HTTP; a known TCP protocol: TCP; anything else: either).
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from ..index import WORKLOAD_KINDS, ResourceIndex
from ..model import Resource
from ..workloads import named_container_ports
from .logic import TRUE, Formula, all_of, any_of
from .values import OTHER, equals_pred

OTHER_NAMESPACE = "meshlint-other-ns"
UNKNOWN_HTTP = (("*", "http"),)  # a Service not among the inputs: assumed to serve HTTP on its ports
_HTTP = ("http", "http2", "grpc", "grpc-web")
_TCP = ("tcp", "tls", "https", "mongo", "mysql", "redis", "udp", "mqtt", "thrift")


@dataclass(frozen=True)
class Destination:
    """A request's destination: a Service's pods (labels) and the workload ports it serves."""

    namespace: str
    service: str | None  # the Service's short name
    labels: tuple[tuple[str, str], ...]
    account: str = "default"  # the pods' service account
    ports: tuple[tuple[str, str], ...] = ()  # (workload port, "http" | "tcp" | "any")
    domain: str = "cluster.local"

    @property
    def hostname(self) -> str | None:
        return f"{self.service}.{self.namespace}.svc.{self.domain}" if self.service else None

    @property
    def label_map(self) -> dict[str, str]:
        return dict(self.labels)

    def describe(self) -> str:
        if self.service == OTHER:
            return f"a Service not among the inputs in namespace {self.namespace}"
        return f"{self.hostname} (pods {dict(self.labels)})"


def protocol(port: dict[str, Any]) -> str:
    name = str(port.get("appProtocol") or port.get("name") or "").lower()
    head = name.split("-", 1)[0]
    if name in _HTTP or head in ("http", "http2", "grpc"):
        return "http"
    if head in _TCP:
        return "tcp"
    return "any"


def service_ports(svc: Resource, index: ResourceIndex) -> list[tuple[int, str | None, str, str]]:
    """(service port, its name, the workload port it targets, protocol) for every resolvable port."""
    out = []
    for p in svc.spec.get("ports") or []:
        if not isinstance(p, dict) or not isinstance(p.get("port"), int):
            continue
        target: Any = p.get("targetPort", p["port"])
        if not isinstance(target, int):
            target = _named(svc, str(target), index)
            if target is None:
                continue
        out.append((p["port"], p.get("name"), str(target), protocol(p)))
    return out


def _named(svc: Resource, name: str, index: ResourceIndex) -> int | None:
    sel = svc.spec.get("selector")
    numbers = named_container_ports(index, index.ns(svc), sel if isinstance(sel, dict) else {}, name, tuple(sorted(WORKLOAD_KINDS)))
    return numbers.pop() if len(numbers) == 1 else None


def consistency(dest: Destination) -> Formula:
    """The requests that reach ``dest``'s policies: to a port its Service declares, with that
    port's protocol. (1.4 sent traffic to an undeclared pod port through a passthrough chain with
    no authentication or RBAC at all; such ports are not request classes.) A Service whose ports
    are unknown: any port, either protocol; a Service not among the inputs: any port, HTTP (an
    assumption docs/convert.md states: its real protocol cannot be known offline)."""
    if not dest.ports:
        return TRUE
    if dest.ports == UNKNOWN_HTTP:
        return equals_pred("proto", "http")
    return any_of(all_of([equals_pred("port", p), equals_pred("proto", proto) if proto != "any" else TRUE]) for p, proto in dest.ports)


def _variants(base: dict[str, str], mentioned: dict[str, set[str]], cap: int = 64) -> list[dict[str, str]]:
    variants = [dict(base)]
    for key in sorted(mentioned):
        if key in base:
            continue
        options: list[str | None] = sorted(mentioned[key]) + [None]
        nxt = []
        for v in variants:
            for value in options:
                nxt.append({**v, key: value} if value is not None else v)
        variants = nxt[:cap]
    return variants


def service_namespaces(index: ResourceIndex) -> set[str]:
    """Every namespace a Service among the inputs lives in: what a mesh-wide policy reaches."""
    return {index.ns(s) for s in index.of_kind("Service", group="")}


def destinations(namespaces: Iterable[str], index: ResourceIndex, mentioned: dict[str, set[str]]) -> list[Destination]:
    out: list[Destination] = []
    seen: set[tuple[str, str, str]] = set()
    for ns in sorted(set(namespaces) | {OTHER_NAMESPACE}):
        for svc in index.of_kind("Service", namespace=ns, group=""):
            sel = svc.spec.get("selector")
            if not isinstance(sel, dict) or not sel or not svc.name:
                continue
            # a copy of a Service already seen (an export and its repository) gives the same
            # destinations: skip it rather than look up every copy of its workloads again
            same = (ns, svc.name, repr(svc.spec))
            if same in seen:
                continue
            seen.add(same)
            base = {str(k): str(v) for k, v in sel.items()}
            accounts = sorted({str(((w.spec.get("template") or {}).get("spec") or {}).get("serviceAccountName") or "default")
                               for w in index.workloads_selected(ns, base, kinds=("Deployment",))} or {"default"})
            ports = tuple(sorted({(target, proto) for _, _, target, proto in service_ports(svc, index)}))
            for labels in _variants(base, mentioned):
                out.append(Destination(ns, svc.name, tuple(sorted(labels.items())), accounts[0], ports))
        # a Service that is not among the inputs, whose pods no converted selector names
        out.append(Destination(ns, OTHER, (("app", OTHER),), ports=UNKNOWN_HTTP))
    return list(dict.fromkeys(out))  # a Service among the inputs twice (an export and its repository) is one destination
