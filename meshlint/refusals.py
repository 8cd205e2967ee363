"""Which findings say that a conversion was refused: convert's summary and the report list them
(with their reasons) apart from the findings that simply need work by hand."""
from __future__ import annotations

from collections.abc import Iterable, Mapping

from .model import Finding, Rule, Severity

# the rules whose conversions the security verification checks against 1.4 before anything is written
# (meshlint.verify.run): alpha authentication, RBAC and Mixer drafts
SECURITY_CODES = ("ML300", "ML400", "ML401", "ML402", "ML600")
# the messages of a conversion the engine's security verification refused (an error finding without a
# fix), whichever rule proposed it: ML300/ML400-ML402 and ML600's drafts
VERIFICATION_REFUSALS = frozenset({"unverified", "placeholder", "name_taken", "role_refused"})


def is_refused(finding: Finding, rule: Rule | None) -> bool:
    """A conversion was refused: the verification said so, or a rule that converts found a problem on
    an object it did not convert (the engine marks every finding on a converted object fixable)."""
    if finding.fixable or finding.fix is not None:
        return False
    if finding.key in VERIFICATION_REFUSALS:
        return True
    return rule is not None and rule.fixable and finding.severity >= Severity.WARNING


def refused(findings: Iterable[Finding], rules: Mapping[str, Rule]) -> list[Finding]:
    """The findings that say a conversion was refused. Where the verification refused an object's
    conversion, that is the reason given: the rule's notes on the object it would have converted
    are not refusals of their own."""
    found = [f for f in findings if is_refused(f, rules.get(f.code))]
    verified = {(f.code, f.file, f.doc, f.item) for f in found if f.key in VERIFICATION_REFUSALS}
    return [f for f in found if f.key in VERIFICATION_REFUSALS or (f.code, f.file, f.doc, f.item) not in verified]
