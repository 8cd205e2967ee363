"""Meta-tests: the registry, the catalogue, the docs and the fixtures stay honest."""
from __future__ import annotations

import fnmatch
import json
import re
from importlib import resources

import jsonschema
import pytest
from conftest import FIXTURES, REPO

from meshlint.catalogue import load_catalogue
from meshlint.docgen import generate
from meshlint.engine import Settings, lint
from meshlint.registry import all_rules, builtin_modules, declared, scan

RULES = all_rules()
CATALOGUE = load_catalogue()


def test_codes_and_names_are_unique():
    names = [r.name for r in RULES.values()]
    assert len(names) == len(set(names)), sorted(n for n in names if names.count(n) > 1)
    files = sorted((REPO / "rules").glob("*.yaml"))
    codes = [f.name.split("-", 1)[0] for f in files]
    assert len(codes) == len(set(codes))


@pytest.mark.parametrize("code", sorted(CATALOGUE))
def test_catalogue_entry_is_valid(code):
    schema = json.loads(resources.files("meshlint").joinpath("schemas/catalogue.schema.json").read_text())
    entry = {k: v for k, v in CATALOGUE[code].items() if not k.startswith("_")}
    jsonschema.validate(entry, schema)
    assert CATALOGUE[code]["_file"] == f"{code}-{entry['name']}.yaml", "catalogue files are named CODE-name.yaml"


@pytest.mark.parametrize("code", sorted(CATALOGUE))
def test_message_placeholders_are_named(code):
    for key, template in CATALOGUE[code]["messages"].items():
        assert isinstance(key, str), f"{code}: message key {key!r} is not a string (YAML reads off/on/yes/no as booleans)"
        assert not re.search(r"\{\s*\}|\{\d+\}", template), f"{code}.{key}: placeholders must be named"


@pytest.mark.parametrize("code", sorted(CATALOGUE))
def test_every_message_has_a_short_form(code):
    """The terminal shows one line per finding: each message key has a short message (at most 80
    characters, no placeholder the long message lacks); behaviour-change marks name real keys."""
    entry = CATALOGUE[code]
    messages, shorts = entry["messages"], entry.get("short") or {}
    missing = sorted(set(messages) - set(shorts))
    assert not missing, f"rules/{entry['_file']}: message key(s) {missing} have no short message: add them under `short:`"
    assert not set(shorts) - set(messages), f"rules/{entry['_file']}: short message(s) {sorted(set(shorts) - set(messages))} name no message"
    placeholder = re.compile(r"\{(\w+)\}")
    for key, text in shorts.items():
        assert len(text) <= 80, f"{code}.{key}: the short message has {len(text)} characters (at most 80)"
        extra = set(placeholder.findall(text)) - set(placeholder.findall(messages[key]))
        assert not extra, f"{code}.{key}: the short message uses {sorted(extra)}, which the long message does not"
    for key in entry.get("behaviour_change") or {}:
        assert key in messages, f"{code}: behaviour_change names {key!r}, which is not a message key"


def test_behaviour_changes_are_catalogue_data():
    """The runtime changes the issue names are marked in the catalogue, not listed in the report's code."""
    marked = {(c, k) for c, e in CATALOGUE.items() for k in e.get("behaviour_change") or {}}
    assert {("ML300", "plaintext"), ("ML300", "status_change"), ("ML600", "adapter")} <= marked
    assert ("ML300", "default") not in marked and ("ML207", "default") not in marked  # same behaviour after the fix
    report_code = "".join(p.read_text() for p in (REPO / "meshlint" / "report").glob("*.py"))
    assert "plaintext" not in report_code and "status_change" not in report_code


@pytest.mark.parametrize("name", builtin_modules())
def test_every_rule_module_has_catalogue_entries_and_declares_kinds(name):
    import importlib

    mod = importlib.import_module(f"meshlint.rules.{name}")
    codes = declared(name)
    assert codes, f"meshlint.rules.{name} declares no CODE"
    assert not (hasattr(mod, "CODE") and hasattr(mod, "CODES")), f"meshlint.rules.{name}: CODE or CODES, not both"
    for code, d in codes.items():
        assert code in CATALOGUE, f"meshlint.rules.{name}: {code} has no catalogue entry: add rules/{code}-<name>.yaml"
        assert d["kinds"] and all(isinstance(k, str) and k for k in d["kinds"]), f"meshlint.rules.{name} declares no group/Kind patterns in KINDS"
    assert callable(mod.check)
    if len(codes) == 1:
        (code,) = codes
        assert name == CATALOGUE[code]["name"].replace("-", "_"), "a rule module is named for what it checks (its rule name)"
    defers = getattr(mod, "DEFERS", False)
    assert isinstance(defers, bool) or set(defers) <= set(codes), f"meshlint.rules.{name}: DEFERS names codes it does not declare"


