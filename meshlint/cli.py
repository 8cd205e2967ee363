"""The ``meshlint`` command: options in, parts built, parts run. Nothing else lives here."""
from __future__ import annotations

import os
import sys
from dataclasses import replace
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from . import __version__
from . import lazy_typer as typer  # typer's own API, imported only when a command line needs it (lazy_typer.py)

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from .config import Config
    from .engine import Result, Settings
    from .model import Severity

app = typer.Typer(
    name="meshlint",
    help="Find and convert Istio 1.4/1.6 configuration that modern or managed Istio rejects, ignores or no longer supports.",
    add_completion=False,
    pretty_exceptions_enable=False,
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)

EXIT_USAGE = 2


def _fail(message: str) -> typer.Exit:
    typer.echo(f"meshlint: error: {message}", err=True)
    return typer.Exit(EXIT_USAGE)


def _split(values: list[str] | None) -> tuple[str, ...]:
    return tuple(t.strip() for v in values or () for t in v.split(",") if t.strip())


def _severity(value: str | None, option: str) -> Severity | None:
    from .model import Severity

    if value is None:
        return None
    try:
        return Severity.parse(value)
    except ValueError as e:
        raise _fail(f"{option}: {e}")


def write_output(text: str, output: Path | None) -> None:
    """Write to stdout, or atomically to a file."""
    if output is None:
        from .fsutil import write_text_chunks

        buffer = getattr(sys.stdout, "buffer", None)
        sys.stdout.flush()
        if buffer is None:  # a replaced stdout (an embedding program's) takes text
            sys.stdout.write(text)
        else:
            write_text_chunks(buffer, text)
            buffer.flush()
        return
    from .fsutil import atomic_write_text

    try:
        atomic_write_text(output, text)
    except OSError as e:
        raise _fail(f"cannot write {output}: {e.strerror or e}")


def version_callback(value: bool) -> None:
    if value:
        typer.echo(f"meshlint {__version__}")
        raise typer.Exit()


@app.callback()
def _root(version: bool = typer.Option(False, "--version", callback=version_callback, is_eager=True, help="Show the version and exit.")) -> None:
    pass


COLOR_HELP = "Colour terminal output: auto (on a terminal, unless NO_COLOR is set), always or never."


def _color(choice: str, no_color: bool = False, stream: IO[str] | None = None) -> bool:
    """Whether to colour what goes to ``stream`` (stdout by default)."""
    from .terminal import COLOR_CHOICES, use_color

    if choice not in COLOR_CHOICES:
        raise _fail(f"--color: unknown value {choice!r} (choose from {', '.join(COLOR_CHOICES)})")
    return use_color("never" if no_color else choice, stream or sys.stdout)


SCHEMAS_HELP = "Validate Istio objects (and converted output) against these CustomResourceDefinitions, e.g. `kubectl get crd -o yaml` from the target cluster: a file or a directory."


NAMESPACE_HELP = "The namespace of every namespaced object written without one, as `kubectl apply -n NS` gives it (a kustomization's namespace: still wins)."


def _known_codes(cfg: Config, select: list[str] | None, ignore: list[str] | None) -> None:
    """Every code or name given on the command line or in the configuration names a rule: a typo
    would silently run no rule (or skip none)."""
    from .registry import unknown_tokens

    given = [("--select", _split(select), False), ("--ignore", _split(ignore), False)]
    where = cfg.source or ""
    given += [(f"{where}: select", cfg.select, False), (f"{where}: ignore", cfg.ignore, False),
              (f"{where}: severity", tuple(cfg.severity), True)]
    given += [(f"{where}: per-path-ignores {glob!r}", codes, False) for glob, codes in cfg.per_path_ignores.items()]
    for option, tokens, exact in given:
        unknown = unknown_tokens(tokens, exact)
        if unknown:
            raise _fail(f"{option}: unknown rule code or name {', '.join(map(repr, unknown))} (`meshlint rules` lists them)")


