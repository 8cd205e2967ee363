"""Field-name spellings: Istio 1.4 accepted snake_case (``sni_hosts``) where the API's JSON is
camelCase (``sniHosts``); Envoy's protobuf JSON accepts both."""
from __future__ import annotations

import re
from collections.abc import Iterable

SNAKE_CASE = re.compile(r"^[a-z0-9]+(_[a-z0-9]+)+$")


def camel(key: str) -> str:
    """``sni_hosts`` → ``sniHosts``."""
    head, *rest = key.split("_")
    return head + "".join(p[:1].upper() + p[1:] for p in rest)


def snake(key: str) -> str:
    """``typedConfig`` → ``typed_config``."""
    return re.sub(r"(?<=[a-z0-9])([A-Z])", lambda m: "_" + m.group(1).lower(), key)


def closest(word: str, known: Iterable[str], ignore_case: bool = False) -> str | None:
    """The one of ``known`` that ``word`` most likely misspells (difflib's closest match, ratio at
    least 0.6), or None; ``ignore_case`` compares lower-cased and gives the known spelling."""
    import difflib  # only when a word is unknown

    spelled = {k.lower() if ignore_case else k: k for k in known}
    close = difflib.get_close_matches(word.lower() if ignore_case else word, list(spelled), n=1)
    return spelled[close[0]] if close else None


def did_you_mean(word: str, known: Iterable[str], ignore_case: bool = False) -> str:
    """:func:`meant` of the closest known spelling of ``word``, else ``""``."""
    close = closest(word, known, ignore_case)
    return meant(close) if close else ""


def meant(spelling: str) -> str:
    """The hint that ends a message about a misspelled name: `` Did you mean X?``."""
    return f" Did you mean {spelling}?"
