"""Decoded payload → list of problems, by the event's own JSON Schema (jsonschema, draft 2020-12)."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterable, Iterator
from typing import Any, Protocol
from urllib.parse import urljoin

from jsonschema import Draft202012Validator

from . import _catalog
from ._formats import FORMAT_CHECKER
from ._locate import pointer_from_path, pointer_tokens
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


class Problems(list):
    """Problems, sorted; ``total``: how many there were before the list was cut to a limit."""

    total = 0


def problems_from(failures: Iterable[Failure], limit: int | None = None) -> Problems:
    """Problems from failures, sorted by location then keyword, each (location, keyword) once.

    Both validators feed this, so the two report the same problems in the same words
    (``contract_tests/test_differential.py`` compares them). With ``limit``, only the first
    ``limit`` of that sorted list are worded (pointer and message are most of a problem's
    cost); ``total`` counts them all.
    """
    found: dict[tuple[Any, ...], Failure] = {}
    for failure in failures:
        path, keyword, expected, value, _ = failure
        if keyword == "required" and isinstance(value, dict):
            # point at the missing property itself: that is what a reader must add
            for name in expected:
                if name not in value:
                    found[_sort_key(path + (name,), "required")] = (path + (name,), "required", name, None, "")
            continue
        found.setdefault(_sort_key(path, keyword), failure)
    # The uuid definition restates its format as a pattern for validators that do not assert
    # formats; where both fail on one value, the format's message says it once, better.
    formats = {location for location, keyword in found if keyword == "format"}
    keys = sorted(key for key in found if not (key[1] == "pattern" and key[0] in formats))
    problems = Problems(_problem(*found[key]) for key in (keys if limit is None else keys[:limit]))
    problems.total = len(keys)
    return problems


def _problem(path: tuple[Any, ...], keyword: str, expected: Any, value: Any, fallback: str) -> Problem:
    if keyword == "required":
        return Problem(pointer_from_path(path), "required", f"required property {expected!r} is missing")
    return Problem(pointer_from_path(path), keyword, _message(keyword, expected, value, fallback))


def _sort_key(problem_path: tuple[Any, ...], keyword: str) -> tuple[Any, ...]:
    return tuple((isinstance(p, str), p) for p in problem_path), keyword


class ProblemsOf(Protocol):
    """``reference_problems`` or ``_fast.problems``: the problems of ``instance`` against the
    schema of ``event_type`` (``None``: the fields every event carries), the first ``limit`` worded."""

    def __call__(self, event_type: str | None, instance: dict[str, Any], limit: int | None = None, /) -> Problems: ...


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


def reference_problems(event_type: str | None, instance: dict[str, Any], limit: int | None = None) -> Problems:
    """Problems by the ``jsonschema`` library: the event's schema, or the common fields for ``None``
    (the first ``limit`` of them worded, see ``problems_from``)."""
    validator = base_validator() if event_type is None else event_validator(event_type)
    return problems_from(reference_failures(validator, instance), limit)


#: Containers nested deeper than this are cut to empty ones by ``_cut``.
_CUT_DEPTH = 100


def _cut(value: Any, depth: int = 0) -> Any:
    """``value`` with every container nested deeper than ``_CUT_DEPTH`` emptied (it keeps its type)."""
    if isinstance(value, dict):
        return {} if depth >= _CUT_DEPTH else {k: _cut(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        return [] if depth >= _CUT_DEPTH else [_cut(v, depth + 1) for v in value]
    return value


def check(instance: Any, problems_of: ProblemsOf = reference_problems, *, max_problems: int | None = None) -> str:
    """Validate a decoded payload; return its event type, or raise InvalidEvent / UnknownEventType.

    ``problems_of(event_type, instance, limit)`` lists the problems against the event's schema
    (or, for ``None``, the fields every event carries, when ``event_type`` is missing or not a
    string): the reference ``jsonschema`` by default, jsonschema-rs on the fast path.
    ``max_problems``: the InvalidEvent lists at most this many (the first ones of the full
    sorted list) and says how many more it found (``first_problems``).
    """
    if not isinstance(instance, dict):
        raise InvalidEvent([Problem("", "type", f"expected a JSON object, got {json_type(instance)}")])
    event_type = instance.get("event_type")
    if isinstance(event_type, str) and event_type not in _catalog.event_types():
        raise UnknownEventType(event_type, _catalog.event_types())
    schema_type = event_type if isinstance(event_type, str) else None
    if max_problems is None:
        problems, more, counted = _problems(problems_of, schema_type, instance, None), 0, True
    else:
        problems, more, counted = first_problems(problems_of, schema_type, instance, max_problems)
    if problems:
        raise InvalidEvent(problems, event_type if isinstance(event_type, str) else None, more_problems=more, all_counted=counted)
    return event_type


def _problems(problems_of: ProblemsOf, schema_type: str | None, instance: dict[str, Any], limit: int | None) -> Problems:
    try:
        return problems_of(schema_type, instance, limit)
    except (RecursionError, ValueError):
        # A failing value nested a few hundred deep: jsonschema-rs gives up ("Recursion limit
        # reached") and jsonschema's message (its repr) overflows the stack. No keyword of the
        # catalog looks more than three levels down, and no message shows more than 81
        # characters of a value, so the value cut far below both has the same problems.
        return problems_of(schema_type, _cut(instance), limit)


#: Arrays are cut to at least this many items: a cut array then renders in more than the
#: 81 characters a message shows of a value, so every message reads as on the whole array.
_MIN_KEEP = 64


def first_problems(problems_of: ProblemsOf, schema_type: str | None, instance: dict[str, Any],
                   limit: int) -> tuple[list[Problem], int, bool]:
    """The first ``limit`` problems of the full sorted list, how many more were found, and
    whether that count is all of them (else the payload has at least that many more).

    Problems multiply with array items (60,000 invalid items: 60,000 problems, seconds of CPU),
    and jsonschema-rs builds every error before handing over the first, so stopping its
    iteration early saves nothing. Instead, every array longer than ``keep`` items is cut to
    its first ``keep`` (``_truncated``) and the cut copy is validated. While every keyword the
    validators reach judges one value at a time (``cut_is_exact``: no ``maxItems``,
    ``contains``, ``uniqueItems``, ``anyOf``...), the copy's problems are exactly the
    payload's problems outside the cut-off items; those cut off sort after the items kept
    before them. So when the copy's problem number ``limit + 1`` sorts before every cut, its
    first ``limit + 1`` problems are the payload's first ``limit + 1``: the list is exact and
    there are more. Otherwise ``keep`` doubles (a long valid prefix) until nothing is cut.
    """
    keep = max(limit + 1, _MIN_KEEP) if cut_is_exact() else None
    while True:
        cuts: list[tuple[Any, ...]] = []
        view = instance if keep is None else _truncated(instance, keep, cuts)
        found = _problems(problems_of, schema_type, view, limit + 1)
        if not cuts:
            return found[:limit], found.total - len(found[:limit]), True
        if len(found) > limit:
            last = _sort_key(_typed_path(view, found[limit].pointer), "")[0]
            if all(last < _sort_key(cut, "")[0] for cut in cuts):
                return found[:limit], found.total - limit, False
        keep *= 2


def _truncated(value: Any, keep: int, cuts: list[tuple[Any, ...]], path: tuple[Any, ...] = (), depth: int = 0) -> Any:
    """``value`` with every array longer than ``keep`` cut to its first ``keep`` items (the path
    just past each cut appended to ``cuts``); containers are copied only where something was
    cut. Below ``_CUT_DEPTH`` values stay whole (exact, only not cheaper; ``_cut`` takes over)."""
    if depth >= _CUT_DEPTH:
        return value
    if isinstance(value, list):
        if len(value) > keep:
            cuts.append(path + (keep,))
            value = value[:keep]
        items = [_truncated(item, keep, cuts, path + (index,), depth + 1) if isinstance(item, (list, dict)) else item
                 for index, item in enumerate(value)]
        return value if all(a is b for a, b in zip(items, value)) else items
    if isinstance(value, dict):
        changed = False
        members = {}
        for key, item in value.items():
            members[key] = new = _truncated(item, keep, cuts, path + (key,), depth + 1) if isinstance(item, (list, dict)) else item
            changed = changed or new is not item
        return members if changed else value
    return value


def _typed_path(instance: Any, pointer: str) -> tuple[Any, ...]:
    """The path of ``pointer`` in ``instance``, array indexes as ``int`` (as the validators give
    them); past the end of the instance (a missing property) the tokens are names."""
    path: list[Any] = []
    for token in pointer_tokens(pointer):
        if isinstance(instance, list):
            path.append(int(token))
            instance = instance[int(token)]
        else:
            path.append(token)
            instance = instance.get(token) if isinstance(instance, dict) else None
    return tuple(path)


#: Keywords that judge one value (a member, an item) by itself, so cutting an array's tail
#: changes no problem outside that tail: annotations, the applicators that descend member by
#: member or item by item, and assertions on one value whose messages show at most the first
#: 81 characters of it (``_MIN_KEEP``) or a string or a number (``minLength``...): not
#: ``maxProperties``, whose message shows the whole object. ``const``/``enum`` are added when
#: their values hold no array (an array constant could equal a cut copy).
_CUT_SAFE = frozenset({
    "$schema", "$id", "$anchor", "$defs", "$comment", "$ref", "title", "description", "examples", "default",
    "deprecated", "readOnly", "writeOnly", "discriminator", "properties", "items", "allOf", "additionalProperties",
    "patternProperties", "required", "type", "format", "pattern", "minLength", "maxLength", "minimum", "maximum",
    "exclusiveMinimum", "exclusiveMaximum", "multipleOf",
})


@functools.lru_cache(maxsize=1)
def cut_is_exact() -> bool:
    """True when every keyword the event validators reach (the event schemas, the fields every
    event carries, and what they ``$ref``) is in ``_CUT_SAFE``: then ``first_problems`` cuts
    arrays. The union's ``oneOf`` is not reached (each event is checked by its own schema)."""
    documents = {doc["$id"]: doc for doc in _catalog._documents().values()}
    todo = [_catalog.schema_id(t) for t in _catalog.event_types()] + [_catalog.BASE_URI + _catalog.COMMON_FILE]
    seen: set[str] = set()
    while todo:
        uri = todo.pop()
        if uri in seen:
            continue
        seen.add(uri)
        schemas = [documents[uri]]
        while schemas:
            schema = schemas.pop()
            if not isinstance(schema, dict):
                continue
            for keyword, value in schema.items():
                if keyword in ("const", "enum"):
                    if _holds_array(value):
                        return False
                elif keyword.startswith("x-"):
                    continue
                elif keyword not in _CUT_SAFE:
                    return False
                elif keyword in ("properties", "$defs", "patternProperties"):
                    schemas.extend(value.values())
                elif keyword == "allOf":
                    schemas.extend(value)
                elif keyword in ("items", "additionalProperties"):
                    schemas.append(value)
                elif keyword == "$ref":
                    target = urljoin(documents[uri].get("$id", uri), value).split("#")[0]
                    if target not in documents:
                        return False
                    todo.append(target)
    return True


def _holds_array(value: Any) -> bool:
    if isinstance(value, list):
        return True
    return isinstance(value, dict) and any(_holds_array(v) for v in value.values())
