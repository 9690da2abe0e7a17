"""Random close schema pairs and a counterexample search, to hold the compat engine to the truth.

``pairs(seed, count)`` yields ``(old, new, kind)``: OLD is a random small draft 2020-12 schema
(types, enum/const, string/number/array/object bounds, patterns, formats, properties open and
closed, patternProperties, items/prefixItems/contains, anyOf/oneOf/allOf/not/if-then-else);
NEW is OLD after 1-3 random edits (``kind == "edit"``) or, for a third of the pairs, after
1-3 rewrites that keep the meaning (``kind == "rewrite"``: wrapped in ``allOf``, moved into
``$defs`` behind a ``$ref``, ``const`` as a one-value ``enum``, a type as a one-type list,
annotations added, keys reordered...).

``instances(old, new, rng)`` builds the payloads the search tries, from the schemas' own
values (constants, bounds and the values around them, lengths, property names) and a fixed
corpus, without asking the engine anything. Each is checked with ``Draft202012Validator`` and
the package's ``FORMAT_CHECKER``; one that one side accepts and the other rejects is a
counterexample. Written here rather than taken from hypothesis-jsonschema (which the older
``test_compat_semantic.py`` uses) because this search must be seeded, fast (hundreds of pairs
in seconds) and aimed at the boundaries the edits move.
"""

from __future__ import annotations

import copy
import json
import random
from typing import Any, Iterator

NAMES = ("a", "b", "c")
PATTERNS = ("^a", "a$", "^[a-c]+$", "^[0-9]{2,4}$", "b", "^.{1,3}$", "^a$", "^[a-z0-9-]{1,5}$")
FORMATS = ("uuid", "date-time")
SCALARS = (None, True, False, 0, 1, -1, 2, 3, 0.5, -0.5, 1.5, 2.5, 10, 100, 1e3, "", "a", "b", "c", "ab", "ba", "abc",
           "aa", "0", "12", "123", "12345", "x-1", "a\nb", "A", "00000000-0000-0000-0000-000000000000",
           "2025-01-01T00:00:00Z", "not-a-date")
TYPES = ("null", "boolean", "integer", "number", "string", "array", "object")
ANNOTATIONS = ({"title": "t"}, {"description": "d"}, {"examples": [1]}, {"$comment": "c"})


# -- schemas ----------------------------------------------------------------------------------
def scalar(rng: random.Random) -> Any:
    return rng.choice(SCALARS[:20])


def string_schema(rng: random.Random) -> dict:
    schema: dict = {"type": "string"}
    for keyword in rng.sample(["minLength", "maxLength", "pattern", "format", "enum"], rng.randint(0, 2)):
        if keyword == "minLength":
            schema[keyword] = rng.randint(0, 3)
        elif keyword == "maxLength":
            schema[keyword] = rng.randint(1, 5)
        elif keyword == "pattern":
            schema[keyword] = rng.choice(PATTERNS)
        elif keyword == "format":
            schema[keyword] = rng.choice(FORMATS)
        else:
            schema[keyword] = rng.sample(["a", "b", "ab", "12", ""], rng.randint(1, 3))
    return schema


def number_schema(rng: random.Random) -> dict:
    schema: dict = {"type": rng.choice(["integer", "number"])}
    for keyword in rng.sample(["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"],
                              rng.randint(0, 2)):
        if keyword == "multipleOf":
            schema[keyword] = rng.choice([1, 2, 3, 0.5, 0.25, 1.5, 0.1])
        else:
            schema[keyword] = rng.choice([-1, 0, 1, 2, 10, 0.5, 2.5])
    return schema


