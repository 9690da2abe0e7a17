"""Decoded payload → list of problems, by the event's own JSON Schema (jsonschema, draft 2020-12)."""

from __future__ import annotations

import functools
import json
from typing import Any

from jsonschema import Draft202012Validator, ValidationError

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


def _message(error: ValidationError) -> str:
    kw, expected, value = error.validator, error.validator_value, error.instance
    if kw == "type":
        wanted = expected if isinstance(expected, str) else " or ".join(expected)
        return f"expected {wanted}, got {json_type(value)} {_short(value, 40)}"
    if kw == "format":
        return f"{_short(value)} is not {_FORMAT_HINTS.get(expected, 'a valid ' + str(expected))}"
    if kw == "pattern":
        return f"{_short(value)} does not match the pattern {expected}"
    if kw == "const":
        return f"expected {_short(expected)}, got {_short(value)}"
    message = error.message
    return message if len(message) <= 300 else message[:300] + "…"


def _sort_key(problem_path: tuple[Any, ...], keyword: str) -> tuple[Any, ...]:
    return tuple((isinstance(p, str), p) for p in problem_path), keyword


def problems_of(validator: Draft202012Validator, instance: Any) -> list[Problem]:
    """Every problem of ``instance`` under ``validator``, sorted by location then keyword."""
    found: dict[tuple[Any, ...], Problem] = {}
    for error in validator.iter_errors(instance):
        path = tuple(error.absolute_path)
        if error.validator == "required" and isinstance(error.instance, dict):
            # point at the missing property itself: that is what a reader must add
            for name in error.validator_value:
                if name not in error.instance:
                    key = _sort_key(path + (name,), "required")
                    found[key] = Problem(pointer_from_path(path + (name,)), "required", f"required property {name!r} is missing")
            continue
        key = _sort_key(path, str(error.validator)) + (error.message,)
        found.setdefault(key, Problem(pointer_from_path(path), str(error.validator), _message(error)))
    # The uuid definition restates its format as a pattern for validators that do not assert
    # formats; where both fail on one value, the format's message says it once, better.
    formats = {p.pointer for p in found.values() if p.keyword == "format"}
    return [found[k] for k in sorted(found) if not (found[k].keyword == "pattern" and found[k].pointer in formats)]


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


def check(instance: Any) -> str:
    """Validate a decoded payload; return its event type, or raise InvalidEvent / UnknownEventType."""
    if not isinstance(instance, dict):
        raise InvalidEvent([Problem("", "type", f"expected a JSON object, got {json_type(instance)}")])
    event_type = instance.get("event_type")
    if isinstance(event_type, str):
        validator = event_validator(event_type)
        if validator is None:
            raise UnknownEventType(event_type, _catalog.event_types())
    else:
        validator = base_validator()
    problems = problems_of(validator, instance)
    if problems:
        raise InvalidEvent(problems, event_type if isinstance(event_type, str) else None)
    return event_type
