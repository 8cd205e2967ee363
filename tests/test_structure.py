"""The shape of the package: layers that only point down (the table "Layers" in docs/architecture.md)
and no function over 60 lines unless its docstring says why ("Kept whole because ...").

Both are read from the source with ``ast``; nothing of meshlint is imported or run.
"""
from __future__ import annotations

import ast
import re
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "meshlint"
ARCHITECTURE = ROOT / "docs" / "architecture.md"
MAX_FUNCTION_LINES = 60
KEPT_WHOLE = "Kept whole because"
VERSION = "__version__"  # the package's version: set before anything is imported, readable from any layer


def module_names(package: Path) -> dict[str, Path]:
    """Dotted module name → file, for every module of ``package`` (packages by their ``__init__``)."""
    out: dict[str, Path] = {}
    for path in sorted(package.rglob("*.py")):
        parts = list(path.relative_to(package.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


def imported_modules(name: str, path: Path, modules: dict[str, Path]) -> list[tuple[int, str]]:
    """(line, module) for every import of one of ``modules`` anywhere in the file: at the top, inside
    functions and under ``TYPE_CHECKING``. ``from pkg import x`` names the module ``pkg.x`` when that
    is a module, else ``pkg``."""
    here = name if path.name == "__init__.py" else name.rpartition(".")[0]
    top = next(iter(modules)).split(".")[0] if modules else ""
    out: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out.extend((node.lineno, a.name) for a in node.names if a.name.split(".")[0] == top)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = here.split(".")[: len(here.split(".")) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.split(".")[0] != top:
                continue
            for alias in node.names:
                if target == top and alias.name == VERSION:
                    continue
                sub = f"{target}.{alias.name}"
                out.append((node.lineno, sub if sub in modules else target))
    return list(dict.fromkeys((line, m) for line, m in out if m in modules or any(m.startswith(k + ".") for k in modules)))


def layers(markdown: str, top: str = "meshlint") -> dict[str, tuple[int, str]]:
    """Module or package name → (layer number, layer name), from the table under "## Layers"."""
    section = re.split(r"^## Layers\n", markdown, maxsplit=1, flags=re.MULTILINE)[1].split("\n## ", 1)[0]
    out: dict[str, tuple[int, str]] = {}
    for row in re.findall(r"^\| *(\d+) ([^|]+?) *\|[^|]*\| *(.+?) *\|$", section, re.MULTILINE):
        number, layer, names = int(row[0]), row[1], row[2]
        for entry in re.findall(r"`([^`]+)`", names):
            out[top if entry == "__init__" else f"{top}.{entry}"] = (number, layer)
    return out


def layer_of(module: str, table: dict[str, tuple[int, str]]) -> tuple[int, str] | None:
    """The layer of ``module``: its own entry, else its nearest package's."""
    parts = module.split(".")
    for n in range(len(parts), 0, -1):
        hit = table.get(".".join(parts[:n]))
        if hit is not None and (n == len(parts) or n > 1):
            return hit
    return None


def layering_problems(package: Path, markdown: str) -> list[str]:
    """Every module in no layer, every table entry that names no module, every import that runs up."""
    modules = module_names(package)
    table = layers(markdown, package.name)
    problems = [f"{m}: in no layer of docs/architecture.md (add it to the table)" for m in modules if layer_of(m, table) is None]
    problems += [f"{e}: named in the layers table but not a module" for e in table if e not in modules]
    for name, path in modules.items():
        mine = layer_of(name, table)
        if mine is None:
            continue
        for line, target in imported_modules(name, path, modules):
            theirs = layer_of(target, table)
            if theirs is not None and theirs[0] > mine[0]:
                rel = path.relative_to(package.parent)
                problems.append(f"{rel}:{line}: {name} (layer {mine[0]} {mine[1]}) imports {target} (layer {theirs[0]} {theirs[1]})")
    return problems


def long_functions(package: Path, limit: int = MAX_FUNCTION_LINES) -> list[tuple[str, int, str, int]]:
    """(file, line, name, length) of the functions longer than ``limit`` lines (from ``def`` to the
    last line) whose docstring does not say why they are kept whole."""
    out = []
    for path in sorted(package.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            lines = (node.end_lineno or node.lineno) - node.lineno + 1
            if lines > limit and KEPT_WHOLE not in (ast.get_docstring(node) or ""):
                out.append((path.relative_to(package.parent).as_posix(), node.lineno, node.name, lines))
    return out


def test_no_module_imports_from_a_layer_above_it() -> None:
    assert layering_problems(PACKAGE, ARCHITECTURE.read_text(encoding="utf-8")) == []


def test_no_function_over_60_lines() -> None:
    assert [f"{path}:{line}: {name} has {n} lines (split it into named steps, or say in its docstring why it is kept whole)"
            for path, line, name, n in long_functions(PACKAGE)] == []


# Readers of plain data of any shape live in meshlint/plain.py; JSON pointers are built and escaped by
# meshlint/model.py (pointer, escape_pointer_token); meshlint's own annotations are named in
# meshlint/annotations.py: no module keeps its own twin of any of them.
PLAIN_TWINS = ("_get", "_list", "_dict", "_strs")
POINTER_MODULE = "model.py"
ANNOTATIONS_MODULE = "annotations.py"


def twins(package: Path) -> list[str]:
    """Every function named like a private twin of a plain.py reader, every string holding a
    JSON-pointer escape (``~0``, ``~1``) outside model.py (a pointer written or escaped by hand), and
    every string that is a ``meshlint.io/`` annotation's name outside annotations.py."""
    out = []
    for path in sorted(package.rglob("*.py")):
        rel, inside = path.relative_to(package.parent).as_posix(), path.relative_to(package).as_posix()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name in PLAIN_TWINS:
                out.append(f"{rel}:{node.lineno}: {node.name} (use meshlint.plain)")
            elif not isinstance(node, ast.Constant) or not isinstance(node.value, str):
                continue
            elif inside != POINTER_MODULE and ("~0" in node.value or "~1" in node.value):
                out.append(f"{rel}:{node.lineno}: {node.value!r} (build pointers with model.pointer)")
            elif inside != ANNOTATIONS_MODULE and node.value.startswith("meshlint.io/"):
                out.append(f"{rel}:{node.lineno}: {node.value!r} (name it in meshlint.annotations)")
    return out


def test_no_module_keeps_a_twin_of_a_plain_reader_a_pointer_escape_or_an_annotation_name() -> None:
    assert twins(PACKAGE) == []


TABLE = """\
## Layers
| layer | what | modules |
|---|---|---|
| 3 top | commands | `cli` |
| 2 middle | rules | `rules`, `engine` |
| 1 bottom | types | `model` |

## Next
"""


def _package(tmp_path: Path, files: dict[str, str]) -> Path:
    pkg = tmp_path / "pkg"
    for name, text in {"__init__.py": "__version__ = '1'\n", **files}.items():
        (pkg / name).parent.mkdir(parents=True, exist_ok=True)
        (pkg / name).write_text(textwrap.dedent(text), encoding="utf-8")
    return pkg


def test_the_layer_check_finds_an_import_that_runs_up(tmp_path: Path) -> None:
    pkg = _package(tmp_path, {
        "cli.py": "from .engine import run\nfrom . import __version__\n",
        "engine.py": "from .model import T\nfrom .rules import one\n",
        "rules/__init__.py": "",
        "rules/one.py": "from ..model import T\n",
        "model.py": "def helper():\n    from .rules.one import X  # lazy, still up\n\nif False:\n    from pkg import cli\n",
    })
    assert layering_problems(pkg, TABLE.replace("`cli`", "`__init__`, `cli`")) == [
        "pkg/model.py:2: pkg.model (layer 1 bottom) imports pkg.rules.one (layer 2 middle)",
        "pkg/model.py:5: pkg.model (layer 1 bottom) imports pkg.cli (layer 3 top)",
    ]


def test_the_layer_check_finds_modules_in_no_layer_and_names_that_are_no_module(tmp_path: Path) -> None:
    pkg = _package(tmp_path, {"cli.py": "", "engine.py": "", "model.py": "", "extra.py": "from .cli import x\n"})
    assert layering_problems(pkg, TABLE) == [
        "pkg: in no layer of docs/architecture.md (add it to the table)",
        "pkg.extra: in no layer of docs/architecture.md (add it to the table)",
        "pkg.rules: named in the layers table but not a module",
    ]


def test_the_length_check_counts_lines_and_reads_the_reason(tmp_path: Path) -> None:
    body = "".join(f"    x{i} = {i}\n" for i in range(59))
    pkg = _package(tmp_path, {
        "a.py": f"def sixty():\n{body}\n\ndef sixty_one():\n{body}    return x0\n",
        "b.py": f'def kept():\n    """Kept whole because it is one table."""\n{body}',
    })
    assert long_functions(pkg) == [("pkg/a.py", 63, "sixty_one", 61)]


def test_the_twin_check_finds_a_private_reader_a_hand_escaped_pointer_and_an_annotation_name(tmp_path: Path) -> None:
    pkg = _package(tmp_path, {
        "model.py": "def escape(t):\n    return t.replace('~', '~0').replace('/', '~1')\n",
        "rules/one.py": "def _list(v):\n    return v if isinstance(v, list) else []\n\nP = '/metadata/labels/istio.io~1rev'\n",
        "rules/two.py": "from ..plain import list_of\n\nP = '/spec/hosts'\nA = {'meshlint.io/draft': 'review'}\n",
        "annotations.py": "'The ``meshlint.io/`` annotations.'\nDRAFT = 'meshlint.io/draft'\n",
    })
    assert twins(pkg) == [
        "pkg/rules/one.py:1: _list (use meshlint.plain)",
        "pkg/rules/one.py:4: '/metadata/labels/istio.io~1rev' (build pointers with model.pointer)",
        "pkg/rules/two.py:4: 'meshlint.io/draft' (name it in meshlint.annotations)",
    ]


def facade_bypasses(package: Path, facade: str) -> list[str]:
    """Every import of one of the modules of package ``facade`` (``meshlint.loader``) from outside it:
    the rest of the package goes through the facade's own names (docs/architecture.md, "The loader")."""
    modules = module_names(package)
    return [f"{path.relative_to(package.parent)}:{line}: {name} imports {target}"
            for name, path in modules.items() if name != facade and not name.startswith(facade + ".")
            for line, target in imported_modules(name, path, modules) if target.startswith(facade + ".")]


def test_the_loader_is_imported_through_meshlint_loader_only() -> None:
    assert facade_bypasses(PACKAGE, "meshlint.loader") == []


def test_the_facade_check_finds_an_import_of_a_module_behind_it(tmp_path: Path) -> None:
    pkg = _package(tmp_path, {
        "loader/__init__.py": "from .reading import read\n",
        "loader/reading.py": "from ..model import T\n",
        "model.py": "",
        "engine.py": "from .loader import read\nfrom .loader.reading import read as again\nfrom . import loader\n",
        "convert.py": "def f():\n    from .loader import reading\n",
    })
    assert facade_bypasses(pkg, "pkg.loader") == [
        "pkg/convert.py:2: pkg.convert imports pkg.loader.reading",
        "pkg/engine.py:2: pkg.engine imports pkg.loader.reading",
    ]
