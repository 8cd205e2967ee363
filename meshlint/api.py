"""meshlint's public Python API: :func:`check`, :func:`convert` and :func:`report` (docs/api.md).

A thin layer over the engine: the same settings, findings, conversions and report as the
``meshlint`` command, as small frozen values. Inputs are paths (files, directories) or texts in
memory (``{"name.yaml": "apiVersion: ..."}``); nothing is printed, and nothing is written unless
``convert`` is asked to (``in_place`` or ``out``). What the command reports with exit code 2 (an
input that cannot be read, a bad option, a configuration that cannot be used) raises
:class:`MeshlintError` with the same message.

Everything here is imported on first use of ``meshlint.check`` and friends, never by
``import meshlint``. Names without a leading underscore, and the attributes the docs list, are
the stable API (semantic versioning, docs/api.md).
"""
from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Union

from .model import Finding, ResourceId, Severity

if TYPE_CHECKING:
    from .convert import ConvertResult
    from .convert_cli import Generated
    from .engine import Result, Settings
    from .loader import SourceFile

PathLike = Union[str, "os.PathLike[str]"]
Texts = Mapping[str, str | bytes]
Inputs = Union[PathLike, Sequence[PathLike], Texts]  # noqa: UP007  (as PathLike)
"""Paths (one, or a list of files and directories; ``"-"`` is not special) or texts in memory:
a mapping of display names to YAML (str or bytes)."""

CHECK_FORMATS = ("text", "json", "sarif", "junit", "github", "gitlab")
REPORT_FORMATS = ("markdown", "html", "json")


class MeshlintError(Exception):
    """What the command reports with exit code 2: an input path that cannot be read, an option
    value meshlint cannot use, a configuration or ``schemas`` file that cannot be read, an
    ``out`` directory that cannot be used. The message is the command's."""


# --------------------------------------------------------------------------- results

@dataclass(frozen=True)
class CheckResult:
    """The outcome of :func:`check`: findings sorted by file, line, column, code, path."""

    findings: tuple[Finding, ...]
    files: tuple[str, ...]  # the input files read, as named
    resources: int  # Kubernetes objects read
    not_objects: tuple[str, ...]  # input files that hold no Kubernetes objects (skipped)
    warnings: tuple[str, ...]  # plugins that could not be loaded (their rules did not run), one sentence each
    _result: Result = field(repr=False, compare=False)

    def count(self, severity: Severity | str) -> int:
        """Findings of exactly this severity."""
        return self._result.count(_severity(severity, "severity"))

    def exit_code(self, fail_on: Severity | str = Severity.WARNING) -> int:
        """What ``meshlint check --fail-on`` would exit with: 2 if an input could not be read (ML013),
        1 if a finding is at or above ``fail_on``, else 0."""
        from .exitcodes import USAGE, for_input

        unreadable = for_input(self._result.sources) == USAGE
        return USAGE if unreadable else self._result.exit_code(_severity(fail_on, "fail_on"))

    def render(self, format: str = "text", **options: Any) -> str:
        """The text ``meshlint check --format FORMAT`` prints (``text`` takes ``color`` and ``explain``)."""
        from . import reporters

        try:
            render = reporters.get(format)
        except ValueError as e:
            raise MeshlintError(str(e)) from None
        return render(self._result, **options)

    def to_json(self) -> str:
        """The JSON output contract (docs/json-output.md), as ``meshlint check --format json``."""
        return self.render("json")


@dataclass(frozen=True)
class Change:
    """One converted resource: which fixes, and what changed (JSON Pointers), or what replaced it."""

    resource: ResourceId
    fixes: tuple[str, ...]
    added: tuple[str, ...]
    removed: tuple[str, ...]
    changed: tuple[str, ...]
    replaced_by: tuple[ResourceId, ...]  # the objects put in its place (a removed kind's conversion)


@dataclass(frozen=True)
class ConvertedFile:
    """One input file: its text before and after; both ``None`` when the file was not read (one
    meshlint skips by name, such as a kustomization or a Helm chart's file, or an unreadable one)."""

    path: str
    original: str | None
    text: str | None  # the converted text; the original when nothing changed or it could not be converted
    changes: tuple[Change, ...]
    errors: tuple[str, ...]  # why the file (or part of it) was left as it was
    bom: bool = False  # the file starts with a UTF-8 byte order mark (not part of the texts; kept by ``data``)

    @property
    def changed(self) -> bool:
        return self.text != self.original

    @property
    def data(self) -> bytes | None:
        """The converted file's bytes, as meshlint writes them (its byte order mark kept)."""
        return None if self.text is None else (("\ufeff" if self.bom else "") + self.text).encode("utf-8")


