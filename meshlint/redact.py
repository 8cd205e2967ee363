"""Secrets never reach any output: the one redaction every output path uses.

A value is secret by *where it is*, never by what word it is:
- the values of a core ``Secret``'s ``data`` and ``stringData`` (and its last-applied annotation,
  which repeats them);
- string values under keys named like credentials (``password``, ``clientSecret``, ``token``,
  ``apiKey``, ``authorization``...), and a header match (``exact``/``prefix``/``regex``) under one;
- inside any string: PEM blocks, JWKS key material (``k``, ``d``, ``p``, ``q``, ``dp``, ``dq``,
  ``qi``), ``Bearer``/``Basic`` credentials and ``Authorization`` header values.

Uses, one definition (``secret_location`` and ``_PATTERNS``):
- ``mask_text(text)``: a YAML file's text with every secret span replaced, line for line, so a
  diff of two masked texts shows its context lines without the values;
- ``Redactor``: findings, messages and report data, scrubbed before they are encoded (JSON stays
  valid): the patterns anywhere; a finding's own secret values (those of its Secret, or under the
  field it points at); and long Secret values (>= 12 characters) wherever they were copied. A
  short value ("true", "prod") is never replaced outside its own resource.
"""
from __future__ import annotations

import base64
import binascii
import itertools
import re
from collections.abc import Iterable, Iterator
from dataclasses import replace
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import yaml

    from .loader import SourceFile
    from .model import Finding, Resource

FieldPath = tuple[Any, ...]  # keys and list indexes from a resource's root

REDACTED = "[redacted]"
LAST_APPLIED = ("metadata", "annotations", "kubectl.kubernetes.io/last-applied-configuration")
HEADER_MATCH = frozenset({"exact", "prefix", "regex", "value", "values"})
SAFETY_NET_MIN = 12  # a Secret value this long is redacted wherever it was copied

_CREDENTIAL_KEY = re.compile(
    r"(?:password|passwd|passphrase|pwd|secret|token|api[-_.]?key|access[-_.]?key|private[-_.]?key|"
    r"credentials?|authorization|bearer|cookie|session[-_.]?id|signing[-_.]?key|encryption[-_.]?key)$", re.IGNORECASE)

# secret material inside any string: group "v" is the secret part
_PEM = re.compile(r"-----BEGIN (?P<label>[A-Z0-9 ]{1,40})-----(?P<v>.*?)-----END (?P=label)-----", re.DOTALL)
_PEM_OPEN = re.compile(r"-----BEGIN [A-Z0-9 ]{1,40}-----(?P<v>(?:\\[nr]|\\\n|[ \t]*\r?\n[ \t]*|[A-Za-z0-9+/=])+)")  # unterminated
_JWK = re.compile(r"""\\?["'](?:k|d|p|q|dp|dq|qi)\\?["'][ \t]*:[ \t]*\\?["'](?P<v>[A-Za-z0-9_\-+/=]{4,})""")
_SCHEME = re.compile(r"""(?i)\b(?:bearer|basic|token|digest)[ \t]+(?P<v>[A-Za-z0-9\-._~+/]{6,}=*)""")
_AUTH_HEADER = re.compile(r"""(?i)\b(?:proxy-)?authorization\\?["']?[ \t]*[:=,][ \t]*\\?["']?(?:(?:bearer|basic|token|digest)[ \t]+)?(?!(?:bearer|basic|token|digest)\b)(?P<v>[^\s"'\\,{}\[\]|>#][^\s"'\\,]*)""")
_PATTERNS = ((_PEM, False), (_PEM_OPEN, False), (_JWK, True), (_SCHEME, True), (_AUTH_HEADER, True))  # (pattern, only token-like values)
_TOKEN_LIKE = re.compile(r"[0-9+/=._~-]|[a-z].*[A-Z]|[A-Z].*[a-z]")

# a cheap first look (substring tests on the lower-cased text): text holding none of these holds
# no secret by the rules above
_HINTS = ("secret", "begin ", "pass", "pwd", "token", "key", "credential", "authoriz", "bearer", "basic", "cookie", "session", "digest", '"k', "'k")
_STRING_HINTS = ("begin ", "authoriz", "bearer", "basic", "token", "digest", '"k', "'k")


def _maybe(text: str, hints: tuple[str, ...] = _HINTS) -> bool:
    low = text.lower()
    return any(h in low for h in hints)


# --------------------------------------------------------------------------- where secrets are

_credential_cache: dict[str, bool] = {}


def is_credential_key(key: Any) -> bool:
    if not isinstance(key, str):
        return False
    hit = _credential_cache.get(key)
    if hit is None:
        hit = bool(_CREDENTIAL_KEY.search(key))
        if len(_credential_cache) < 10_000:
            _credential_cache[key] = hit
    return hit


