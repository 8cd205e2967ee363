"""The self-consistency property (issue 16): what `meshlint convert` writes passes `meshlint check`
with nothing convert could have fixed, no finding code the input did not have (but the documented
ones), no object twice, and no empty document where a resource was removed."""
from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from meshlint.annotations import GENERATED_FROM
from meshlint.convert import convert
from meshlint.duplicates import identity, same_apart_from_server_fields
from meshlint.engine import Settings, lint, lint_sources
from meshlint.loader import load_bytes

# Codes convert's output may have that its input did not, and why.
DRAFT = "meshlint.io/draft"
DOCUMENTED_NEW = {
    # an old-style EnvoyFilter (ML501) whose filter has no known v3 type keeps untyped `config`:
    # ML501's message says which filter and why, and ML504 then reports it on the configPatches
    "ML504": "old-style EnvoyFilter converted with an unknown filter's untyped config",
}


@dataclass
class Outcome:
    problems: list[str] = field(default_factory=list)
    files: int = 0  # output files checked (converted or not, generated included)
    converted: int = 0  # input files convert changed


def _empty_documents(text: str) -> int:
    try:
        return sum(1 for d in yaml.safe_load_all(io.StringIO(text)) if d is None)
    except yaml.YAMLError:
        return 0


def check_outputs(paths: list[str], settings: Settings = Settings()) -> Outcome:  # noqa: B008  (Settings is frozen)
    """Convert ``paths`` and check what convert writes."""
    out = Outcome()
    before = lint(paths, settings)
    converted = convert(before)
    outputs = []
    for f in converted.files:
        if f.original is None:
            continue
        text = f.new_text if f.changed else f.original
        out.converted += f.changed
        if f.changed and _empty_documents(text) > _empty_documents(f.original):
            out.problems.append(f"{f.path}: a removed resource left an empty document")
        outputs.append(load_bytes(text.encode("utf-8"), f.path))
    refused = {f.path for f in converted.files if f.errors}
    kept = {(f.path, str(rid)) for f in converted.files for rid, _ in f.invalid}  # objects left as they are
    # drafts (a Mixer listchecker rule's AuthorizationPolicy, marked meshlint.io/draft) are for review,
    # not applied with the rest: checked on their own (the security verification models 1.4 without
    # Mixer, so a draft reproducing Mixer's denial next to the converted policies refuses them)
    drafts = [g for g in converted.generated if any(DRAFT in ((o.get("metadata") or {}).get("annotations") or {}) for o in g.objects)]
    generated = [load_bytes(g.text.encode("utf-8"), g.path) for g in converted.generated if g not in drafts]
    after = lint_sources(outputs + generated, settings)
    if drafts:
        alone = lint_sources([load_bytes(g.text.encode("utf-8"), g.path) for g in drafts], settings)
        out.problems += [f"{f.file}:{f.line}: {f.code} in a draft: {f.message[:120]}" for f in alone.findings
                         if f.fixable or f.code not in {x.code for x in before.findings}]
    out.files = len(outputs) + len(converted.generated)

    for f in after.findings:
        if f.fixable and f.file not in refused and (f.file, str(f.resource)) not in kept:
            out.problems.append(f"{f.file}:{f.line}: {f.code} is still fixable after convert: {f.message[:120]}")
    new = {f.code for f in after.findings} - {f.code for f in before.findings} - set(DOCUMENTED_NEW)
    for f in after.findings:
        if f.code in new:
            out.problems.append(f"{f.file}:{f.line}: {f.code} is new after convert: {f.message[:120]}")

    # every object once across the run: but twins the input already had, and generated copies
    # meant to be applied in their original's place
    input_twins = {identity(r) for s in before.sources for r in s.resources if r is not None and _twins(before, r)}
    seen: dict[tuple, object] = {}
    for res in [r for s in after.sources for r in s.resources]:
        key = identity(res)
        if key is None:
            continue
        other = seen.setdefault(key, res)
        if other is res or key in input_twins:
            continue
        copy = GENERATED_FROM in res.annotations or GENERATED_FROM in other.annotations
        if not (copy and same_apart_from_server_fields(res, other)):
            out.problems.append(f"{key[1]} {key[2]}/{key[3]} is written twice: {other.file} and {res.file}")
    return out


def _twins(result, res) -> bool:
    key = identity(res)
    return sum(1 for s in result.sources for r in s.resources if identity(r) == key) > 1


def check_tree(root: Path, settings: Settings = Settings()) -> dict[str, Outcome]:  # noqa: B008  (Settings is frozen)
    """Every YAML file below ``root`` on its own."""
    return {str(p): check_outputs([str(p)], settings) for p in sorted(root.rglob("*")) if p.suffix in (".yaml", ".yml", ".json") and p.is_file()}
