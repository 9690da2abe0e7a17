"""The producer's published document, read for ``access-events drift``: its event schemas, found
by their ``event_type``, translated into draft 2020-12 and laid out as a catalog the engine compares.

A document is OpenAPI 3.0.x, OpenAPI 3.1.x or AsyncAPI 3.0, in JSON or YAML. Event schemas
are the schemas whose ``properties.event_type`` is a ``const`` or an ``enum`` of one string
(also through ``$ref`` and ``allOf`` parts), looked for

* in OpenAPI 3.1 ``webhooks`` (each operation's request body schemas),
* everywhere under ``components.schemas``, also as the branches of a ``oneOf``/``anyOf``
  there (how ``@seamapi/types`` publishes them: ``components.schemas.event.oneOf``),
* in AsyncAPI message payloads (``components.messages`` and each channel's ``messages``).

Local ``$ref``s (``#/...``) are followed. The schemas are read in the document's dialect
(OpenAPI 3.0 Schema Objects, 3.1's 2020-12, AsyncAPI's draft-07 superset; ``dialect``
overrides it) and translated by :mod:`access_events.compat._dialect`.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from typing import Any, Iterator

from .compat import _dialect

#: The name the producer's document has in the engine's catalog (and in reports).
SPEC_NAME = "producer.openapi.json"
_BASE = "https://producer.invalid/"
_NOT_SCHEMAS = frozenset({"paths", "info", "servers", "tags", "security", "externalDocs", "operations",
                          "defaultContentType"})
_HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
_SCHEMA_LISTS = ("oneOf", "anyOf")


class SpecError(ValueError):
    """The producer's document cannot be read or is not one this command understands."""


@dataclass(frozen=True)
class Spec:
    display: str  # the file as the user named it ("-": stdin)
    text: str
    document: dict
    kind: str  # "openapi-3.0", "openapi-3.1", "asyncapi-3.0"
    dialect: str
    #: ``--dialect`` given: every schema is read in it (else an AsyncAPI payload's ``schemaFormat`` decides)
    overridden: bool = False


def parse_spec(text: str, display: str, *, dialect: str | None = None) -> Spec:
    """Parse a producer document (JSON, else YAML) and say which kind it is."""
    try:
        document = json.loads(text)
    except RecursionError:
        raise SpecError(f"{display}: nested too deeply to read (JSON arrays/objects more than ~1000 levels deep)") \
            from None
    except ValueError as json_error:
        import yaml

        try:
            document = yaml.safe_load(text)
        except yaml.YAMLError as error:
            mark = getattr(error, "problem_mark", None)
            where = f"{display}:{mark.line + 1}" if mark is not None else display
            raise SpecError(f"{where}: neither JSON ({json_error}) nor YAML: "
                            f"{getattr(error, 'problem', None) or error}") from None
        except (ValueError, TypeError, RecursionError) as error:
            raise SpecError(f"{display}: not a valid YAML document: {error}") from None
    if not isinstance(document, dict):
        raise SpecError(f"{display}: expected an OpenAPI or AsyncAPI document (a mapping), "
                        f"got {type(document).__name__}")
    openapi, asyncapi = document.get("openapi"), document.get("asyncapi")
    if isinstance(openapi, str) and openapi.startswith("3.0"):
        kind, default = "openapi-3.0", "openapi-3.0"
    elif isinstance(openapi, str) and openapi.startswith("3.1"):
        kind, default = "openapi-3.1", "2020-12"
        declared = document.get("jsonSchemaDialect")
        if isinstance(declared, str):
            try:
                default = _dialect.dialect_of({"$schema": declared})
            except _dialect.DialectError as error:
                raise SpecError(f"{display}: /jsonSchemaDialect: {error}") from None
    elif isinstance(asyncapi, str) and asyncapi.startswith("3."):
        kind, default = "asyncapi-3.0", "draft-07"  # the AsyncAPI Schema is a superset of draft-07
    else:
        raise SpecError(f"{display}: not OpenAPI 3.0/3.1 or AsyncAPI 3.0 "
                        f"(openapi: {openapi!r}, asyncapi: {asyncapi!r})")
    try:
        chosen = _dialect.check_dialect(dialect) if dialect is not None else default
    except _dialect.DialectError as error:
        raise SpecError(str(error)) from None
    return Spec(display, text, document, kind, chosen, overridden=dialect is not None)


