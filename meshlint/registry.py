"""The one place where rules are registered.

Built-in rules are the modules listed in ``BUILTIN``; each defines ``CODE``,
``KINDS`` (``group/Kind`` patterns it runs on), ``READS`` (other kinds it may look
up in the resource index) and a pure ``check(resource, ctx)`` generator. Their
name, severity, messages and docs come from the catalogue. Third-party rules come
through the entry-point group ``meshlint.rules`` and carry their own metadata; they are
loaded only from the installed environment (never from the working directory, which
``python -m`` or a ``''`` entry puts on ``sys.path`` and which is usually the repository being
scanned). A plugin that fails to load is reported by :func:`plugin_problems`.
"""
from __future__ import annotations

import fnmatch
import functools
import importlib
import os
import re
import sys
from collections.abc import Iterable, Iterator, Mapping
from types import ModuleType
from typing import TYPE_CHECKING, Any

from .catalogue import CatalogueRule, catalogue_files
from .catalogue import entry as catalogue_entry
from .model import Rule, Severity

if TYPE_CHECKING:
    from importlib.metadata import EntryPoint

BUILTIN = (
    "duplicate_object",
    "unknown_istio_kind",
    "removed_api_kind",
    "removed_workload_api_version",
    "mixer_resource",
    "authn_policy_conversion",
    "rbac_role_conversion",
    "rbac_binding_conversion",
    "rbac_config_conversion",
    "vs_legacy_header_fields",
    "vs_websocket_upgrade",
    "vs_fault_percent",
    "vs_mirror_percent",
    "vs_cors_allow_origin",
    "vs_destination_port_name",
    "dr_consecutive_errors",
    "dr_least_conn",
    "dr_minimum_ring_size",
    "snake_case_field",
    "envoyfilter_unsupported",
    "envoyfilter_old_style",
    "envoyfilter_deprecated_name",
    "envoyfilter_v2_type_url",
    "envoyfilter_untyped_config",
    "envoyfilter_removed_filter",
    "plugin_ca_cert",
    "deployment_mounts_cacerts",
    "custom_gateway",
    "gateway_selector_orphaned",
    "namespace_injection_label",
    "namespace_conflicting_injection_labels",
    "removed_pod_annotation",
    "istio_operator",
    "operator_mesh_config",
    "operator_addon_component",
    "operator_component",
    "operator_gateway",
    "schema_unknown_field",
    "schema_wrong_type",
    "schema_invalid_enum",
    "schema_missing_field",
    "schema_constraint",
)

ENTRY_POINT_GROUP = "meshlint.rules"


def _rule_from_entry(entry: dict[str, Any], module: ModuleType | None = None) -> Rule:
    return Rule(
        code=entry["code"],
        name=entry["name"],
        severity=Severity.parse(entry["severity"]),
        summary=entry["summary"],
        fixable=bool(entry.get("fixable", False)),
        area=entry["area"],
        messages=entry.get("messages") or {"default": entry["summary"]},
        kinds=tuple(getattr(module, "KINDS", ())) if module else (),
        reads=tuple(getattr(module, "READS", ())) if module else (),
        check=getattr(module, "check", None) if module else None,
        defers=bool(getattr(module, "DEFERS", False)) if module else False,
        shorts=entry.get("short") or {},
        behaviour=entry.get("behaviour_change") or {},
        yields_to=tuple(getattr(module, "YIELDS_TO", ())) if module else (),
        doc=entry,
    )


def _complete(code: str, module: ModuleType | None) -> Rule:
    return _rule_from_entry(catalogue_entry(code), module)


@functools.lru_cache(maxsize=1)
def all_rules() -> dict[str, Rule]:
    """Every known rule by code, built-ins first then plugins, in code order."""
    modules = {}
    for name in BUILTIN:
        module = importlib.import_module(f"meshlint.rules.{name}")
        modules[module.CODE] = module
    rules: dict[str, Rule] = {}
    for code, file_name in catalogue_files().items():  # each entry is parsed when its rule is first asked for more
        mod = modules.get(code)
        known: dict[str, Any] = {} if mod is None else {
            "kinds": tuple(getattr(mod, "KINDS", ())), "reads": tuple(getattr(mod, "READS", ())), "check": getattr(mod, "check", None),
            "defers": bool(getattr(mod, "DEFERS", False)), "yields_to": tuple(getattr(mod, "YIELDS_TO", ()))}
        rules[code] = CatalogueRule(code, file_name[len(code) + 1:-len(".yaml")], functools.partial(_complete, code, mod), **known)
    for rule in _plugin_rules():
        if rule.code in rules:  # a plugin never replaces a built-in code
            _PLUGIN_PROBLEMS.append(f"plugin rule {rule.code} ({rule.name}) uses a code meshlint already has, so it was not loaded")
        else:
            rules[rule.code] = rule
    return dict(sorted(rules.items()))


_PLUGIN_PROBLEMS: list[str] = []


def plugin_problems() -> list[str]:
    """Plugins that could not be loaded (their rules did not run), one sentence each."""
    all_rules()
    return list(_PLUGIN_PROBLEMS)


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


def _plugin_entry_points() -> Iterator[EntryPoint]:

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
        yield from (ep for ep in dist.entry_points if ep.group == ENTRY_POINT_GROUP)


def _plugin_rules() -> Iterable[Rule]:
    _PLUGIN_PROBLEMS.clear()
    try:
        entry_points = list(_plugin_entry_points())
    except Exception as e:  # noqa: BLE001  a damaged installation's metadata: said, and the built-in rules still run
        _PLUGIN_PROBLEMS.append(f"plugins could not be listed, so none was loaded: {type(e).__name__}: {e}")
        return
    for ep in entry_points:
        try:
            obj = ep.load()
        except BaseException as e:  # a broken plugin must not break the run, nor go unnoticed (SystemExit included)
            if isinstance(e, KeyboardInterrupt):
                raise
            _PLUGIN_PROBLEMS.append(f"plugin {ep.name} ({ep.value}) could not be loaded, so its rules did not run: {type(e).__name__}: {e}")
            continue
        try:
            rule = _plugin_rule(obj)
        except (KeyError, TypeError, ValueError, AttributeError) as e:
            why = f"its catalogue entry has no {e}" if isinstance(e, KeyError) else str(e)
            _PLUGIN_PROBLEMS.append(f"plugin {ep.name} ({ep.value}) is not a usable rule ({why}), so it was not loaded")
            continue
        yield rule


_PLUGIN_CODE = re.compile(r"^[A-Z]+[0-9]+$")


def _plugin_rule(obj: Any) -> Rule:
    """A plugin's rule: a :class:`Rule`, or a module like a built-in rule's with its catalogue
    entry as ``CATALOGUE``. Raises (TypeError, ValueError, KeyError) with what is wrong."""
    if isinstance(obj, ModuleType) and isinstance(getattr(obj, "CATALOGUE", None), dict):
        if isinstance(getattr(obj, "KINDS", None), str):
            raise ValueError(f"KINDS is the string {obj.KINDS!r}, not a tuple of group/Kind patterns (mind the comma of a one-item tuple)")  # noqa: TRY004
        obj = _rule_from_entry(obj.CATALOGUE, obj)
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
