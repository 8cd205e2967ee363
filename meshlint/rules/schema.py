"""ML800-ML804: an Istio object checked against its schema (see meshlint/schema/findings.py), one
checker for five codes: each kind of schema problem is reported under its own code and message.

ML800 and ML802 defer: a field (or value) a deprecation rule reports is left to that rule.
"""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..model import Resource, Violation
from ..schema.findings import SCHEMA_KINDS, problems

CODES = ("ML800", "ML801", "ML802", "ML803", "ML804")
KINDS = SCHEMA_KINDS
READS = ()
DEFERS = ("ML800", "ML802")

# each kind of schema problem: (code, message key)
REPORTED_AS = {
    "unknown": ("ML800", "default"),  # a field the schema does not have (a typo)
    "removed": ("ML800", "removed"),  # ... that Istio 1.4/1.6 had at the same place
    "type": ("ML801", "default"),  # a value of the wrong type
    "enum": ("ML802", "default"),  # a value outside the allowed set
    "unserved": ("ML802", "unserved"),  # an apiVersion the user's cluster does not serve (--schemas)
    "required": ("ML803", "default"),  # a required field that is missing
    "constraint": ("ML804", "default"),  # a value outside a range, one-of or pattern
}


def check(res: Resource, ctx: Any) -> Iterator[Violation]:
    for kind, path, params in problems(res, ctx.settings.user_schemas):
        code, key = REPORTED_AS[kind]
        yield Violation(path, dict(params), message=key, code=code)