def test_the_registry_index_is_current():
    """meshlint/rules/_index.py (what every rule module declares, read at run time so that a run imports only
    the rule modules it needs) is what the modules declare today."""
    from meshlint.rules._index import RULES

    assert RULES == scan(), "meshlint/rules/_index.py is stale: run python -m meshlint.registry"


def test_every_checked_catalogue_entry_has_a_rule_module():
    """Codes without a rule module are those the loader, the engine (ML050: a plugin not loaded) and convert report themselves."""
    modules = scan()
    without = sorted(code for code in CATALOGUE if code not in modules)
    assert without == ["ML001", "ML002", "ML003", "ML004", "ML005", "ML006", "ML007", "ML008", "ML009", "ML010", "ML012", "ML013", "ML030", "ML050", "ML090", "ML091"], without
    assert all(RULES[code].check is not None for code in modules)


def test_a_run_imports_only_the_rule_modules_it_needs(tmp_path):
    """No rule module is imported to build the registry; a file of Services imports the rules that run on Services only."""
    import subprocess
    import sys

    (tmp_path / "svc.yaml").write_text("apiVersion: v1\nkind: Service\nmetadata:\n  name: shop\nspec:\n  ports:\n  - port: 80\n")
    code = ("import json, sys, meshlint.registry as r; loaded = lambda: sorted(m for m in sys.modules if m.startswith('meshlint.rules.'));"
            "r.all_rules(); before = loaded(); from meshlint.engine import lint; lint([sys.argv[1]]); print(json.dumps([before, loaded()]))")
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path / "svc.yaml")], capture_output=True, text=True, check=True, cwd=REPO).stdout
    before, after = json.loads(out)
    assert before == ["meshlint.rules._index"]
    for_services = {d["module"] for d in scan().values() if any(fnmatch.fnmatchcase("/Service", k) for k in d["kinds"])}
    assert for_services and len(for_services) < len(builtin_modules())
    assert {m.rsplit(".", 1)[1] for m in after} - {"_index"} == for_services


def test_a_module_yielding_a_code_it_does_not_declare_is_a_crash():
    from dataclasses import replace

    from meshlint.engine import _run_rule
    from meshlint.model import Violation

    rule = replace(RULES["ML202"], check=lambda res, ctx: iter([Violation("/spec", code="ML203")]))
    (crashed,) = _run_rule(rule, None, None, RULES)
    assert crashed[0].code == "ML090" and "ML203" in crashed[1].params["error"]


@pytest.mark.parametrize("code", sorted(CATALOGUE))
def test_every_rule_has_pass_and_fail_fixtures(code):
    entry = CATALOGUE[code]
    d = FIXTURES / "rules" / entry["name"]
    if entry.get("fixtures"):
        assert not d.exists(), f"{code} says it has no fixtures, but {d} exists"
        return
    assert list((d / "pass").glob("*.yaml")), f"{d}/pass has no cases"
    assert list((d / "fail").glob("*.yaml")), f"{d}/fail has no cases"


def test_fixture_directories_name_real_rules():
    names = {r.name for r in RULES.values()}
    for d in (FIXTURES / "rules").iterdir():
        assert d.name in names, f"fixtures/rules/{d.name} names no rule"


def test_rules_read_only_declared_kinds():
    """Run every rule over every fixture: an undeclared index lookup raises inside the
    rule, which the engine reports as ML090 rule-crashed."""
    paths = [str(p) for p in sorted((FIXTURES).rglob("*.yaml")) if "/convert/" not in str(p)]
    result = lint(paths, Settings())
    crashed = [f"{f.file}:{f.line} {f.message}" for f in result.findings if f.code == "ML090"]
    assert crashed == []


def test_rules_fire_only_on_declared_kinds():
    from meshlint.registry import kind_matches

    paths = [str(p) for p in sorted((FIXTURES).rglob("*.yaml")) if "/convert/" not in str(p)]
    result = lint(paths, Settings())
    for f in result.findings:
        rule = RULES[f.code]
        if rule.check is None or f.resource is None:
            continue
        group = f.resource.api_version.rsplit("/", 1)[0] if "/" in (f.resource.api_version or "") else ""
        assert kind_matches(rule.kinds, f"{group}/{f.resource.kind}"), (f.code, f.resource)


def test_generated_docs_are_up_to_date():
    pages = generate()
    docs = REPO / "docs" / "rules"
    on_disk = {p.name: p.read_text(encoding="utf-8") for p in docs.glob("*.md")}
    stale = sorted(n for n in set(pages) | set(on_disk) if pages.get(n) != on_disk.get(n))
    assert not stale, f"docs/rules is out of date for {stale}: run python -m meshlint.docgen docs/rules"


