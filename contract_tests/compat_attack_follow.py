"""Schema pairs aimed at compat-follow's reasoning (audit-compat2), for ``test_compat_attack``.

Each pair exercises one of the places where the engine keeps a change's direction inside a
construct that is not monotone, or masks it by a side's value domain:

* ``oneof``: overlapping ``oneOf`` branches where one branch changes below an object or array
  keyword (``properties``, ``additionalProperties``, ``patternProperties``, ``propertyNames``,
  ``dependentSchemas``, ``items``, ``prefixItems``, ``contains``): ``Differ._isolated`` with
  ``Ctx.kinds``; the whole sometimes under ``not``, a property, ``items``, ``anyOf``, another
  ``oneOf``, ``allOf`` or ``then``;
* ``notoneof``: the same around nested ``not`` (``not``, ``not not``, ``not`` as a ``oneOf``
  branch, ``not`` under a property);
* ``conditional``: an ``if``/``then``/``else`` added or removed where the ``if`` accepts some
  types whole (``_conditional_whole`` as ``applies``), sometimes with a type change beside it;
* ``family``: object/array keywords changed where a side's value domain (``not``, ``enum``,
  ``const``, conditionals, ``oneOf`` of copies, ``allOf``) may hold no object/array (``family``,
  ``_reachable``);
* ``recursive``: ``$ref`` recursion inside ``oneOf`` branches (the ``_cycles`` fallback);
* ``decided``: overlapping ``oneOf`` where only the edited branch can hold objects (arrays), so
  a change below its object (array) keyword is decided, not guarded (``_isolated``);
* ``reorder``: ``oneOf``/``anyOf`` branches reordered among near-copies (``minLength: 0``,
  an annotation, ``anyOf: [S, S]``), some behind ``$ref``s, sometimes with one edit
  (``_exact_pairs``).

Small subschemas and edits come from ``compat_attack`` and ``compat_fuzz``. Seeded and
deterministic; the instances are ``compat_attack.instances`` plus ``compat_fuzz.instances``
and those nested one level (:func:`instances`).
"""

from __future__ import annotations

import copy
import json
import random
from typing import Any, Iterator

import compat_attack as A
import compat_fuzz as F
from compat_fuzz import get, put

T = A.TYPES
pick = A._pick  # one random choice for both generators


def small(rng, depth=2):
    return pick(rng, [A.schema_of(rng, depth), F.schema_of(rng, 2), {"type": pick(rng, T)},
                      {"type": list(rng.sample(T, 2))}, {}, True, False, {"const": pick(rng, A.MIXED)}])

def holder(rng, kind):
    """A branch that holds a changeable part under an object/array keyword."""
    inner = pick(rng, [small(rng), {"type": "string", "maxLength": rng.randint(0, 3)},
                       {"type": ["integer", "null"], "minimum": rng.randint(0, 3)}, {"type": "string", "pattern": "^a"}])
    t = pick(rng, [kind, [kind, "string"], [kind, "integer", "null"], None])
    if kind == "object":
        key = pick(rng, ["properties", "additionalProperties", "patternProperties", "propertyNames", "dependentSchemas"])
        b = {"properties": {"a": inner}} if key == "properties" else \
            {"additionalProperties": inner} if key == "additionalProperties" else \
            {"patternProperties": {"^a": inner}} if key == "patternProperties" else \
            {"propertyNames": pick(rng, [{"maxLength": 1}, {"pattern": "^a"}, {"enum": ["a", "b"]}])} if key == "propertyNames" else \
            {"dependentSchemas": {"a": inner}}
        if rng.random() < 0.4: b["required"] = ["a"]
    else:
        key = pick(rng, ["items", "prefixItems", "contains"])
        b = {"items": inner} if key == "items" else {"prefixItems": [inner]} if key == "prefixItems" else {"contains": inner}
        if rng.random() < 0.3: b["minItems"] = 1
    if t is not None: b["type"] = t
    return b

def other_branch(rng):
    return pick(rng, [{"type": "string"}, {"type": "object"}, {"type": "array"}, {"type": ["object", "array"]},
                      {}, {"not": {"type": "integer"}}, {"type": "object", "required": ["b"]}, {"required": ["b"]},
                      {"type": "object", "minProperties": 2}, {"type": "array", "minItems": 2}, {"type": ["object", "array"]},
                      {"type": "array", "maxItems": 1}, {"type": ["string", "integer"], "minimum": 2},
                      {"properties": {"a": {"type": "integer"}}}, {"items": {"type": "string"}},
                      {"enum": [{}, [], "a", 1]}, {"const": {"a": 1}}, {"const": [1]},
                      small(rng), holder(rng, pick(rng, ["object", "array"]))])

