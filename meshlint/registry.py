"""The one place where rules are found.

Built-in rules are the modules of the package :mod:`meshlint.rules`, found by listing its
directory (nothing is imported to find them). Each declares ``CODE`` (or ``CODES``: one checker
may report several codes, as the schema rules do, each violation naming its ``code``), ``KINDS``
(``group/Kind`` patterns it runs on), ``READS`` (other kinds it may look up in the resource
index), optionally ``DEFERS`` and ``YIELDS_TO``, and a pure ``check(resource, ctx)`` generator.
Their name, severity, messages and docs come from the catalogue (``rules/``).

What each module declares is also kept in ``meshlint/rules/_index.py``, generated from the
modules by ``python -m meshlint.registry`` (tests/test_meta.py fails when it is stale), so
that a run imports a rule module only when its check first runs: a file without Istio objects
never imports the schema rules. A module the index does not know yet is imported to read it.

Third-party rules come through the entry-point group ``meshlint.rules`` and carry their own
metadata; they are loaded only from the installed environment (never from the working
directory, which ``python -m`` or a ``''`` entry puts on ``sys.path`` and which is usually the
repository being scanned). A plugin that fails to load is a finding (ML050, :func:`plugin_failures`)
at the line of the ``entry_points.txt`` that declares it, and a warning (:func:`plugin_problems`).
"""
from __future__ import annotations

import fnmatch
import functools
import importlib
import os
import re
import sys
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from types import ModuleType
from typing import TYPE_CHECKING, Any, TypedDict

from .catalogue import CatalogueRule, catalogue_files
from .catalogue import entry as catalogue_entry
from .model import Resource, Rule, Severity, Violation

if TYPE_CHECKING:
    from importlib.metadata import EntryPoint

ENTRY_POINT_GROUP = "meshlint.rules"
PACKAGE = "meshlint.rules"
PLUGIN_NOT_LOADED = "ML050"


@dataclass(frozen=True)
class PluginFailure:
    """A plugin whose rules did not run: the ML050 message key and its params, and where the plugin
    is declared (its distribution's ``entry_points.txt`` and the line naming it; "" and 0 when no
    distribution could be listed)."""

    key: str
    params: tuple[tuple[str, str], ...]
    file: str = ""
    line: int = 0


class Declared(TypedDict):
    """What a built-in rule module declares for one of its codes."""

    module: str
    kinds: tuple[str, ...]
    reads: tuple[str, ...]
    defers: bool
    yields_to: tuple[str, ...]


def builtin_modules() -> list[str]:
    """The rule modules of :mod:`meshlint.rules`, by name, in name order: a directory listing,
    nothing imported."""
    folder = os.path.join(os.path.dirname(os.path.abspath(__file__)), "rules")
    return sorted(n[:-3] for n in os.listdir(folder) if n.endswith(".py") and not n.startswith("_") and n[:-3].isidentifier())


def declared(name: str) -> dict[str, Declared]:
    """What rule module ``name`` declares, by code (imports it)."""
    mod = importlib.import_module(f"{PACKAGE}.{name}")
    codes = tuple(getattr(mod, "CODES", ())) or (mod.CODE,)
    defers = getattr(mod, "DEFERS", False)
    return {code: Declared(module=name, kinds=tuple(mod.KINDS), reads=tuple(getattr(mod, "READS", ())),
                           defers=code in defers if isinstance(defers, (tuple, list, frozenset, set)) else bool(defers),
                           yields_to=tuple(getattr(mod, "YIELDS_TO", ())))
            for code in codes}


def scan() -> dict[str, Declared]:
    """Every built-in rule module's declarations, by code in code order (imports every module:
    for the index and the tests, not for a run)."""
    out: dict[str, Declared] = {}
    for name in builtin_modules():
        for code, d in declared(name).items():
            if code in out:
                raise ValueError(f"{code} is declared by both meshlint.rules.{out[code]['module']} and meshlint.rules.{name}")
            out[code] = d
    return dict(sorted(out.items()))


