"""The hot path, in two tiers; valid payloads never touch the pure-Python validator.

1. One pass: msgspec decodes the raw text straight into the generated ``Members`` Struct
   (``access_events_models._structs``: the members of every event, one type each), its
   ``event_type`` picks the event's parser, exactly as strict as the schema, and the Struct
   becomes the dataclass. ``Members`` refuses members no event declares (msgspec skips them
   without all of JSON's checks); a payload carrying them is parsed by simdjson first, for
   its checks only (UTF-8, numbers within a double, orjson's depth limit), then decoded into
   ``MembersOpen``, which skips them. Once a payload carried undeclared members, that route is
   tried first, until ``SWITCH_BACK`` payloads in a row carried only declared ones: payloads
   with undeclared members do not pay a failed decode each, and declared-only traffic goes
   back to the single pass. A payload simdjson or msgspec refuses is decoded by
   ``orjson.loads`` (the reference decoder) and its dict converted into the event's Struct,
   undeclared members ignored.
2. Everything else (a leap second, escapes msgspec refuses):
   orjson decodes, jsonschema-rs decides validity, msgspec converts the dict.

Anything neither tier accepts is handed back to the reference path (``_decode.decode`` +
``_validate.check``), which produces every problem with its pointer, so every path gives
one verdict (``contract_tests/test_differential.py`` holds them to it). The functions
taking raw text repeat a few of ``decode``'s checks inline on purpose: at about a
microsecond per call, function calls and isinstance chains are the cost.
"""

from __future__ import annotations

import math
import threading
from typing import Any, Callable

import jsonschema_rs
import msgspec
import orjson
import simdjson
from access_events_models._convert import FROM_DICT
from access_events_models._structs import DECODER as _STRUCTS
from access_events_models._structs import MEMBER_COUNT as _MEMBER_COUNT
from access_events_models._structs import OPEN_DECODER as _OPEN_STRUCTS
from access_events_models._structs import absent as _absent
from access_events_models._structs import FROM_DICT as _STRUCT_FROM_DICT
from access_events_models._structs import PARSERS as _STRUCT_PARSERS

from . import _catalog
from ._rfc3339 import is_rfc3339
from ._validate import problems_from
from .errors import Problem

_loads = orjson.loads
_DecodeError = orjson.JSONDecodeError
_ConvertError = msgspec.ValidationError
#: tier 1's refusals: simdjson's (ValueError, UnicodeError among them: invalid UTF-8, a number beyond
#: a double or a 64-bit integer, invalid JSON; RuntimeError: nesting deeper than 1024, a big
#: integer, or the parser still held by another thread's result), msgspec's malformed JSON and
#: (its subclass) ValidationError, invalid UTF-8 in a string it decodes (UnicodeDecodeError, or
#: UnicodeEncodeError from a str with lone surrogates), its recursion limit
_OnePassError = (ValueError, RuntimeError, msgspec.DecodeError)
_decode_struct = _STRUCTS.decode if _STRUCTS is not None else None
_decode_open = _OPEN_STRUCTS.decode if _OPEN_STRUCTS is not None else None
#: Tier 1 tries ``Members`` (undeclared members refused, no simdjson pass) first while this is at
#: least ``SWITCH_BACK``: a payload with undeclared members sets it to 0 (simdjson and
#: ``MembersOpen`` first: no failed decode paid per payload), each payload with only declared
#: members taken by that route adds one. The streak, rather than a single payload, keeps mixed
#: traffic on the route where both kinds cost about the same, instead of paying a failed decode
#: every other payload. Only the speed depends on it: every route is exact (test_differential
#: holds each to the reference); a race between threads only changes which is tried first.
SWITCH_BACK = 8
_declared_streak = SWITCH_BACK
#: simdjson's parse, for its checks only: the result (a lazy proxy) is dropped at once. The
#: parser is reused (a new one per call costs more than the parse); calls hold the GIL, and one
#: made while another thread's result is still alive raises RuntimeError: that payload takes
#: the dict route, with the same verdict.
_check_json = simdjson.Parser().parse
_Object = simdjson.Object

