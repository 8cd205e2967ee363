"""Plain data types shared by the loader, the engine, rules and reporters.

Nothing in here does I/O or imports anything heavy: rules and reporters import
these types on every run, including the 250 ms pre-commit path.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any, NamedTuple


class Severity(IntEnum):
    """Ordered severities: ``Severity.ERROR > Severity.WARNING > Severity.INFO``."""

    INFO = 1
    WARNING = 2
    ERROR = 3

    @classmethod
    def parse(cls, text: str) -> Severity:
        try:
            return cls[str(text).strip().upper()]
        except KeyError:
            raise ValueError(f"unknown severity {text!r} (expected error, warning or info)") from None

    def __str__(self) -> str:  # "error", "warning", "info"
        return _SEVERITY_NAMES[self._value_]


_SEVERITY_NAMES = {1: "info", 2: "warning", 3: "error"}


def escape_pointer_token(token: str | int) -> str:
    """Escape one JSON Pointer reference token (RFC 6901)."""
    return str(token).replace("~", "~0").replace("/", "~1")


def unescape_pointer_token(token: str) -> str:
    return token.replace("~1", "/").replace("~0", "~")


def pointer(*tokens: str | int) -> str:
    """Build a JSON Pointer from raw tokens: ``pointer("spec", "http", 0)`` -> ``/spec/http/0``."""
    return "".join("/" + escape_pointer_token(t) for t in tokens)


def split_pointer(ptr: str) -> list[str]:
    if not ptr:
        return []
    if not ptr.startswith("/"):
        raise ValueError(f"not a JSON Pointer: {ptr!r}")
    return [unescape_pointer_token(t) for t in ptr[1:].split("/")]


def value_at(body: Any, ptr: str) -> Any:
    """The value a JSON Pointer reaches in plain data, or None when it reaches nothing."""
    node = body
    for t in split_pointer(ptr):
        if isinstance(node, dict):
            node = node.get(t)
        elif isinstance(node, list) and t.isdigit() and int(t) < len(node):
            node = node[int(t)]
        else:
            return None
    return node


def _str(v: Any) -> str | None:
    return v if isinstance(v, str) else None


@dataclass(frozen=True)
class ResourceId:
    """Identity of a Kubernetes object: stable across edits that move lines."""

    api_version: str | None
    kind: str | None
    namespace: str | None
    name: str | None

    def as_dict(self) -> dict[str, str | None]:
        return {
            "apiVersion": self.api_version,
            "kind": self.kind,
            "namespace": self.namespace,
            "name": self.name,
        }

    def __str__(self) -> str:
        ns = f"{self.namespace}/" if self.namespace else ""
        return f"{self.kind or '?'} {ns}{self.name or '?'}"


@dataclass(eq=False, slots=True)
class Resource:
    """One Kubernetes object read from a file.

    ``body`` is plain data (dicts, lists, str, int, float, bool, None), never changed after
    loading (conversions work on copies), so the fields that identify the object are read
    from it once. ``locate`` maps a JSON Pointer inside the resource to a 1-based
    (line, column); rules never call it, the engine does.
    """

    body: dict[str, Any]
    file: str
    doc_index: int
    item_index: int | None
    locate: Callable[[str], tuple[int, int]]
    start_line: int = 1
    api_version: str | None = field(init=False)
    kind: str | None = field(init=False)
    group: str = field(init=False)  # networking.istio.io for networking.istio.io/v1alpha3; "" for core v1
    name: str | None = field(init=False)
    namespace: str | None = field(init=False)
    _identity: ResourceId | None = field(init=False, default=None, repr=False)
    # the namespace it is applied in when the file does not say it (or kustomize overrides it), and
    # where that came from ("--namespace", "kustomization base/kustomization.yaml", ...): meshlint.namespaces
    applied_namespace: str | None = field(init=False, default=None, repr=False)
    namespace_from: str | None = field(init=False, default=None, repr=False)
    origin: Any = field(init=False, default=None, repr=False)  # the file a rendered object came from: meshlint.origins.Origin

    def __post_init__(self) -> None:
        self.api_version = _str(self.body.get("apiVersion"))
        self.kind = _str(self.body.get("kind"))
        self.group = self.api_version.rsplit("/", 1)[0] if self.api_version and "/" in self.api_version else ""
        md = self.body.get("metadata")
        self.name = _str(md.get("name")) if isinstance(md, dict) else None
        self.namespace = _str(md.get("namespace")) if isinstance(md, dict) else None

    @property
    def metadata(self) -> dict[str, Any]:
        m = self.body.get("metadata")
        return m if isinstance(m, dict) else {}

    @property
    def labels(self) -> dict[str, str]:
        v = self.metadata.get("labels")
        return {str(k): str(x) for k, x in v.items()} if isinstance(v, dict) else {}

    @property
    def annotations(self) -> dict[str, str]:
        v = self.metadata.get("annotations")
        return {str(k): str(x) for k, x in v.items()} if isinstance(v, dict) else {}

    @property
    def spec(self) -> dict[str, Any]:
        v = self.body.get("spec")
        return v if isinstance(v, dict) else {}

    @property
    def identity(self) -> ResourceId:
        """One shared identity per resource (every finding on it refers to this one)."""
        if self._identity is None:
            self._identity = ResourceId(self.api_version, self.kind, self.namespace, self.name)
        return self._identity

    @property
    def type_key(self) -> str:
        """``group/Kind`` as rules declare it, e.g. ``networking.istio.io/VirtualService`` or ``/Service``."""
        return f"{self.group}/{self.kind or ''}"


@dataclass(frozen=True)
class Violation:
    """What a rule yields: a path into the resource and the message's named values.

    ``message`` selects one of the rule's message templates in the catalogue.
    ``fix`` is data (see :mod:`meshlint.fixes`); the engine applies it, never the rule.
    ``code``: which of its module's codes (a module that declares ``CODES``); None: its only one.
    """

    path: str
    params: Mapping[str, Any] = field(default_factory=dict)
    message: str = "default"
    fix: Any = None
    severity: Severity | None = None
    covers: tuple[str, ...] = ()  # other fields this finding is about (a schema finding inside them is the same problem)
    code: str | None = None


@dataclass(frozen=True)
class Problem:
    """A file-level finding produced while reading input (parse errors and the like)."""

    code: str
    line: int
    column: int
    params: Mapping[str, Any] = field(default_factory=dict)
    message: str = "default"
    resource: ResourceId | None = None


class Rendered(NamedTuple):
    """Where a finding on a rendered object (kustomize build, helm template) is in the rendered
    stream, when the finding itself names the object's source file."""

    file: str
    line: int
    column: int
    by: str  # "kustomize" or "helm"
    located: bool  # the finding's line and column are the field's in the source file (False: the file only)

    def as_dict(self) -> dict[str, Any]:
        return {"file": self.file, "line": self.line, "column": self.column, "by": self.by, "located": self.located}


