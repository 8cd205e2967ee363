"""Field-name spellings: Istio 1.4 accepted snake_case (``sni_hosts``) where the API's JSON is
camelCase (``sniHosts``); Envoy's protobuf JSON accepts both."""
from __future__ import annotations

import re

SNAKE_CASE = re.compile(r"^[a-z0-9]+(_[a-z0-9]+)+$")


def camel(key: str) -> str:
    """``sni_hosts`` → ``sniHosts``."""
    head, *rest = key.split("_")
    return head + "".join(p[:1].upper() + p[1:] for p in rest)


def snake(key: str) -> str:
    """``typedConfig`` → ``typed_config``."""
    return re.sub(r"(?<=[a-z0-9])([A-Z])", lambda m: "_" + m.group(1).lower(), key)