def edit_under(rng, branch):
    """Edit something strictly below an object/array keyword of branch (or the branch itself)."""
    ps = [p for p in A.paths(branch) if p and p[0] in ("properties", "additionalProperties", "patternProperties",
                                                      "items", "prefixItems", "contains", "dependentSchemas", "propertyNames")]
    if not ps or rng.random() < 0.15:
        return A.edit(rng, branch, 0)
    where = pick(rng, ps)
    return put(branch, where, pick(rng, [A.edit, F.edit])(rng, get(branch, where), len(where)))

def wrap(rng, old, new):
    w = pick(rng, ["none", "none", "not", "notnot", "prop", "items", "anyOf", "oneOfOuter", "allOf", "ifthen"])
    if w == "none": return old, new
    if w == "not": return {"not": old}, {"not": new}
    if w == "notnot": return {"not": {"not": old}}, {"not": {"not": new}}
    if w == "prop":
        return ({"type": "object", "properties": {"p": old}, "required": ["p"]},
                {"type": "object", "properties": {"p": new}, "required": ["p"]})
    if w == "items": return {"type": "array", "items": old}, {"type": "array", "items": new}
    if w == "anyOf":
        o = other_branch(rng)
        return {"anyOf": [old, o]}, {"anyOf": [new, copy.deepcopy(o)]}
    if w == "oneOfOuter":
        o = other_branch(rng)
        return {"oneOf": [o, old]}, {"oneOf": [copy.deepcopy(o), new]}
    if w == "allOf":
        o = other_branch(rng)
        return {"allOf": [old, o]}, {"allOf": [new, copy.deepcopy(o)]}
    c = {"type": pick(rng, T)}
    return {"if": c, "then": old}, {"if": c, "then": new}

def shape_oneof(rng):
    kind = pick(rng, ["object", "array"])
    branches = [holder(rng, kind)] + [other_branch(rng) for _ in range(rng.randint(1, 3))]
    rng.shuffle(branches)
    old = {"oneOf": branches}
    new = copy.deepcopy(old)
    i = next(k for k, b in enumerate(branches) if isinstance(b, dict) and any(x in b for x in ("properties", "items", "prefixItems", "contains", "additionalProperties", "patternProperties", "dependentSchemas", "propertyNames")))
    new["oneOf"][i] = edit_under(rng, new["oneOf"][i])
    if rng.random() < 0.2:  # and one more edit elsewhere
        k = rng.randrange(len(branches))
        new["oneOf"][k] = A.edit(rng, new["oneOf"][k], 1)
    if rng.random() < 0.2: new["oneOf"] = list(reversed(new["oneOf"]))
    if rng.random() < 0.2:
        t = pick(rng, [["object", "string"], ["array", "object", "null"], "object"])
        old["type"] = t
        new["type"] = t
    return wrap(rng, old, new)

def shape_notoneof(rng):
    old, new = shape_oneof(rng)
    w = pick(rng, ["not", "notnot", "notinoneof", "notprop"])
    if w == "not": return {"not": old}, {"not": new}
    if w == "notnot": return {"not": {"not": old}}, {"not": {"not": new}}
    if w == "notinoneof":
        o = other_branch(rng)
        return {"oneOf": [{"not": old}, o]}, {"oneOf": [{"not": new}, copy.deepcopy(o)]}
    return ({"type": "object", "properties": {"a": {"not": old}}}, {"type": "object", "properties": {"a": {"not": new}}})

IFS = [{"type": "string"}, {"type": ["string", "integer"]}, {"not": {"type": "object"}}, {"type": "object", "required": ["a"]},
       {"minimum": 3}, {"properties": {"a": {"type": "string"}}}, {"maxLength": 2}, {"items": {"type": "integer"}},
       {"required": ["a"]}, {"const": 1}, {"enum": ["a", 1, None]}, {"type": "array"}, {"not": {"maxLength": 1}},
       {"anyOf": [{"type": "string"}, {"required": ["a"]}]}, {"oneOf": [{"type": "number"}, {"minimum": 2}]}, True, False]
THENS = [False, {"type": "string"}, {"type": "integer"}, {"required": ["b"]}, {"minLength": 2}, {"maximum": 1},
         {"type": "object"}, {"not": {}}, {"items": False}, {"additionalProperties": False}, {}, {"const": "a"}]

