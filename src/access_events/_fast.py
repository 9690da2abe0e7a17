"""The hot path: jsonschema-rs decides validity, msgspec builds the dataclass.

Valid payloads never touch the pure-Python validator. Anything the fast path rejects is
handed back to the reference path (``_validate.check``, the ``jsonschema`` library),
which produces every problem with its pointer, so both paths always give one verdict
(``contract_tests/test_differential.py`` holds them to it).
"""

from __future__ import annotations

import functools
from typing import Any

import jsonschema_rs
import msgspec
from access_events_models import EVENT_CLASSES
from access_events_models._convert import FROM_DICT

from . import _catalog


@functools.lru_cache(maxsize=1)
def _validators() -> dict[str, Any]:
    documents = _catalog._documents()
    registry = jsonschema_rs.Registry([(doc["$id"], doc) for doc in documents.values()])
    return {
        event_type: jsonschema_rs.Draft202012Validator(
            {"$ref": _catalog.schema_id(event_type)}, registry=registry, validate_formats=True
        )
        for event_type in _catalog.event_types()
    }


def is_valid(event_type: str, instance: dict[str, Any]) -> bool:
    """True when ``instance`` is a valid event of ``event_type`` (False also for unknown types)."""
    validator = _validators().get(event_type)
    return validator is not None and validator.is_valid(instance)


def build(event_type: str, instance: dict[str, Any]) -> Any:
    """The dataclass of a validated event.

    msgspec converts the common case; the generated converter takes what msgspec refuses
    on purpose (a leap second, a date-time that rounds past year 9999) and gives the
    documented result.
    """
    try:
        return msgspec.convert(instance, EVENT_CLASSES[event_type])
    except msgspec.ValidationError:
        return FROM_DICT[event_type](instance)
