"""The rule engine: read inputs, build the index once, run rules, resolve paths to
lines, apply suppressions and configuration, return a :class:`Result`.

The engine never prints. Reporters render a Result; the CLI decides what to show.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from . import placeholders
from .fixes import Fix
from .index import IndexView, ResourceIndex
from .loader import InputError, InputFile, SourceFile, discover, read_input, read_paths
from .model import Finding, Problem, Resource, Rule, Severity, Violation
from .namespaces import applied
from .paths import path_matches
from .refusals import SECURITY_CODES
from .registry import PLUGIN_NOT_LOADED, all_rules, kind_matches, plugin_failures, rule_matches
from .suppress import ANNOTATION_POINTER, Directive, Suppressions, annotation_directive

if TYPE_CHECKING:
    from .redact import Redactor
    from .verify import Outcome

DEFAULT_ROOT_NAMESPACE = "istio-system"
RULE_CRASHED = "ML090"
UNUSED_SUPPRESSION = "ML091"


@dataclass(frozen=True)
class Settings:
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    per_path_ignores: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    severity_overrides: Mapping[str, Severity] = field(default_factory=dict)
    root_namespace: str | None = None
    context_paths: tuple[str, ...] = ()  # read for cross-references; not reported on
    user_schemas: Any = None  # the user's own CRDs (--schemas): meshlint.schema.user_crds.UserSchemas
    assume_rbac_on: bool = False  # convert ServiceRoles even when no ClusterRbacConfig is among the inputs
    keep_fixes: bool = True  # findings carry their fix data (convert and report need it; check only says "fixable")
    exclude_dirs: tuple[str, ...] = ()  # never read, inputs or context (convert's own --out directory)
    namespace: str | None = None  # --namespace: the namespace of objects written without one (kubectl -n)
    namespaces: tuple[tuple[str, str], ...] = ()  # configuration: (path glob, namespace), first match wins
    namespaces_from: str = ".meshlint.yaml"  # the configuration file that gave ``namespaces``
    origins: bool = False  # findings on rendered objects (kustomize build, helm template) at their sources: check


@dataclass
class Context:
    """What a rule's check function gets besides the resource."""

    index: IndexView
    root_namespace: str
    settings: Settings


@dataclass(frozen=True)
class Result:
    """What one run found, and the run's context that convert, verify and report reuse: the index
    of every resource (inputs and --context), the root namespace, the verification of the security
    conversions and the redactor (secret values collected once). Frozen: reporters, commands and
    the API read it and never change it (``filtered``, ``without_texts``: new Results)."""

    findings: list[Finding]
    files: list[str]
    resources: int
    rules: dict[str, Rule]
    sources: list[SourceFile] = field(default_factory=list, repr=False)
    root_namespace: str = DEFAULT_ROOT_NAMESPACE
    verification: Outcome | None = field(default=None, repr=False)  # meshlint.verify.Outcome of the security conversions
    context_sources: list[SourceFile] = field(default_factory=list, repr=False)  # --context: read for references, not reported on
    index: ResourceIndex = field(kw_only=True, repr=False)  # built once per run (engine.lint_sources)
    redactor: Redactor = field(kw_only=True, repr=False)  # every output's scrubbing, for these inputs

    @property
    def not_objects(self) -> list[str]:
        """Input files that hold no Kubernetes objects (kustomizations, Helm charts, patches, ...): skipped."""
        return [s.path for s in self.sources if s.not_object]

    def count(self, severity: Severity) -> int:
        return sum(1 for f in self.findings if f.severity == severity)

    def exit_code(self, fail_on: Severity) -> int:
        return 1 if any(f.severity >= fail_on for f in self.findings) else 0

    def filtered(self, min_severity: Severity) -> Result:
        return replace(self, findings=[f for f in self.findings if f.severity >= min_severity])

    def without_texts(self) -> Result:
        """The same result with the input files' texts left out (check's reporters never need them,
        so a caller that drops the full result frees them before rendering)."""
        return replace(self, sources=[replace(s, text=None) for s in self.sources])


