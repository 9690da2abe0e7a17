"""access-events: the contract package for the ``access_method.*`` webhook events.

    >>> from access_events import parse_event
    >>> event = parse_event(request_body)          # bytes, str or a decoded mapping
    >>> event.event_type, event.access_method_id   # a typed, frozen dataclass
"""

from __future__ import annotations

from access_events_models import (
    EVENT_CLASSES,
    EVENT_TYPES,
    AccessMethodCardEncodingRequiredEvent,
    AccessMethodCreatedEvent,
    AccessMethodDelayInIssuingEvent,
    AccessMethodDeletedEvent,
    AccessMethodEvent,
    AccessMethodFailedToIssueEvent,
    AccessMethodIssuedEvent,
    AccessMethodReissuedEvent,
    AccessMethodRevokedEvent,
    Event,
)

from ._api import from_dict, parse_event, to_dict, validate_event
from ._catalog import BASE_URI, registry, schema, schema_dir
from ._decode import DEFAULT_MAX_BYTES
from .errors import EventError, InvalidEvent, Problem, UnknownEventType

__all__ = [
    "BASE_URI",
    "DEFAULT_MAX_BYTES",
    "EVENT_CLASSES",
    "EVENT_TYPES",
    "AccessMethodCardEncodingRequiredEvent",
    "AccessMethodCreatedEvent",
    "AccessMethodDelayInIssuingEvent",
    "AccessMethodDeletedEvent",
    "AccessMethodEvent",
    "AccessMethodFailedToIssueEvent",
    "AccessMethodIssuedEvent",
    "AccessMethodReissuedEvent",
    "AccessMethodRevokedEvent",
    "Event",
    "EventError",
    "InvalidEvent",
    "Problem",
    "UnknownEventType",
    "from_dict",
    "parse_event",
    "registry",
    "schema",
    "schema_dir",
    "to_dict",
    "validate_event",
]