def _schema_format_dialect(spec: Spec, schema_format: Any, pointer: str) -> str:
    """The dialect of an AsyncAPI multi-format payload (``{schemaFormat, schema}``)."""
    text = schema_format.replace(" ", "").lower() if isinstance(schema_format, str) else ""
    version = text.partition("version=")[2]
    if text.startswith("application/vnd.aai.asyncapi"):
        return "draft-07"  # the AsyncAPI Schema: a superset of draft-07
    if text.startswith(("application/vnd.oai.openapi", "application/vnd.oai.openapi+json",
                        "application/vnd.oai.openapi+yaml")) and version.startswith(("3.0", "3.1")):
        return "openapi-3.0" if version.startswith("3.0") else "2020-12"
    if text.startswith(("application/schema+json", "application/schema+yaml")):
        name = {"draft-04": "draft-04", "draft-06": "draft-06", "draft-07": "draft-07", "2019-09": "2019-09",
                "2020-12": "2020-12"}.get(version.removeprefix("draft/"))
        if name is not None:
            return name
    raise SpecError(f"{spec.display}: #{pointer}/schemaFormat: {schema_format!r} is not a JSON Schema format this "
                    "command reads (AsyncAPI schema, JSON Schema draft-04..2020-12, OpenAPI 3.0/3.1)")


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def _unescape(token: str) -> str:
    return token.replace("~1", "/").replace("~0", "~")


def _get(document: Any, pointer: str) -> Any:
    node = document
    for token in pointer[1:].split("/") if pointer else []:
        token = _unescape(token)
        if isinstance(node, list) and token.isdigit() and int(token) < len(node):
            node = node[int(token)]
        elif isinstance(node, dict) and token in node:
            node = node[token]
        else:
            return None
    return node


def _resolve(document: dict, pointer: str, node: Any) -> tuple[str, Any]:
    """Follow local ``$ref``s from ``node`` (at ``pointer``) to the schema they name."""
    seen = set()
    while isinstance(node, dict) and isinstance(node.get("$ref"), str) and node["$ref"].startswith("#"):
        target = node["$ref"][1:]
        if target in seen:
            break
        seen.add(target)
        pointer, node = target, _get(document, target)
    return pointer, node


def _event_type(document: dict, schema: Any, depth: int = 0) -> str | None:
    """The one ``event_type`` a schema fixes (``const`` or one-value ``enum``), else None."""
    if not isinstance(schema, dict) or depth > 8:
        return None
    _, schema = _resolve(document, "", schema)
    if not isinstance(schema, dict):
        return None
    properties = schema.get("properties")
    if isinstance(properties, dict) and "event_type" in properties:
        _, prop = _resolve(document, "", properties["event_type"])
        if isinstance(prop, dict):
            if isinstance(prop.get("const"), str):
                return prop["const"]
            values = prop.get("enum")
            if isinstance(values, list) and len(values) == 1 and isinstance(values[0], str):
                return values[0]
    for part in schema.get("allOf") or []:
        found = _event_type(document, part, depth + 1)
        if found is not None:
            return found
    return None


def _candidates(spec: Spec) -> Iterator[str]:
    """Pointers of the schemas that may be events, in document order."""
    document = spec.document

    def with_branches(pointer: str) -> Iterator[str]:
        yield pointer
        resolved, node = _resolve(document, pointer, _get(document, pointer))
        if isinstance(node, dict):
            for kind in _SCHEMA_LISTS:
                branches = node.get(kind)
                if isinstance(branches, list):
                    for i in range(len(branches)):
                        yield f"{resolved}/{kind}/{i}"

    webhooks = document.get("webhooks")
    if isinstance(webhooks, dict):
        for name, item in webhooks.items():
            _, item = _resolve(document, "", item)
            if not isinstance(item, dict):
                continue
            for method in _HTTP_METHODS:
                body = _get(item, f"/{method}/requestBody")
                body_pointer = f"/webhooks/{_escape(name)}/{method}/requestBody"
                if isinstance(body, dict) and "$ref" in body:
                    body_pointer, body = _resolve(document, body_pointer, body)
                content = body.get("content") if isinstance(body, dict) else None
                if isinstance(content, dict):
                    for media in content:
                        yield from with_branches(f"{body_pointer}/content/{_escape(media)}/schema")
    schemas = _get(document, "/components/schemas")
    if isinstance(schemas, dict):
        for name in schemas:
            yield from with_branches(f"/components/schemas/{_escape(name)}")
    if spec.kind == "asyncapi-3.0":
        messages = []
        for name in (_get(document, "/components/messages") or {}):
            messages.append(f"/components/messages/{_escape(name)}")
        for channel, body in (document.get("channels") or {}).items():
            for name in ((body or {}).get("messages") or {}) if isinstance(body, dict) else {}:
                messages.append(f"/channels/{_escape(channel)}/messages/{_escape(name)}")
        for pointer in messages:
            resolved, message = _resolve(document, pointer, _get(document, pointer))
            if isinstance(message, dict) and "payload" in message:
                payload = message["payload"]
                # AsyncAPI 3.0's multi-format schema object: {schemaFormat, schema}
                inner = "/payload/schema" if isinstance(payload, dict) and "schemaFormat" in payload else "/payload"
                if inner == "/payload/schema":
                    _schema_format_dialect(spec, payload["schemaFormat"], resolved + "/payload")  # refuses the unknown
                yield from with_branches(resolved + inner)


