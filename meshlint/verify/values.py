"""Request attributes, the matchers both API generations use on them, and each attribute's
representative values.

A request is a mapping from attribute names to values; ``None`` means absent:

========================  =====================================================================
``principal``             the peer identity from mTLS (``cluster.local/ns/NS/sa/SA``), or None
``ip``                    the source IP of the connection
``rp``                    the request principal from a JWT (``ISSUER/SUBJECT``), or None
``aud``, ``azp``          the JWT's audience and authorized presenter, or None
``claim:NAME``            a JWT claim as a tuple of strings, or None
``header:NAME``           an HTTP header (lower-case name), or None
``method``, ``path``,     the HTTP method, the path (without query string) and the authority
``host``
``port``                  the destination (workload) port, as a string
``dip``, ``sni``          the destination IP, the TLS server name (or None)
``proto``                 ``http`` or ``tcp``: how the destination port is served
``meta:KEY``              Envoy dynamic metadata a filter set (experimental keys), or None
``mtls``, ``token``       (authentication) whether the connection is mTLS; the issuer of the
                          token the request carries, ``INVALID`` for a token no policy trusts,
                          or None
========================  =====================================================================

Seeds, the patterns a predicate mentions, are ``(kind, text)`` pairs: ``glob`` (``*``, ``x*``,
``*x`` or exact), ``ns`` (a namespace pattern inside a principal), ``cidr``, ``port``, ``exact``.
"""
from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from typing import Any

from .logic import Pred

INVALID_TOKEN = "INVALID"
OTHER = "meshlint-other"


# --------------------------------------------------------------------------- string patterns

def glob_match(pattern: str, value: str, star_needs_value: bool) -> bool:
    """Istio's ``*`` / ``prefix*`` / ``*suffix`` / exact match on a present value.

    A lone ``*`` matches any value (``star_needs_value``: any non-empty value, as the
    ``.+`` regex of the modern API does)."""
    if pattern == "*":
        return bool(value) if star_needs_value else True
    if pattern.startswith("*"):
        return value.endswith(pattern[1:])
    if pattern.endswith("*"):
        return value.startswith(pattern[:-1])
    return value == pattern


def string_pred(attr: str, pattern: str, star_needs_value: bool) -> Pred:
    """A string (metadata) matcher: an absent value never matches."""
    def test(v: Any, p: str = pattern, s: bool = star_needs_value) -> bool:
        return isinstance(v, str) and glob_match(p, v, s)

    return Pred(attr, test, (("glob", pattern),), pattern)


def header_pred(attr: str, pattern: str) -> Pred:
    """Envoy's header matcher as both generations build it: ``*`` means "present"."""
    return string_pred(attr, pattern, star_needs_value=False)


def list_pred(attr: str, pattern: str, star_needs_value: bool) -> Pred:
    """A list matcher (JWT claims): some element matches."""
    def test(v: Any, p: str = pattern, s: bool = star_needs_value) -> bool:
        return isinstance(v, tuple) and any(glob_match(p, x, s) for x in v)

    return Pred(attr, test, (("glob", pattern),), pattern)


def regex_pred(attr: str, regex: str, seeds: tuple[tuple[str, str], ...], label: str) -> Pred:
    rx = re.compile(regex, re.DOTALL)

    def test(v: Any) -> bool:
        return isinstance(v, str) and rx.fullmatch(v) is not None

    return Pred(attr, test, seeds, label)


def namespace_of(principal: Any) -> str | None:
    m = re.match(r"^[^/]*/ns/([^/]+)/", principal) if isinstance(principal, str) else None
    return m.group(1) if m else None


# --------------------------------------------------------------------------- addresses and ports

