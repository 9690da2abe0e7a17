"""An independent soundness attack on the compat engine (issue 12 audit), aimed at its masking.

Not ``compat_fuzz``'s generator: different shapes and edits, written to reach places the
engine's value domains (``_diff.Differ._domain``/``_universal``) declare unreachable:

* OLD: objects with ``properties``/``required``/``additionalProperties``/``patternProperties``/
  ``propertyNames``/``dependentSchemas``/``unevaluatedProperties``; arrays with
  ``prefixItems``/``items``/``contains``/``minContains``/``maxContains``/``unevaluatedItems``/
  lengths; ``anyOf``/``oneOf``/``not``/``if``-``then``-``else`` around type-restricted
  branches; ``enum``/``const`` of mixed types (``1``, ``1.0``, ``true``, ``"1"``, ``null``,
  ``[]``); numbers with bounds and ``multipleOf`` (floats, huge values); strings with
  ``format``/``pattern``/lengths; ``$defs`` behind ``$ref``.
* NEW: 1-3 edits: a constraint moved into or out of a combinator, a type list widened or
  narrowed, an unsatisfiable branch added, a keyword value moved, a ``not``/``if`` wrapped
  around a part, a number turned into its float twin (``1`` -> ``1.0``), ``true`` -> ``1``.

``instances`` builds payloads from both schemas' own values (constants, bounds and their
neighbours, multiples, property names, strings matching the patterns' literal parts) and a
schema-guided random walk over *both* schemas (so values reach the branches of each side),
without asking the engine anything. Seeded and deterministic.
"""

from __future__ import annotations

import copy
import json
import random
from typing import Any, Iterator

from compat_fuzz import _kind, get, put  # path helpers and the JSON type of a value; the generator here is its own

TYPES = ("null", "boolean", "integer", "number", "string", "array", "object")
NAMES = ("a", "b", "x1", "10")
PATTERNS = ("^x", "^[0-9]+$", "^a$", "b$", "^.{2,3}$", "^[a-z]+$")
STRINGS = ("", "a", "b", "x1", "10", "ab", "abc", "xyz", "A", "a\n", "12", "1.0",
           "00000000-0000-0000-0000-00000000000a", "2025-01-01T00:00:00Z", "2025-13-01T00:00:00Z")
NUMBERS = (0, 1, -1, 2, 3, 5, 10, 0.5, 1.0, 2.0, -0.0, 2.5, 0.1, 0.3, 1e308, -1e308, 10 ** 20, 1.5e300,
           9007199254740993, 0.30000000000000004, 2 ** 53, 2 ** 53 + 2, 2 ** 53 + 3, 9007199254740992.0,
           9007199254740996.0, 27021597764222976.0, 3 * 2 ** 53 + 1)
MIXED = (None, True, False, 0, 1, 1.0, 2, 2.5, "1", "a", "", [], [1], {}, {"a": 1})


def _pick(rng: random.Random, seq):
    return seq[rng.randrange(len(seq))]


# -- schemas ------------------------------------------------------------------------------
def number_schema(rng: random.Random) -> dict:
    schema: dict = {"type": _pick(rng, ["integer", "number", ["integer", "string"], ["number", "null"]])}
    for keyword in rng.sample(["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"],
                              rng.randint(1, 3)):
        if keyword == "multipleOf":
            schema[keyword] = _pick(rng, [2, 3, 0.5, 0.1, 0.25, 1.5, 2.0, 1e-3, 0.75, 1, 3.0, 2 ** 53 + 1, 6.0])
        else:
            schema[keyword] = _pick(rng, [0, 1, 2, 5, 0.5, 1.0, 2.5, -1, 10, 1e308, 1.5, 2 ** 53, 2 ** 53 + 1])
    return schema


def string_schema(rng: random.Random) -> dict:
    schema: dict = {"type": _pick(rng, ["string", ["string", "integer"], ["string", "null"]])}
    for keyword in rng.sample(["minLength", "maxLength", "pattern", "format"], rng.randint(1, 2)):
        if keyword == "minLength":
            schema[keyword] = rng.randint(0, 4)
        elif keyword == "maxLength":
            schema[keyword] = rng.randint(0, 40)
        elif keyword == "pattern":
            schema[keyword] = _pick(rng, PATTERNS)
        else:
            schema[keyword] = _pick(rng, ["uuid", "date-time", "email"])
    return schema