@dataclass(frozen=True, slots=True)
class Finding:
    code: str
    name: str
    severity: Severity
    message: str
    file: str
    line: int
    column: int
    resource: ResourceId | None
    path: str
    fixable: bool
    fix: Any = field(default=None, compare=False, repr=False)
    doc: int | None = field(default=None, compare=False, repr=False)  # which document (and List item) of the file
    item: int | None = field(default=None, compare=False, repr=False)
    key: str = field(default="default", compare=False, repr=False)  # which of the rule's messages
    short: str = field(default="", compare=False, repr=False)  # its short form (one terminal line)
    # (namespace, where it came from) when the file did not say the object's namespace
    applied: tuple[str, str] | None = field(default=None, compare=False, repr=False)
    rendered: Rendered | None = field(default=None, compare=False, repr=False)  # file, line, column are the source's

    def sort_key(self) -> tuple[str, int, int, int, str, str, str]:
        return (self.file, self.line, self.column, self.rendered[1] if self.rendered else 0, self.code, self.path, self.message)

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "name": self.name,
            "severity": str(self.severity),
            "message": self.message,
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "resource": None if self.resource is None else self.resource.as_dict() if not self.applied else {
                **self.resource.as_dict(), "appliedNamespace": self.applied[0], "namespaceFrom": self.applied[1]},
            "path": self.path,
            "fixable": self.fixable,
            **({"rendered": self.rendered.as_dict()} if self.rendered else {}),
        }


CheckFunction = Callable[[Resource, Any], Iterable[Violation]]  # (resource, ctx: meshlint.index.RuleContext, a layer above)


@dataclass(frozen=True)
class Rule:
    """A rule's metadata (from the catalogue) joined with its check function (from its module).

    ``kinds`` are the ``group/Kind`` patterns the rule is run on; ``reads`` are the
    extra kinds it may look up through the resource index. Loader-produced codes
    (parse errors) have ``check=None``.
    """

    code: str
    name: str
    severity: Severity
    summary: str
    fixable: bool
    area: str
    messages: Mapping[str, str]
    kinds: tuple[str, ...] = ()
    reads: tuple[str, ...] = ()
    check: CheckFunction | None = None
    doc: Mapping[str, Any] = field(default_factory=dict)
    defers: bool = False  # its finding on a field yields to another rule's finding on that field
    shorts: Mapping[str, str] = field(default_factory=dict)  # message key -> short message (one terminal line)
    behaviour: Mapping[str, str] = field(default_factory=dict)  # message key -> the runtime behaviour its fix changes
    yields_to: tuple[str, ...] = ()  # its findings on a resource yield to a fix of these rules on that resource

    def format(self, key: str, params: Mapping[str, Any], short: bool = False) -> str:
        """Message ``key`` filled with ``params``; ``short``: its one-line form (a rule without one, a plugin's, gives the long).

        A message key the catalogue lacks, or a placeholder no param fills, is a bug in the rule:
        with ``MESHLINT_STRICT_MESSAGES=1`` (the test suite) it raises; otherwise the default
        message is used and a missing value reads ``?``, never a literal ``{placeholder}``."""
        strict = _strict()
        if key not in self.messages and strict:
            raise KeyError(f"rule {self.code} has no message {key!r}")
        template = (self.shorts.get(key) if short else None) or self.messages.get(key) or self.messages.get("default") or self.summary
        try:
            return template.format_map(_Params(params, strict, self.code, key))
        except (ValueError, IndexError, AttributeError):
            if strict:
                raise
            return template


def _strict() -> bool:
    import os

    return os.environ.get("MESHLINT_STRICT_MESSAGES") == "1"


class _Params(dict[str, Any]):
    """format_map helper: a missing placeholder raises under strict messages, else reads ``?``."""

    def __init__(self, params: Mapping[str, Any], strict: bool = False, code: str = "", key: str = ""):
        super().__init__(params)
        self._strict, self._where = strict, f"{code} message {key!r}"

    def __missing__(self, name: str) -> str:
        if self._strict:
            raise KeyError(f"{self._where} has a placeholder {{{name}}} that no value fills")
        return "?"

