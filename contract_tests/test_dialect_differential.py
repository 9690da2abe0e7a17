"""The dialect translation (``compat._dialect.translate``) checked against the dialects' own validators.

A seeded generator builds random schemas in draft-04, draft-06, draft-07, 2019-09 and OpenAPI 3.0
(tuple ``items`` with ``additionalItems``, ``dependencies`` of both kinds, ``nullable`` with and
without ``type``/``enum``, boolean ``exclusiveMinimum``/``exclusiveMaximum``, ``$ref`` with
siblings, ``definitions``, ``id``/``$id`` anchors, ``readOnly``/``writeOnly`` beside ``required``,
and keywords of other dialects, which the dialect's validator ignores) and random payloads. For each
payload the verdict of the dialect's validator (jsonschema's ``Draft4Validator`` ... ``Draft201909Validator``,
openapi-schema-validator's ``OAS30Validator``) must equal the verdict of ``Draft202012Validator`` on the
translated schema: the translation claims to accept exactly the same instances, and drift's verdicts and
witnesses rest on it. Any counterexample is a bug in ``_dialect.py``; the failure shows it shrunk (keys
removed while it still fails).

A plain ``random.Random`` rather than Hypothesis: recursive Hypothesis strategies over ~30 optional
keywords cost minutes here for the same number of schemas. Fixed seed and budget (about 10 s on this
machine); ``DIALECT_DIFF_SCHEMAS`` / ``DIALECT_DIFF_SEED`` for a local soak.
"""

from __future__ import annotations

import json
import os
import random
import warnings
from typing import Any

import pytest
from conftest import require_module
from jsonschema import Draft4Validator, Draft6Validator, Draft7Validator, Draft201909Validator, Draft202012Validator
from jsonschema._legacy_keywords import ignore_ref_siblings
from jsonschema.exceptions import SchemaError
from jsonschema.validators import create
from referencing.exceptions import Unresolvable

from access_events.compat._dialect import translate

OAS30Validator = require_module("openapi_schema_validator").OAS30Validator

#: openapi-schema-validator applies the siblings of a ``$ref``; OpenAPI 3.0 says a Reference Object's other
#: properties "SHALL be ignored" (what the translation does, and what draft-04..07 validators do). The oracle
#: is its OAS30Validator with jsonschema's own rule for that (everything else is the library's).
OAS30RefValidator = create(meta_schema=OAS30Validator.META_SCHEMA, validators=OAS30Validator.VALIDATORS,
                           type_checker=OAS30Validator.TYPE_CHECKER, id_of=OAS30Validator.ID_OF,
                           applicable_validators=ignore_ref_siblings)

VALIDATORS = {"draft-04": Draft4Validator, "draft-06": Draft6Validator, "draft-07": Draft7Validator,
              "2019-09": Draft201909Validator, "openapi-3.0": OAS30RefValidator}
SCHEMA_URI = {"draft-04": "http://json-schema.org/draft-04/schema#",
              "draft-06": "http://json-schema.org/draft-06/schema#",
              "draft-07": "http://json-schema.org/draft-07/schema#",
              "2019-09": "https://json-schema.org/draft/2019-09/schema"}
SCHEMAS = int(os.environ.get("DIALECT_DIFF_SCHEMAS", "400"))
SEED = int(os.environ.get("DIALECT_DIFF_SEED", "20261130"))
INSTANCES = 12

NAMES = ["a", "b", "c"]
SCALARS = [None, True, False, 0, 1, 2, -1, 1.5, 3, "", "a", "b", "ab"]
PATTERNS = ["^a", "b$", "^[ab]*$"]
OTHER_DIALECTS = ["const", "contains", "propertyNames", "if", "then", "else", "prefixItems", "dependentRequired",
                  "dependentSchemas", "unevaluatedProperties", "unevaluatedItems", "$anchor", "$defs", "minContains"]