def active_rules(settings: Settings, rules: Mapping[str, Rule] | None = None) -> dict[str, Rule]:
    rules = all_rules() if rules is None else rules
    out = {}
    for code, rule in rules.items():
        if settings.select and not any(rule_matches(rule, t) for t in settings.select):
            continue
        if any(rule_matches(rule, t) for t in settings.ignore):
            continue
        out[code] = rule
    return out


def lint(paths: list[str], settings: Settings = Settings()) -> Result:
    sources = read_paths(paths, settings.exclude_dirs)
    context = _context_sources(settings.context_paths, {s.path for s in sources}, settings.exclude_dirs)
    return lint_sources(sources, settings, context)


def _context_sources(paths: tuple[str, ...], already: set[str], exclude: Iterable[str] = ()) -> list[SourceFile]:
    if not paths:
        return []
    import os

    files, _ = discover(list(paths), exclude)  # unreadable context is not the user's input: skip it
    seen = {os.path.realpath(p) for p in already}
    return [read_input(f) for f in files if f.fs_path is None or os.path.realpath(f.fs_path) not in seen]


def root_namespace(index: ResourceIndex, settings: Settings) -> str:
    """``--root-namespace``, else the ``istio`` ConfigMap's mesh ``rootNamespace``, else istio-system."""
    if settings.root_namespace:
        return settings.root_namespace
    from .data_files import load_text_data

    for cm in index.of_kind("ConfigMap"):
        if cm.name != "istio" or cm.group != "":
            continue
        data = cm.body.get("data")
        mesh = data.get("mesh") if isinstance(data, dict) else None
        if isinstance(mesh, str):
            parsed = load_text_data(mesh)
            if isinstance(parsed, dict) and isinstance(parsed.get("rootNamespace"), str):
                root: str = parsed["rootNamespace"]
                return root
    return DEFAULT_ROOT_NAMESPACE


def lint_sources(sources: list[SourceFile], settings: Settings = Settings(), context: Sequence[SourceFile] = ()) -> Result:
    """The run on read sources (``context``: objects looked up, not linted): every active rule on every
    resource, the security conversions verified against 1.4, then the findings file by file, redacted
    and sorted."""
    rules = all_rules()
    active = active_rules(settings, rules)
    checkers = [r for r in active.values() if r.check is not None]
    resources = [res for src in sources for res in src.resources]
    context_resources = [res for src in context for res in src.resources]
    from .namespaces import assign

    assign(list(sources) + list(context), settings.namespace, settings.namespaces, settings.namespaces_from)
    if settings.origins:
        from .origins import map_sources

        map_sources(sources)
    index = ResourceIndex(resources, context=context_resources)
    ctx_root = root_namespace(index, settings)
    views = {r.code: Context(IndexView(index, r.reads, r.code), ctx_root, settings) for r in checkers}

    # 1. every rule on every resource: violations (no line lookups yet)
    found_by_resource = _violations(sources, resources, checkers, views, rules)
    # 2. security conversions are verified against 1.4 before anything can write them. The converted
    #    world is whole whatever is reported: it also holds the conversions of --context resources
    #    (their own run writes them) and of security rules that --select left out.
    security = [r for r in rules.values() if r.code in SECURITY_CODES and r.check is not None]
    unselected = [r for r in security if r.code not in active]
    shadow: dict[int, list[tuple[Rule, Violation]]] = {}
    for res, todo in [(res, unselected) for res in (resources if unselected else [])] + [(res, security) for res in context_resources]:
        found = [fv for rule in todo if kind_matches(rule.kinds, res.type_key)
                 for fv in _run_rule(rule, res, views.get(rule.code) or Context(IndexView(index, rule.reads, rule.code), ctx_root, settings), rules)]
        if found:
            shadow.setdefault(id(res), []).extend(found)
    verification = None
    if any(rule.code in SECURITY_CODES and v.fix is not None for found in found_by_resource.values() for rule, v in found):
        from .verify.run import verify_conversions  # (a run without a security conversion never imports the verification)

        verification = verify_conversions(found_by_resource, shadow, resources + context_resources, index, ctx_root, rules, settings.assume_rbac_on)

    # 3. findings, file by file
    findings = [f for src in sources for f in _file_findings(src, found_by_resource, settings, rules, active)]
    findings.extend(_plugin_findings(rules, active, settings))
    from .redact import Redactor

    redactor = Redactor(sources)
    findings = [redactor.finding(f) for f in findings]
    findings.sort(key=Finding.sort_key)
    return Result(findings, [s.path for s in sources], len(resources), active, sources, ctx_root, verification, list(context),
                  index=index, redactor=redactor)


