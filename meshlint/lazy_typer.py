"""typer, imported only when it is needed: the part of typer's API that ``meshlint/cli.py`` declares
its commands with (``Typer``, ``Option``, ``Argument``, ``Exit``, ``echo``).

cli.py declares every command once, with typer's own calls; here they are recorded. The real typer
app is built from the records on first need: help, a usage error, ``--version``, and any command
line the small parser below is not sure of. A plain command line (a subcommand, its own options as
separate words or ``--name=value``, its arguments) runs the same function with the values typer
would pass, without importing typer: typer's import and the building of the click commands are
about a third of a single-file ``meshlint check`` (docs/architecture.md, "Start-up").

The parser is deliberately narrow. It hands the command line to typer on anything else: ``-h``,
``--help``, ``--``, an unknown or abbreviated option, a short option with its value attached
(``-fjson``) or several short flags in one word, a missing value, a value that starts with ``-`` or
is empty, a missing argument, an option with a callback, or a parameter type it does not know.
``tests/test_cli.py`` checks that it passes exactly what typer passes.
"""
from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])

# option settings that only change help output; anything else (callback, envvar, prompt, ...) needs typer
_HELP_ONLY = frozenset({"help", "metavar", "hidden", "show_default", "rich_help_panel"})


class Exit(SystemExit):
    """``typer.Exit``: leave with ``code``. A SystemExit, so it ends the run the same way whether typer
    runs the command (click lets it through) or the fast path does."""

    def __init__(self, code: int = 0) -> None:
        super().__init__(code)
        self.exit_code = code


class _Param:
    """One ``typer.Option(...)`` or ``typer.Argument(...)`` as written in cli.py."""

    def __init__(self, kind: str, default: Any, decls: tuple[str, ...], settings: dict[str, Any]) -> None:
        self.kind, self.default, self.decls, self.settings = kind, default, decls, settings

    def real(self) -> Any:
        """The same declaration, made by typer."""
        import typer

        make = typer.Option if self.kind == "option" else typer.Argument
        return make(self.default, *self.decls, **self.settings)


def Option(default: Any = ..., *param_decls: str, **settings: Any) -> Any:
    return _Param("option", default, param_decls, settings)


def Argument(default: Any = ..., **settings: Any) -> Any:
    return _Param("argument", default, (), settings)


def echo(message: str = "", err: bool = False) -> None:
    """``typer.echo``: typer's own when typer is loaded (or the stream needs click's care), else the
    same bytes: the message, a newline, ANSI sequences stripped when the stream is no terminal."""
    stream = sys.stderr if err else sys.stdout
    real = sys.modules.get("typer")
    if real is None and (stream is None or _ascii(getattr(stream, "encoding", None))):
        import typer as real
    if real is not None:
        real.echo(message, err=err)
        return
    text = message + "\n"
    try:
        terminal = stream.isatty()
    except (AttributeError, OSError, ValueError):  # a closed or odd stream: no terminal, as click decides
        terminal = False
    if not terminal:
        import re

        text = re.sub(r"\033\[[;?0-9]*[a-zA-Z]", "", text)  # click's strip_ansi
    stream.write(text)
    stream.flush()


def _ascii(encoding: str | None) -> bool:
    """click re-wraps a stream whose encoding is ASCII (its ``_stream_is_misconfigured``)."""
    import codecs

    try:
        return codecs.lookup(encoding or "ascii").name == "ascii"
    except LookupError:
        return False


class _Spec:
    """A parameter as the fast path reads it."""

    def __init__(self, name: str, param: _Param, annotation: str) -> None:
        self.name, self.param = name, param
        base = _base_type(annotation)
        self.ok = base is not None and set(param.settings) <= _HELP_ONLY
        self.flag = base == "bool"
        self.many = base in ("List[str]", "list[str]")
        self.path = base == "Path"
        if param.kind == "argument":
            self.ok = self.ok and not self.flag and not self.path and not param.decls
        elif not self.flag and not isinstance(param.default, (str, type(None))):
            self.ok = False  # a default typer would convert
        elif self.flag and param.default is not False:
            self.ok = False

    def value(self, given: list[str]) -> Any:
        """What typer passes for these words (none: the default)."""
        if not given:
            return self.param.default
        if self.flag:
            return True
        values: list[Any] = [Path(v) for v in given] if self.path else list(given)
        return values if self.many else values[-1]  # an option given twice: the last one, as click