def _declarations() -> dict[str, Declared]:
    """The index's declarations of the modules that exist, and those of a module the index does
    not know yet (read by importing it)."""
    from .rules._index import RULES

    modules = builtin_modules()
    present = set(modules)
    out = {code: d for code, d in RULES.items() if d["module"] in present}
    indexed = {d["module"] for d in out.values()}
    for name in modules:
        if name not in indexed:
            out.update(declared(name))
    return out


class _LazyCheck:
    """A rule module's ``check``, imported on its first call. The codes of one module share one."""

    __slots__ = ("_check", "module")

    def __init__(self, module: str) -> None:
        self.module = module
        self._check: Any = None

    def __call__(self, res: Resource, ctx: Any) -> Iterable[Violation]:
        if self._check is None:
            self._check = importlib.import_module(f"{PACKAGE}.{self.module}").check
        result: Iterable[Violation] = self._check(res, ctx)
        return result

    def __repr__(self) -> str:
        return f"<check of {PACKAGE}.{self.module}>"


def _rule_from_entry(entry: dict[str, Any], module: ModuleType | None = None, declared: Declared | None = None, check: Any = None) -> Rule:
    if module is not None:  # a plugin's module
        declared = Declared(module=module.__name__, kinds=tuple(getattr(module, "KINDS", ())), reads=tuple(getattr(module, "READS", ())),
                            defers=bool(getattr(module, "DEFERS", False)), yields_to=tuple(getattr(module, "YIELDS_TO", ())))
        check = getattr(module, "check", None)
    return Rule(
        code=entry["code"],
        name=entry["name"],
        severity=Severity.parse(entry["severity"]),
        summary=entry["summary"],
        fixable=bool(entry.get("fixable", False)),
        area=entry["area"],
        messages=entry.get("messages") or {"default": entry["summary"]},
        kinds=declared["kinds"] if declared else (),
        reads=declared["reads"] if declared else (),
        check=check,
        defers=declared["defers"] if declared else False,
        shorts=entry.get("short") or {},
        behaviour=entry.get("behaviour_change") or {},
        yields_to=declared["yields_to"] if declared else (),
        doc=entry,
    )


def _complete(code: str, declared: Declared | None, check: Any) -> Rule:
    return _rule_from_entry(catalogue_entry(code), declared=declared, check=check)


@functools.lru_cache(maxsize=1)
def all_rules() -> dict[str, Rule]:
    """Every known rule by code, built-ins first then plugins, in code order. No rule module is
    imported here (each one's check imports it when it first runs), and each catalogue entry is
    parsed when its rule is first asked for more than its code, name and declarations."""
    declarations = _declarations()
    checks: dict[str, _LazyCheck] = {}
    rules: dict[str, Rule] = {}
    for code, file_name in catalogue_files().items():
        d = declarations.get(code)
        check = None if d is None else checks.setdefault(d["module"], _LazyCheck(d["module"]))
        known: dict[str, Any] = {} if d is None else {
            "kinds": d["kinds"], "reads": d["reads"], "check": check, "defers": d["defers"], "yields_to": d["yields_to"]}
        rules[code] = CatalogueRule(code, file_name[len(code) + 1:-len(".yaml")], functools.partial(_complete, code, d, check), **known)
    for rule, where in _plugin_rules():
        if rule.code in rules:  # a plugin never replaces a built-in code
            _PLUGIN_FAILURES.append(PluginFailure("code-taken", (("code", rule.code), ("name", rule.name)), *where))
        else:
            rules[rule.code] = rule
    return dict(sorted(rules.items()))