def _violations(sources: list[SourceFile], resources: list[Resource], checkers: list[Rule], views: Mapping[str, Context],
                rules: Mapping[str, Rule]) -> dict[int, list[tuple[Rule, Violation]]]:
    """Every active rule on every resource of its kinds: the violations by ``id`` of the resource,
    screened for placeholders and deferring rules (no line lookups yet)."""
    dispatch: dict[str, list[tuple[Rule, frozenset[str]]]] = {}
    found_by_resource: dict[int, list[tuple[Rule, Violation]]] = {}
    marked = placeholders.files_with_marks(sources)  # placeholders ($(VAR), ${VAR}, {{ }}) are unknown values
    for res in resources:
        key = res.type_key
        checks = dispatch.get(key)
        if checks is None:
            checks = dispatch[key] = _one_per_check([r for r in checkers if kind_matches(r.kinds, key)])
        found: list[tuple[Rule, Violation]] = []
        for rule, codes in checks:
            found.extend(_run_rule(rule, res, views[rule.code], rules, codes))
        if found and res.file in marked:
            found = placeholders.screen(found, res)
        if found:
            found_by_resource[id(res)] = _without_deferred(found)
    return found_by_resource


def _file_findings(src: SourceFile, found_by_resource: Mapping[int, list[tuple[Rule, Violation]]], settings: Settings,
                   rules: Mapping[str, Rule], active: Mapping[str, Rule]) -> list[Finding]:
    """One file's findings: its problems, its resources' violations (less what their annotations
    silence, plus unused suppressions), settled for the file; then its positions are released."""
    file_findings: list[Finding] = []
    for p in src.problems:
        problem_rule = rules.get(p.code)
        if problem_rule is not None and p.code in active:
            file_findings.append(_problem_finding(problem_rule, p, src.path))
    for res in src.resources:
        found = _yielding(found_by_resource.get(id(res), ()))
        # a resource that a fix replaces takes every finding on it along: all of them are fixed
        replaced = any(isinstance(v.fix, Fix) and v.fix.replaces for _, v in found)
        res_findings = [_violation_finding(rule, v, res, settings.keep_fixes, replaced) for rule, v in found]
        directive = annotation_directive(res)
        if directive is not None:
            res_findings = [f for f in res_findings if not directive.silences(f, rules[f.code])]
            if not directive.used and _can_judge(directive, active):
                res_findings.append(_unused(rules[UNUSED_SUPPRESSION], directive, src.path, res))
        file_findings.extend(res_findings)
    kept = _finish_file(src, file_findings, settings, rules, active)
    out = _at_sources(src, kept, settings, rules) if settings.origins else kept
    for res in src.resources:  # positions were composed on demand for this file's findings
        release = getattr(res.locate, "release", None)
        if release is not None:
            release()
    return out


def _without_deferred(found: list[tuple[Rule, Violation]]) -> list[tuple[Rule, Violation]]:
    """A deferring rule's violation yields to another rule's violation at the same field: a field a
    deprecation rule reports is not reported again as unknown by the schema rules. Done before any
    finding is built, so a dropped violation costs no line lookup."""
    if not any(rule.defers for rule, _ in found):
        return found
    taken = {v.path for rule, v in found if not rule.defers}
    owners = [v for rule, v in found if not rule.defers]
    rewritten = tuple(p + "/" for p in _rewritten_paths(v.fix for v in owners) | {p for v in owners for p in v.covers})
    return [(rule, v) for rule, v in found
            if not (rule.defers and (v.path in taken or (v.path + "/").startswith(rewritten)))]