@dataclass(frozen=True)
class GeneratedFile:
    """A file convert generates besides the inputs (a replacement gateway, a draft policy)."""

    path: str  # relative: ``generated/...``, under ``out`` or the working directory when written
    text: str
    sources: tuple[tuple[str, ResourceId | None], ...]  # (input file, resource) that asked for it
    status: str  # "new", "written", "unchanged" or "differs" (an existing file, left as it is)


@dataclass(frozen=True)
class ConversionResult:
    """The outcome of :func:`convert`. ``written`` is empty unless ``in_place`` or ``out`` was given."""

    files: tuple[ConvertedFile, ...]
    generated: tuple[GeneratedFile, ...]
    findings: tuple[Finding, ...]  # every finding of the check that drove the conversion
    unfixed: tuple[Finding, ...]  # the findings no fix resolves: manual work
    differences: tuple[str, ...]  # with verify=True: request classes a security conversion decides differently from 1.4 (documented ones say so)
    refused_by_verification: int  # security conversions refused because they could not be proven equal
    written: Mapping[str, str]  # input path -> where it was written
    refused: tuple[Finding, ...]  # files not written (ML030 findings)
    write_error: str | None  # why nothing was written, when writing was asked for and failed
    warnings: tuple[str, ...]  # plugins that could not be loaded
    _json: str = field(repr=False, compare=False)
    _diff: str = field(repr=False, compare=False)
    _input: int = field(default=0, repr=False, compare=False)  # the exit code the input alone calls for

    @property
    def changed(self) -> tuple[ConvertedFile, ...]:
        return tuple(f for f in self.files if f.changed)

    @property
    def exit_code(self) -> int:
        """What ``meshlint convert`` would exit with: 2 when a write failed or an input could not be
        read, 1 when a conversion error, a refused conversion, a refused write or a file that is
        not valid YAML remains, else 0."""
        if self.write_error is not None:
            return 2
        errors = any(f.errors for f in self.files)  # every conversion error, of a file or of one resource in it
        return max(self._input, 1 if errors or self.refused_by_verification or self.refused else 0)

    def diff(self) -> str:
        """One unified diff of every changed input and every new generated file, as ``meshlint
        convert --diff`` prints it (``git apply`` takes it; Secret values are redacted)."""
        return self._diff

    def to_json(self) -> str:
        """The summary ``meshlint convert --format json`` prints (docs/convert.md)."""
        return self._json


@dataclass(frozen=True)
class Report:
    """The migration report of :func:`report` (schema: meshlint/schemas/report.schema.json)."""

    revision: str
    exit_code: int  # what ``meshlint report`` exits with: 2 when an input could not be read, 1 when one is not valid YAML, else 0
    _json: str = field(repr=False, compare=False)
    _model: Any = field(repr=False, compare=False)

    @property
    def data(self) -> dict[str, Any]:
        """The report as JSON data (a fresh copy on every call)."""
        data: dict[str, Any] = json.loads(self._json)
        return data

    @property
    def verdict(self) -> str:
        """``SUCCESS``, ``CUSTOM_CONFIGS_DETECTED`` or ``MIGRATION_CONFIG_ERROR``."""
        return str(self.data["verdict"]["state"])

    def render(self, format: str = "markdown") -> str:
        """The text ``meshlint report --format FORMAT`` writes: markdown, html or json."""
        if format == "json":
            return self._json
        if format not in REPORT_FORMATS:
            raise MeshlintError(f"unknown format {format!r} (choose from {', '.join(REPORT_FORMATS)})")
        from .migration_report import render

        return render(self._model, format)

    def to_json(self) -> str:
        return self._json


# --------------------------------------------------------------------------- the three calls