def _settings(select: list[str] | None, ignore: list[str] | None, root_namespace: str | None, context: list[str] | None,
              assume_rbac_on: bool, schemas: Path | None = None, namespace: str | None = None, verbose: bool = False) -> tuple[Config, Settings]:
    """Settings from the command line, on top of the project's configuration file."""
    from .config import ConfigError, find_config
    from .engine import Settings

    try:
        cfg = find_config()
    except ConfigError as e:
        raise _fail(str(e))
    if verbose:
        typer.echo(f"meshlint: configuration: {cfg.source or f'none (searched {cfg.searched})'}", err=True)
    _known_codes(cfg, select, ignore)
    if namespace is not None:
        from .config import _DNS_LABEL

        if not _DNS_LABEL.match(namespace):
            raise _fail(f"--namespace: {namespace!r} is not a namespace name (lowercase letters, digits and '-', at most 63)")
    user_schemas = None
    if schemas is not None:
        from .schema.user_crds import UserSchemaError, load_user_schemas

        try:
            user_schemas = load_user_schemas(str(schemas))
        except UserSchemaError as e:
            raise _fail(str(e))
    settings = Settings(
        select=_split(select) or cfg.select,
        ignore=_split(ignore) + cfg.ignore,
        per_path_ignores=cfg.per_path_ignores,
        severity_overrides=cfg.severity,
        root_namespace=root_namespace or cfg.root_namespace,
        context_paths=_split(context),
        assume_rbac_on=assume_rbac_on,
        user_schemas=user_schemas,
        namespace=namespace,
        namespaces=cfg.namespaces,
        namespaces_from=_config_name(cfg.source),
    )
    return cfg, settings


def _config_name(source: str | None) -> str:
    """The configuration file as findings name it: relative to the working directory when inside it."""
    if not source:
        return ".meshlint.yaml"
    path, _, section = source.partition(" ")
    rel = os.path.relpath(path)
    return (path if rel.startswith("..") else rel) + (f" {section}" if section else "")


def _user_validate(settings: Settings) -> Callable[[dict[str, Any]], list[str]] | None:
    """The extra check of converted objects against the user's CRDs (--schemas), if any."""
    return settings.user_schemas.validate if settings.user_schemas is not None else None


def _lint(paths: Sequence[str], settings: Settings) -> Result:
    import gc

    from .engine import InputError, lint

    gc.disable()  # a short-lived process building many small acyclic objects: collection only costs time
    try:
        result = lint(list(paths), settings)
    except InputError as e:
        raise _fail(str(e))
    finally:
        gc.enable()
    _warn_about_plugins()
    return result


def _warn_about_plugins() -> None:
    """A plugin that failed to load is said, never skipped in silence."""
    from .registry import plugin_problems

    for problem in plugin_problems():
        typer.echo(f"meshlint: warning: {problem}", err=True)