def _yielding(found: Sequence[tuple[Rule, Violation]]) -> list[tuple[Rule, Violation]]:
    """A rule that ``yields_to`` others says nothing on a resource that one of them fixes (ML100
    "removed kind" next to the conversion that replaces it). Run after the security conversions are
    verified: a refused conversion no longer fixes, so the removed kind is reported again."""
    if not any(rule.yields_to for rule, _ in found):
        return list(found)
    fixed_by = {rule.code for rule, v in found if isinstance(v.fix, Fix) and v.fix.resolves}
    return [(rule, v) for rule, v in found if not fixed_by.intersection(rule.yields_to)]


def _rewritten_paths(fixes: Iterable[Fix | None]) -> set[str]:
    """Fields a fix replaces, removes or moves as a whole: a deferring rule's finding inside them
    is about data the fix rewrites (the old-style EnvoyFilter ``filters`` that ML501 replaces).
    A violation's ``covers`` names such fields without a fix."""
    from .fixes import MoveKey, Remove, SetValue

    return {op.path for fx in fixes if isinstance(fx, Fix) for op in fx.ops if isinstance(op, (SetValue, Remove, MoveKey))}


def _one_per_check(rules: list[Rule]) -> list[tuple[Rule, frozenset[str]]]:
    """The rules to run, one per check function (the codes of one rule module share theirs), each
    with the codes wanted from it."""
    out: dict[int, tuple[Rule, set[str]]] = {}
    for r in rules:
        out.setdefault(id(r.check), (r, set()))[1].add(r.code)
    return [(r, frozenset(codes)) for r, codes in out.values()]


def _run_rule(rule: Rule, res: Resource, ctx: Context, rules: Mapping[str, Rule], codes: frozenset[str] | None = None) -> list[tuple[Rule, Violation]]:
    """``rule``'s check on ``res``: each violation with the rule of its code (one of the codes its
    module declares; only ``codes`` are kept when given)."""
    try:
        found = []
        assert rule.check is not None  # a checker, not a parse-problem rule
        for v in rule.check(res, ctx):
            if not isinstance(v, Violation) or not isinstance(v.path, str) or not isinstance(v.params, Mapping):
                raise TypeError(f"yielded {type(v).__name__} {v!r:.80}, not a Violation with a JSON Pointer path")
            owner = rule if v.code is None or v.code == rule.code else rules.get(v.code)
            if owner is None or owner.check is not rule.check:
                raise ValueError(f"yielded a violation of {v.code!r}, which is not one of its codes")
            if codes is None or owner.code in codes:
                found.append((owner, v))
        return found
    except Exception as e:  # noqa: BLE001  a rule bug must never become a traceback for the user
        crashed = rules.get(RULE_CRASHED)
        if crashed is None:
            return []
        return [(crashed, Violation("", {"rule": rule.code, "error": f"{type(e).__name__}: {e}"}))]


def _violation_finding(rule: Rule, v: Violation, res: Resource, keep_fix: bool = True, replaced: bool = False) -> Finding:
    """A finding at the violation's field; configured severity overrides come later (``_finish_file``).
    It is fixable when convert makes it go away: its fix changes the resource, or another fix
    replaces the whole resource."""
    line, col = res.locate(v.path)
    return Finding(
        code=rule.code,
        name=rule.name,
        severity=v.severity or rule.severity,
        message=rule.format(v.message, v.params),
        file=res.file,
        line=line,
        column=col,
        resource=res.identity,
        path=v.path,
        fixable=replaced or (isinstance(v.fix, Fix) and v.fix.resolves),
        fix=v.fix if keep_fix else None,
        doc=res.doc_index,
        item=res.item_index,
        key=v.message,
        short=rule.format(v.message, v.params, short=True),
        applied=applied(res),
    )