def check(inputs: Inputs, *, select: Iterable[str] = (), ignore: Iterable[str] = (),
          severity: Mapping[str, Severity | str] | None = None, per_path_ignores: Mapping[str, Iterable[str]] | None = None,
          namespace: str | None = None, root_namespace: str | None = None, context: Iterable[PathLike] = (),
          assume_rbac_on: bool = False, schemas: PathLike | None = None, config: PathLike | None = None) -> CheckResult:
    """Check configuration, as ``meshlint check``: every finding, nothing printed or written.

    ``select``/``ignore``: codes, code prefixes (``ML2``) or rule names. ``severity``: code or
    name -> error|warning|info. ``per_path_ignores``: path glob -> codes. ``namespace``: the
    namespace of objects written without one (``-n``). ``context``: paths read only to resolve
    references. ``schemas``: the target cluster's CRDs. ``config``: a ``.meshlint.yaml`` or
    ``pyproject.toml`` to read settings from, or a directory to search upwards from (as the
    command does from the working directory); by default none is read."""
    settings = _settings(select=select, ignore=ignore, severity=severity, per_path_ignores=per_path_ignores, namespace=namespace,
                         root_namespace=root_namespace, context=context, assume_rbac_on=assume_rbac_on, schemas=schemas, config=config)
    result = _lint(inputs, replace(settings, keep_fixes=False, origins=True))  # rendered objects at their sources, as the command
    return CheckResult(tuple(result.findings), tuple(result.files), result.resources, tuple(result.not_objects), _plugin_warnings(), result)


def convert(inputs: Inputs, *, in_place: bool = False, out: PathLike | None = None, keep_server_fields: bool = False,
            verify: bool = False, select: Iterable[str] = (), ignore: Iterable[str] = (), namespace: str | None = None, root_namespace: str | None = None,
            context: Iterable[PathLike] = (), assume_rbac_on: bool = False, schemas: PathLike | None = None,
            config: PathLike | None = None) -> ConversionResult:
    """Convert configuration, as ``meshlint convert``: texts in, texts out.

    Nothing is written unless asked: ``in_place=True`` rewrites changed input files (atomically,
    all or none) and writes generated files under ``generated/`` in the working directory;
    ``out=DIR`` writes every input file, converted or not, under ``DIR``. Both need path inputs.
    ``verify``: list every request class a security conversion decides differently from 1.4
    (``differences``; the verification itself always runs). The other options are :func:`check`'s."""
    from .convert_cli import plan_generated, planned_writes, write
    from .write_targets import OutError, check_out_dir

    if in_place and out is not None:
        raise MeshlintError("in_place and out cannot be used together")
    paths = None if _is_texts(inputs) else _paths(inputs)
    if (in_place or out is not None) and paths is None:
        raise MeshlintError("texts in memory cannot be written: give paths to write with in_place or out, or write the returned texts yourself")
    settings = _settings(select=select, ignore=ignore, namespace=namespace, root_namespace=root_namespace, context=context,
                         assume_rbac_on=assume_rbac_on, schemas=schemas, config=config)
    out_dir = Path(out) if out is not None else None
    if out_dir is not None:
        try:
            check_out_dir(out_dir, paths or [])
        except OutError as e:
            raise MeshlintError(str(e)) from None
        settings = replace(settings, exclude_dirs=(str(out_dir),))  # its own output is never read back
    result = _lint(inputs, settings)
    converted = _convert_result(result, keep_server_fields, settings)
    generated = plan_generated(converted, out_dir)
    try:
        writes, refusals = planned_writes(result, converted, out_dir, in_place, paths, generated) if (in_place or out_dir) else ([], [])
    except OutError as e:
        raise MeshlintError(str(e)) from None
    written, failure = write(writes)
    if failure is not None:
        refusals = refusals + failure.refused
    else:
        targets = {os.path.normpath(w.target) for w in writes}
        for g in generated:
            if os.path.normpath(str(g.target)) in targets:
                g.status = "written"
    return _conversion(result, converted, generated, written, refusals, None if failure is None else str(failure), verify)


def report(inputs: Inputs, *, revision: str = "asm-managed", namespace: str | None = None, root_namespace: str | None = None,
           context: Iterable[PathLike] = (), assume_rbac_on: bool = False, schemas: PathLike | None = None,
           config: PathLike | None = None) -> Report:
    """The migration report, as ``meshlint report``: :meth:`Report.render` gives its Markdown,
    HTML or JSON; :attr:`Report.data` the JSON as data. The other options are :func:`check`'s
    (a report always covers every rule)."""
    from .exitcodes import for_input
    from .migration_report import REVISIONS, build, render

    if revision not in REVISIONS:
        raise MeshlintError(f"unknown revision {revision!r} (choose from {', '.join(REVISIONS)})")
    settings = _settings(namespace=namespace, root_namespace=root_namespace, context=context, assume_rbac_on=assume_rbac_on,
                         schemas=schemas, config=config, rules_from_config=False)
    result = _lint(inputs, settings)
    model = build(result, revision, _user_validate(settings), inputs=_paths(inputs) if not _is_texts(inputs) else list(result.files),
                  assume_rbac_on=assume_rbac_on)
    model = result.redactor.data(model)  # scrubbed before rendering: every format stays valid
    return Report(revision, for_input(result.sources), render(model, "json"), model)