class Gen:
    def __init__(self, rng: random.Random, dialect: str):
        self.rng, self.dialect = rng, dialect
        self.oas = dialect == "openapi-3.0"

    def value(self, depth: int = 0) -> Any:
        r = self.rng
        roll = r.random()
        if depth >= 2 or roll < 0.55:
            return r.choice(SCALARS)
        if roll < 0.75:
            return [self.value(depth + 1) for _ in range(r.randint(0, 3))]
        return {r.choice(NAMES): self.value(depth + 1) for _ in range(r.randint(0, 3))}

    def types(self) -> Any:
        names = ["boolean", "integer", "number", "string", "array", "object"] + ([] if self.oas else ["null"])
        if self.oas or self.rng.random() < 0.7:
            return self.rng.choice(names)
        return self.rng.sample(names, 2)

    def keyword(self, key: str, depth: int) -> Any:
        r, sub = self.rng, (lambda: self.schema(depth + 1))
        old_bounds = self.dialect in ("draft-04", "openapi-3.0")
        return {
            "type": self.types,
            "enum": lambda: r.sample(SCALARS, r.randint(1, 3)),
            "minimum": lambda: r.choice([0, 1, 1.5]),
            "maximum": lambda: r.choice([1, 2, 3]),
            "exclusiveMinimum": lambda: r.choice([True, False]) if old_bounds else r.choice([0, 1]),
            "exclusiveMaximum": lambda: r.choice([True, False]) if old_bounds else r.choice([2, 3]),
            "multipleOf": lambda: r.choice([1, 2]),
            "minLength": lambda: 1, "maxLength": lambda: 1,
            "pattern": lambda: r.choice(PATTERNS),
            "items": lambda: sub() if self.oas or r.random() < 0.5 else [sub() for _ in range(r.randint(1, 2))],
            "additionalItems": lambda: r.choice([True, False]) if r.random() < 0.5 else sub(),
            "minItems": lambda: 1, "maxItems": lambda: 2, "uniqueItems": lambda: r.choice([True, False]),
            "properties": lambda: {n: sub() for n in r.sample(NAMES, r.randint(1, 2))},
            "required": lambda: r.sample(NAMES, r.randint(1, 2)),
            "additionalProperties": lambda: r.choice([True, False]) if r.random() < 0.5 else sub(),
            "patternProperties": lambda: {r.choice(["^a", "^b"]): sub()},
            "minProperties": lambda: 1, "maxProperties": lambda: 1,
            "allOf": lambda: [sub() for _ in range(r.randint(1, 2))],
            "anyOf": lambda: [sub() for _ in range(r.randint(1, 2))],
            "oneOf": lambda: [sub() for _ in range(r.randint(1, 2))],
            "not": sub,
            "dependencies": lambda: {r.choice(NAMES): (r.sample(NAMES, r.randint(0, 2)) if r.random() < 0.5
                                                       else sub()) for _ in range(r.randint(1, 2))},
            "nullable": lambda: r.choice([True, False]),
            "readOnly": lambda: r.choice([True, False]), "writeOnly": lambda: r.choice([True, False]),
            "example": lambda: r.choice(SCALARS), "description": lambda: "d", "x-tag": lambda: 1,
            "$ref": lambda: r.choice(["#/definitions/p", "#/definitions/q", "#q"]),
            # other dialects' keywords
            "const": lambda: r.choice(SCALARS),
            "contains": sub, "propertyNames": sub, "if": sub, "then": sub, "else": sub,
            "prefixItems": lambda: [sub()],
            "dependentRequired": lambda: {r.choice(NAMES): r.sample(NAMES, 1)},
            "dependentSchemas": lambda: {r.choice(NAMES): sub()},
            "unevaluatedProperties": lambda: False, "unevaluatedItems": lambda: False,
            "$anchor": lambda: "q", "$defs": lambda: {"q": sub()}, "minContains": lambda: 2,
        }[key]()

    def schema(self, depth: int = 0) -> Any:
        r = self.rng
        if self.dialect != "draft-04" and not self.oas and r.random() < 0.05:
            return r.choice([True, False])
        keys = ["type", "enum", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf",
                "minLength", "maxLength", "pattern", "minItems", "maxItems", "uniqueItems", "required",
                "minProperties", "maxProperties", "nullable", "readOnly", "writeOnly", "example", "description",
                "x-tag", "$ref", "const", "unevaluatedProperties", "unevaluatedItems", "$anchor", "minContains",
                "dependentRequired"]
        if self.dialect == "2019-09":
            # jsonschema 4.26's 2019-09 unevaluatedProperties reads an additionalProperties schema's own keys
            # as property names (the oracle is wrong there); the translation leaves the keyword as it is
            keys.remove("unevaluatedProperties")
        if depth < 3:
            keys += ["items", "additionalItems", "properties", "properties", "additionalProperties",
                     "patternProperties", "allOf", "anyOf", "oneOf", "not", "dependencies", "contains",
                     "propertyNames", "if", "then", "else", "prefixItems", "dependentSchemas", "$defs"]
        node = {}
        for key in r.sample(keys, r.randint(0, 4 if depth < 2 else 2)):
            node[key] = self.keyword(key, depth)
        if "properties" in node and r.random() < 0.6:  # required names that are declared, maybe read-only
            node["required"] = r.sample(sorted(node["properties"]), 1)
        return node

    def document(self) -> dict:
        root = self.schema()
        root = dict(root) if isinstance(root, dict) else {"allOf": [root]}
        p, q = self.schema(1), self.schema(1)
        q = dict(q) if isinstance(q, dict) else {"allOf": [q]}
        q.pop("$ref", None)
        if self.dialect == "draft-04":
            q["id"] = "#q"
        elif self.dialect == "2019-09":
            q["$anchor"] = "q"
        elif not self.oas:
            q["$id"] = "#q"
        if isinstance(p, dict):
            p = {k: v for k, v in p.items() if k != "$ref"}
        root["definitions"] = {"p": p, "q": q}
        if self.dialect in SCHEMA_URI and self.rng.random() < 0.5:
            root["$schema"] = SCHEMA_URI[self.dialect]
        return root


