"""Cross-resource lookups, built once per run.

Services by namespace/name, roles by name, workloads by labels: every lookup is a
dictionary access or a set intersection, never a scan over all resources.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from fnmatch import fnmatchcase
from typing import Any, Protocol, TypeVar, cast

from .model import Resource
from .namespaces import applied
from .workloads import pod_labels

DEFAULT_NAMESPACE = "default"
WORKLOAD_KINDS = frozenset({"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Pod", "Job", "CronJob"})
_T = TypeVar("_T")


class ResourceIndex:
    def __init__(self, resources: Iterable[Resource], default_namespace: str = DEFAULT_NAMESPACE, context: Iterable[Resource] = ()):
        """``resources``: the inputs; ``context``: resources read only to resolve references (--context)."""
        self.default_namespace = default_namespace
        resources = list(resources)
        self._inputs = resources
        resources = resources + list(context)
        self._by_kind: dict[str, list[Resource]] = defaultdict(list)
        self._by_kind_ns: dict[tuple[str, str], list[Resource]] = defaultdict(list)
        self._by_name: dict[tuple[str, str, str], list[Resource]] = defaultdict(list)
        self._by_label: dict[tuple[str, str, str], set[int]] = defaultdict(set)
        self._workloads: list[Resource] = []
        self._memo: dict[str, Any] = {}
        for res in resources:
            kind = res.kind or ""
            self._by_kind[kind].append(res)
            self._by_kind_ns[(kind, self.ns(res))].append(res)
            if res.name is not None:
                self._by_name[(kind, self.ns(res), res.name)].append(res)
            if kind in WORKLOAD_KINDS:
                i = len(self._workloads)
                self._workloads.append(res)
                ns = self.ns(res)
                for k, v in pod_labels(res).items():
                    self._by_label[(ns, k, v)].add(i)

    def ns(self, res: Resource) -> str:
        """The namespace the object is applied in (meshlint.namespaces), else the one it names, else default."""
        return res.applied_namespace or res.namespace or self.default_namespace

    def ns_origin(self, res: Resource) -> str | None:
        """Where ``ns(res)`` came from when the file did not say it ("--namespace",
        "kustomization k.yaml", ...); None when the file said it or the kind has no namespace."""
        got = applied(res, self.default_namespace)
        return got[1] if got else None

    def memo(self, key: str, build: Callable[[], _T]) -> _T:
        """A lookup table derived from the index, built once per run (e.g. bindings by role)."""
        if key not in self._memo:
            self._memo[key] = build()
        return cast(_T, self._memo[key])  # one key, one builder: the table ``build`` made

    def copies(self, res: Resource) -> list[Resource]:
        """Every input with ``res``'s group, kind, namespace and name, in input order, when there is
        more than one (``--context`` resources are not inputs); else ``[]``."""
        from .duplicates import groups

        return self.memo("duplicates", lambda: groups(self._inputs, self.default_namespace)).get(id(res), [])

    def of_kind(self, kind: str, namespace: str | None = None, group: str | None = None) -> list[Resource]:
        out = self._by_kind.get(kind, []) if namespace is None else self._by_kind_ns.get((kind, namespace), [])
        if group is not None:
            out = [r for r in out if r.group == group]
        return out

    def get(self, kind: str, namespace: str | None, name: str, group: str | None = None) -> Resource | None:
        found = self._by_name.get((kind, namespace or self.default_namespace, name), [])
        if group is not None:
            found = [r for r in found if r.group == group]
        return found[-1] if found else None

    def workloads_selected(self, namespace: str | None, selector: Mapping[str, Any], kinds: Iterable[str] = WORKLOAD_KINDS) -> list[Resource]:
        """Workloads in ``namespace`` (``None``: any) whose pod labels include every selector label."""
        if not selector:
            return []
        kinds = frozenset(kinds)
        namespaces = [namespace or self.default_namespace] if namespace is not None else sorted({ns for ns, _, _ in self._by_label})
        out: list[Resource] = []
        for ns in namespaces:
            sets = [self._by_label.get((ns, str(k), str(v)), set()) for k, v in selector.items()]
            hits = set.intersection(*sets) if sets else set()
            out.extend(self._workloads[i] for i in sorted(hits) if self._workloads[i].kind in kinds)
        return out


class IndexView:
    """The index as one rule sees it: only the kinds the rule declared it reads."""

    def __init__(self, index: ResourceIndex, allowed: tuple[str, ...], rule_code: str):
        self._index = index
        self._allowed = allowed
        self._code = rule_code
        self.default_namespace = index.default_namespace

    def _check(self, kind: str, group: str | None = None) -> None:
        for pattern in self._allowed:
            g, _, k = pattern.rpartition("/")
            if fnmatchcase(kind, k) and (group is None or fnmatchcase(group, g)):
                return
        raise PermissionError(f"rule {self._code} looked up kind {kind!r}, which it does not declare in READS")

    def ns(self, res: Resource) -> str:
        return self._index.ns(res)

    def ns_origin(self, res: Resource) -> str | None:
        return self._index.ns_origin(res)

    def memo(self, key: str, build: Callable[[], _T]) -> _T:
        return self._index.memo(key, build)

    def copies(self, res: Resource) -> list[Resource]:
        return self._index.copies(res)

    def of_kind(self, kind: str, namespace: str | None = None, group: str | None = None) -> list[Resource]:
        self._check(kind, group)
        return self._index.of_kind(kind, namespace, group)

    def get(self, kind: str, namespace: str | None, name: str, group: str | None = None) -> Resource | None:
        self._check(kind, group)
        return self._index.get(kind, namespace, name, group)

    def workloads_selected(self, namespace: str | None, selector: Mapping[str, Any], kinds: Iterable[str] = WORKLOAD_KINDS) -> list[Resource]:
        kinds = tuple(kinds)
        for k in kinds:
            self._check(k)
        return self._index.workloads_selected(namespace, selector, kinds)


class RuleSettings(Protocol):
    """The settings a rule may read (``engine.Settings`` has them)."""

    @property
    def assume_rbac_on(self) -> bool: ...

    @property
    def user_schemas(self) -> Any: ...  # meshlint.schema.user_crds.UserSchemas or None


class RuleContext(Protocol):
    """What a rule's check function gets besides the resource (``engine.Context`` is one): the index
    as the rule sees it, the Istio root namespace and the settings it may read."""

    @property
    def index(self) -> IndexView: ...

    @property
    def root_namespace(self) -> str: ...

    @property
    def settings(self) -> RuleSettings: ...


Index = ResourceIndex | IndexView  # what the Istio knowledge looks objects up in: the run's index, or a rule's view of it
