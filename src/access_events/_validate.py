"""Decoded payload → list of problems, by the event's own JSON Schema (jsonschema, draft 2020-12)."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from jsonschema import Draft202012Validator

from . import _catalog
from ._formats import FORMAT_CHECKER
from ._locate import pointer_from_path
from .errors import InvalidEvent, Problem, UnknownEventType

_JSON_TYPES = {bool: "boolean", int: "integer", float: "number", str: "string", list: "array", dict: "object", type(None): "null"}
_FORMAT_HINTS = {
    "uuid": "a UUID, 8-4-4-4-12 hexadecimal digits",
    "date-time": "an RFC 3339 date-time such as 2025-01-01T00:00:00Z",
}


def json_type(value: Any) -> str:
    return _JSON_TYPES.get(type(value), type(value).__name__)


def _short(value: Any, limit: int = 80) -> str:
    """A JSON rendering of ``value`` cut to ``limit`` characters (payloads may hold huge strings)."""
    if isinstance(value, str):
        text = json.dumps(value[: limit + 1], ensure_ascii=False)
        return text if len(value) <= limit else text[: limit + 1] + '…"'
    text = json.dumps(value, ensure_ascii=False, default=repr)
    return text if len(text) <= limit else text[:limit] + "…"


def _message(keyword: str, expected: Any, value: Any, fallback: str) -> str:
    if keyword == "type":
        wanted = expected if isinstance(expected, str) else " or ".join(expected)
        return f"expected {wanted}, got {json_type(value)} {_short(value, 40)}"
    if keyword == "format":
        return f"{_short(value)} is not {_FORMAT_HINTS.get(expected, 'a valid ' + str(expected))}"
    if keyword == "pattern":
        return f"{_short(value)} does not match the pattern {expected}"
    if keyword == "const":
        return f"expected {_short(expected)}, got {_short(value)}"
    return fallback if len(fallback) <= 300 else fallback[:300] + "…"


#: One failed keyword, as either validator reports it: path in the instance, keyword, the
#: keyword's value in the schema (for ``required``: the missing names), the failing
#: instance, and the library's own message for keywords this module does not phrase.
Failure = tuple[tuple[Any, ...], str, Any, Any, str]


def problems_from(failures: Iterable[Failure]) -> list[Problem]:
    """Problems from failures, sorted by location then keyword, each (location, keyword) once.

    Both validators feed this, so the two report the same problems in the same words
    (``contract_tests/test_differential.py`` compares them).
    """
    found: dict[tuple[Any, ...], Problem] = {}
    for path, keyword, expected, value, fallback in failures:
        if keyword == "required" and isinstance(value, dict):
            # point at the missing property itself: that is what a reader must add
            for name in expected:
                if name not in value:
                    found[_sort_key(path + (name,), "required")] = Problem(
                        pointer_from_path(path + (name,)), "required", f"required property {name!r} is missing")
            continue
        found.setdefault(_sort_key(path, keyword), Problem(pointer_from_path(path), keyword, _message(keyword, expected, value, fallback)))
    # The uuid definition restates its format as a pattern for validators that do not assert
    # formats; where both fail on one value, the format's message says it once, better.
    formats = {p.pointer for p in found.values() if p.keyword == "format"}
    return [found[k] for k in sorted(found) if not (found[k].keyword == "pattern" and found[k].pointer in formats)]


def _sort_key(problem_path: tuple[Any, ...], keyword: str) -> tuple[Any, ...]:
    return tuple((isinstance(p, str), p) for p in problem_path), keyword


def reference_failures(validator: Draft202012Validator, instance: Any) -> Iterator[Failure]:
    """Failures as the ``jsonschema`` library (the reference implementation) reports them."""
    for error in validator.iter_errors(instance):
        yield tuple(error.absolute_path), str(error.validator), error.validator_value, error.instance, error.message


def _validator_for(uri: str) -> Draft202012Validator:
    return Draft202012Validator({"$ref": uri}, registry=_catalog.registry(), format_checker=FORMAT_CHECKER)


@functools.lru_cache(maxsize=None)
def event_validator(event_type: str) -> Draft202012Validator | None:
    if event_type not in _catalog.event_types():
        return None
    return _validator_for(_catalog.schema_id(event_type))


@functools.lru_cache(maxsize=1)
def base_validator() -> Draft202012Validator:
    """The fields every event carries: used when ``event_type`` is missing or not a string."""
    return _validator_for(_catalog.BASE_URI + _catalog.COMMON_FILE + "#/$defs/access_method_event")


def reference_problems(event_type: str | None, instance: dict[str, Any]) -> list[Problem]:
    """Problems by the ``jsonschema`` library: the event's schema, or the common fields for ``None``."""
    validator = base_validator() if event_type is None else event_validator(event_type)
    return problems_from(reference_failures(validator, instance))


#: Containers nested deeper than this are cut to empty ones by ``_cut``.
_CUT_DEPTH = 100


def _cut(value: Any, depth: int = 0) -> Any:
    """``value`` with every container nested deeper than ``_CUT_DEPTH`` emptied (it keeps its type)."""
    if isinstance(value, dict):
        return {} if depth >= _CUT_DEPTH else {k: _cut(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        return [] if depth >= _CUT_DEPTH else [_cut(v, depth + 1) for v in value]
    return value


def check(instance: Any, problems_of: Callable[[str | None, dict[str, Any]], list[Problem]] = reference_problems) -> str:
    """Validate a decoded payload; return its event type, or raise InvalidEvent / UnknownEventType.

    ``problems_of(event_type, instance)`` lists the problems against the event's schema (or,
    for ``None``, the fields every event carries, when ``event_type`` is missing or not a
    string): the reference ``jsonschema`` by default, jsonschema-rs on the fast path.
    """
    if not isinstance(instance, dict):
        raise InvalidEvent([Problem("", "type", f"expected a JSON object, got {json_type(instance)}")])
    event_type = instance.get("event_type")
    if isinstance(event_type, str) and event_type not in _catalog.event_types():
        raise UnknownEventType(event_type, _catalog.event_types())
    schema_type = event_type if isinstance(event_type, str) else None
    try:
        problems = problems_of(schema_type, instance)
    except (RecursionError, ValueError):
        # A failing value nested a few hundred deep: jsonschema-rs gives up ("Recursion limit
        # reached") and jsonschema's message (its repr) overflows the stack. No keyword of the
        # catalog looks more than three levels down, and no message shows more than 81
        # characters of a value, so the value cut far below both has the same problems.
        problems = problems_of(schema_type, _cut(instance))
    if problems:
        raise InvalidEvent(problems, event_type if isinstance(event_type, str) else None)
    return event_type