def object_schema(rng: random.Random, depth: int) -> dict:
    schema: dict = {"type": "object"} if rng.random() < 0.8 else {}
    names = rng.sample(NAMES, rng.randint(0, 2))
    if names:
        schema["properties"] = {name: schema_of(rng, depth + 1) for name in names}
    if rng.random() < 0.4:
        schema["required"] = rng.sample(NAMES, rng.randint(1, 2))
    roll = rng.random()
    if roll < 0.2:
        schema["additionalProperties"] = False
    elif roll < 0.3:
        schema["additionalProperties"] = schema_of(rng, depth + 1)
    if rng.random() < 0.2:
        schema["patternProperties"] = {p: schema_of(rng, depth + 1) for p in rng.sample(PATTERNS[:5], rng.randint(1, 2))}
    if rng.random() < 0.1:
        schema["minProperties"] = rng.randint(0, 2)
    if rng.random() < 0.1:
        schema["maxProperties"] = rng.randint(1, 3)
    return schema


def array_schema(rng: random.Random, depth: int) -> dict:
    schema: dict = {"type": "array"}
    roll = rng.random()
    if roll < 0.5:
        schema["items"] = schema_of(rng, depth + 1)
    elif roll < 0.7:
        schema["prefixItems"] = [schema_of(rng, depth + 1) for _ in range(rng.randint(1, 2))]
        if rng.random() < 0.5:
            schema["items"] = rng.choice([False, schema_of(rng, depth + 1)])
    if rng.random() < 0.3:
        schema["minItems"] = rng.randint(0, 2)
    if rng.random() < 0.3:
        schema["maxItems"] = rng.randint(1, 3)
    if rng.random() < 0.1:
        schema["uniqueItems"] = True
    if rng.random() < 0.1:
        schema["contains"] = schema_of(rng, depth + 1)
    return schema


def schema_of(rng: random.Random, depth: int = 0) -> Any:
    if depth >= 3:
        return rng.choice([{"type": rng.choice(TYPES)}, string_schema(rng), number_schema(rng), {}])
    roll = rng.random()
    if roll < 0.04:
        return rng.choice([True, False])
    if roll < 0.14:
        return {"type": rng.choice(TYPES)} if rng.random() < 0.6 else {"type": rng.sample(TYPES, 2)}
    if roll < 0.22:
        return {"enum": rng.sample(SCALARS[:16], rng.randint(1, 3))} if rng.random() < 0.6 else {"const": scalar(rng)}
    if roll < 0.34:
        return string_schema(rng)
    if roll < 0.46:
        return number_schema(rng)
    if roll < 0.66:
        return object_schema(rng, depth)
    if roll < 0.78:
        return array_schema(rng, depth)
    kind = rng.choice(["anyOf", "oneOf", "allOf", "not", "if"])
    if kind == "not":
        return {"not": schema_of(rng, depth + 1)}
    if kind == "if":
        schema = {"if": schema_of(rng, depth + 1), "then": schema_of(rng, depth + 1)}
        if rng.random() < 0.5:
            schema["else"] = schema_of(rng, depth + 1)
        return schema
    return {kind: [schema_of(rng, depth + 1) for _ in range(rng.randint(2, 3))]}


# -- edits ------------------------------------------------------------------------------------
def subschema_paths(schema: Any, path: tuple = ()) -> Iterator[tuple]:
    """Paths to every subschema (JSON Schema applicator positions only)."""
    yield path
    if not isinstance(schema, dict):
        return
    for key in ("items", "not", "if", "then", "else", "additionalProperties", "contains"):
        if key in schema:
            yield from subschema_paths(schema[key], path + (key,))
    for key in ("properties", "patternProperties", "$defs"):
        for name, child in (schema.get(key) or {}).items():
            yield from subschema_paths(child, path + (key, name))
    for key in ("anyOf", "oneOf", "allOf", "prefixItems"):
        for index, child in enumerate(schema.get(key) or []):
            yield from subschema_paths(child, path + (key, index))


def get(schema: Any, path: tuple) -> Any:
    for part in path:
        schema = schema[part]
    return schema


def put(root: Any, path: tuple, value: Any) -> Any:
    if not path:
        return value
    get(root, path[:-1])[path[-1]] = value
    return root


