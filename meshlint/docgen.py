"""Rule documentation generated from the catalogue: docs/rules/*.md and `meshlint explain`.

Regenerate the committed docs with ``python -m meshlint.docgen docs/rules``; a test
fails when they are out of date.
"""
from __future__ import annotations

import sys
from pathlib import Path

from .model import Rule
from .registry import all_rules

HELP_URI = "https://github.com/meshlint/meshlint/blob/main/docs/rules/{code}.md"


def rule_markdown(rule: Rule) -> str:
    doc = rule.doc
    out = [
        f"# {rule.code} {rule.name}",
        "",
        f"**Severity:** {rule.severity} · **Area:** {rule.area} · **Fixable:** {'yes' if rule.fixable else 'no'}",
        "",
        rule.summary,
        "",
    ]
    if rule.kinds:
        out += ["**Checks:** " + ", ".join(f"`{k}`" for k in rule.kinds), ""]
    if doc.get("description"):
        out += [doc["description"].rstrip(), ""]
    examples = doc.get("examples") or {}
    if examples.get("bad"):
        out += ["## Bad", "", "```yaml", examples["bad"].rstrip(), "```", ""]
    if examples.get("good"):
        out += ["## Good", "", "```yaml", examples["good"].rstrip(), "```", ""]
    out += ["## Messages", ""]
    for key, template in (rule.messages or {}).items():
        out.append(f"- `{key}`: {template}")
        if rule.shorts.get(key):
            out.append(f"  - short: {rule.shorts[key]}")
        if rule.behaviour.get(key):
            out.append(f"  - **behaviour change:** {rule.behaviour[key]}")
    return "\n".join(out).rstrip() + "\n"


def index_markdown(rules: dict[str, Rule]) -> str:
    out = ["# Rules", "", "Generated from `rules/` by `python -m meshlint.docgen docs/rules`. Codes are never reused.", "",
           "| Code | Name | Severity | Area | Fixable | Summary |", "|---|---|---|---|---|---|"]
    for r in rules.values():
        out.append(f"| [{r.code}]({r.code}.md) | {r.name} | {r.severity} | {r.area} | {'yes' if r.fixable else 'no'} | {r.summary} |")
    return "\n".join(out) + "\n"


def generate() -> dict[str, str]:
    """File name -> content for every generated doc page (built-in rules only)."""
    from .catalogue import load_catalogue

    rules = {code: r for code, r in all_rules().items() if code in load_catalogue()}
    pages = {f"{code}.md": rule_markdown(r) for code, r in rules.items()}
    pages["README.md"] = index_markdown(rules)
    return pages


def main(argv: list[str]) -> int:
    target = Path(argv[0] if argv else "docs/rules")
    target.mkdir(parents=True, exist_ok=True)
    pages = generate()
    for stale in target.glob("*.md"):
        if stale.name not in pages:
            stale.unlink()
    for name, text in pages.items():
        (target / name).write_text(text, encoding="utf-8")
    print(f"wrote {len(pages)} pages to {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
