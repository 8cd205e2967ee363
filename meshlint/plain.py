"""Reading plain YAML data of any shape: a wrong type is normal input, so each helper gives what is
there when it has the expected shape and an empty value otherwise. Where two readers of the same field
differ (1.4's RBAC read one value as a list of one; the modern API does not), they have two names."""
from __future__ import annotations

from typing import Any


def get_any(d: Any, *names: str) -> Any:
    """The value of the first of ``names`` that mapping ``d`` has (1.4 accepted the snake_case and the
    camelCase spelling of many fields); None when it has none of them or is no mapping."""
    if isinstance(d, dict):
        for n in names:
            if n in d:
                return d[n]
    return None


def spelling(d: Any, *names: str) -> str:
    """The first of ``names`` that mapping ``d`` has (for a pointer to the field :func:`get_any` read),
    else the first of ``names``."""
    return next((n for n in names if isinstance(d, dict) and n in d), names[0])


def dict_of(v: Any) -> dict[str, Any]:
    """``v`` if it is a mapping, else an empty one."""
    return v if isinstance(v, dict) else {}


def list_of(v: Any) -> list[Any]:
    """``v`` if it is a list, else an empty one (a scalar is no list)."""
    return v if isinstance(v, list) else []


def one_or_many(v: Any) -> list[Any]:
    """``v`` if it is a list, nothing for None, else ``[v]``: 1.4's RBAC read one value as a list of one."""
    return v if isinstance(v, list) else ([] if v is None else [v])


def scalar_strings(v: Any) -> list[str]:
    """The strings, integers and floats of :func:`one_or_many` ``(v)``, as strings: 1.4's RBAC string
    lists (a boolean, a mapping or a list is no value of one)."""
    return [str(x) for x in one_or_many(v) if isinstance(x, (str, int, float)) and not isinstance(x, bool)]


def list_strings(v: Any) -> list[str]:
    """The strings and integers of list ``v``, as strings: the modern API's string lists (a scalar is
    no list; a boolean, a float, a mapping or a list is no value of one)."""
    return [str(x) for x in list_of(v) if isinstance(x, (str, int)) and not isinstance(x, bool)]