# --------------------------------------------------------------------------- inputs and settings

def _is_texts(inputs: Inputs) -> bool:
    return isinstance(inputs, Mapping)


def _paths(inputs: Any) -> list[str]:
    """One path or a list of them, as strings (a lone string is one path, never its characters)."""
    if isinstance(inputs, (str, os.PathLike)):
        inputs = [inputs]
    if isinstance(inputs, (bytes, bytearray)) or not isinstance(inputs, Iterable):
        raise MeshlintError(f"inputs: expected a path, a list of paths or a mapping of names to texts, got {type(inputs).__name__}")
    paths = [os.fspath(p) for p in inputs]
    if not paths:
        raise MeshlintError("inputs: no paths given")
    bad = [p for p in paths if not isinstance(p, str)]
    if bad:
        raise MeshlintError(f"inputs: {bad[0]!r} is not a path")
    return paths


def _sources(inputs: Texts) -> list[SourceFile]:
    from .loader import load_bytes

    out: list[SourceFile] = []
    for name, text in inputs.items():
        if not isinstance(name, str) or not name:
            raise MeshlintError(f"inputs: a text's name must be a non-empty string, got {name!r}")
        if isinstance(text, str):
            data = text.encode("utf-8", "surrogateescape")
        elif isinstance(text, (bytes, bytearray)):
            data = bytes(text)
        else:
            raise MeshlintError(f"inputs: {name}: expected str or bytes, got {type(text).__name__}")
        out.append(load_bytes(data, name))
    return out


def _lint(inputs: Inputs, settings: Settings) -> Result:
    import gc

    from .engine import InputError, _context_sources, lint, lint_sources

    gc_was_on = gc.isenabled()
    gc.disable()  # many small acyclic objects: collection during a run only costs time
    try:
        if _is_texts(inputs):
            sources = _sources(inputs)  # type: ignore[arg-type]
            context = _context_sources(settings.context_paths, set(), settings.exclude_dirs)
            return lint_sources(sources, settings, context)
        return lint(_paths(inputs), settings)
    except InputError as e:
        raise MeshlintError(str(e)) from None
    finally:
        if gc_was_on:
            gc.enable()


def _severity(value: Severity | str, option: str) -> Severity:
    if isinstance(value, Severity):
        return value
    try:
        return Severity.parse(value)
    except ValueError as e:
        raise MeshlintError(f"{option}: {e}") from None


def _tokens(values: Iterable[str] | str, option: str) -> tuple[str, ...]:
    """Codes, prefixes or names; a string is split on commas, as the command's options are."""
    if isinstance(values, str):
        values = [values]
    out: list[str] = []
    for v in values:
        if not isinstance(v, str):
            raise MeshlintError(f"{option}: expected codes or rule names as strings, got {v!r}")
        out.extend(t.strip() for t in v.split(",") if t.strip())
    return tuple(out)


def _config(config: PathLike | None) -> Any:
    from .config import Config, ConfigError, find_config, read_config

    if config is None:
        return Config()
    path = Path(config)
    try:
        return find_config(path) if path.is_dir() else read_config(path)
    except ConfigError as e:
        raise MeshlintError(str(e)) from None