def find_events(spec: Spec) -> dict[str, str]:
    """``{event_type: JSON pointer of its schema}``; each schema counted once, wherever it is
    reached from. Two different schemas for one event type are an error."""
    document = spec.document
    found: dict[str, str] = {}
    for pointer in _candidates(spec):
        resolved, schema = _resolve(document, pointer, _get(document, pointer))
        event_type = _event_type(document, schema)
        if event_type is None:
            continue
        if event_type in found and found[event_type] != resolved:
            if _get(document, found[event_type]) != schema:
                raise SpecError(f"{spec.display}: event type {event_type} has two different schemas, "
                                f"at #{found[event_type]} and #{resolved}")
            continue
        found.setdefault(event_type, resolved)
    return dict(sorted(found.items()))


def _schema_locations(spec: Spec, events: dict[str, str]) -> list[str]:
    """Every place holding a schema the event schemas may reach (translated in place)."""
    places = list(events.values())
    schemas = _get(spec.document, "/components/schemas")
    if isinstance(schemas, dict):
        places += [f"/components/schemas/{_escape(name)}" for name in schemas]
    return places


def producer_catalog(spec: Spec, events: dict[str, str]) -> dict[str, Any]:
    """The engine's catalog for the producer's side: the document itself (its schemas translated
    into 2020-12 in place, ``$schema`` never added) and one ``{"$ref": ...}`` document per event,
    named ``<event_type>.schema.json`` so the engine matches it to the contract's event."""
    # Copy on write: only the containers along the translated schemas' paths are copied (the
    # producer's document is megabytes of paths and models the events never reach).
    # The document's operations, servers and metadata hold no event schema: left out, so the
    # engine does not walk megabytes of paths (a $ref into them would be unresolvable, which
    # the engine reports as undecidable: it fails closed).
    document = {key: value for key, value in spec.document.items() if key not in _NOT_SCHEMAS}
    copied: dict[str, Any] = {"": document}

    def writable(pointer: str) -> Any:
        if pointer in copied:
            return copied[pointer]
        parent_pointer, _, last = pointer.rpartition("/")
        parent = writable(parent_pointer)
        key: Any = int(last) if isinstance(parent, list) else _unescape(last)
        value = parent[key]
        value = list(value) if isinstance(value, list) else dict(value) if isinstance(value, dict) else value
        parent[key] = value
        copied[pointer] = value
        return value

    document.pop("$schema", None)
    # Absolute ids (never fetched) so each event document's $ref reaches the spec from any validator.
    document["$id"] = _BASE + SPEC_NAME
    done: list[str] = []
    for pointer in sorted(set(_schema_locations(spec, events)), key=lambda p: (p.count("/"), p)):
        if any(pointer.startswith(outer + "/") for outer in done):
            continue  # inside a schema already translated (an event branch of components.schemas.event)
        done.append(pointer)
        parent_pointer, _, last = pointer.rpartition("/")
        if not isinstance(_get(document, parent_pointer), (dict, list)) or _get(document, pointer) is None:
            continue
        parent = writable(parent_pointer)
        key: Any = int(last) if isinstance(parent, list) else _unescape(last)
        dialect = spec.dialect
        if not spec.overridden and spec.kind == "asyncapi-3.0" and pointer.endswith("/payload/schema"):
            payload = _get(document, pointer[: -len("/schema")])
            if isinstance(payload, dict) and "schemaFormat" in payload:
                dialect = _schema_format_dialect(spec, payload["schemaFormat"], pointer[: -len("/schema")])
        value = _dialect.translate(parent[key], dialect)
        parent[key] = copy.deepcopy(value) if value is parent[key] else value  # never share the caller's
    catalog: dict[str, Any] = {SPEC_NAME: document}
    for event_type, pointer in events.items():
        catalog[f"{event_type}.schema.json"] = {"$id": f"{_BASE}{event_type}.schema.json",
                                                "$ref": f"{SPEC_NAME}#{pointer}"}
    return catalog
