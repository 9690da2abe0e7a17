"""Translate schemas written in other dialects into draft 2020-12 before they are compared.

The engine speaks draft 2020-12. Producers publish in others: OpenAPI 3.0 Schema Objects
(``nullable``, boolean ``exclusiveMinimum``/``exclusiveMaximum``, ``example``, no
``$schema``) and drafts 04/06/07 (``items`` as an array, ``additionalItems``,
``dependencies``, ``definitions``, ``id``). Each is rewritten here into the 2020-12 schema
that accepts exactly the same instances, so the comparison (and the witnesses, checked by
2020-12 validators) stays about meaning:

=====================================  =============================================
in the dialect                         in 2020-12
=====================================  =============================================
``items: [A, B]`` (04/06/07)           ``prefixItems: [A, B]``
``additionalItems: S`` beside it       ``items: S`` (ignored without array ``items``)
``dependencies: {p: [q]}``             ``dependentRequired: {p: [q]}``
``dependencies: {p: S}``               ``dependentSchemas: {p: S}``
``definitions`` / ``#/definitions/``   kept (pointer lookups still resolve)
``id`` (04), ``$id`` with a fragment   ``$id`` (a plain-name fragment becomes ``$anchor``)
``$ref`` beside other keywords (≤07,   the siblings dropped (those drafts and OpenAPI
OpenAPI 3.0)                           3.0 ignore them), annotations kept
``exclusiveMinimum: true`` + minimum   ``exclusiveMinimum: <minimum>`` (04, OpenAPI 3.0)
``nullable: true`` beside ``type``     ``"null"`` added to ``type``
``example: v`` (OpenAPI 3.0)           ``examples: [v]``
``x-*``, ``discriminator``,            annotations, left as they are
``readOnly``, ``writeOnly``
=====================================  =============================================

OpenAPI 3.1 schemas are 2020-12 already. ``nullable`` follows OpenAPI 3.0.3: it only
takes effect beside an explicit ``type``; beside an ``enum`` that does not list ``null``
it is still refused by that ``enum``, as the 3.0.3 clarification says.
"""

from __future__ import annotations

import copy
from typing import Any

DRAFT_2020_12 = "https://json-schema.org/draft/2020-12/schema"

#: Dialect names accepted by ``--dialect`` and the ``dialect=`` arguments.
DIALECTS: tuple[str, ...] = ("2020-12", "2019-09", "draft-07", "draft-06", "draft-04", "openapi-3.0", "openapi-3.1")

_BY_URI = {
    "json-schema.org/draft/2020-12/schema": "2020-12",
    "json-schema.org/draft/2019-09/schema": "2019-09",
    "json-schema.org/draft-07/schema": "draft-07",
    "json-schema.org/draft-06/schema": "draft-06",
    "json-schema.org/draft-04/schema": "draft-04",
    "spec.openapis.org/oas/3.1/dialect/base": "openapi-3.1",
}

#: Keywords whose value is one subschema.
_ONE = ("additionalProperties", "propertyNames", "not", "if", "then", "else", "contains",
        "unevaluatedItems", "unevaluatedProperties", "additionalItems", "items", "contentSchema")
#: Keywords whose value maps names to subschemas.
_MANY = ("properties", "patternProperties", "$defs", "definitions", "dependentSchemas")
#: Keywords whose value is a list of subschemas.
_LIST = ("allOf", "anyOf", "oneOf", "prefixItems")
#: Kept beside a ``$ref`` whose siblings the dialect ignores (they constrain nothing).
_KEPT_BESIDE_REF = frozenset({"$ref", "$id", "id", "$schema", "$anchor", "$comment", "title", "description",
                              "examples", "example", "default", "deprecated", "readOnly", "writeOnly",
                              "definitions", "$defs"})


class DialectError(ValueError):
    """A ``$schema`` or ``--dialect`` that names no dialect the engine knows."""


def dialect_of(document: Any, default: str = "2020-12") -> str:
    """The dialect a document declares with ``$schema`` (``default`` without one)."""
    if not isinstance(document, dict) or "$schema" not in document:
        return default
    uri = document["$schema"]
    if not isinstance(uri, str):
        raise DialectError(f"$schema must be a URI string, not {uri!r}")
    key = uri.split("://", 1)[-1].split("#", 1)[0].rstrip("/")
    if key in _BY_URI:
        return _BY_URI[key]
    raise DialectError(f"$schema {uri!r} names a dialect this engine does not know "
                       f"(known: {', '.join(DIALECTS)}; --dialect overrides it)")