def _problem_finding(rule: Rule, p: Problem, path: str) -> Finding:
    return Finding(rule.code, rule.name, rule.severity, rule.format(p.message, p.params), path, p.line, p.column, p.resource, "", False,
                   key=p.message, short=rule.format(p.message, p.params, short=True))


def _finish_file(src: SourceFile, findings: list[Finding], settings: Settings, rules: Mapping[str, Rule], active: Mapping[str, Rule]) -> list[Finding]:
    """Comment suppressions, per-path ignores and severity overrides for one file."""
    sup = Suppressions.from_text(src.text)
    ignored = [codes for glob, codes in settings.per_path_ignores.items() if path_matches(src.path, glob)]
    kept = []
    for f in findings:
        rule = rules[f.code]
        if any(rule_matches(rule, t) for codes in ignored for t in codes):
            continue
        if sup.directives and sup.silence(f, rule):
            continue
        kept.append(_override(f, settings))
    for d in sup.directives:
        if not d.used and _can_judge(d, active):
            kept.append(_override(_unused(rules[UNUSED_SUPPRESSION], d, src.path, None), settings))
    return kept


def _at_sources(src: SourceFile, findings: list[Finding], settings: Settings, rules: Mapping[str, Rule]) -> list[Finding]:
    """Findings on the objects of a rendered stream at their source files (meshlint.origins), the
    rendered position kept; the source's per-path ignores and comment suppressions apply there."""
    mapped = {(r.doc_index, r.item_index): r for r in src.resources if r.origin is not None}
    if not mapped:
        return findings
    from .origins import place

    out = []
    for f in findings:
        res = mapped.get((f.doc, f.item)) if f.resource is not None and f.doc is not None else None
        if res is not None:
            f = place(f, res)
            rule = rules[f.code]
            if any(rule_matches(rule, t) for glob, codes in settings.per_path_ignores.items() if path_matches(f.file, glob) for t in codes):
                continue
            if res.origin.silences(f, rule):
                continue
        out.append(f)
    return out


def _can_judge(d: Directive, active: Mapping[str, Rule]) -> bool:
    """An unused suppression is reported only when every rule it names actually ran."""
    if UNUSED_SUPPRESSION not in active:
        return False
    return all(t != "all" and any(rule_matches(r, t) for r in active.values()) for t in d.tokens)


def _plugin_findings(rules: Mapping[str, Rule], active: Mapping[str, Rule], settings: Settings) -> list[Finding]:
    """ML050: each plugin that could not be loaded, at the line of the ``entry_points.txt`` declaring it."""
    if PLUGIN_NOT_LOADED not in active:
        return []
    rule = rules[PLUGIN_NOT_LOADED]
    return [_override(Finding(rule.code, rule.name, rule.severity, rule.format(f.key, dict(f.params)), f.file, f.line, 1 if f.line else 0,
                              None, "", False, key=f.key, short=rule.format(f.key, dict(f.params), short=True)), settings)
            for f in plugin_failures()]


def _unused(rule: Rule, d: Directive, path: str, res: Resource | None) -> Finding:
    params = {"codes": ",".join(d.tokens)}
    ident = res.identity if res else None
    ptr = ANNOTATION_POINTER if res else ""
    return Finding(rule.code, rule.name, rule.severity, rule.format(d.scope, params), path, d.line, d.column, ident, ptr, False,
                   key=d.scope, short=rule.format(d.scope, params, short=True))


def _override(f: Finding, settings: Settings) -> Finding:
    sev = settings.severity_overrides.get(f.code) or settings.severity_overrides.get(f.name)
    if sev is None or sev == f.severity:
        return f
    from dataclasses import replace

    return replace(f, severity=sev)


__all__ = ["Context", "InputError", "InputFile", "Result", "Settings", "active_rules", "lint", "lint_sources", "read_paths", "root_namespace"]