def _verdict(validator_class, schema: Any, instance: Any, oracle: bool = False) -> bool | None:
    """Whether ``instance`` is valid, or None when the validator cannot decide (an unresolvable $ref,
    a self-referencing loop; for the ``oracle``, anything it raises: referencing 0.37 crawling a draft-07
    ``dependencies`` of lists raises AttributeError)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return validator_class(schema).is_valid(instance)
    except RecursionError:
        return None
    except BaseException as error:  # referencing's Unresolvable; a RecursionError inside rpds (a Rust panic)
        if oracle and isinstance(error, Exception) or isinstance(error, Unresolvable) \
                or type(error).__name__ in ("_WrappedReferencingError", "PanicException"):
            return None
        raise


def _disagreement(dialect: str, document: Any, instance: Any) -> str | None:
    want = _verdict(VALIDATORS[dialect], document, instance, oracle=True)
    if want is None:
        return None
    translated = translate(document, dialect)
    got = _verdict(Draft202012Validator, translated, instance)
    if got == want:
        return None
    return (f"{dialect}: {json.dumps(instance)} is {'valid' if want else 'invalid'} under the dialect's "
            f"validator, {'valid' if got else 'invalid'} under 2020-12 after translation\n"
            f"  schema:     {json.dumps(document, sort_keys=True)}\n"
            f"  translated: {json.dumps(translated, sort_keys=True)}")


def _smaller(node: Any):
    """Every ``node`` with one key, list item or nested part removed or simplified."""
    if isinstance(node, dict):
        for key in node:
            yield {k: v for k, v in node.items() if k != key}
        for key, value in node.items():
            for smaller in _smaller(value):
                yield {**node, key: smaller}
    elif isinstance(node, list):
        for i in range(len(node)):
            yield node[:i] + node[i + 1:]
        for i, value in enumerate(node):
            for smaller in _smaller(value):
                yield node[:i] + [smaller] + node[i + 1:]


def _shrink(dialect: str, document: Any, instance: Any) -> str:
    """The disagreement with keys of the schema and of the instance removed while it persists."""
    improved = True
    while improved:
        improved = False
        for candidate_doc, candidate_instance in [(d, instance) for d in _smaller(document)] + \
                                                 [(document, i) for i in _smaller(instance)]:
            if _valid_schema(dialect, candidate_doc) and _disagreement(dialect, candidate_doc, candidate_instance):
                document, instance, improved = candidate_doc, candidate_instance, True
                break
    return _disagreement(dialect, document, instance) or "?"


def _valid_schema(dialect: str, document: Any) -> bool:
    if dialect == "openapi-3.0":
        return isinstance(document, dict)
    try:
        VALIDATORS[dialect].check_schema(document)
    except SchemaError:
        return False
    return True


def _run(dialect: str) -> tuple[int, int]:
    rng = random.Random(f"{SEED}-{dialect}")
    gen = Gen(rng, dialect)
    checked = compared = 0
    for _ in range(SCHEMAS):
        document = gen.document()
        instances = [gen.value() for _ in range(INSTANCES)]
        if not _valid_schema(dialect, document):
            continue
        checked += 1
        for instance in instances:
            if _disagreement(dialect, document, instance):
                pytest.fail(_shrink(dialect, document, instance))
            compared += 1
    return checked, compared


@pytest.mark.parametrize("dialect", sorted(VALIDATORS))
def test_translation_accepts_what_the_dialect_accepts(dialect):
    """For random schemas of ``dialect`` and random payloads: the dialect's validator and 2020-12 on
    the translated schema give the same verdict. Guards every rewrite in ``_dialect.py``."""
    checked, compared = _run(dialect)
    assert checked >= SCHEMAS // 4, f"only {checked} of {SCHEMAS} generated schemas were valid {dialect} schemas"
    assert compared >= checked


D04, D07 = SCHEMA_URI["draft-04"], SCHEMA_URI["draft-07"]
#: Cases the generator reaches rarely or never, each a defect of an earlier translation.
CASES = [
    # OpenAPI 3.0: a required readOnly/writeOnly property is required in one direction only; the
    # validator (both directions) requires neither
    ("openapi-3.0", {"type": "object", "properties": {"a": {"type": "string", "readOnly": True}}, "required": ["a"]},
     {}),
    ("openapi-3.0", {"properties": {"a": {"writeOnly": True}, "b": {}}, "required": ["b", "a"]}, {"b": 1}),
    # OpenAPI 3.0 has no patternProperties, yet its names are not additional properties
    ("openapi-3.0", {"patternProperties": {"^a": {"type": "integer"}}, "additionalProperties": False}, {"a": "x"}),
    ("openapi-3.0", {"patternProperties": {"^a": {"type": "integer"}}, "additionalProperties": False}, {"b": 1}),
    # OpenAPI 3.0 has no dependencies, no additionalItems, no const
    ("openapi-3.0", {"dependencies": {"a": ["b"]}}, {"a": 1}),
    ("openapi-3.0", {"items": {}, "additionalItems": False}, [1]),
    ("openapi-3.0", {"type": "string", "const": "a"}, "b"),
    # an $id beside a $ref is ignored by draft-07 (referencing does not read it): the $ref resolves
    # against the enclosing base, not against that $id
    ("draft-07", {"definitions": {"p": {"type": "string"},
                                  "r": {"$id": "http://example.invalid/r", "$ref": "#/definitions/p"}},
                  "$ref": "#/definitions/r"}, 1),
    ("draft-04", {"definitions": {"p": {"type": "string"},
                                  "r": {"id": "http://example.invalid/r", "$ref": "#/definitions/p"}},
                  "$ref": "#/definitions/r"}, 1),
    # an embedded resource declaring its dialect: translated, and no longer read as that dialect
    ("draft-07", {"definitions": {"r": {"$id": "http://example.invalid/r", "$schema": D07,
                                        "items": [{"type": "string"}]}},
                  "$ref": "http://example.invalid/r"}, [1]),
    ("draft-07", {"definitions": {"r": {"id": "http://example.invalid/r", "$schema": D04,
                                        "minimum": 1, "exclusiveMinimum": True}},
                  "$ref": "http://example.invalid/r"}, 1),
    # minContains is 2019-09's: draft-07's contains ignores it
    ("draft-07", {"contains": {"type": "string"}, "minContains": 2}, ["a"]),
    # draft-04 reads "id", not "$id"
    ("draft-04", {"definitions": {"p": {"$id": "#p", "type": "string"}, "q": {"id": "#p", "type": "integer"}},
                  "$ref": "#p"}, 1),
]


@pytest.mark.parametrize(("dialect", "document", "instance"), CASES,
                         ids=[f"{d}-{i}" for i, (d, _, _) in enumerate(CASES)])
def test_translation_cases(dialect, document, instance):
    """Hand-written disagreements (each found in, or planted back into, ``_dialect.py``): the dialect's
    validator and 2020-12 on the translation agree, and the dialect's validator decides the case."""
    assert _verdict(VALIDATORS[dialect], document, instance, oracle=True) is not None
    assert _disagreement(dialect, document, instance) is None