def shape_conditional(rng):
    base = pick(rng, [{"type": pick(rng, T)}, {"type": list(rng.sample(T, rng.randint(2, 4)))}, {}, small(rng),
                      {"oneOf": [other_branch(rng), other_branch(rng)]}, {"not": {"type": pick(rng, T)}}])
    if not isinstance(base, dict): base = {}
    cond = {"if": pick(rng, IFS)}
    if rng.random() < 0.85: cond["then"] = pick(rng, THENS)
    if rng.random() < 0.6: cond["else"] = pick(rng, THENS)
    old = copy.deepcopy(base)
    new = copy.deepcopy(base)
    new.update(copy.deepcopy(cond))
    if rng.random() < 0.3:
        new = A.edit(rng, new, 0) if rng.random() < 0.5 else new
        # also a type change at the node
        tt = list(rng.sample(T, rng.randint(1, 3)))
        new["type"] = tt
    if rng.random() < 0.5: old, new = new, old
    return wrap(rng, old, new) if rng.random() < 0.6 else shape_wrap_not(rng, old, new)

def shape_wrap_not(rng, old, new):
    return pick(rng, [(old, new), ({"not": old}, {"not": new}), ({"oneOf": [old, {"type": "string"}]}, {"oneOf": [new, {"type": "string"}]})])

DOMAINS = [{"type": "string"}, {"not": {"type": "object"}}, {"not": {"type": "array"}}, {"enum": [{}, "a"]}, {"const": []},
           {"const": {}}, {"if": {"type": "object"}, "then": False}, {"if": {"type": "array"}, "then": {"type": "string"}},
           {"oneOf": [{"type": "object"}, {"type": "object"}]}, {"allOf": [{"type": ["object", "string"]}, {"type": ["array", "string"]}]},
           {"anyOf": [{"type": "string"}, {"const": {"a": 1}}]}, {"anyOf": [{"type": "string"}, {"const": [1]}]},
           {"type": ["object", "string"]}, {"type": ["array", "null"]}, {}, {"not": {"not": {"type": "object"}}},
           {"not": {"anyOf": [{"type": "object"}, {"type": "array"}]}}, {"oneOf": [{"type": "object"}, {"required": ["a"]}]},
           {"type": "object", "maxProperties": 0}, {"type": "array", "maxItems": 0}, {"not": {}}, {"enum": [[], {}, [1]]}]

def shape_family(rng):
    kw = pick(rng, ["additionalProperties", "items", "properties", "patternProperties", "contains", "prefixItems",
                    "unevaluatedProperties", "propertyNames", "required", "maxProperties", "minItems", "dependentSchemas"])
    def val():
        if kw == "properties": return {"a": pick(rng, [False, {"type": pick(rng, T)}, {}])}
        if kw == "patternProperties": return {"^a": pick(rng, [False, {"type": pick(rng, T)}])}
        if kw == "prefixItems": return [pick(rng, [False, {"type": pick(rng, T)}])]
        if kw == "propertyNames": return pick(rng, [{"maxLength": 1}, False, {"pattern": "^a"}])
        if kw == "required": return [pick(rng, ["a", "b"])]
        if kw in ("maxProperties", "minItems"): return rng.randint(0, 2)
        if kw == "dependentSchemas": return {"a": pick(rng, [False, {"required": ["b"]}])}
        return pick(rng, [False, {"type": pick(rng, T)}, {}, {"minimum": 2}])
    do, dn = copy.deepcopy(pick(rng, DOMAINS)), copy.deepcopy(pick(rng, DOMAINS))
    old = dict(do) if rng.random() < 0.8 else {"allOf": [do]}
    new = dict(dn) if rng.random() < 0.8 else {"allOf": [dn]}
    if rng.random() < 0.8: old[kw] = val()
    if rng.random() < 0.8: new[kw] = val()
    if rng.random() < 0.3:
        k2 = pick(rng, ["additionalProperties", "items"])
        old[k2] = pick(rng, [False, {"type": "string"}])
        new.pop(k2, None)
    return wrap(rng, old, new) if rng.random() < 0.7 else shape_wrap_not(rng, old, new)

def shape_recursive(rng):
    node = {"oneOf": [{"type": "object", "properties": {"c": {"$ref": "#/$defs/n"}, "v": small(rng)}},
                      other_branch(rng), other_branch(rng)][: rng.randint(2, 3)]}
    if rng.random() < 0.3:
        node["oneOf"].append({"type": "array", "items": {"$ref": "#/$defs/n"}})
    old = {"$defs": {"n": node}, "$ref": "#/$defs/n"}
    new = copy.deepcopy(old)
    b = new["$defs"]["n"]["oneOf"]
    k = rng.randrange(len(b))
    if k == 0 and rng.random() < 0.6:
        b[0]["properties"]["v"] = pick(rng, [A.edit, F.edit])(rng, b[0]["properties"]["v"], 2)
    else:
        b[k] = edit_under(rng, b[k]) if isinstance(b[k], dict) else A.edit(rng, b[k], 1)
    if rng.random() < 0.2: b.reverse()
    if rng.random() < 0.2:
        old, new = ({"not": {"$ref": "#/$defs/n"}, "$defs": old["$defs"]},
                    {"not": {"$ref": "#/$defs/n"}, "$defs": new["$defs"]})
    return old, new