def enum_schema(rng: random.Random) -> dict:
    if rng.random() < 0.4:
        return {"const": _pick(rng, MIXED)}
    values = []
    for value in rng.sample(MIXED, rng.randint(1, 4)):
        if not any(json.dumps(value) == json.dumps(v) for v in values):
            values.append(value)
    schema: dict = {"enum": values}
    if rng.random() < 0.4:
        schema["type"] = _pick(rng, ["integer", "number", "boolean", ["integer", "boolean"], "string"])
    return schema


def object_schema(rng: random.Random, depth: int) -> dict:
    schema: dict = {"type": "object"} if rng.random() < 0.8 else {}
    names = rng.sample(NAMES, rng.randint(0, 3))
    if names:
        schema["properties"] = {name: schema_of(rng, depth + 1) for name in names}
    if rng.random() < 0.5:
        schema["required"] = sorted(rng.sample(NAMES, rng.randint(1, 2)))
    roll = rng.random()
    if roll < 0.25:
        schema["additionalProperties"] = False
    elif roll < 0.45:
        schema["additionalProperties"] = schema_of(rng, depth + 1)
    elif roll < 0.55:
        schema["unevaluatedProperties"] = _pick(rng, [False, {"type": "integer"}])
    if rng.random() < 0.35:
        schema["patternProperties"] = {_pick(rng, PATTERNS): schema_of(rng, depth + 1)}
    if rng.random() < 0.15:
        schema["propertyNames"] = _pick(rng, [{"maxLength": 1}, {"pattern": "^[a-z]+$"}, {"enum": ["a", "b"]}])
    if rng.random() < 0.15:
        schema["dependentSchemas"] = {_pick(rng, NAMES): schema_of(rng, depth + 1)}
    if rng.random() < 0.1:
        schema["dependentRequired"] = {_pick(rng, NAMES): [_pick(rng, NAMES)]}
    if rng.random() < 0.2:
        schema[_pick(rng, ["minProperties", "maxProperties"])] = rng.randint(0, 2)
    return schema


def array_schema(rng: random.Random, depth: int) -> dict:
    schema: dict = {"type": "array"} if rng.random() < 0.8 else {}
    if rng.random() < 0.5:
        schema["prefixItems"] = [schema_of(rng, depth + 1) for _ in range(rng.randint(1, 2))]
    roll = rng.random()
    if roll < 0.4:
        schema["items"] = schema_of(rng, depth + 1)
    elif roll < 0.55:
        schema["items"] = False
    elif roll < 0.65:
        schema["unevaluatedItems"] = _pick(rng, [False, {"type": "string"}])
    if rng.random() < 0.35:
        schema["contains"] = schema_of(rng, depth + 1)
        if rng.random() < 0.5:
            schema[_pick(rng, ["minContains", "maxContains"])] = rng.randint(0, 2)
    for keyword in rng.sample(["minItems", "maxItems", "uniqueItems"], rng.randint(0, 2)):
        schema[keyword] = True if keyword == "uniqueItems" else rng.randint(0, 3)
    return schema


def combinator_schema(rng: random.Random, depth: int) -> dict:
    kind = _pick(rng, ["anyOf", "oneOf", "not", "if", "if", "anyOf"])
    if kind == "not":
        schema: dict = {"not": schema_of(rng, depth + 1)}
        if rng.random() < 0.6:
            schema["type"] = _pick(rng, [["string", "integer"], ["object", "array"], "number"])
        return schema
    if kind == "if":
        schema = {"if": schema_of(rng, depth + 1)}
        if rng.random() < 0.8:
            schema["then"] = schema_of(rng, depth + 1)
        if rng.random() < 0.7:
            schema["else"] = schema_of(rng, depth + 1)
        return schema
    schema = {kind: [schema_of(rng, depth + 1) for _ in range(rng.randint(1, 3))]}
    if rng.random() < 0.3:
        schema["type"] = _pick(rng, [["string", "integer"], ["object", "array", "null"], "number"])
    return schema