@app.command()
def check(
    paths: list[str] = typer.Argument(..., help="Files, directories (searched for *.yaml, *.yml, *.json) or - for stdin."),
    format: str = typer.Option("text", "--format", "-f", help="Output format: text, json, sarif, junit, github or gitlab."),
    output: Path | None = typer.Option(None, "--output", "-o", help="Write the report to this file instead of stdout."),
    select: list[str] | None = typer.Option(None, "--select", help="Only these codes, code prefixes or rule names (comma-separated, repeatable)."),
    ignore: list[str] | None = typer.Option(None, "--ignore", help="Skip these codes, code prefixes or rule names."),
    fail_on: str | None = typer.Option(None, "--fail-on", help="Exit 1 when a finding at or above this severity remains: error, warning or info. [default: warning]"),
    min_severity: str | None = typer.Option(None, "--min-severity", help="Only report findings at or above this severity (does not change the exit code)."),
    root_namespace: str | None = typer.Option(None, "--root-namespace", help="Istio root namespace (default: from the istio ConfigMap, else istio-system)."),
    namespace: str | None = typer.Option(None, "--namespace", "-n", help=NAMESPACE_HELP),
    context: list[str] | None = typer.Option(None, "--context", help="Extra paths read only to resolve cross-references (Services, roles, workloads); not reported on."),
    color: str = typer.Option("auto", "--color", metavar="WHEN", help=COLOR_HELP),
    no_color: bool = typer.Option(False, "--no-color", hidden=True, help="The same as --color never."),
    show_explanation: bool = typer.Option(False, "--show-explanation", help="Print each finding's long explanation under it (default: once per code, at the end)."),
    assume_rbac_on: bool = typer.Option(False, "--assume-rbac-on", help="Convert ServiceRoles even when no ClusterRbacConfig is among the inputs (1.4 then enforced nothing)."),
    baseline: Path | None = typer.Option(None, "--baseline", help="Report (and fail on) only findings not in this baseline file."),
    write_baseline: Path | None = typer.Option(None, "--write-baseline", help="Write every current finding to this baseline file and exit 0."),
    schemas: Path | None = typer.Option(None, "--schemas", help=SCHEMAS_HELP),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Say which configuration file is used."),
) -> None:
    """Check configuration and report findings."""
    from . import reporters
    from .model import Severity

    cfg, settings = _settings(select, ignore, root_namespace, context, assume_rbac_on, schemas, namespace, verbose)
    # reporters say "fixable" (only convert and report need the fixes); findings on rendered objects name their sources
    settings = replace(settings, keep_fixes=False, origins=True)
    try:
        render = reporters.get(format)
    except ValueError as e:
        raise _fail(str(e))
    fail = _severity(fail_on, "--fail-on") or cfg.fail_on or Severity.WARNING
    shown = _severity(min_severity, "--min-severity") or Severity.INFO
    result = _lint(paths, settings)
    if write_baseline is not None:
        from .baseline import dump

        write_output(dump(result.findings), write_baseline)
        typer.echo(f"meshlint: wrote {len(result.findings)} finding(s) to baseline {write_baseline}", err=True)
        raise typer.Exit(0)
    if baseline is not None:
        result = _apply_baseline(result, baseline)
    result = result.without_texts()  # no reporter needs the files' text any more: freed before rendering
    options = {}
    if format == "text":
        options["color"] = output is None and _color(color, no_color)
        options["explain"] = show_explanation
    write_output(render(result.filtered(shown), **options), output)
    raise typer.Exit(max(result.exit_code(fail), _input_exit(result, unparsed_fails=False)))


def _input_exit(result: Result, unparsed_fails: bool = True) -> int:
    """The exit code the input alone calls for (meshlint.exitcodes); an unreadable input is named.
    ``check`` leaves unparsed files to their findings (which --ignore may silence)."""
    from . import exitcodes
    from .escape import printable

    for path, reason in exitcodes.unreadable(result.sources):
        typer.echo(f"meshlint: error: cannot read {printable(path)}: {printable(reason)}", err=True)
    code = exitcodes.for_input(result.sources)
    return code if unparsed_fails or code == exitcodes.USAGE else exitcodes.OK


def _apply_baseline(result: Result, path: Path) -> Result:

    from .baseline import BaselineError, apply, load

    try:
        applied = apply(result.findings, load(path.read_text(encoding="utf-8")))
    except OSError as e:
        raise _fail(f"cannot read baseline {path}: {e.strerror or e}")
    except BaselineError as e:
        raise _fail(f"{path}: {e}")
    if applied.stale:
        typer.echo(f"meshlint: {sum(n for _, n in applied.stale)} baseline entr(y/ies) no longer occur; shrink the baseline with --write-baseline:", err=True)
        for k, n in applied.stale:
            typer.echo(f"  {k}" + (f" (x{n})" if n > 1 else ""), err=True)
    return replace(result, findings=applied.findings)


