"""One input file after reading: :class:`SourceFile`, what every way into the loader returns."""
from __future__ import annotations

from dataclasses import dataclass, field

from ..model import Problem, Resource


@dataclass
class SourceFile:
    """One input file after reading: its resources and the problems found reading it."""

    path: str
    text: str | None
    resources: list[Resource] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    newline: str = "\n"
    bom: bool = False
    not_object: str | None = None  # why the file holds no Kubernetes objects (kustomization, Helm chart, ...): skipped