def edit(rng: random.Random, node: Any, depth: int) -> Any:
    """One random change to one subschema (it may or may not change the meaning)."""
    if not isinstance(node, dict) or rng.random() < 0.12:
        return schema_of(rng, depth + 1)
    node = dict(node)
    candidates = [key for key in node if key not in ("$defs",)]
    roll = rng.random()
    if candidates and roll < 0.3:
        del node[rng.choice(candidates)]
        return node
    if roll < 0.55:
        extra = schema_of(rng, 2)
        if isinstance(extra, dict):
            key = rng.choice(list(extra) or ["type"])
            if key in extra:
                node[key] = extra[key]
        return node
    key = rng.choice(candidates) if candidates else "type"
    value = node.get(key)
    if key == "type":
        node[key] = rng.choice(TYPES)
    elif key in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        node[key] = value + rng.choice([-1, 1, 0.5]) if isinstance(value, (int, float)) else 0
    elif key in ("minLength", "maxLength", "minItems", "maxItems", "minProperties", "maxProperties"):
        node[key] = max(0, value + rng.choice([-1, 1])) if isinstance(value, int) else 1
    elif key == "multipleOf":
        node[key] = rng.choice([1, 2, 4, 0.5, 0.25, 0.75, 0.1, 0.2])
    elif key == "pattern":
        node[key] = rng.choice(PATTERNS)
    elif key == "format":
        node[key] = rng.choice(FORMATS)
    elif key == "enum":
        values = list(value)
        if values and rng.random() < 0.5:
            values.remove(rng.choice(values))
        else:
            values.append(scalar(rng))
        node[key] = values if values and len({json.dumps(v) for v in values}) == len(values) else [scalar(rng)]
    elif key == "const":
        node[key] = scalar(rng)
    elif key == "required":
        names = set(value)
        names ^= {rng.choice(NAMES)}
        if names:
            node[key] = sorted(names)
        else:
            del node[key]
    elif key in ("properties", "patternProperties"):
        mapping = dict(value)
        name = rng.choice(NAMES if key == "properties" else PATTERNS[:5])
        if name in mapping and rng.random() < 0.5:
            del mapping[name]
        else:
            mapping[name] = schema_of(rng, depth + 1)
        node[key] = mapping
    elif key in ("anyOf", "oneOf", "allOf", "prefixItems"):
        branches = list(value)
        roll = rng.random()
        if roll < 0.35 and len(branches) > 1:
            branches.pop(rng.randrange(len(branches)))
        elif roll < 0.7:
            branches.append(schema_of(rng, depth + 1))
        elif key in ("anyOf", "oneOf"):
            node[{"anyOf": "oneOf", "oneOf": "anyOf"}[key]] = branches
            del node[key]
            return node
        else:
            branches[rng.randrange(len(branches))] = schema_of(rng, depth + 1)
        node[key] = branches
    elif key == "uniqueItems":
        node[key] = not value
    else:
        node[key] = schema_of(rng, depth + 1) if rng.random() < 0.8 else rng.choice([True, False])
    return node


