"""Where the schemas live and how they are loaded: the one place that knows the layout.

The schemas ship inside the wheel as ``access_events/schemas``; in a source checkout
(editable install, tests) they are read from the repository's top-level ``schemas/``,
which is the single source of truth. Nothing here touches the network: the registry
only holds the files of the catalog, and a ``$ref`` to anything else is unresolvable.
"""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path
from types import MappingProxyType
from typing import Any, Mapping

import referencing
from referencing.jsonschema import DRAFT202012

#: The base URI of every schema's ``$id``: set here, checked by ``access-events lint``.
BASE_URI = "https://access-events.example/schemas/"
#: The file holding the definitions shared by every event.
COMMON_FILE = "common.schema.json"
#: The file holding the union of all events.
UNION_FILE = "access_method_event.schema.json"
#: Suffix of every schema file.
SCHEMA_SUFFIX = ".schema.json"
#: The annotation holding an event schema's semantic version: lint requires it, the
#: contract gate's major-bump rule reads it, the catalog page shows it.
VERSION_KEYWORD = "x-version"
#: ``MAJOR.MINOR.PATCH``, numbers without leading zeros (SemVer 2.0.0 §2); no pre-release or
#: build suffix, because the gate compares versions by their numbers.
SEMVER = re.compile(r"(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)")


def schema_dir() -> Path:
    """The folder holding the catalog's JSON Schema files."""
    packaged = Path(__file__).with_name("schemas")
    if packaged.is_dir():
        return packaged
    source = Path(__file__).resolve().parents[2] / "schemas"
    if source.is_dir():
        return source
    raise FileNotFoundError(f"the access_events schemas are missing: neither {packaged} nor {source} exists")


def event_file(event_type: str) -> str:
    """File name of an event's schema (``access_method.issued.schema.json``)."""
    return event_type + SCHEMA_SUFFIX


@functools.lru_cache(maxsize=None)
def _documents() -> Mapping[str, Mapping[str, Any]]:
    """Every schema document of the catalog, by file name, loaded once."""
    folder = schema_dir()
    docs = {}
    for path in sorted(folder.glob("*" + SCHEMA_SUFFIX)):
        with path.open("rb") as fh:
            docs[path.name] = json.load(fh)
    return MappingProxyType(docs)


def _union() -> Mapping[str, Any]:
    return _documents()[UNION_FILE]


@functools.lru_cache(maxsize=None)
def event_types() -> tuple[str, ...]:
    """The catalog's event types in the union's order (the order they were introduced)."""
    docs = _documents()
    types = []
    for branch in _union()["oneOf"]:
        doc = docs[branch["$ref"]]
        types.append(doc["properties"]["event_type"]["const"])
    return tuple(types)


def schema(event_type: str) -> dict[str, Any]:
    """A fresh copy of one event's JSON Schema document (or the union, for ``"*"``)."""
    name = UNION_FILE if event_type == "*" else event_file(event_type)
    try:
        doc = _documents()[name]
    except KeyError:
        raise KeyError(f"no schema for event type {event_type!r}; known: {', '.join(event_types())}") from None
    return json.loads(json.dumps(doc))


@functools.lru_cache(maxsize=None)
def registry() -> referencing.Registry:
    """A ``referencing.Registry`` holding every schema of the catalog under its ``$id``.

    It has no ``retrieve`` function, so a reference outside the catalog fails instead of
    being fetched.
    """
    resources = [
        (doc["$id"], DRAFT202012.create_resource(doc)) for doc in _documents().values()
    ]
    return referencing.Registry().with_resources(resources).crawl()


def schema_id(event_type: str) -> str:
    return BASE_URI + (UNION_FILE if event_type == "*" else event_file(event_type))