def secret_location(path: FieldPath, in_secret: bool, is_string: bool) -> bool:
    """Whether the scalar at ``path`` (keys and list indexes from the resource's root) holds a
    secret; ``in_secret``: the resource is a core Secret."""
    if in_secret and len(path) >= 2 and path[0] in ("data", "stringData"):
        return True
    if in_secret and path == LAST_APPLIED:
        return True
    if not is_string:
        return False
    keys = [p for p in path[-3:] if isinstance(p, str)]
    if keys and is_credential_key(keys[-1]):
        return True
    return len(keys) >= 2 and keys[-1] in HEADER_MATCH and is_credential_key(keys[-2])


def is_secret_kind(kind: Any, api_version: Any) -> bool:
    return bool(kind == "Secret" and api_version == "v1")


def _values(body: Any, in_secret: bool, path: FieldPath) -> Iterator[str]:
    """Every secret string in plain data (``path``: where ``body`` is in its resource)."""
    if isinstance(body, dict):
        for k, v in body.items():
            yield from _values(v, in_secret, path + (k,))
    elif isinstance(body, list):
        for i, v in enumerate(body):
            yield from _values(v, in_secret, path + (i,))
    elif body is not None and path and secret_location(path, in_secret, isinstance(body, str)):
        value = body if isinstance(body, str) else str(body)
        yield value
        if in_secret and path[0] == "data":
            decoded = _b64(value)
            if decoded:
                yield decoded


def _b64(value: str) -> str | None:
    try:
        return base64.b64decode(value, validate=False).decode("utf-8")
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return None


def secrets_at(res: Resource, pointer: str = "") -> list[str]:
    """The secret strings of a resource under the field ``pointer`` (all of them for a Secret)."""
    from .model import split_pointer

    in_secret = is_secret_kind(res.kind, res.api_version)
    node: Any = res.body
    path: FieldPath = ()
    if not in_secret:
        try:
            tokens = split_pointer(pointer)
        except ValueError:
            tokens = []
        for t in tokens:
            if isinstance(node, dict) and t in node:
                node, path = node[t], path + (t,)
            elif isinstance(node, list) and t.isdigit() and int(t) < len(node):
                node, path = node[int(t)], path + (int(t),)
            else:
                break
        if not isinstance(node, (dict, list)) and not path:
            return []
    return [v for v in _values(node, in_secret, path) if v.strip()]


# --------------------------------------------------------------------------- masking text by position

def _pattern_spans(text: str) -> list[tuple[int, int]]:
    spans = []
    for pattern, token_like in _PATTERNS:
        for m in pattern.finditer(text):
            a, b = m.span("v")
            if b > a and (not token_like or _TOKEN_LIKE.search(m.group("v"))):
                spans.append((a, b))
    return spans


def _node_spans(text: str, recover: bool = True) -> list[tuple[int, int]]:
    """Spans of the scalars at secret locations, from the composed documents' marks."""
    import yaml

    from .loader import compose_positions, is_plain_string

    try:
        docs = compose_positions(text)
    except yaml.YAMLError:
        if not recover:
            raise
        return _chunk_spans(text)
    spans: list[tuple[int, int]] = []

    def child(node: yaml.Node, name: str) -> yaml.Node | None:
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                if isinstance(k, yaml.ScalarNode) and k.value == name:
                    found: yaml.Node = v
                    return found
        return None

    def scalar(node: yaml.Node, name: str) -> str | None:
        v = child(node, name)
        return v.value if isinstance(v, yaml.ScalarNode) else None

    def walk(node: yaml.Node, path: FieldPath, in_secret: bool) -> None:
        if len(path) > 200:
            return
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                walk(v, path + (k.value if isinstance(k, yaml.ScalarNode) else None,), in_secret)
        elif isinstance(node, yaml.SequenceNode):
            for i, v in enumerate(node.value):
                walk(v, path + (i,), in_secret)
        elif isinstance(node, yaml.ScalarNode) and path:
            is_string = bool(node.style) or is_plain_string(node.value)  # plain scalars: style ""
            if secret_location(path, in_secret, is_string):
                spans.append((node.start_mark.index, node.end_mark.index))

    for root in docs:
        items = child(root, "items")
        roots = items.value if scalar(root, "kind") == "List" and isinstance(items, yaml.SequenceNode) else [root]
        for r in roots:
            walk(r, (), is_secret_kind(scalar(r, "kind"), scalar(r, "apiVersion")))
    return spans


def _chunk_spans(text: str) -> list[tuple[int, int]]:
    """A text with a syntax error: each document that composes on its own is masked by its
    fields; one that does not is masked whole if it could hold a secret."""
    from .loader import marker_bounds

    spans = []
    for a, b in itertools.pairwise(marker_bounds(text)):
        chunk = text[a:b]
        try:
            spans += [(a + x, a + y) for x, y in _node_spans(chunk, recover=False)]
        except Exception:  # noqa: BLE001 - unreadable: hidden whole if it may hold a secret
            if _maybe(chunk):
                spans.append((a, b))
    return spans