def _base_type(annotation: str) -> str | None:
    """``Optional[X]``/``X | None`` -> ``X`` when X is a type the fast path passes as typer does."""
    text = annotation.replace(" ", "")
    if text.startswith("Optional[") and text.endswith("]"):
        text = text[len("Optional["):-1]
    for none in ("|None", "None|"):
        text = text.replace(none, "")
    return text if text in ("str", "bool", "Path", "List[str]", "list[str]") else None


class _Command:
    def __init__(self, name: str | None, settings: dict[str, Any], function: Callable[..., Any]) -> None:
        self.name = name or function.__name__.lower().replace("_", "-")
        self.settings, self.function = settings, function
        self.specs = _specs(function)


def _specs(function: Callable[..., Any]) -> list[_Spec] | None:
    """The function's parameters, or None if one is not declared with Option/Argument."""
    code = function.__code__
    names = code.co_varnames[:code.co_argcount]
    defaults = function.__defaults__ or ()
    if code.co_kwonlyargcount or len(defaults) != len(names):
        return None
    annotations = function.__annotations__
    specs = []
    for name, default in zip(names, defaults):
        if not isinstance(default, _Param):
            return None
        specs.append(_Spec(name, default, str(annotations.get(name, ""))))
    return specs


class Typer:
    """``typer.Typer``: records the app's settings, its callback and its commands."""

    def __init__(self, **settings: Any) -> None:
        self.settings = settings
        self.root: _Command | None = None
        self.commands: list[_Command] = []
        self._click: Any = None

    def callback(self, **settings: Any) -> Callable[[F], F]:
        def record(function: F) -> F:
            self.root = _Command("", settings, function)
            return function
        return record

    def command(self, name: str | None = None, **settings: Any) -> Callable[[F], F]:
        def record(function: F) -> F:
            self.commands.append(_Command(name, settings, function))
            return function
        return record

    def click_command(self, call: Callable[[Callable[..., Any], dict[str, Any]], Any] | None = None) -> Any:
        """The real app, built by typer from the recorded declarations (``typer.main.get_command``).
        ``call(function, values)`` runs each command instead of calling it (the tests' probe)."""
        if self._click is not None and call is None:
            return self._click
        import typer

        app = typer.Typer(**self.settings)
        if self.root is not None:
            app.callback(**self.root.settings)(_with_typer_defaults(self.root.function, call))
        for cmd in self.commands:
            app.command(cmd.name, **cmd.settings)(_with_typer_defaults(cmd.function, call))
        built = typer.main.get_command(app)
        if call is None:
            self._click = built
        return built

    def main(self, args: Sequence[str] | None = None, prog_name: str = "") -> None:
        """Run a command line: by the fast path when it is a plain one, else by typer. Exits (SystemExit)."""
        argv = list(sys.argv[1:] if args is None else args)
        plan = self.parse(argv)
        if plan is None:
            # the click command itself: typer's wrapper would set an attribute on every exception, and
            # a frozen one (jsonschema's, referencing's) then became "FrozenInstanceError" instead of itself
            self.click_command()(args=args, prog_name=prog_name)
            return
        _run(plan)

    def parse(self, argv: list[str]) -> list[tuple[Callable[..., Any], dict[str, Any]]] | None:
        """The calls typer would make for this command line (the callback's, then the command's), or
        None when the command line needs typer."""
        settings = dict(self.settings.get("context_settings") or {})
        settings.pop("help_option_names", None)  # -h and --help are unknown options here: typer's
        if settings or not argv or self.root is None or self.root.specs is None:
            return None
        cmd = next((c for c in self.commands if c.name == argv[0]), None)
        if cmd is None or cmd.specs is None or not all(s.ok for s in cmd.specs):
            return None
        values = _parse_words(cmd.specs, argv[1:])
        if values is None:
            return None
        root = _root_values(self.root)  # last: it runs the callbacks' own callbacks
        if root is None:
            return None
        return [(self.root.function, root), (cmd.function, values)]


