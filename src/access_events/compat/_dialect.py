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
``required`` of a ``readOnly`` or      dropped from ``required`` (OpenAPI 3.0: required
``writeOnly`` property (OpenAPI 3.0)   in one direction only; a payload read in both)
``patternProperties`` (OpenAPI 3.0)    ``{pattern: true}`` (no constraint, but its names
                                       are not additional, as openapi-schema-validator)
``xml``, ``externalDocs`` (OAS 3.0)    dropped (annotations)
keywords of later drafts (``const``    dropped: the dialect's validators ignore them
in draft-04 or OpenAPI 3.0,            (OpenAPI 3.0 also has no ``dependencies`` and no
``prefixItems``/``unevaluated*``/      ``additionalItems``)
``minContains`` in draft-07, ...)
an embedded ``$schema`` (drafts,       that subtree translated as its own dialect and
2020-12)                               its ``$schema`` made 2020-12
=====================================  =============================================

``contract_tests/test_dialect_differential.py`` holds the translation to this: random schemas
of each dialect, the dialect's own validator against 2020-12 on the translation.

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
#: Kept beside a ``$ref`` whose siblings the dialect ignores (they constrain nothing; an ``$id`` or
#: ``id`` beside a ``$ref`` is ignored too by those drafts: it would move the base the ``$ref`` resolves against).
_KEPT_BESIDE_REF = frozenset({"$ref", "$comment", "title", "description", "examples", "example", "default",
                              "deprecated", "readOnly", "writeOnly", "definitions", "$defs"})
#: Dialects the engine reads as they are (their embedded resources of other dialects are still translated).
_NATIVE = frozenset({"2020-12", "openapi-3.1"})
#: Keywords 2020-12 applies (or reads to resolve references) that a dialect does not have. Its validators
#: ignore them, so the translation drops them: kept, they would make the translated schema narrower than
#: what the dialect's validators accept (``const`` in an OpenAPI 3.0 schema constrains nothing).
_LATER_THAN_07 = frozenset({"prefixItems", "dependentRequired", "dependentSchemas", "unevaluatedItems",
                            "unevaluatedProperties", "minContains", "maxContains", "$dynamicRef", "$dynamicAnchor",
                            "$anchor"})
_LATER_THAN_04 = _LATER_THAN_07 | {"if", "then", "else", "const", "contains", "propertyNames", "$id"}
_FOREIGN: dict[str, frozenset[str]] = {
    "2020-12": frozenset(), "openapi-3.1": frozenset(),
    "2019-09": frozenset({"prefixItems", "$dynamicRef", "$dynamicAnchor"}),
    "draft-07": _LATER_THAN_07,
    "draft-06": _LATER_THAN_07 | {"if", "then", "else"},
    "draft-04": _LATER_THAN_04,
    # the Schema Object's subset of draft-04 (no dependencies, no additionalItems)
    "openapi-3.0": _LATER_THAN_04 | {"dependencies", "additionalItems"},
}


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
    if name in _NATIVE and not _embeds_schema(document):
        return document
    result = _schema(copy.deepcopy(document), name, root=True)
    if isinstance(result, dict) and "$schema" in result:
        result["$schema"] = DRAFT_2020_12
    return result


def _embeds_schema(document: Any) -> bool:
    """Whether a ``$schema`` appears anywhere below the top (an embedded resource that may be of
    another dialect: referencing would read it in that dialect). Over-approximated (any mapping);
    iterative, as documents may be nested deeper than Python's recursion limit."""
    stack = list(document.values()) if isinstance(document, dict) else list(document) \
        if isinstance(document, list) else []
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if "$schema" in node:
                return True
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return False


def _schema(node: Any, dialect: str, root: bool = False) -> Any:
    if not isinstance(node, dict):
        return node  # booleans (06+) and anything malformed, which the 2020-12 side then reports
    if not root and dialect != "openapi-3.0" and isinstance(node.get("$schema"), str):
        # an embedded resource of another dialect (OpenAPI 3.0 has no $schema: dropped below)
        try:
            dialect = dialect_of(node)
        except DialectError:
            pass  # unknown: the engine reports it
        else:
            node["$schema"] = DRAFT_2020_12  # else referencing would read the translated subtree in the old dialect
    if dialect in _NATIVE:
        _descend(node, dialect)
        return node
    old_draft = dialect in ("draft-04", "draft-06", "draft-07", "openapi-3.0")
    if old_draft and "$ref" in node:
        # those dialects ignore a $ref's siblings, also an $id beside it (it sets no base URI there)
        node = {key: value for key, value in node.items()
                if key in _KEPT_BESIDE_REF or key.startswith("x-") or key == "$schema"}
    for key in _FOREIGN[dialect] & node.keys():
        del node[key]  # a keyword of later drafts: the dialect's validators ignore it, so 2020-12 must too
    if dialect == "openapi-3.0":
        _openapi30_required(node)
        if isinstance(node.get("patternProperties"), dict):
            # not an OpenAPI 3.0 keyword (no constraint), yet its names are not "additional" there:
            # openapi-schema-validator's additionalProperties excludes them, as draft-04's does
            node["patternProperties"] = {pattern: True for pattern in node["patternProperties"]}
    _descend(node, dialect)
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
    if dialect in ("draft-04", "openapi-3.0") and isinstance(node.get("id"), str):
        # draft-04's id (openapi-schema-validator reads OpenAPI 3.0 schemas as draft-04 here too)
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
            if exclusive in node:
                # read as those validators read it: any true value makes the bound beside it exclusive
                flag = node.pop(exclusive)
                if flag and bound in node:
                    node[exclusive] = node.pop(bound)
    if dialect == "openapi-3.0":
        node.pop("$schema", None)
        for annotation in ("xml", "externalDocs"):  # OpenAPI's annotations, unknown to 2020-12
            node.pop(annotation, None)
        if "example" in node:
            node.setdefault("examples", [node["example"]])
            del node["example"]
        if node.pop("nullable", False) is True and "type" in node:
            types = node["type"] if isinstance(node["type"], list) else [node["type"]]
            if "null" not in types:
                node["type"] = [*types, "null"]
    return node


def _descend(node: dict, dialect: str) -> None:
    """Translate the subschemas of ``node`` in place (array ``items`` are left to the caller)."""
    for key in _ONE:
        if key in node and not (key == "items" and isinstance(node[key], list)):
            node[key] = _schema(node[key], dialect)
    for key in _MANY:
        if isinstance(node.get(key), dict):
            node[key] = {name: _schema(value, dialect) for name, value in node[key].items()}
    for key in _LIST:
        if isinstance(node.get(key), list):
            node[key] = [_schema(value, dialect) for value in node[key]]
    if dialect in _NATIVE and isinstance(node.get("items"), list):
        node["items"] = [_schema(value, dialect) for value in node["items"]]


def _openapi30_required(node: dict) -> None:
    """OpenAPI 3.0: a required property declared ``readOnly`` is required in responses only, a
    ``writeOnly`` one in requests only; a schema read for both (openapi-schema-validator's
    OAS30Validator) requires neither. A webhook payload is read here without a direction: the
    wider reading, which can only make drift report more, never hide a break."""
    required, properties = node.get("required"), node.get("properties")
    if not isinstance(required, list) or not isinstance(properties, dict):
        return
    kept = [name for name in required
            if not (isinstance(properties.get(name), dict)
                    and (properties[name].get("readOnly") or properties[name].get("writeOnly")))]
    if len(kept) != len(required):
        if kept:
            node["required"] = kept
        else:
            del node["required"]


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
