"""YAML files that are not Kubernetes objects: kustomizations and kustomize configuration
(``params.yaml``, transformer configs), JSON/YAML patches, Helm charts' ``Chart.yaml``,
values files and templates, and any other file whose documents have neither ``apiVersion``
nor ``kind``. They are recognised, skipped and counted, never reported as errors.

A document that looks like it meant to be an object (a ``kind``, an ``apiVersion`` or
``metadata`` without the rest) is not one of these: it is still reported (ML003).
"""
from __future__ import annotations

import os
from typing import Any

KUSTOMIZATION_FILES = frozenset({"kustomization.yaml", "kustomization.yml", "Kustomization"})
KUSTOMIZE_GROUPS = frozenset({"kustomize.config.k8s.io", "builtin"})  # Kustomization, Component; transformer configs
CHART_FILES = ("Chart.yaml", "Chart.yml")
HELM_VALUES = ("values.yaml", "values.yml", "requirements.yaml", "requirements.yml", "values.schema.json")

OBJECT, MEANT, OTHER = "object", "meant", "other"


def _chart_dir(directory: str) -> bool:
    return any(os.path.isfile(os.path.join(directory, name)) for name in CHART_FILES)


def by_name(path: str) -> str | None:
    """Why the file at ``path`` is not a Kubernetes object, judged by its name and place alone
    (then it is not even parsed), or None."""
    base = os.path.basename(path)
    if base in KUSTOMIZATION_FILES:
        return "kustomization"
    if base in CHART_FILES:
        return "Helm chart"
    parent = os.path.dirname(path)
    if (base in HELM_VALUES or (base.startswith("values") and base.endswith((".yaml", ".yml")))) and _chart_dir(parent or "."):
        return "Helm values"
    parts = path.replace("\\", "/").split("/")
    if "templates" in parts[:-1]:
        i = len(parts) - 2 - parts[-2::-1].index("templates")  # the innermost templates/ directory
        if _chart_dir("/".join(parts[:i]) or "."):
            return "Helm template"
    return None


def document_kind(value: Any) -> str:
    """``object``: a Kubernetes object; ``meant``: looks like it meant to be one (reported);
    ``other``: some other YAML (kustomize configuration, a patch, values, data)."""
    if isinstance(value, dict):
        av, kind = value.get("apiVersion"), value.get("kind")
        if isinstance(av, str) and av and isinstance(kind, str) and kind:
            return OTHER if av.rsplit("/", 1)[0] in KUSTOMIZE_GROUPS else OBJECT
        return MEANT if ("kind" in value or "apiVersion" in value or "metadata" in value) else OTHER
    if isinstance(value, list):
        if value and all(isinstance(op, dict) and "op" in op and "path" in op for op in value):
            return OTHER  # a JSON patch (RFC 6902), as kustomize's patchesJson6902 lists them
        if any(isinstance(item, dict) and ("apiVersion" in item or "kind" in item) for item in value):
            return MEANT  # objects written as a sequence instead of documents
        return OTHER
    return OTHER