def schema_of(rng: random.Random, depth: int = 0) -> Any:
    if depth >= 3:
        return _pick(rng, [{"type": _pick(rng, TYPES)}, {"type": _pick(rng, TYPES)}, enum_schema(rng), True,
                           number_schema(rng), string_schema(rng)])
    roll = rng.random()
    if roll < 0.2:
        return object_schema(rng, depth)
    if roll < 0.35:
        return array_schema(rng, depth)
    if roll < 0.6:
        return combinator_schema(rng, depth)
    if roll < 0.7:
        return number_schema(rng)
    if roll < 0.8:
        return string_schema(rng)
    if roll < 0.9:
        return enum_schema(rng)
    return _pick(rng, [{"type": _pick(rng, TYPES)}, {"type": list(rng.sample(TYPES, 2))}, False, {}])


def paths(schema: Any, path: tuple = ()) -> Iterator[tuple]:
    """Every subschema's path (JSON keys) in ``schema``."""
    yield path
    if not isinstance(schema, dict):
        return
    for key, value in schema.items():
        if key in ("properties", "patternProperties", "dependentSchemas", "$defs") and isinstance(value, dict):
            for name, sub in value.items():
                yield from paths(sub, path + (key, name))
        elif key in ("anyOf", "oneOf", "allOf", "prefixItems") and isinstance(value, list):
            for index, sub in enumerate(value):
                yield from paths(sub, path + (key, index))
        elif key in ("items", "contains", "not", "if", "then", "else", "additionalProperties", "propertyNames",
                     "unevaluatedProperties", "unevaluatedItems"):
            yield from paths(value, path + (key,))


MOVABLE = ("type", "minimum", "maximum", "exclusiveMinimum", "multipleOf", "minLength", "maxLength", "pattern",
           "format", "required", "additionalProperties", "items", "contains", "minItems", "maxItems", "enum",
           "const", "properties", "prefixItems", "propertyNames", "minProperties")