@app.command()
def convert(
    paths: list[str] = typer.Argument(..., help="Files or directories to convert."),
    out: Path | None = typer.Option(None, "--out", help="Write every input file (converted or not) under this directory, mirroring the input paths."),
    in_place: bool = typer.Option(False, "--in-place", help="Rewrite changed files in place (atomically)."),
    diff: bool = typer.Option(False, "--diff", help="Print a unified diff of what would change on stdout, the summary on stderr (the default for text output when neither --out, --in-place nor --check is given)."),
    check_only: bool = typer.Option(False, "--check", help="Write nothing; exit 1 if any file would change (for pre-commit)."),
    format: str = typer.Option("text", "--format", "-f", help="Summary format: text or json."),
    keep_server_fields: bool = typer.Option(False, "--keep-server-fields", help="Keep status, uid, resourceVersion and other server-set fields on converted objects."),
    select: list[str] | None = typer.Option(None, "--select", help="Only apply fixes of these codes, code prefixes or rule names."),
    ignore: list[str] | None = typer.Option(None, "--ignore", help="Do not apply fixes of these codes, code prefixes or rule names."),
    root_namespace: str | None = typer.Option(None, "--root-namespace", help="Istio root namespace (default: from the istio ConfigMap, else istio-system)."),
    namespace: str | None = typer.Option(None, "--namespace", "-n", help=NAMESPACE_HELP),
    context: list[str] | None = typer.Option(None, "--context", help="Extra paths read only to resolve cross-references."),
    assume_rbac_on: bool = typer.Option(False, "--assume-rbac-on", help="Convert ServiceRoles even when no ClusterRbacConfig is among the inputs."),
    verify: bool = typer.Option(False, "--verify", help="Report the verification of the security conversions: request classes decided differently from 1.4, grouped by the 1.4 policy whose conversion decides them, with counts."),
    color: str = typer.Option("auto", "--color", metavar="WHEN", help=COLOR_HELP),
    schemas: Path | None = typer.Option(None, "--schemas", help=SCHEMAS_HELP),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Say which configuration file is used; list every verification difference and each change in full."),
) -> None:
    """Apply every available fix, keeping everything else byte for byte."""
    from .convert_cli import run_convert

    if in_place and out is not None:
        raise _fail("--in-place and --out cannot be used together")
    if format not in ("text", "json"):
        raise _fail(f"unknown format {format!r} (choose from text, json)")
    from .write_targets import OutError, check_out_dir

    _, settings = _settings(select, ignore, root_namespace, context, assume_rbac_on, schemas, namespace, verbose)
    if out is not None:
        try:
            check_out_dir(out, paths)
        except OutError as e:
            raise _fail(str(e))
        settings = replace(settings, exclude_dirs=(str(out),))  # its own output is never read back
    result = _lint(paths, settings)
    errors: list[str] = []
    try:
        text, summary, code = run_convert(result, out=out, in_place=in_place,
                                          diff=diff or (format == "text" and out is None and not in_place and not check_only),
                                          check_only=check_only, fmt=format, keep_server_fields=keep_server_fields, verify=verify,
                                          validate=_user_validate(settings), inputs=list(paths), errors=errors, terminal=sys.stdout.isatty(),
                                          verbose=verbose, color=(_color(color), _color(color, stream=sys.stderr)))
    except OutError as e:
        raise _fail(str(e))
    except OSError as e:
        raise _fail(f"cannot write: {e.strerror or e} ({getattr(e, 'filename', '')})")
    write_output(text, None)
    if summary:
        sys.stderr.write(summary)
    if errors:
        from .escape import printable

        typer.echo(f"meshlint: error: cannot write: {printable(errors[0])}", err=True)
    raise typer.Exit(max(code, _input_exit(result)))