def _apply(text: str, spans: Iterable[tuple[int, int]]) -> str:
    """``text`` with each span replaced, line by line: every line keeps its line break and its
    indentation, and each masked stretch of a line reads ``[redacted]``."""
    merged: list[list[int]] = []
    for a, b in sorted(spans):
        if merged and a <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    if not merged:
        return text
    out, pos = [], 0
    for a, b in merged:
        out.append(text[pos:a])
        for i, part in enumerate(re.split(r"(\r\n|\n|\r)", text[a:b])):
            if i % 2:
                out.append(part)  # a line break inside the span
            elif part.strip():
                indent = part[: len(part) - len(part.lstrip(" \t"))] if i else ""
                out.append(indent + REDACTED)
            else:
                out.append(part)
        pos = b
    out.append(text[pos:])
    return "".join(out)


def mask_text(text: str) -> str:
    """A YAML file's text with its secret spans masked, line for line (same number of lines)."""
    if not text or not _maybe(text):
        return text
    return _apply(text, _pattern_spans(text) + _node_spans(text))


def mask_string(text: str) -> str:
    """Free text (a message, an error): the in-string patterns only."""
    if not text or not _maybe(text, _STRING_HINTS):
        return text
    return _apply(text, _pattern_spans(text))


# --------------------------------------------------------------------------- scrubbing outputs

class Redactor:
    """Scrubs what meshlint outputs about one set of inputs."""

    def __init__(self, sources: Iterable[SourceFile] = ()):
        self._resources: dict[tuple[str, int | None, int | None], Resource] = {}
        self._secrets: dict[tuple[str, int | None, int | None], list[str]] = {}
        copied: set[str] = set()
        for src in sources:
            for res in src.resources:
                key = (res.file, res.doc_index, res.item_index)
                self._resources[key] = res
                if is_secret_kind(res.kind, res.api_version):
                    values = secrets_at(res)
                    self._secrets[key] = values
                    copied.update(p for v in values for p in _parts(v) if len(p) >= SAFETY_NET_MIN)
        self._copied = sorted(copied, key=len, reverse=True)
        self._net = _alternation(copied)
        # the same message is scrubbed again for every object it is reported on (thousands in an export)
        self._done: dict[tuple[str, tuple[str, ...]], str] = {}

    def text(self, s: str, own: Iterable[str] = ()) -> str:
        """``s`` with its secret patterns, the ``own`` values and long copied values redacted."""
        if not isinstance(s, str) or not s:
            return s
        key = (s, tuple(own))
        done = self._done.get(key)
        if done is None:
            done = self._text(s, key[1])
            if len(s) <= 1000 and len(self._done) < 20_000:  # bounded memory: at most ~20 MB of short texts
                self._done[key] = done
        return done

    def _text(self, s: str, own: tuple[str, ...]) -> str:
        s = mask_string(s)
        quoted = [p for v in own for p in _parts(v) if p in s]
        mine = _alternation(quoted)
        if mine is not None:
            s = mine.sub(REDACTED, s)
        if self._net is not None and any(v in s for v in self._copied):
            s = self._net.sub(REDACTED, s)
        return s

    def own(self, file: str, doc: int | None, item: int | None, pointer: str) -> list[str]:
        """The secret values a finding on this resource and field could quote."""
        key = (file, doc, item)
        if key in self._secrets:
            return self._secrets[key]
        res = self._resources.get(key)
        return secrets_at(res, pointer) if res is not None and pointer else []

    def finding(self, f: Finding) -> Finding:
        """A finding with every text it carries scrubbed (message, short message, identity, path)."""
        own = self.own(f.file, f.doc, f.item, f.path)
        changes: dict[str, Any] = {}
        for attr in ("message", "short", "path"):
            value = getattr(f, attr, None)
            if isinstance(value, str) and value:
                new = self.text(value, own)
                if new != value:
                    changes[attr] = new
        ident = f.resource
        if ident is not None and self._net is not None:
            fields = {k: self.text(getattr(ident, k)) for k in ("api_version", "kind", "namespace", "name") if getattr(ident, k)}
            if any(fields[k] != getattr(ident, k) for k in fields):
                changes["resource"] = replace(ident, **fields)
        return replace(f, **changes) if changes else f

    def data(self, obj: Any) -> Any:
        """Plain data (a report, a JSON summary) with every string scrubbed, before encoding."""
        if isinstance(obj, str):
            return self.text(obj)
        if isinstance(obj, dict):
            return {k: self.data(v) for k, v in obj.items()}
        if isinstance(obj, list):
            return [self.data(v) for v in obj]
        if isinstance(obj, tuple):
            return tuple(self.data(v) for v in obj)
        return obj


def _parts(value: str) -> list[str]:
    """A value and, for a multi-line one, each of its lines (a message may quote one line)."""
    lines = [line.strip() for line in value.splitlines() if line.strip()]
    return [value] + (lines if len(lines) > 1 else [])


def _alternation(values: Iterable[str]) -> re.Pattern[str] | None:

    """One regex for all ``values``, each matched only as a whole token (not inside a longer word)."""
    vals = sorted({v for v in values if v}, key=len, reverse=True)
    if not vals:
        return None
    body = "|".join(re.escape(v) for v in vals)
    return re.compile(rf"(?<![A-Za-z0-9+/=_.-])(?:{body})(?![A-Za-z0-9+/=_-])")
