"""Pydantic validation errors rewritten for the people who edit rules files.

Pydantic says ``Input should be greater than or equal to 1`` at ``('policies', 1, 'split',
'max_locations')``; an ops person wants ``policies[1].split.max_locations: expected an
integer >= 1, got 0``. Unknown keys get a "did you mean" from the model's field names.
"""

from __future__ import annotations

import difflib
import re
import types
from collections.abc import Sequence
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

Loc = tuple[int | str, ...]
_PLAIN_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")


class LocatedValueError(ValueError):
    """Raised by a model validator about one field below the model (``loc`` is relative)."""

    def __init__(self, loc: Loc, message: str) -> None:
        super().__init__(f"{format_path(loc)}: {message}")
        self.loc = loc
        self.message = message


def format_path(loc: Sequence[int | str]) -> str:
    """``('policies', 1, 'split')`` → ``policies[1].split``."""
    path = ""
    for part in loc:
        if isinstance(part, str) and _PLAIN_KEY.fullmatch(part):
            path += f".{part}" if path else part
        elif isinstance(part, int):
            path += f"[{part}]"
        else:  # a key only a typo makes: quote it so the path stays on one line
            path += f"[{part!r}]"
    return path


def describe(value: object) -> str:
    """A value as a YAML user would recognise it."""
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f"the string {value!r}" if value else "an empty string"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list | tuple):
        return "a list" if value else "an empty list"
    return f"a {type(value).__name__}"


_EXPECTED = {
    "int_type": "expected an integer",
    "int_parsing": "expected an integer",
    "int_from_float": "expected an integer",
    "float_type": "expected a number",
    "float_parsing": "expected a number",
    "bool_type": "expected true or false",
    "bool_parsing": "expected true or false",
    "string_type": "expected a string",
    "finite_number": "expected a finite number",
    "model_type": "expected a mapping of keys to values",
    "model_attributes_type": "expected a mapping of keys to values",
    "dict_type": "expected a mapping of keys to values",
    "tuple_type": "expected a list",
    "list_type": "expected a list",
    "string_too_short": "expected a non-empty string",
    "invalid_key": "expected string keys",
}
_COMPARISONS = {
    "greater_than_equal": ("ge", ">="),
    "greater_than": ("gt", ">"),
    "less_than_equal": ("le", "<="),
    "less_than": ("lt", "<"),
}
_BOOLEAN_HINT = " (YAML reads unquoted yes/no/on/off/true/false as booleans; quote the value)"


def issues_from(
    error: ValidationError, model: type[BaseModel], data: object
) -> list[tuple[Loc, str]]:
    """``(loc, message)`` for each error of validating ``data`` against ``model``."""
    items = error.errors(include_url=False)
    return [_issue(item, model, data) for item in items if not _consequence(item, items)]


def _consequence(item: ErrorDetails, items: list[ErrorDetails]) -> bool:
    """A list is "too short" only because its invalid items were dropped: not worth saying."""
    loc = tuple(item["loc"])
    return item["type"] == "too_short" and any(
        len(other["loc"]) > len(loc) and tuple(other["loc"][: len(loc)]) == loc for other in items
    )


def _issue(item: ErrorDetails, model: type[BaseModel], data: object) -> tuple[Loc, str]:
    loc: Loc = tuple(item["loc"])
    kind = item["type"]
    ctx = item.get("ctx") or {}
    value = item.get("input")
    if kind == "value_error" and isinstance(ctx.get("error"), LocatedValueError):
        located: LocatedValueError = ctx["error"]
        return loc + located.loc, located.message
    if kind == "value_error":
        return loc, str(ctx.get("error", item["msg"]))
    if kind == "missing":
        return loc, "required field is missing"
    if kind == "extra_forbidden":
        return loc, _unknown_key(loc, model)
    if loc and loc[-1] == "[key]":  # a mapping key failed (e.g. buffer_units: {shop: 1})
        return loc[:-1], f"unknown key {value!r}; {_expected(kind, ctx, item)}"
    if loc and isinstance(loc[-1], int) and isinstance(_value_at(data, loc[:-1]), str):
        loc = loc[:-1]  # a single value stood for a one-item list; point at the value itself
    message = f"{_expected(kind, ctx, item)}, got {_got(kind, ctx, value)}"
    if kind in ("string_type", "one_or_many") and isinstance(value, bool):
        message += _BOOLEAN_HINT
    return loc, message


def _expected(kind: str, ctx: dict[str, Any], item: ErrorDetails) -> str:
    if kind in _EXPECTED:
        return _EXPECTED[kind]
    if kind in _COMPARISONS:
        key, symbol = _COMPARISONS[kind]
        bound = ctx[key]
        noun = "an integer" if isinstance(bound, int) else "a number"
        return f"expected {noun} {symbol} {_number(bound)}"
    if kind == "literal_error":
        return f"expected {ctx['expected']}"
    if kind == "too_short":
        n = ctx["min_length"]
        return "expected a non-empty list" if n == 1 else f"expected at least {n} items"
    return str(item["msg"])


def _number(bound: float) -> str:
    """``1000000.0`` → ``1,000,000``; ``0.5`` → ``0.5``."""
    if float(bound).is_integer() and abs(bound) < 1e15:
        return f"{int(bound):,}"
    return f"{bound:g}"


def _got(kind: str, ctx: dict[str, Any], value: object) -> str:
    if kind == "too_short":
        n = ctx["actual_length"]
        return "an empty list" if n == 0 else f"{n} item{'s' if n != 1 else ''}"
    return describe(value)


def _unknown_key(loc: Loc, model: type[BaseModel]) -> str:
    key = loc[-1] if loc else ""
    owner = _model_at(model, loc[:-1])
    if owner is None:
        return f"unknown key {key!r}"
    allowed = list(owner.model_fields)
    close = difflib.get_close_matches(str(key), allowed, n=1)
    if close:
        return f"unknown key {key!r}; did you mean {close[0]!r}?"
    return f"unknown key {key!r}; expected one of: {', '.join(allowed)}"


def _model_at(model: type[BaseModel], loc: Loc) -> type[BaseModel] | None:
    """The model class that validates the mapping found at ``loc``, if there is one."""
    current: Any = model
    for part in loc:
        current = _step(_unwrap(current), part)
        if current is None:
            return None
    current = _unwrap(current)
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _step(annotation: Any, part: int | str) -> Any:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        field = annotation.model_fields.get(part) if isinstance(part, str) else None
        return None if field is None else field.annotation
    origin, args = get_origin(annotation), get_args(annotation)
    if origin in (tuple, list) and isinstance(part, int) and args:
        return args[0]
    if origin is dict and len(args) == 2:
        return args[1]
    return None


def _unwrap(annotation: Any) -> Any:
    """Strip ``Annotated[...]`` and ``X | None`` down to ``X``."""
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            annotation = get_args(annotation)[0]
        elif origin in (Union, types.UnionType):
            options = [a for a in get_args(annotation) if a is not type(None)]
            if len(options) != 1:
                return annotation
            annotation = options[0]
        else:
            return annotation


def _value_at(data: object, loc: Loc) -> object:
    for part in loc:
        in_list = isinstance(data, list) and isinstance(part, int) and 0 <= part < len(data)
        if not (in_list or (isinstance(data, dict) and part in data)):
            return None
        data = data[part]  # type: ignore[index]
    return data