def rewrite(rng: random.Random, root: Any, path: tuple) -> Any:
    """One change that keeps the meaning of the subschema at ``path``."""
    node = get(root, path)
    roll = rng.random()
    if roll < 0.2:
        if not path and isinstance(node, dict) and "$defs" in node:  # the definitions stay at the root
            inner = {key: value for key, value in node.items() if key != "$defs"}
            return {"allOf": [inner], "$defs": node["$defs"]}
        return put(root, path, {"allOf": [node]})
    if roll < 0.4 and isinstance(root, dict):
        if not path:  # the root itself: it becomes a $ref to its old self, the definitions stay
            defs = dict(root.get("$defs") or {})
            name = f"d{len(defs)}"
            defs[name] = {key: value for key, value in root.items() if key != "$defs"}
            return {"$ref": f"#/$defs/{name}", "$defs": defs}
        defs = root.setdefault("$defs", {})
        name = f"d{len(defs)}"
        defs[name] = node
        return put(root, path, {"$ref": f"#/$defs/{name}"})
    if not isinstance(node, dict):
        return put(root, path, {"allOf": [node, True]})
    node = dict(node)
    if "const" in node and "enum" not in node and roll < 0.55:
        node["enum"] = [node.pop("const")]
    elif isinstance(node.get("type"), str) and roll < 0.7:
        node["type"] = [node["type"]]
    elif roll < 0.85:
        node.update(rng.choice(ANNOTATIONS))
    else:
        keys = list(node)
        rng.shuffle(keys)
        node = {key: node[key] for key in keys}
    return put(root, path, node)


def pairs(seed: int, count: int) -> Iterator[tuple[Any, Any, str]]:
    rng = random.Random(seed)
    for _ in range(count):
        old = schema_of(rng)
        new = copy.deepcopy(old)
        kind = "rewrite" if rng.random() < 1 / 3 else "edit"
        for _ in range(rng.randint(1, 3)):
            paths = [p for p in subschema_paths(new) if "$defs" not in p]
            path = rng.choice(paths)
            if kind == "rewrite":
                new = rewrite(rng, new, path)
            else:
                new = put(new, path, edit(rng, get(new, path), len(path)))
        yield old, new, kind


# -- the counterexample search ---------------------------------------------------------------
def _values(schema: Any, found: dict) -> None:
    """Collect the constants, numbers, lengths and names a schema mentions (recursively)."""
    if isinstance(schema, list):
        for item in schema:
            _values(item, found)
        return
    if not isinstance(schema, dict):
        return
    for key, value in schema.items():
        if key == "const":
            found["scalars"].append(value)
        elif key == "enum" and isinstance(value, list):
            found["scalars"].extend(value)
        elif key in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf") and isinstance(
                value, (int, float)):
            for number in (value, value - 1, value + 1, value - 0.5, value + 0.5, value * 2, value * 3, -value,
                           value * 1.5):
                found["numbers"].append(number)
        elif key in ("minLength", "maxLength") and isinstance(value, int):
            for length in (value - 1, value, value + 1):
                if length >= 0:
                    found["scalars"].extend(["a" * length, "1" * length, "-" * length])
        elif key in ("minItems", "maxItems", "minProperties", "maxProperties") and isinstance(value, int):
            found["lengths"].extend([value - 1, value, value + 1])
        elif key in ("properties", "patternProperties", "$defs") and isinstance(value, dict):
            if key == "properties":
                found["names"].extend(value)
            for child in value.values():
                _values(child, found)
        elif key not in ("examples", "title", "description", "$comment", "default"):
            _values(value, found)