def edit(rng: random.Random, node: Any, depth: int) -> Any:
    if not isinstance(node, dict):
        return schema_of(rng, depth) if rng.random() < 0.5 else {"not": {"type": _pick(rng, TYPES)}}
    node = copy.deepcopy(node)
    keys = [key for key in node if key in MOVABLE]
    roll = rng.random()
    if roll < 0.15 and keys:  # move a constraint into a combinator
        key = _pick(rng, keys)
        value = node.pop(key)
        where = _pick(rng, ["anyOf1", "anyOf2", "oneOf", "allOf", "then", "not-not", "if-true"])
        if where == "anyOf1":
            node.setdefault("anyOf", []).append({key: value})
        elif where == "anyOf2":
            node["anyOf"] = [{key: value}, {key: value, "type": _pick(rng, TYPES)}]
        elif where == "oneOf":
            node["oneOf"] = [{key: value}]
        elif where == "allOf":
            node.setdefault("allOf", []).append({key: value})
        elif where == "then":
            node["if"] = _pick(rng, [True, {"type": _pick(rng, TYPES)}, {}])
            node["then"] = {key: value}
        elif where == "not-not":
            node["not"] = {"not": {key: value}}
        else:
            node["if"] = {key: value}
            node["then"] = True
            node["else"] = False
        return node
    if roll < 0.25:  # move a constraint out of a combinator
        for combo in ("anyOf", "oneOf", "allOf"):
            if combo in node and node[combo] and isinstance(node[combo][0], dict):
                first = node[combo][0]
                if combo != "allOf" and len(node[combo]) > 1:
                    node[combo].pop(0)
                    node.setdefault("allOf", []).append(first)  # narrow to one branch's constraint
                else:
                    node.pop(combo)
                    for key, value in first.items():
                        node.setdefault(key, value)
                return node
        if "not" in node:
            node["not"] = _pick(rng, [False, {"type": _pick(rng, TYPES)}, {"not": node["not"]}])
            return node
    if roll < 0.37:  # type lists
        types = node.get("type")
        types = [types] if isinstance(types, str) else list(types or [])
        if types and rng.random() < 0.5:
            types.pop(rng.randrange(len(types)))
        else:
            extra = _pick(rng, TYPES)
            if extra not in types:
                types.append(extra)
        if types:
            node["type"] = types if len(types) > 1 or rng.random() < 0.5 else types[0]
        else:
            node.pop("type", None)
        return node
    if roll < 0.45:  # an unsatisfiable branch, or a branch made unsatisfiable
        branch = _pick(rng, [{"type": "string", "minLength": 3, "maxLength": 1},
                             {"type": "integer", "minimum": 1, "maximum": 0.5},
                             {"type": "object", "required": ["a"], "properties": {"a": False}},
                             {"type": "array", "minItems": 2, "items": False},
                             {"type": "number", "multipleOf": 2, "minimum": 1, "maximum": 1.5},
                             {"not": {}}])
        kind = _pick(rng, ["anyOf", "oneOf", "add"])
        if kind == "add":
            for key, value in branch.items():
                node[key] = value
        elif kind in node and isinstance(node[kind], list):
            node[kind].append(branch)
        else:
            node[kind] = [branch, {k: v for k, v in node.items() if k not in ("anyOf", "oneOf")}]
        return node
    if roll < 0.6:  # change a value
        numeric = [key for key in node if key in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
                                                  "multipleOf", "minLength", "maxLength", "minItems", "maxItems",
                                                  "minContains", "maxContains", "minProperties", "maxProperties")]
        if numeric:
            key = _pick(rng, numeric)
            value = node[key]
            if key in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
                node[key] = _pick(rng, [value + 1, value - 1, value + 0.5, float(value), 1e308, -value])
            elif key == "multipleOf":
                node[key] = _pick(rng, [value * 2, value / 2, 0.1, 3, 1, float(value), 0.3,
                                        int(value) if float(value).is_integer() else value])
            else:
                node[key] = max(0, value + _pick(rng, [-1, 1, 2]))
            return node
        if "const" in node:
            value = node["const"]
            node["const"] = _pick(rng, [float(value) if isinstance(value, int) and not isinstance(value, bool) else 1,
                                        True, 1, "1", [value], None])
            return node
        if "enum" in node:
            values = list(node["enum"])
            if values and rng.random() < 0.5:
                values.pop(rng.randrange(len(values)))
            else:
                values.append(_pick(rng, MIXED))
            node["enum"] = [v for i, v in enumerate(values) if json.dumps(v) not in map(json.dumps, values[:i])]
            return node
        if "pattern" in node:
            node["pattern"] = _pick(rng, PATTERNS)
            return node
        if "format" in node:
            node["format"] = _pick(rng, ["uuid", "date-time", "email"])
            return node
    if roll < 0.7:  # wrap in not / if
        inner = {k: v for k, v in node.items()}
        kind = _pick(rng, ["notnot", "if", "else", "anyOf"])
        if kind == "notnot":
            return {"not": {"not": inner}}
        if kind == "if":
            return {"if": {"type": _pick(rng, TYPES)}, "then": inner}
        if kind == "else":
            return {"if": {"type": _pick(rng, TYPES)}, "else": inner}
        return {"anyOf": [inner, {"type": _pick(rng, TYPES), "maxLength": 0, "maximum": -5, "maxItems": 0,
                                  "maxProperties": 0}]}
    if roll < 0.8:  # object / array keywords
        key = _pick(rng, ["additionalProperties", "unevaluatedProperties", "items", "unevaluatedItems", "contains",
                          "propertyNames", "patternProperties", "dependentSchemas", "required"])
        if key in node:
            node.pop(key)
        elif key == "required":
            node[key] = [_pick(rng, NAMES)]
        elif key == "patternProperties":
            node[key] = {_pick(rng, PATTERNS): _pick(rng, [False, {"type": _pick(rng, TYPES)}])}
        elif key == "dependentSchemas":
            node[key] = {_pick(rng, NAMES): _pick(rng, [False, {"required": [_pick(rng, NAMES)]},
                                                         {"properties": {"a": {"type": "string"}}}])}
        elif key == "propertyNames":
            node[key] = _pick(rng, [{"maxLength": 1}, {"pattern": "^[a-z]+$"}, False])
        else:
            node[key] = _pick(rng, [False, {"type": _pick(rng, TYPES)}, {"minimum": 2}])
        return node
    if roll < 0.88 and node.get("properties"):  # a property's schema
        name = _pick(rng, sorted(node["properties"]))
        node["properties"][name] = edit(rng, node["properties"][name], depth + 1)
        return node
    if roll < 0.94:  # through $defs / $ref
        return {"$defs": {"d": node}, "$ref": "#/$defs/d"} if depth == 0 else {"allOf": [node]}
    return schema_of(rng, depth)