def write_index(path: str | None = None) -> str:
    """Regenerate ``meshlint/rules/_index.py`` from the rule modules; returns its text."""
    lines = ['"""What each built-in rule module declares, by code. Generated from the modules by',
             '``python -m meshlint.registry``; do not edit (tests/test_meta.py fails when it is stale)."""',
             "from __future__ import annotations", "", "from typing import Any", "", "RULES: dict[str, Any] = {"]
    for code, d in scan().items():
        lines.append(f"    {code!r}: {{'module': {d['module']!r}, 'kinds': {d['kinds']!r}, 'reads': {d['reads']!r}, "
                     f"'defers': {d['defers']!r}, 'yields_to': {d['yields_to']!r}}},")
    lines.append("}")
    text = "\n".join(lines) + "\n"
    target = path or os.path.join(os.path.dirname(os.path.abspath(__file__)), "rules", "_index.py")
    with open(target, "w", encoding="utf-8") as fh:
        fh.write(text)
    return text


_PLUGIN_FAILURES: list[PluginFailure] = []


def plugin_failures() -> list[PluginFailure]:
    """Plugins that could not be loaded (their rules did not run)."""
    all_rules()
    return list(_PLUGIN_FAILURES)


def plugin_problems() -> list[str]:
    """Plugins that could not be loaded, one sentence each: the messages of their ML050 findings."""
    rule = all_rules()[PLUGIN_NOT_LOADED]
    return [rule.format(f.key, dict(f.params)) for f in plugin_failures()]


def installed_paths() -> list[str]:
    """``sys.path`` without the working directory (``''``, ``.`` or its absolute path)."""
    try:
        cwd = os.path.realpath(os.getcwd())
    except OSError:
        cwd = None
    return [p for p in sys.path if p and os.path.realpath(p) != cwd]


def _may_declare_plugins(paths: list[str]) -> bool:
    """Whether any installed distribution could declare a meshlint rule: its ``entry_points.txt``
    names the group. A directory listing and a few small reads, so a run without plugins never
    imports ``importlib.metadata`` (a third of the start-up time). A path that is not a directory
    (a zip on sys.path) is not looked into here: full discovery then decides."""
    for path in paths:
        try:
            entries = list(os.scandir(path))
        except NotADirectoryError:
            return True
        except OSError:
            continue
        for entry in entries:
            if entry.name.endswith((".dist-info", ".egg-info")):
                try:
                    with open(os.path.join(entry.path, "entry_points.txt"), "rb") as fh:
                        if ENTRY_POINT_GROUP.encode() in fh.read():
                            return True
                except OSError:
                    continue
    return False


def _plugin_entry_points() -> Iterator[tuple[EntryPoint, tuple[str, int]]]:
    """Each plugin's entry point, with where it is declared (its ``entry_points.txt`` and line)."""
    paths = installed_paths()
    if not _may_declare_plugins(paths):
        return
    from importlib.metadata import distributions

    seen = set()
    for dist in distributions(path=paths):
        name = (dist.metadata["Name"] or "").lower().replace("_", "-")
        if name in seen:
            continue  # the first one on sys.path wins, as for imports
        seen.add(name)
        declared = _declared_in(dist)
        for ep in dist.entry_points:
            if ep.group == ENTRY_POINT_GROUP:
                yield ep, (declared[0], declared[1].get(ep.name, 1)) if declared else ("", 0)


def _declared_in(dist: Any) -> tuple[str, dict[str, int]] | None:
    """A distribution's ``entry_points.txt`` and the line of each name in its meshlint.rules section."""
    folder = getattr(dist, "_path", None)
    if folder is None:
        return None
    path = os.path.join(os.fspath(folder), "entry_points.txt")
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            text = fh.read()
    except OSError:
        return None
    lines: dict[str, int] = {}
    section = ""
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if stripped.startswith("[") and stripped.endswith("]"):
            section = stripped[1:-1].strip()
        elif section == ENTRY_POINT_GROUP and "=" in stripped:
            lines.setdefault(stripped.split("=", 1)[0].strip(), number)
    return path, lines