def check_dialect(name: str) -> str:
    if name not in DIALECTS:
        raise DialectError(f"unknown dialect {name!r}; expected one of {', '.join(DIALECTS)}")
    return name


def translate(document: Any, dialect: str | None = None) -> Any:
    """``document`` as a draft 2020-12 schema. ``dialect=None`` reads its ``$schema``
    (2020-12 when absent). A 2020-12 or OpenAPI 3.1 document is returned unchanged."""
    name = check_dialect(dialect) if dialect is not None else dialect_of(document)
    if name in ("2020-12", "openapi-3.1"):
        return document
    result = _schema(copy.deepcopy(document), name)
    if isinstance(result, dict) and "$schema" in result:
        result["$schema"] = DRAFT_2020_12
    return result


def _schema(node: Any, dialect: str) -> Any:
    if not isinstance(node, dict):
        return node  # booleans (06+) and anything malformed, which the 2020-12 side then reports
    old_draft = dialect in ("draft-04", "draft-06", "draft-07", "openapi-3.0")
    if old_draft and "$ref" in node:
        node = {key: value for key, value in node.items() if key in _KEPT_BESIDE_REF or key.startswith("x-")}
    for key in _ONE:
        if key in node and not (key == "items" and isinstance(node[key], list)):
            node[key] = _schema(node[key], dialect)
    for key in _MANY:
        if isinstance(node.get(key), dict):
            node[key] = {name: _schema(value, dialect) for name, value in node[key].items()}
    for key in _LIST:
        if isinstance(node.get(key), list):
            node[key] = [_schema(value, dialect) for value in node[key]]
    if dialect == "2019-09":
        return _from_2019(node, dialect)
    # items as an array (tuple validation), with additionalItems for the rest
    if isinstance(node.get("items"), list):
        node["prefixItems"] = [_schema(value, dialect) for value in node.pop("items")]
        if "additionalItems" in node:
            node["items"] = node.pop("additionalItems")
    else:
        node.pop("additionalItems", None)  # without array items, additionalItems has no effect
    dependencies = node.pop("dependencies", None)
    if isinstance(dependencies, dict):
        for name, value in dependencies.items():
            if isinstance(value, list):
                node.setdefault("dependentRequired", {})[name] = value
            else:
                node.setdefault("dependentSchemas", {})[name] = _schema(value, dialect)
    if dialect == "draft-04" and isinstance(node.get("id"), str):
        node["$id"] = node.pop("id")
    if isinstance(node.get("$id"), str) and "#" in node["$id"]:
        base, fragment = node["$id"].split("#", 1)
        if fragment and not fragment.startswith("/"):
            node["$anchor"] = fragment
        if base:
            node["$id"] = base
        else:
            del node["$id"]
    if dialect in ("draft-04", "openapi-3.0"):
        for bound, exclusive in (("minimum", "exclusiveMinimum"), ("maximum", "exclusiveMaximum")):
            flag = node.get(exclusive)
            if isinstance(flag, bool):
                del node[exclusive]
                if flag and bound in node:
                    node[exclusive] = node.pop(bound)
    if dialect == "openapi-3.0":
        node.pop("$schema", None)
        if "example" in node:
            node.setdefault("examples", [node["example"]])
            del node["example"]
        if node.pop("nullable", False) is True and "type" in node:
            types = node["type"] if isinstance(node["type"], list) else [node["type"]]
            if "null" not in types:
                node["type"] = [*types, "null"]
    return node


def _from_2019(node: dict, dialect: str) -> dict:
    """2019-09 differs from 2020-12 in array keywords only (and ``$recursiveRef``, left alone:
    the engine reports what it cannot decide)."""
    if isinstance(node.get("items"), list):
        node["prefixItems"] = [_schema(value, dialect) for value in node.pop("items")]
        if "additionalItems" in node:
            node["items"] = node.pop("additionalItems")
    else:
        node.pop("additionalItems", None)
    return node