def guided(schema: Any, root: Any, rng: random.Random, leaves: list, depth: int = 0) -> Any:
    """A payload shaped like ``schema``: its declared and required properties, its prefix and
    items, a branch of each combinator, with leaf values drawn from ``leaves`` (the values the
    pair mentions) or from the subschema's own ``enum``/``const``/type."""
    if depth > 4 or not isinstance(schema, dict):
        return rng.choice(leaves)
    if "$ref" in schema and isinstance(schema["$ref"], str) and schema["$ref"].startswith("#/$defs/"):
        target = (root.get("$defs") or {}).get(schema["$ref"].rsplit("/", 1)[-1]) if isinstance(root, dict) else None
        if target is not None and rng.random() < 0.8:
            return guided(target, root, rng, leaves, depth + 1)
    for kind in ("allOf", "anyOf", "oneOf"):
        if schema.get(kind) and rng.random() < 0.5:
            return guided(rng.choice(schema[kind]), root, rng, leaves, depth + 1)
    if "const" in schema and rng.random() < 0.7:
        return copy.deepcopy(schema["const"])
    if isinstance(schema.get("enum"), list) and schema["enum"] and rng.random() < 0.7:
        return copy.deepcopy(rng.choice(schema["enum"]))
    kinds = schema.get("type")
    kinds = [kinds] if isinstance(kinds, str) else list(kinds or [])
    if not kinds:
        kinds = [k for k, keys in (("object", ("properties", "required", "patternProperties", "additionalProperties")),
                                   ("array", ("items", "prefixItems", "contains"))) if any(key in schema for key in keys)]
    kind = rng.choice(kinds) if kinds else None
    if kind == "object":
        out = {}
        props = schema.get("properties") or {}
        for name in list(props) + list(schema.get("required") or []):
            if rng.random() < 0.8:
                out[name] = guided(props.get(name, {}), root, rng, leaves, depth + 1)
        for pattern, sub in (schema.get("patternProperties") or {}).items():
            if rng.random() < 0.5:
                name = rng.choice(["a", "ab", "ba", "b", "aa", "12", "abc"])
                out[name] = guided(sub, root, rng, leaves, depth + 1)
        if rng.random() < 0.3:
            out[rng.choice(["x", "c", "b"])] = guided(schema.get("additionalProperties", {}), root, rng, leaves, depth + 1)
        return out
    if kind == "array":
        out = [guided(sub, root, rng, leaves, depth + 1) for sub in schema.get("prefixItems") or []]
        for _ in range(rng.randint(0, 2)):
            out.append(guided(schema.get("items", {}), root, rng, leaves, depth + 1))
        if "contains" in schema and rng.random() < 0.7:
            out.append(guided(schema["contains"], root, rng, leaves, depth + 1))
        return out
    picks = [value for value in leaves if kind is None or _kind(value) == kind
             or (kind == "number" and _kind(value) == "integer")]
    return copy.deepcopy(rng.choice(picks or leaves))


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int) or (isinstance(value, float) and value.is_integer()):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def instances(old: Any, new: Any, rng: random.Random, limit: int = 260, shaped: int = 120) -> list[Any]:
    found: dict[str, list] = {"scalars": [], "numbers": [], "lengths": [], "names": []}
    _values(old, found)
    _values(new, found)
    scalars = list(SCALARS) + found["scalars"] + found["numbers"] + [1e307, 1.7e308]
    names = list(dict.fromkeys(list(NAMES) + found["names"] + ["ab", "ba", "x", "aa", "cc", "a\nb", "12"]))
    small = [None, True, 0, 1, -1, 0.5, 2.5, "", "a", "ab", "12", [], {}, [1], ["a"], {"a": 1}]
    out: list[Any] = []
    out.extend(scalars)
    for length in [0, 1, 2, 3, 4] + found["lengths"]:
        if 0 <= length <= 6:
            out.extend([[1] * length, ["a"] * length, [[]] * length, [{}] * length, list(range(length))])
            out.append({f"p{i}": 1 for i in range(length)})
    for name in names:
        for value in small + rng.sample(scalars, min(6, len(scalars))):
            out.append({name: value})
    for _ in range(60):
        chosen = rng.sample(names, rng.randint(2, min(4, len(names))))
        out.append({name: rng.choice(small + scalars) for name in chosen})
    for _ in range(30):
        out.append([rng.choice(small + scalars) for _ in range(rng.randint(1, 3))])
        out.append({rng.choice(names): {rng.choice(names): rng.choice(small + scalars)}})
    leaves = scalars + [[], {}]
    for _ in range(shaped):
        side = rng.choice([old, new])
        out.append(guided(side, side, rng, leaves))
    unique: dict[str, Any] = {}
    for value in out:
        unique.setdefault(json.dumps(value, sort_keys=True), value)
    values = list(unique.values())
    if len(values) > limit + shaped:
        values = values[:60] + rng.sample(values[60:], limit + shaped - 60)
    return values