#: event type -> the compiled validator's is_valid; filled on first use
_PLANS: dict[str, Callable[[Any], bool]] = {}
#: event type (None: the fields every event carries) -> compiled validator
_VALIDATORS: dict[str | None, Any] = {}
_PLANS_LOCK = threading.Lock()
#: the formats the validators that word problems take from the reference (``_formats``), not jsonschema-rs
_WORDED_FORMATS = {"date-time": is_rfc3339}


def verdict_documents() -> list[dict[str, Any]]:
    """The catalog as the hot path's ``is_valid`` checks it: without the UUID ``pattern``.

    jsonschema-rs's ``uuid`` format accepts exactly the hyphenated 8-4-4-4-12 hex shape,
    so with the format asserted the pattern adds nothing but a second regex per UUID
    (about a quarter of ``is_valid``'s time on an event). The pattern stays in the
    schemas for validators whose ``uuid`` format is looser, and in the validators that
    word problems, so invalid payloads are still reported by both keywords.
    ``contract_tests/test_differential.py`` holds the two to the same verdicts.
    """
    documents = [dict(doc) for doc in _catalog._documents().values()]
    for doc in documents:
        if doc["$id"].endswith(_catalog.COMMON_FILE):
            defs = dict(doc["$defs"])
            defs["uuid"] = {key: value for key, value in defs["uuid"].items() if key != "pattern"}
            doc["$defs"] = defs
    return documents


def _compiler(documents: list[dict[str, Any]], flat: bool = False, formats: dict[str, Callable[[str], bool]] | None = None) -> Callable[[str], Any]:
    """Compile the schema at a URI of ``documents``; ``flat``: as one self-contained object schema.

    Flat is jsonschema-rs's own ``dereference`` (every ``$ref`` inlined) then ``canonicalize``
    (the ``allOf`` merged, a ``pattern`` its ``const`` already meets dropped): the same
    verdicts, checked in about three quarters of the time. Problems are still worded from
    the schemas as written, where the pointers and keywords are the reader's.
    """
    registry = jsonschema_rs.Registry([(doc["$id"], doc) for doc in documents])

    def compiled(uri: str) -> Any:
        schema: dict[str, Any] = {"$ref": uri}
        if flat:
            inlined = jsonschema_rs.dereference(schema, registry=registry, offline=True)
            schema = jsonschema_rs.canonicalize(inlined, validate_formats=True).to_json_schema()
            return jsonschema_rs.Draft202012Validator(schema, validate_formats=True)
        return jsonschema_rs.Draft202012Validator(schema, registry=registry, validate_formats=True, formats=formats)
    return compiled


def _plans() -> dict[str, Callable[[Any], bool]]:
    """The plans, compiled on first use. Compiled into locals under a lock and published whole
    (every validator before any plan): a thread arriving mid-compilation waits, instead of
    seeing the plans half filled (a KeyError in ``problems``, or a valid event of a type not
    compiled yet sent down the slow path)."""
    if not _PLANS:
        with _PLANS_LOCK:
            if not _PLANS:
                # the validators that word problems check date-times as the reference does:
                # jsonschema-rs's own date-time format takes any of ``*+,-./`` for a digit
                # (``2+16-12-31T23:59:60Z``); the pattern beside it refuses those, so verdicts
                # (the slim plans) agree, but the problem would be the pattern's, not the format's
                full = _compiler(list(_catalog._documents().values()), formats=_WORDED_FORMATS)
                slim = _compiler(verdict_documents(), flat=True)
                validators = {None: full(_catalog.BASE_URI + _catalog.COMMON_FILE + "#/$defs/access_method_event")}
                plans = {}
                for event_type in _catalog.event_types():
                    validators[event_type] = full(_catalog.schema_id(event_type))
                    plans[event_type] = slim(_catalog.schema_id(event_type)).is_valid
                _VALIDATORS.update(validators)
                _PLANS.update(plans)
    return _PLANS


def problems(event_type: str | None, instance: dict[str, Any], limit: int | None = None) -> list[Problem]:
    """Every problem of ``instance``, found by jsonschema-rs and worded as the reference path words them
    (the first ``limit`` of them worded: ``_validate.problems_from``)."""
    _plans()
    failures = []
    for error in _VALIDATORS[event_type].iter_errors(instance):
        path = tuple(error.instance_path)
        failures.append((path, error.kind.name, _expected(error.kind), _at(instance, path), error.message))
    return problems_from(failures, limit)