def test_shipped_json_schemas_are_current_and_valid():
    """meshlint/schemas/istio holds one JSON Schema per kind and version, exactly what meshlint runs."""
    from meshlint.schema.export import generate

    root = REPO / "meshlint" / "schemas" / "istio"
    files = generate()
    on_disk = {p.relative_to(root).as_posix(): p.read_text(encoding="utf-8") for p in root.rglob("*.json")}
    stale = sorted(n for n in set(files) | set(on_disk) if files.get(n) != on_disk.get(n))
    assert not stale, f"meshlint/schemas/istio is out of date for {stale}: run python -m meshlint.schema.export"
    assert "target/networking.istio.io/v1/Gateway.json" in files and "input/rbac.istio.io/v1alpha1/ServiceRole.json" in files
    for text in files.values():
        jsonschema.Draft7Validator.check_schema(json.loads(text))


def _literals(path) -> set[str]:
    import ast

    return {n.value for n in ast.walk(ast.parse(path.read_text(encoding="utf-8"))) if isinstance(n, ast.Constant) and isinstance(n.value, str)}


def _imported_modules(path) -> list:
    """The meshlint modules a rule module imports from (``from ..rbac.convert import ...``)."""
    import ast

    out = []
    for n in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(n, ast.ImportFrom) and n.level:
            base = (REPO / "meshlint") if n.level == 2 else path.parent
            target = base.joinpath(*(n.module or "").split("."))
            out += [p for p in (target.with_suffix(".py"), target / "__init__.py") if p.is_file()]
    return out


def _message_sources(code: str) -> list:
    """Where a code's message keys are chosen: its rule module and the meshlint modules it imports (the
    security conversions' verification for the codes it verifies); for the codes the loader, the engine
    and convert report themselves, the package outside meshlint/rules."""
    from meshlint.refusals import SECURITY_CODES

    modules = scan()
    if code not in modules:
        return [p for p in sorted((REPO / "meshlint").rglob("*.py")) if "rules" not in p.relative_to(REPO / "meshlint").parts]
    module = REPO / "meshlint" / "rules" / f"{modules[code]['module']}.py"
    verification = sorted((REPO / "meshlint" / "verify").glob("*.py")) if code in SECURITY_CODES else []
    return [module, *_imported_modules(module), *verification]


@pytest.mark.parametrize("code", sorted(CATALOGUE))
def test_every_message_key_is_used(code):
    """A catalogue message that no code can choose is dead text (a key renamed on one side only): every key
    but ``default`` appears in the code that reports the rule's findings."""
    used = set().union(*(_literals(p) for p in _message_sources(code)))
    unused = sorted(set(CATALOGUE[code]["messages"]) - {"default"} - used)
    assert not unused, f"rules/{CATALOGUE[code]['_file']}: message key(s) {unused} are chosen nowhere in {[str(p.relative_to(REPO)) for p in _message_sources(code)][:3]}"


@pytest.mark.parametrize("name", builtin_modules())
def test_every_message_key_a_rule_names_is_in_the_catalogue(name):
    """``message="x"`` (and the message keys of a NOTES or REPORTED_AS table) name keys the catalogue has for the
    module's codes. Keys chosen at run time are checked on every fixture and the corpus (MESHLINT_STRICT_MESSAGES)."""
    import ast
    import importlib

    path = REPO / "meshlint" / "rules" / f"{name}.py"
    keys = set().union(*(CATALOGUE[code]["messages"] for code in declared(name))) | {"default"}
    named = {kw.value.value for n in ast.walk(ast.parse(path.read_text(encoding="utf-8"))) if isinstance(n, ast.Call)
             for kw in n.keywords if kw.arg == "message" and isinstance(kw.value, ast.Constant)}
    mod = importlib.import_module(f"meshlint.rules.{name}")
    named |= {key for key, _ in getattr(mod, "NOTES", {}).values()} | {key for _, key in getattr(mod, "REPORTED_AS", {}).values()}
    assert named <= keys, f"meshlint.rules.{name} names message key(s) {sorted(named - keys)} that rules/ lacks for {sorted(declared(name))}"
    for code, key in getattr(mod, "REPORTED_AS", {}).values():
        assert key in CATALOGUE[code]["messages"], f"meshlint.rules.{name}: {code} has no message {key!r}"


def test_the_drift_tests_docs_name_exist():
    """docs/architecture.md "Adding a rule" names the tests that fail when a rule's files disagree: they exist."""
    import ast

    text = (REPO / "docs" / "architecture.md").read_text(encoding="utf-8")
    section = text[text.index("## Adding a rule"):text.index("`ctx` (`engine.Context`)")]
    named = re.findall(r"`(tests/\w+\.py)::(\w+)`(?:, `(\w+)`)?", section)
    assert len(named) >= 8
    for path, *tests in named:
        defined = {n.name for n in ast.walk(ast.parse((REPO / path).read_text(encoding="utf-8"))) if isinstance(n, ast.FunctionDef)}
        for test in filter(None, tests):
            assert test in defined, f"docs/architecture.md names {path}::{test}, which does not exist"