@app.command()
def report(
    paths: list[str] = typer.Argument(..., help="The export and/or config files to report on."),
    format: str = typer.Option("markdown", "--format", "-f", help="markdown, html or json."),
    revision: str = typer.Option("asm-managed", "--revision", help="Target revision: asm-managed, asm-managed-stable or asm-managed-rapid."),
    out: Path | None = typer.Option(None, "--out", "-o", help="Write the report to this file instead of stdout."),
    root_namespace: str | None = typer.Option(None, "--root-namespace", help="Istio root namespace (default: from the istio ConfigMap, else istio-system)."),
    namespace: str | None = typer.Option(None, "--namespace", "-n", help=NAMESPACE_HELP),
    context: list[str] | None = typer.Option(None, "--context", help="Extra paths read only to resolve cross-references."),
    assume_rbac_on: bool = typer.Option(False, "--assume-rbac-on", help="Convert ServiceRoles even when no ClusterRbacConfig is among the inputs."),
    schemas: Path | None = typer.Option(None, "--schemas", help=SCHEMAS_HELP),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Say which configuration file is used."),
) -> None:
    """Write the migration report: what blocks, what converts, and the cluster steps in order."""
    from .migration_report import FORMATS, REVISIONS, build, render

    if format not in FORMATS:
        raise _fail(f"unknown format {format!r} (choose from {', '.join(FORMATS)})")
    if revision not in REVISIONS:
        raise _fail(f"unknown revision {revision!r} (choose from {', '.join(REVISIONS)})")
    _, settings = _settings(None, None, root_namespace, context, assume_rbac_on, schemas, namespace, verbose)
    result = _lint(paths, settings)
    model = build(result, revision, _user_validate(settings), inputs=list(paths), assume_rbac_on=assume_rbac_on)
    model = result.redactor.data(model)  # scrubbed before rendering: every format stays valid
    write_output(render(model, format), out)
    raise typer.Exit(_input_exit(result))


@app.command("rules")
def list_rules(format: str = typer.Option("text", "--format", "-f", help="text or json.")) -> None:
    """List every rule: code, name, severity, area, whether it can fix."""
    import json

    from .registry import all_rules

    rules = all_rules()
    _warn_about_plugins()
    if format == "json":
        data = [{"code": r.code, "name": r.name, "severity": str(r.severity), "area": r.area, "fixable": r.fixable, "kinds": list(r.kinds), "summary": r.summary} for r in rules.values()]
        write_output(json.dumps(data, indent=2) + "\n", None)
    elif format == "text":
        width = max(len(r.name) for r in rules.values())
        lines = [f"{r.code}  {r.name:<{width}}  {r.severity!s:<7}  {'fix' if r.fixable else '   '}  {r.summary}" for r in rules.values()]
        write_output("\n".join(lines) + "\n", None)
    else:
        raise _fail(f"unknown format {format!r} (choose from text, json)")


@app.command()
def explain(code: str = typer.Argument(..., help="A rule code (ML100) or name (removed-api-kind).")) -> None:
    """Show a rule's documentation, with Bad and Good examples."""
    from .docgen import rule_markdown
    from .registry import all_rules

    rules = all_rules()
    rule = rules.get(code.upper()) or next((r for r in rules.values() if r.name == code), None)
    if rule is None:
        raise _fail(f"no rule {code!r}; `meshlint rules` lists them")
    write_output(rule_markdown(rule), None)


def main(argv: list[str] | None = None) -> None:
    """Entry point: never shows a traceback unless MESHLINT_DEBUG is set."""
    try:
        app.main(argv, prog_name="meshlint")
    except KeyboardInterrupt:
        sys.stderr.write("meshlint: interrupted\n")
        sys.exit(130)
    except BrokenPipeError:
        try:
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115  (stdout for the rest of the process)
        finally:
            sys.exit(1)
    except Exception as e:  # the last line of defence: a clear message, exit code 2
        if os.environ.get("MESHLINT_DEBUG"):
            raise
        sys.stderr.write(f"meshlint: internal error: {type(e).__name__}: {e}\n(set MESHLINT_DEBUG=1 for details and please report this)\n")
        sys.exit(EXIT_USAGE)
