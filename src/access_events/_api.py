"""The receiver's calls: raw payload in, typed event (or its problems) out."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from access_events_models import EVENT_CLASSES, Event
from access_events_models._convert import FROM_DICT, TO_DICT

from . import _fast
from ._decode import DEFAULT_MAX_BYTES, decode
from ._validate import check
from .errors import InvalidEvent, Problem, UnknownEventType


def parse_event(data: bytes | str | Any, *, max_bytes: int = DEFAULT_MAX_BYTES, max_problems: int | None = None) -> Event:
    """Decode, validate against the event's JSON Schema, and return its typed dataclass.

    ``data`` is the raw body (``bytes`` or ``str``) or an already-decoded mapping.
    Raises ``InvalidEvent`` with every problem, or ``UnknownEventType`` for a well-formed
    event whose type is not in the catalog. Unknown properties are accepted and not kept
    on the object; the raw input stays the caller's. ``max_problems``: the InvalidEvent
    lists at most that many (the first ones of the full sorted list; ``more_problems`` says
    how many more), and a payload with thousands of problems costs about as much as one
    with ``max_problems``.
    """
    if max_problems is not None:
        _check_max_problems(max_problems)  # whatever the payload: not only once one is invalid
    event = _fast.parse_raw(data, max_bytes)
    if event is not None:
        return event
    return _fast.build(*_decoded_and_validated(data, max_bytes, max_problems))


def _check_max_problems(max_problems: Any) -> None:
    if type(max_problems) is not int or max_problems < 1:
        raise ValueError(f"max_problems must be a positive int or None, not {max_problems!r}")


def _decoded_and_validated(data: Any, max_bytes: int, max_problems: int | None = None) -> tuple[str, Any]:
    """The event type and decoded payload of ``data``; raises InvalidEvent / UnknownEventType.
    Only a caller's mapping, not text this package decoded, can hold non-JSON values.
    ``max_problems`` was checked by the caller (``parse_event``, ``validate_event``)."""
    instance = decode(data, max_bytes)
    return validated(instance, trusted=not isinstance(data, Mapping), max_problems=max_problems), instance


def validated(instance: Any, trusted: bool = True, max_problems: int | None = None) -> str:
    """The event type of a decoded, valid event; raises InvalidEvent / UnknownEventType otherwise.

    jsonschema-rs decides and finds the problems; they are worded exactly as the reference
    path (the ``jsonschema`` library) words them, which the differential tests hold it to.
    ``trusted`` says ``instance`` came from a JSON decoder; a caller's mapping (``False``)
    holding values no JSON text decodes to (``_fast.json_native``) is checked by the
    reference itself.
    """
    if not trusted and not _fast.json_native(instance):
        return check(instance, max_problems=max_problems)
    event_type = instance.get("event_type") if type(instance) is dict else None
    if type(event_type) is str and _fast.is_valid(event_type, instance):
        return event_type
    return check(instance, _fast.problems, max_problems=max_problems)


def validate_event(data: bytes | str | Any, *, max_bytes: int = DEFAULT_MAX_BYTES, max_problems: int | None = None) -> list[Problem]:
    """Every problem of a payload, empty when it is a valid event; never raises for bad input.

    An event type outside the catalog is reported as one problem with keyword
    ``event_type`` at ``/event_type``. ``max_problems``: at most that many, the first ones
    of the full list (``parse_event``'s ``InvalidEvent.more_problems`` says how many more).
    """
    if max_problems is not None:
        _check_max_problems(max_problems)
    if _fast.valid_raw(data, max_bytes):
        return []
    try:
        _decoded_and_validated(data, max_bytes, max_problems)
    except InvalidEvent as exc:
        return list(exc.problems)
    except UnknownEventType as exc:
        return [Problem("/event_type", "event_type", str(exc))]
    return []


def from_dict(instance: dict[str, Any]) -> Event:
    """The dataclass of an already validated event dict (no validation: use ``parse_event`` for input)."""
    try:
        convert = FROM_DICT[instance["event_type"]]
    except (KeyError, TypeError):
        raise UnknownEventType(str(instance.get("event_type")), tuple(FROM_DICT)) from None
    return convert(instance)


def to_dict(event: Event) -> dict[str, Any]:
    """A JSON-ready dict of ``event`` that validates against its schema.

    Absent optional fields stay absent; UUIDs are lower-case strings; date-times are
    RFC 3339 with their original offset (UTC as ``Z``).
    """
    try:
        convert = TO_DICT[type(event)]
    except KeyError:
        raise TypeError(f"not an access_events event class: {type(event).__name__}") from None
    return convert(event)


__all__ = ["EVENT_CLASSES", "parse_event", "validate_event", "from_dict", "to_dict"]