def number_edit(rng: random.Random, node: dict) -> dict:
    """A number schema's keyword moved, retyped (``3`` <-> ``3.0``) or added."""
    node = copy.deepcopy(node)
    present = [key for key in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf") if key in node]
    keyword = _pick(rng, present) if present and rng.random() < 0.6 else \
        _pick(rng, ["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf", "type"])
    if keyword == "type":
        node["type"] = _pick(rng, ["integer", "number", ["integer", "string"]])
    elif keyword in node and float(node[keyword]).is_integer() and rng.random() < 0.5:
        value = node[keyword]  # the same JSON number, the other Python type
        node[keyword] = float(value) if isinstance(value, int) else int(value)
    elif keyword in node:
        value = node[keyword]
        node[keyword] = _pick(rng, [float(value), int(value) if float(value).is_integer() else value, value + 1,
                                    value - 1, value * 2, value / 2 if keyword == "multipleOf" else -value])
        if keyword == "multipleOf" and node[keyword] <= 0:
            node[keyword] = 1
    else:
        node[keyword] = _pick(rng, [2, 3.0, 2 ** 53, 2 ** 53 + 1, 9007199254740992.0, 0.5, 5])
    return node


def pairs(seed: int, count: int) -> Iterator[tuple[Any, Any]]:
    rng = random.Random(seed)
    made = 0
    while made < count:
        if rng.random() < 0.25:  # number keywords alone, where JSON's numbers meet Python's floats
            old = number_schema(rng)
            new = number_edit(rng, old)
            if rng.random() < 0.5:
                new = number_edit(rng, new)
            if rng.random() < 0.3:
                old, new = {"type": "object", "properties": {"n": old}}, {"type": "object", "properties": {"n": new}}
            if json.dumps(old, sort_keys=True) != json.dumps(new, sort_keys=True):
                made += 1
                yield old, new
            continue
        old = schema_of(rng)
        new = copy.deepcopy(old)
        for _ in range(rng.randint(1, 3)):
            where = _pick(rng, list(paths(new)))
            if "$defs" in where:
                continue
            new = put(new, where, edit(rng, get(new, where), len(where)))
        if json.dumps(old, sort_keys=True) == json.dumps(new, sort_keys=True):
            continue
        made += 1
        yield old, new


# -- instances ----------------------------------------------------------------------------
def _collect(schema: Any, values: list, names: set) -> None:
    if isinstance(schema, dict):
        for key, value in schema.items():
            if key == "const":
                values.append(value)
            elif key == "enum" and isinstance(value, list):
                values.extend(value)
            elif key in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum") and isinstance(value, (int, float)):
                for delta in (0, 1, -1, 0.5, -0.5):
                    try:
                        values.append(value + delta)
                    except OverflowError:
                        pass
                if isinstance(value, float) and value.is_integer() and abs(value) < 1e300:
                    values.append(int(value))
                if isinstance(value, int):
                    values.append(float(value))
            elif key == "multipleOf" and isinstance(value, (int, float)):
                values.extend([value, value * 3, value * 7, -value, value / 2, value * 1e307])
                if isinstance(value, (int, float)) and 1 <= value < 2 ** 60:  # around 2**53, where floats round
                    for base in (2 ** 53, 2 ** 53 + 7, 2 ** 54 + 5):
                        near = int(base // value) * int(value)
                        values.extend(near + delta for delta in (-1, 0, 1, 2, 3))
                        values.extend([float(near), float(near + 1)])
            elif key in ("minLength", "maxLength") and isinstance(value, int):
                values.extend(["a" * value, "1" * value, "x" * (value + 1), "a" * max(0, value - 1)])
            elif key in ("properties", "patternProperties", "dependentSchemas", "dependentRequired") and \
                    isinstance(value, dict):
                names.update(value)
                for sub in value.values():
                    _collect(sub, values, names)
                continue
            elif key == "required" and isinstance(value, list):
                names.update(value)
            if key not in ("const", "enum"):
                _collect(value, values, names)
    elif isinstance(schema, list):
        for value in schema:
            _collect(value, values, names)


def _guided(schema: Any, rng: random.Random, pool: list, names: list, depth: int = 0) -> Any:
    """A value aimed at ``schema``: often valid, sometimes a near miss."""
    if depth > 4 or not isinstance(schema, dict) or rng.random() < 0.08:
        return _pick(rng, pool)
    if "$ref" in schema and "$defs" in schema:
        return _guided(schema["$defs"].get("d"), rng, pool, names, depth)
    choices = [key for key in ("anyOf", "oneOf", "allOf") if key in schema and schema[key]]
    if choices and rng.random() < 0.5:
        return _guided(_pick(rng, schema[_pick(rng, choices)]), rng, pool, names, depth + 1)
    if rng.random() < 0.2:
        for key in ("if", "then", "else", "not", "contains"):
            if key in schema and rng.random() < 0.5:
                return _guided(schema[key], rng, pool, names, depth + 1)
    if "const" in schema and rng.random() < 0.7:
        return copy.deepcopy(schema["const"])
    if "enum" in schema and schema["enum"] and rng.random() < 0.7:
        return copy.deepcopy(_pick(rng, schema["enum"]))
    types = schema.get("type")
    types = [types] if isinstance(types, str) else list(types or [])
    if not types:
        if any(key in schema for key in ("properties", "required", "additionalProperties", "patternProperties",
                                          "propertyNames", "dependentSchemas", "unevaluatedProperties")):
            types.append("object")
        if any(key in schema for key in ("items", "prefixItems", "contains", "unevaluatedItems", "minItems")):
            types.append("array")
        if not types:
            types = list(TYPES)
    kind = _pick(rng, types)
    if kind == "object":
        out: dict = {}
        props = schema.get("properties", {}) if isinstance(schema.get("properties"), dict) else {}
        for name in schema.get("required", []) if isinstance(schema.get("required"), list) else []:
            out[name] = _guided(props.get(name, {}), rng, pool, names, depth + 1)
        for name, sub in props.items():
            if rng.random() < 0.5:
                out[name] = _guided(sub, rng, pool, names, depth + 1)
        pp = schema.get("patternProperties") if isinstance(schema.get("patternProperties"), dict) else {}
        for pattern, sub in pp.items():
            if rng.random() < 0.5:
                out[_pick(rng, names)] = _guided(sub, rng, pool, names, depth + 1)
        if rng.random() < 0.3:
            out[_pick(rng, names)] = _guided(schema.get("additionalProperties", {}), rng, pool, names, depth + 1)
        return out
    if kind == "array":
        out_list = [_guided(sub, rng, pool, names, depth + 1) for sub in schema.get("prefixItems", [])
                    if rng.random() < 0.9]
        for _ in range(rng.randint(0, 3)):
            pick = _pick(rng, ["items", "contains", "pool"])
            sub = schema.get(pick) if pick != "pool" else None
            out_list.append(_guided(sub, rng, pool, names, depth + 1) if isinstance(sub, dict) else _pick(rng, pool))
        return out_list
    candidates = [value for value in pool if _kind(value) == kind or (kind == "number" and _kind(value) == "integer")]
    return copy.deepcopy(_pick(rng, candidates)) if candidates else _pick(rng, pool)


def _mutate(value: Any, rng: random.Random, pool: list, names: list) -> Any:
    if isinstance(value, dict) and value and rng.random() < 0.6:
        value = dict(value)
        key = _pick(rng, sorted(value))
        if rng.random() < 0.3:
            value.pop(key)
        else:
            value[key] = _mutate(value[key], rng, pool, names)
        return value
    if isinstance(value, dict):
        value = dict(value)
        value[_pick(rng, names)] = copy.deepcopy(_pick(rng, pool))
        return value
    if isinstance(value, list) and value and rng.random() < 0.6:
        value = list(value)
        index = rng.randrange(len(value))
        value[index] = _mutate(value[index], rng, pool, names)
        return value
    if isinstance(value, list):
        return list(value) + [copy.deepcopy(_pick(rng, pool))]
    return copy.deepcopy(_pick(rng, pool))


def instances(old: Any, new: Any, rng: random.Random, limit: int = 300) -> list[Any]:
    values: list = list(MIXED) + list(NUMBERS) + list(STRINGS)
    found: set = set(NAMES)
    _collect(old, values, found)
    _collect(new, values, found)
    names = sorted(found) + ["zz", "a\n", "x", "0"]
    pool = [value for value in values if not (isinstance(value, float) and value != value)]
    out: list = list(pool)
    out += [{name: value} for name in names for value in (1, "a", None, 1.5, [], {})]
    out += [[value] for value in pool[:60]] + [[value, value] for value in pool[:30]]
    while len(out) < limit:
        base = _guided(_pick(rng, [old, new]), rng, pool, names)
        out.append(base)
        if rng.random() < 0.5:
            out.append(_mutate(base, rng, pool, names))
    return out