def near(rng, s):
    s = copy.deepcopy(s) if isinstance(s, dict) else {}
    extra = pick(rng, [{"minLength": 0}, {"minLength": 1}, {"title": "x"}, {"maxLength": 3}, {"minimum": 0},
                       {"type": pick(rng, T)}, {"required": []}, {"properties": {}}, {"items": True}, {"not": False},
                       {"anyOf": [copy.deepcopy(s), copy.deepcopy(s)]} if s else {"allOf": [{}]}])
    s.update(extra)
    return s

def shape_reorder(rng):
    kind = pick(rng, ["oneOf", "anyOf"])
    base = [pick(rng, [{"type": "string"}, {"type": "integer"}, small(rng, 2), {"type": "object", "properties": {"a": {"type": "string"}}}])
            for _ in range(rng.randint(1, 3))]
    branches = []
    for b in base:
        branches.append(b)
        if rng.random() < 0.7: branches.append(near(rng, b))
    if rng.random() < 0.3: branches.append(copy.deepcopy(branches[0]))
    old = {kind: branches}
    nb = copy.deepcopy(branches)
    rng.shuffle(nb)
    if rng.random() < 0.7:
        k = rng.randrange(len(nb))
        nb[k] = A.edit(rng, nb[k], 1) if rng.random() < 0.5 else near(rng, nb[k])
    new = {kind: nb}
    if rng.random() < 0.25:
        new = {"$defs": {f"b{i}": b for i, b in enumerate(nb)}, kind: [{"$ref": f"#/$defs/b{i}"} for i in range(len(nb))]}
    return wrap(rng, old, new)

def shape_decided(rng):
    """Overlapping ``oneOf`` where the edited branch is the only one that can hold objects
    (arrays): the branches overlap on a scalar type, so a change below the object (array)
    keyword keeps its directions (``_isolated`` decides it) and is checked here."""
    kind = pick(rng, ["object", "array"])
    scalar = pick(rng, ["string", "integer", "null", "number"])
    edited = holder(rng, kind)
    edited["type"] = [kind, scalar] if rng.random() < 0.8 else kind
    others = [pick(rng, [{"type": scalar}, {"type": [scalar, "boolean"]}, {"not": {"type": ["object", "array"]}},
                         {"type": "string", "maxLength": 2}, {"type": "integer", "minimum": 1}, {"enum": [1, "a", None, True]},
                         {"type": "array" if kind == "object" else "object"}, {"const": {} if kind == "array" else []},
                         {"if": {"type": scalar}, "then": {}, "else": False}])
              for _ in range(rng.randint(1, 3))]
    branches = [edited] + others
    rng.shuffle(branches)
    old = {"oneOf": branches}
    new = copy.deepcopy(old)
    i = branches.index(edited)
    new["oneOf"][i] = edit_under(rng, new["oneOf"][i])
    if rng.random() < 0.3 and isinstance(new["oneOf"][i], dict):  # and a change of scalars only, at the oneOf's place
        new["oneOf"][i][pick(rng, ["maxLength", "minimum", "minLength"])] = rng.randint(0, 3)
    return wrap(rng, old, new)


SHAPES = {"oneof": shape_oneof, "notoneof": shape_notoneof, "conditional": shape_conditional,
          "family": shape_family, "recursive": shape_recursive, "reorder": shape_reorder, "decided": shape_decided}

def pairs(seed, count, shapes=None):
    rng = random.Random(seed)
    # overlapping `oneOf` (the new per-change reasoning) gets four turns in nine
    names = sorted(shapes) if shapes else ["oneof", "notoneof", "decided", "conditional", "family", "oneof",
                                           "recursive", "decided", "reorder"]
    made = 0
    while made < count:
        name = names[made % len(names)]
        old, new = SHAPES[name](rng)
        old, new = copy.deepcopy(old), copy.deepcopy(new)
        if json.dumps(old, sort_keys=True) == json.dumps(new, sort_keys=True):
            continue
        made += 1
        yield old, new


def instances(old: Any, new: Any, rng: random.Random, limit: int = 300) -> list[Any]:
    """Both harnesses' payloads, and the first 200 of them one level down (a property, an
    item, the recursive ``c``), where the shapes above put their changes."""
    out = A.instances(old, new, rng, limit) + F.instances(old, new, rng)
    for value in out[:200]:
        out += [{"p": value}, {"a": value}, {"c": value}, [value], {"c": {"c": value}}, {"a": value, "b": 1},
                {"c": value, "v": 1}]
    return out
