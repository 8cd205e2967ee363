"""Where traffic fields live in VirtualServices and DestinationRules.

Rules iterate these locations instead of searching text, so every finding names
a field at its exact place: ``http[]``, ``http[].route[]``, ``tcp[]``, ``tls[]``,
and every place a DestinationRule traffic policy can occur.
"""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from .model import Resource, pointer


def _dicts(value: Any) -> Iterator[tuple[int, dict[str, Any]]]:
    if isinstance(value, list):
        for i, v in enumerate(value):
            if isinstance(v, dict):
                yield i, v


def vs_routes(res: Resource, sections: tuple[str, ...] = ("http", "tcp", "tls")) -> Iterator[tuple[str, dict[str, Any]]]:
    """(pointer, route) for every ``http[]`` / ``tcp[]`` / ``tls[]`` entry."""
    for section in sections:
        for i, route in _dicts(res.spec.get(section)):
            yield pointer("spec", section, i), route


def vs_destinations(res: Resource, sections: tuple[str, ...] = ("http", "tcp", "tls")) -> Iterator[tuple[str, dict[str, Any]]]:
    """(pointer, destination weight) for every ``<section>[].route[]`` entry."""
    for base, route in vs_routes(res, sections):
        for j, dest in _dicts(route.get("route")):
            yield f"{base}/route/{j}", dest


def vs_header_scopes(res: Resource) -> Iterator[tuple[str, dict[str, Any]]]:
    """Places that may carry header manipulation: ``http[]`` and ``http[].route[]``."""
    yield from vs_routes(res, ("http",))
    yield from vs_destinations(res, ("http",))


def dr_traffic_policies(res: Resource) -> Iterator[tuple[str, dict[str, Any]]]:
    """(pointer, trafficPolicy or port-level settings) for every place one can occur."""
    def policy_and_ports(base: str, tp: Any) -> Iterator[tuple[str, dict[str, Any]]]:
        if isinstance(tp, dict):
            yield base, tp
            for k, pls in _dicts(tp.get("portLevelSettings")):
                yield f"{base}/portLevelSettings/{k}", pls

    yield from policy_and_ports(pointer("spec", "trafficPolicy"), res.spec.get("trafficPolicy"))
    for i, subset in _dicts(res.spec.get("subsets")):
        yield from policy_and_ports(pointer("spec", "subsets", i, "trafficPolicy"), subset.get("trafficPolicy"))


VS = "networking.istio.io/VirtualService"
DR = "networking.istio.io/DestinationRule"
