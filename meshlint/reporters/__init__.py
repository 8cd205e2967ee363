"""Reporter registry. A reporter is a pure ``render(result, **options) -> str`` function.

Modules are imported only when their format is asked for, so adding a format costs
nothing at start-up.
"""
from __future__ import annotations

import importlib
from collections.abc import Callable

REPORTERS: dict[str, str] = {
    "text": "meshlint.reporters.text",
    "json": "meshlint.reporters.json_findings",
    "sarif": "meshlint.reporters.sarif",
    "junit": "meshlint.reporters.junit",
    "github": "meshlint.reporters.github",
    "gitlab": "meshlint.reporters.gitlab",
}


def names() -> list[str]:
    return list(REPORTERS)


def get(name: str) -> Callable[..., str]:
    try:
        module = REPORTERS[name]
    except KeyError:
        raise ValueError(f"unknown format {name!r} (choose from {', '.join(REPORTERS)})") from None
    render: Callable[..., str] = importlib.import_module(module).render
    return render