def _plugin_rules() -> Iterable[tuple[Rule, tuple[str, int]]]:
    _PLUGIN_FAILURES.clear()
    try:
        entry_points = list(_plugin_entry_points())
    except Exception as e:  # noqa: BLE001  a damaged installation's metadata: said, and the built-in rules still run
        _PLUGIN_FAILURES.append(PluginFailure("not-listed", (("error", f"{type(e).__name__}: {e}"),)))
        return
    for ep, where in entry_points:
        named = (("plugin", ep.name), ("target", ep.value))
        try:
            obj = ep.load()
        except BaseException as e:  # a broken plugin must not break the run, nor go unnoticed (SystemExit included)
            if isinstance(e, KeyboardInterrupt):
                raise
            _PLUGIN_FAILURES.append(PluginFailure("default", named + (("error", f"{type(e).__name__}: {e}"),), *where))
            continue
        try:
            rule = _plugin_rule(obj)
        except (KeyError, TypeError, ValueError, AttributeError) as e:
            why = f"its catalogue entry has no {e}" if isinstance(e, KeyError) else str(e)
            _PLUGIN_FAILURES.append(PluginFailure("not-a-rule", named + (("why", why),), *where))
            continue
        yield rule, where


_PLUGIN_CODE = re.compile(r"^[A-Z]+[0-9]+$")


def _plugin_rule(obj: Any) -> Rule:
    """A plugin's rule: a :class:`Rule`, or a module like a built-in rule's with its catalogue
    entry as ``CATALOGUE``. Raises (TypeError, ValueError, KeyError) with what is wrong."""
    if isinstance(obj, ModuleType) and isinstance(getattr(obj, "CATALOGUE", None), dict):
        if isinstance(getattr(obj, "KINDS", None), str):
            raise ValueError(f"KINDS is the string {obj.KINDS!r}, not a tuple of group/Kind patterns (mind the comma of a one-item tuple)")  # noqa: TRY004
        obj = _rule_from_entry(obj.CATALOGUE, module=obj)
    if not isinstance(obj, Rule):
        raise TypeError(f"it is a {type(obj).__name__}, neither a Rule nor a module with a CATALOGUE")
    if not isinstance(obj.code, str) or not _PLUGIN_CODE.match(obj.code) or obj.code.startswith("ML"):
        raise ValueError(f"code {obj.code!r} is not a code of its own: capital letters then digits, not meshlint's ML prefix")
    if not isinstance(obj.name, str) or not obj.name:
        raise ValueError("it has no name")
    if not isinstance(obj.severity, Severity):
        raise TypeError(f"severity {obj.severity!r} is not a meshlint.model.Severity")
    if not callable(obj.check):
        raise TypeError("it has no check function")
    if not obj.kinds or not all(isinstance(k, str) and "/" in k for k in obj.kinds):
        raise ValueError(f"KINDS {obj.kinds!r} is not a tuple of group/Kind patterns, so it would never run")
    if not isinstance(obj.messages, Mapping) or not all(isinstance(m, str) for m in obj.messages.values()):
        raise TypeError("its messages are not a mapping of message keys to templates")
    return obj


def rule_matches(rule: Rule, token: str) -> bool:
    """``--select``/``--ignore`` tokens match a code prefix (``ML2``) or a rule name."""
    token = token.strip()
    return bool(token) and (rule.code.upper().startswith(token.upper()) or rule.name == token)


def unknown_tokens(tokens: Iterable[str], exact: bool = False) -> list[str]:
    """The ``--select``/``--ignore``/configuration tokens that name no rule (``exact``: a code
    or name, not a prefix, as severity overrides need)."""
    rules = all_rules().values()
    if exact:
        known = {r.code.upper() for r in rules} | {r.name for r in rules}
        return [t for t in tokens if t.upper() not in known and t not in known]
    return [t for t in tokens if not any(rule_matches(r, t) for r in rules)]


def kind_matches(patterns: Iterable[str], type_key: str) -> bool:
    return any(fnmatch.fnmatchcase(type_key, p) for p in patterns)


if __name__ == "__main__":
    write_index()
    print("wrote meshlint/rules/_index.py")