def _settings(select: Iterable[str] = (), ignore: Iterable[str] = (), severity: Mapping[str, Severity | str] | None = None,
              per_path_ignores: Mapping[str, Iterable[str]] | None = None, namespace: str | None = None,
              root_namespace: str | None = None, context: Iterable[PathLike] = (), assume_rbac_on: bool = False,
              schemas: PathLike | None = None, config: PathLike | None = None, rules_from_config: bool = True) -> Settings:
    """The command's settings: the options given, on top of the configuration file (if any)."""
    from .config import _DNS_LABEL
    from .engine import Settings

    cfg = _config(config)
    if namespace is not None and not (isinstance(namespace, str) and _DNS_LABEL.match(namespace)):
        raise MeshlintError(f"namespace: {namespace!r} is not a namespace name (lowercase letters, digits and '-', at most 63)")
    ignores = dict(cfg.per_path_ignores)
    ignores.update({str(glob): _tokens(codes, "per_path_ignores") for glob, codes in (per_path_ignores or {}).items()})
    overrides = dict(cfg.severity)
    overrides.update({str(k): _severity(v, f"severity {k}") for k, v in (severity or {}).items()})
    return Settings(
        select=_tokens(select, "select") or (cfg.select if rules_from_config else ()),
        ignore=_tokens(ignore, "ignore") + (cfg.ignore if rules_from_config else ()),
        per_path_ignores=ignores if rules_from_config else {},
        severity_overrides=overrides if rules_from_config else {},
        root_namespace=root_namespace or cfg.root_namespace,
        context_paths=tuple(_paths(context)) if context else (),
        assume_rbac_on=bool(assume_rbac_on),
        user_schemas=_user_schemas(schemas),
        namespace=namespace,
        namespaces=cfg.namespaces,
        namespaces_from=_config_name(cfg.source),
    )


def _config_name(source: str | None) -> str:
    """The configuration file as findings name it: relative to the working directory when inside it."""
    if not source:
        return ".meshlint.yaml"
    path, _, section = source.partition(" ")
    rel = os.path.relpath(path)
    return (path if rel.startswith("..") else rel) + (f" {section}" if section else "")


def _user_schemas(schemas: PathLike | None) -> Any:
    if schemas is None:
        return None
    from .schema.user_crds import UserSchemaError, load_user_schemas

    try:
        return load_user_schemas(os.fspath(schemas))
    except UserSchemaError as e:
        raise MeshlintError(str(e)) from None


def _user_validate(settings: Settings) -> Any:
    return settings.user_schemas.validate if settings.user_schemas is not None else None


def _plugin_warnings() -> tuple[str, ...]:
    from .registry import plugin_problems

    return tuple(plugin_problems())


# --------------------------------------------------------------------------- conversion results

def _convert_result(result: Result, keep_server_fields: bool, settings: Settings) -> ConvertResult:
    from .convert import convert as convert_files

    return convert_files(result, keep_server_fields=keep_server_fields, validate=_user_validate(settings))


def _conversion(result: Result, converted: ConvertResult, generated: list[Generated], written: dict[str, str],
                refusals: list[Any], error: str | None, verify: bool) -> ConversionResult:
    from .convert_cli import _as_json, diff_text, refusal_findings, refused_by_verification, security_differences
    from .exitcodes import for_input

    redactor = result.redactor  # scrubs data before it is encoded, as the command does
    differences = security_differences(result) if verify else []
    refused = refusal_findings(refusals)
    boms = {s.path: s.bom for s in result.sources}
    files = tuple(
        ConvertedFile(f.path, f.original, f.new_text if f.new_text is not None else f.original,
                      tuple(_change(c) for c in f.changes), tuple(redactor.text(e) for e in f.messages), boms.get(f.path, False))
        for f in converted.files)
    made = tuple(GeneratedFile(g.file.path, g.file.text, tuple(g.file.sources), g.status) for g in generated)
    summary = json.dumps(redactor.data(_as_json(converted, written, differences, generated, refused, error)), indent=2, ensure_ascii=False) + "\n"
    return ConversionResult(
        files=files, generated=made, findings=tuple(result.findings), unfixed=tuple(converted.unfixed),
        differences=tuple(redactor.text(d) for d in differences), refused_by_verification=refused_by_verification(result),
        written=MappingProxyType(dict(written)), refused=tuple(refused), write_error=None if error is None else redactor.text(error),
        warnings=_plugin_warnings(), _json=summary, _diff=redactor.text(diff_text(converted, generated)[0]), _input=for_input(result.sources))


def _change(c: Any) -> Change:
    return Change(c.resource, tuple(c.fixes), tuple(c.changes.get("added", ())), tuple(c.changes.get("removed", ())),
                  tuple(c.changes.get("changed", ())), tuple(c.replaced_by))


__all__ = ["Change", "CheckResult", "ConversionResult", "ConvertedFile", "Finding", "GeneratedFile", "Inputs", "MeshlintError",
           "Report", "ResourceId", "Severity", "check", "convert", "report"]