def parse_cidr(text: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    """1.4's and modern Istio's reading of an IP or CIDR; None when invalid."""
    try:
        if "/" in text:
            return ipaddress.ip_network(text, strict=False)
        return ipaddress.ip_network(ipaddress.ip_address(text))
    except ValueError:
        return None


def cidr_pred(attr: str, text: str) -> Pred | None:
    net = parse_cidr(text)
    if net is None:
        return None

    def test(v: Any, n: ipaddress.IPv4Network | ipaddress.IPv6Network = net) -> bool:
        try:
            return isinstance(v, str) and ipaddress.ip_address(v) in n
        except ValueError:
            return False

    return Pred(attr, test, (("cidr", text),), text)


def parse_port(text: Any) -> int | None:
    try:
        p = int(str(text), 10)
    except ValueError:
        return None
    return p if 0 <= p <= 65535 and str(text).strip().isdigit() else None


def port_pred(text: Any) -> Pred | None:
    p = parse_port(text)
    if p is None:
        return None
    port = str(p)

    def test(v: Any, p: str = port) -> bool:
        return bool(v == p)

    return Pred("port", test, (("port", port),), port)


def equals_pred(attr: str, value: Any) -> Pred:
    def test(v: Any, x: Any = value) -> bool:
        return bool(v == x)

    return Pred(attr, test, (("exact", value),), str(value))


# --------------------------------------------------------------------------- representative values

def _glob_witnesses(patterns: Iterable[str]) -> set[str]:
    exact, prefixes, suffixes = set(), set(), set()
    for p in patterns:
        if p == "*":
            continue
        if p.startswith("*"):
            suffixes.add(p[1:])
        elif p.endswith("*"):
            prefixes.add(p[:-1])
        else:
            exact.add(p)
    out = set(exact) | {OTHER, ""}
    for p in prefixes:
        out.update({p, p + "x"})
    for s in suffixes:
        out.update({s, "x" + s})
    for p in prefixes:
        for s in suffixes:
            out.update({p + s, p + "x" + s})
    # an exact value one character short or long of a pattern tells prefix from exact
    for e in exact:
        out.add(e + "x")
    return out


def _ip_witnesses(cidrs: Iterable[str]) -> set[str]:
    out = {"203.0.113.7"}
    for c in cidrs:
        net = parse_cidr(c)
        if net is None:
            continue
        out.add(str(net.network_address))
        out.add(str(net.broadcast_address))
        for addr in (int(net.network_address) - 1, int(net.broadcast_address) + 1):
            try:
                out.add(str(ipaddress.ip_address(addr) if net.version == 4 and 0 <= addr < 2 ** 32 else ipaddress.IPv6Address(addr)))
            except (ValueError, ipaddress.AddressValueError):
                pass
    return out


def _principals(globs: set[str], namespaces: set[str]) -> set[str]:
    out = {p for p in _glob_witnesses(globs) if p}
    ns_values = {n for n in _glob_witnesses(namespaces) if n and "/" not in n} | {"default", OTHER}
    for ns in ns_values:
        out.add(f"cluster.local/ns/{ns}/sa/{OTHER}")
    # principals built from the mentioned globs' namespaces, so "ns/x/sa/*"-style patterns are hit
    for g in list(out):
        if namespace_of(g) is not None:
            out.add(g)
    return out


def domains(seeds: dict[str, set[tuple[str, str]]]) -> dict[str, list[Any]]:
    """Representative values for every attribute the predicates mention."""
    out: dict[str, list[Any]] = {}
    for attr, pairs in seeds.items():
        kinds: dict[str, set[str]] = {}
        for kind, text in pairs:
            kinds.setdefault(kind, set()).add(text)
        globs = kinds.get("glob", set())
        if attr == "principal":
            values: list[Any] = [None, *sorted(_principals(globs, kinds.get("ns", set())))]
        elif attr in ("ip", "dip"):
            values = sorted(_ip_witnesses(kinds.get("cidr", set())))
        elif attr == "port":
            values = sorted(kinds.get("port", set()) | kinds.get("exact", set()) | {"65000"})
        elif attr.startswith("claim:"):
            strings = sorted(v for v in _glob_witnesses(globs) if v)
            values = [None, (), *[(s,) for s in strings]]
            if len(strings) > 1:
                values.append(tuple(strings))
        elif attr in ("method", "path", "host"):
            texts = {v for v in _glob_witnesses(globs) if v} | set(kinds.get("exact", ()))
            if attr == "path":
                texts = {v if v.startswith(("/", "*")) or v in kinds.get("exact", ()) or any(v.startswith(g.rstrip("*")) for g in globs if g != "*") else "/" + v for v in texts} | {"/" + OTHER}
            values = sorted(texts) or [OTHER]

        elif attr == "proto":
            values = ["http", "tcp"]
        elif attr == "mtls":
            values = [True, False]
        elif attr == "token":
            values = [None, INVALID_TOKEN, *sorted(kinds.get("exact", set()), key=str)]
        elif attr.startswith("ext:"):
            values = ["allow", "deny"]
        else:  # an optional string: headers, request principal, audiences, SNI, metadata
            values = [None, *sorted(_glob_witnesses(globs))]
        out[attr] = list(dict.fromkeys(values))
    return out


def describe(assignment: dict[str, Any]) -> str:
    """A request, in words, from the attributes that decide it."""
    a = assignment
    parts = []
    if "method" in a or "path" in a:
        parts.append(f"{a.get('method', 'GET')} {a.get('path', '/')}")
    if "proto" in a:
        parts.append(f"({a['proto'].upper()})")
    if "port" in a:
        parts.append(f"port {a['port']}")
    if "host" in a:
        parts.append(f"host {a['host']}")
    if "principal" in a:
        parts.append(f"from {a['principal']}" if a["principal"] else "from a plain-text client (no mTLS identity)")
    if "mtls" in a:
        parts.append("over mTLS" if a["mtls"] else "in plain text")
    if "ip" in a:
        parts.append(f"source IP {a['ip']}")
    if "rp" in a:
        parts.append(f"JWT principal {a['rp']}" if a["rp"] else "without a JWT")
    if "token" in a:
        parts.append("without a token" if a["token"] is None else ("with a token no policy trusts" if a["token"] == INVALID_TOKEN else f"with a valid token from {a['token']}"))
    for k in sorted(a):
        if k.startswith("claim:"):
            parts.append(f"claim {k[6:]}={list(a[k]) if a[k] is not None else 'absent'}")
        elif k.startswith("header:"):
            parts.append(f"header {k[7:]}: {a[k]!r}" if a[k] is not None else f"without header {k[7:]}")
        elif k.startswith("meta:"):
            parts.append(f"{k[5:]}={a[k]!r}")
    for k in ("aud", "azp", "sni", "dip"):
        if k in a:
            parts.append(f"{k}={a[k]!r}")
    return " ".join(parts) or "any request"