def _at(instance: Any, path: tuple[Any, ...]) -> Any:
    """The caller's own value at ``path``: jsonschema-rs hands back a copy, with object keys reordered."""
    for part in path:
        instance = instance[part]
    return instance


def _expected(kind: Any) -> Any:
    """The schema value of the failed keyword, in the shape jsonschema's ``validator_value`` has."""
    details = kind.as_dict()
    if kind.name == "required":
        return [details["property"]]
    if kind.name == "type":
        types = details["types"]
        return types[0] if len(types) == 1 else types
    for name in ("format", "pattern", "expected_value"):
        if name in details:
            return details[name]
    return details


def _text_ok(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate: no JSON text decodes to it
        return False
    return True


def json_native(value: Any) -> bool:
    """True when ``value`` holds only what a JSON decoder gives: exactly ``dict`` with ``str``
    keys, ``list``, ``str`` (encodable), ``int`` within 64 bits, finite ``float``, ``bool``, None.

    jsonschema-rs reads those exactly as the reference does; other Python values (tuples, str
    subclasses, UUID objects, sets…) it either reads as JSON (a tuple as an array) or refuses
    with its own exception, where the reference (``jsonschema``) has its own answer. Only a
    caller's already-decoded mapping needs the walk; it keeps its own stack, so nesting of
    any depth costs no recursion.
    """
    stack = [value]
    while stack:
        item = stack.pop()
        kind = type(item)
        if kind is str:
            if not (item.isascii() or _text_ok(item)):
                return False
        elif kind is dict:
            for key in item:
                if type(key) is not str or not (key.isascii() or _text_ok(key)):
                    return False
            stack.extend(item.values())
        elif kind is list:
            stack.extend(item)
        elif kind is int:
            if not -(2**63) <= item < 2**64:
                return False
        elif kind is float:
            if not math.isfinite(item):
                return False
        elif kind is not bool and item is not None:
            return False
    return True


def is_valid(event_type: str, instance: dict[str, Any]) -> bool:
    """True when ``instance`` is a valid event of ``event_type`` (False also for unknown types)."""
    check = _plans().get(event_type)
    return check is not None and check(instance)


def build(event_type: str, instance: dict[str, Any]) -> Any:
    """The dataclass of a validated event.

    The event's Struct plan converts the common case (msgspec's ``convert`` straight into the
    dataclass is not used: it leaves absent optional members out of ``__dict__`` and keeps the
    payload's key order, so ``vars(event)`` would differ from the raw routes'); the generated
    converter takes what msgspec refuses on purpose (a leap second, a date-time that rounds
    past year 9999) and gives the documented result.
    """
    plan = _STRUCT_FROM_DICT.get(event_type)
    if plan is not None:
        try:
            event = plan(instance)
        except (_ConvertError, UnicodeError):  # UnicodeError: a caller's mapping with a lone surrogate in a key
            event = None
        if event is not None:
            return event
    return FROM_DICT[event_type](instance)


def _admissible(data: Any, max_bytes: int) -> bool:
    """Raw ``data`` (bytes or str) within the size limit; ``decode`` words the refusals."""
    if type(data) is bytes:
        return len(data) <= max_bytes
    return type(data) is str and len(data) * 4 <= max_bytes  # 4 bytes a character at most


def _valid_instance(data: bytes | str) -> dict[str, Any] | None:
    """Tier 2: the decoded payload when admissible raw ``data`` is plainly a valid event, else None.

    A byte order mark needs no test here: orjson refuses it, and ``decode`` words the refusal.
    """
    try:
        instance = _loads(data)
    except _DecodeError:
        return None
    if type(instance) is not dict:
        return None
    event_type = instance.get("event_type")
    if type(event_type) is not str:  # also keeps unhashable values ([] or {}) away from the lookup
        return None
    check = (_PLANS or _plans()).get(event_type)
    return instance if check is not None and check(instance) else None


def declared(data: bytes | str) -> Any | None:
    """Tier 1, msgspec's route for payloads with only declared members: the event when
    ``Members`` takes ``data``, else None (a BOM is malformed JSON to msgspec, as to orjson;
    the size limit is the caller's)."""
    try:
        struct = _decode_struct(data)
        return _STRUCT_PARSERS[struct.event_type](struct, data)
    except _OnePassError:
        return None


def decoded(data: bytes | str) -> Any | None:
    """Tier 1, msgspec's route for any payload: the event when simdjson and ``MembersOpen``
    take ``data``, else None."""
    try:
        _check_json(data)
        struct = _decode_open(data)
        return _STRUCT_PARSERS[struct.event_type](struct, data)
    except _OnePassError:
        return None


def loaded(data: bytes | str) -> Any | None:
    """Tier 1, orjson's route: the event when orjson decodes ``data`` and its dict converts
    into the event's Struct (undeclared members ignored), else None."""
    try:
        instance = _loads(data)
    except _DecodeError:
        return None
    plan = _STRUCT_FROM_DICT.get(instance.get("event_type")) if type(instance) is dict and type(instance.get("event_type")) is str else None
    try:
        return None if plan is None else plan(instance)
    except _ConvertError:
        return None


def parse_raw(data: Any, max_bytes: int) -> Any | None:
    """The event of raw ``data`` (bytes or str) when it is plainly valid; None sends the
    caller to the full path (also for any other type)."""
    global _declared_streak
    # the size gate and tier 1 inlined (a call is a tenth of tier 1's time); Members' event_type is
    # a Literal of PARSERS' keys, so the parser is found by indexing
    if type(data) is bytes:
        if len(data) > max_bytes:
            return None
    elif type(data) is not str or len(data) * 4 > max_bytes:
        return None
    if _decode_struct is not None:
        if _declared_streak >= SWITCH_BACK:
            try:
                struct = _decode_struct(data)
                event = _STRUCT_PARSERS[struct.event_type](struct, data)
            except _OnePassError:
                event = None
            if event is not None:
                return event
        try:
            document = _check_json(data)
            carried = len(document) if type(document) is _Object else 0  # its members (else Members refuses it)
            document = None  # the parser is free for the next call (another thread's) again
            struct = _decode_open(data)
            event = _STRUCT_PARSERS[struct.event_type](struct, data)
        except _OnePassError:
            document = event = None
        if event is not None:
            # only declared members, each once? (more than Members has: surely not; else its count
            # without the absent ones)
            _declared_streak = 0 if carried > _MEMBER_COUNT or carried != _MEMBER_COUNT - _absent(struct) else _declared_streak + 1
            return event
    try:
        instance = _loads(data)
    except _DecodeError:
        return None
    if type(instance) is not dict:
        return None
    event_type = instance.get("event_type")
    if type(event_type) is not str:  # also keeps unhashable values ([] or {}) away from the lookups
        return None
    from_dict = _STRUCT_FROM_DICT.get(event_type)
    if from_dict is not None:
        try:
            event = from_dict(instance)
        except _ConvertError:
            event = None
        if event is not None:
            _declared_streak = 0  # neither msgspec route took it: most likely undeclared members simdjson refuses (an integer beyond 64 bits)
            return event
    check = (_PLANS or _plans()).get(event_type)  # tier 2, on the same dict
    if check is None or not check(instance):
        return None
    # build() would try the Struct plan again: it has just refused this dict, so the generated converter
    return FROM_DICT[event_type](instance) if from_dict is not None else build(event_type, instance)


def valid_raw(data: bytes | str, max_bytes: int) -> bool:
    """True when raw ``data`` is plainly a valid event: tier 2 alone, as fast as tier 1 without
    building the object, and it takes undeclared members."""
    return _admissible(data, max_bytes) and _valid_instance(data) is not None


def sift(lines: list[bytes], max_bytes: int) -> list[int]:
    """Indices of the lines that are not plainly valid events (blank ones included).

    ``_valid_instance`` unrolled into one loop: over millions of lines the two calls a
    line it saves are a fifth of the time.
    """
    plans = _PLANS or _plans()
    loads, decode_error = _loads, _DecodeError
    rest = []
    for index, line in enumerate(lines):
        if len(line) <= max_bytes:
            try:
                instance = loads(line)
            except decode_error:
                rest.append(index)
                continue
            if type(instance) is dict:
                event_type = instance.get("event_type")
                if type(event_type) is str:
                    check = plans.get(event_type)
                    if check is not None and check(instance):
                        continue
        rest.append(index)
    return rest