def _root_values(root: _Command) -> dict[str, Any] | None:
    """The callback's values with its options unset, or None if typer must read them. An option's own
    callback runs on its default and gives the value, as click runs it while parsing (``--version``'s
    then does nothing and gives None)."""
    values: dict[str, Any] = {}
    for spec in root.specs or ():
        callback = spec.param.settings.get("callback")
        extra = set(spec.param.settings) - _HELP_ONLY - {"callback", "is_eager"}
        if spec.param.kind != "option" or extra or _base_type(str(root.function.__annotations__.get(spec.name, ""))) is None:
            return None
        if callback is not None and getattr(getattr(callback, "__code__", None), "co_argcount", 0) != 1:
            return None  # typer passes a one-parameter callback the value alone
        values[spec.name] = spec.param.default
    for spec in root.specs or ():
        callback = spec.param.settings.get("callback")
        if callback is not None:
            values[spec.name] = callback(values[spec.name])
    return values


def _parse_words(specs: list[_Spec], words: list[str]) -> dict[str, Any] | None:
    options = {decl: s for s in specs if s.param.kind == "option" for decl in s.param.decls}
    if any(not d.startswith("-") or "=" in d or "/" in d for d in options):
        return None  # a declaration the parser does not read like click (``--flag/--no-flag``, ...)
    given: dict[str, list[str]] = {s.name: [] for s in specs}
    positional: list[str] = []
    i = 0
    while i < len(words):
        word = words[i]
        i += 1
        if word == "-" or not word.startswith("-"):
            positional.append(word)
            continue
        name, eq, value = word.partition("=") if word.startswith("--") else (word, "", "")
        spec = options.get(name)
        if spec is None:
            return None
        if spec.flag:
            if eq:
                return None
            given[spec.name].append("")
            continue
        if not eq:
            if i >= len(words):
                return None
            value = words[i]
            i += 1
        if not value or value.startswith("-"):
            return None
        given[spec.name].append(value)
    values = {s.name: s.value(given[s.name]) for s in specs if s.param.kind == "option"}
    arguments = [s for s in specs if s.param.kind == "argument"]
    if not arguments:
        return values if not positional else None
    arg = arguments[0]
    if len(arguments) > 1 or arg.param.default is not ... or not positional or (not arg.many and len(positional) != 1):
        return None  # one required argument at most (typer says what is missing or extra)
    values[arg.name] = list(positional) if arg.many else positional[0]
    return {s.name: values[s.name] for s in specs}  # in the order of the declaration


def _run(plan: Iterable[tuple[Callable[..., Any], dict[str, Any]]]) -> None:
    """Call the plan as typer's main calls a command: interrupted -> exit 130, a closed pipe -> exit 1
    quietly, success -> exit 0."""
    import errno

    try:
        for function, values in plan:
            function(**values)
    except KeyboardInterrupt as e:
        raise Exit(130) from e
    except OSError as e:
        if e.errno != errno.EPIPE:
            raise
        import importlib

        try:
            utils = importlib.import_module("typer._click.utils")  # typer 0.28 carries its own click
        except ImportError:
            utils = importlib.import_module("click.utils")
        sys.stdout = utils.PacifyFlushWrapper(sys.stdout)
        sys.stderr = utils.PacifyFlushWrapper(sys.stderr)
        sys.exit(1)
    sys.exit(0)


def _with_typer_defaults(function: Callable[..., Any], call: Callable[[Callable[..., Any], dict[str, Any]], Any] | None) -> Callable[..., Any]:
    """``function`` as typer reads it: the same name, docstring, annotations and parameters, each
    default the real ``typer.Option``/``typer.Argument`` of its declaration."""
    import functools
    import inspect

    def command(**values: Any) -> Any:
        return function(**values) if call is None else call(function, values)

    functools.update_wrapper(command, function)
    signature = inspect.signature(function, eval_str=True)
    command.__signature__ = signature.replace(parameters=[  # type: ignore[attr-defined]
        p.replace(default=p.default.real()) if isinstance(p.default, _Param) else p for p in signature.parameters.values()])
    return command
