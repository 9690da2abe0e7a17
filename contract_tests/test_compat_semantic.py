"""The compat engine's verdicts cross-checked against real validation, on random schema pairs.

Hypothesis builds a small draft 2020-12 schema (types and type lists, enum, const,
string/number/array bounds, multipleOf, patterns from a fixed set, objects open and closed,
items/prefixItems, anyOf/allOf/not) and a mutation of it (1-3 edits). hypothesis-jsonschema
samples payloads from each side and jsonschema validates them against both:

* a payload *new* accepts and *old* rejects proves forward broken, so
  ``compare(old, new, direction="forward", policy="strict")`` must not say compatible
  (symmetrically for backward). The strict policy is the one whose verdict is purely
  semantic: the lenient one deliberately ignores property declarations on open objects.
* every witness the engine returns must hold under jsonschema.
* a schema compared with itself, or with a refactored copy (reordered, wrapped in
  ``allOf``, moved into ``$defs`` behind ``$ref``), is compatible everywhere and reports nothing.

What sampling leaves open is then searched in the difference itself, ``{"allOf": [source,
{"not": other}]}``, which hypothesis-jsonschema often solves outright (an enum minus an enum) or
proves empty; a counterexample there to a *compatible* verdict fails the test too.

The engine may call a pair breaking without any counterexample being found (sampling is not a
proof, and the engine fails closed); that is counted and printed (``-s`` not needed), not failed.
Deterministic (``derandomize=True``, no database); about 30 s on 2 cores. For a longer soak:
``COMPAT_SEMANTIC_EXAMPLES=2000 COMPAT_SEMANTIC_SEED=1 COMPAT_SEMANTIC_AIMED_SECONDS=300``.
"""

from __future__ import annotations

import copy
import json
import os
import time
from collections import Counter
from functools import lru_cache

import pytest
from hypothesis import HealthCheck, Phase, find, given, note, reject, seed, settings
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument, NoSuchExample, Unsatisfiable
from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from access_events.compat import DIRECTIONS, POLICIES, compare
from conftest import require_module

hypothesis_jsonschema = require_module("hypothesis_jsonschema", "`make install` installs it (the dev extra)")


def _adapt_hypothesis_jsonschema() -> None:
    """hypothesis-jsonschema 0.23.1 (its latest release) drives objects with ``many(...).more()``, a Hypothesis
    internal that recent Hypothesis (6.170 here) replaced by ``with many(...) as m: for _ in m``; unadapted, every
    object payload fails with AttributeError. Give its module a ``many`` with the old interface on top of the new
    one; a no-op with a Hypothesis that still has ``more()``."""
    from types import SimpleNamespace

    from hypothesis.internal.conjecture import utils as cu
    from hypothesis_jsonschema import _from_schema

    if hasattr(cu.many, "more") or not hasattr(cu.many, "__enter__"):
        return

    class LegacyMany:
        def __init__(self, data, **sizes):
            self._many = cu.many(data, **sizes)
            self._many.__enter__()
            self._elements = iter(self._many)

        def more(self) -> bool:
            if next(self._elements, StopIteration) is StopIteration:
                self._many.__exit__(None, None, None)
                return False
            return True

        def reject(self, why=None) -> None:
            self._many.reject(why)

    _from_schema.cu = SimpleNamespace(**{**vars(cu), "many": LegacyMany})


_adapt_hypothesis_jsonschema()

#: Pairs for the cross-check; ``COMPAT_SEMANTIC_EXAMPLES`` raises them for a longer local soak, and
#: ``COMPAT_SEMANTIC_SEED`` draws another deterministic sequence of pairs.
EXAMPLES = int(os.environ.get("COMPAT_SEMANTIC_EXAMPLES", "500"))
SEED = os.environ.get("COMPAT_SEMANTIC_SEED")
#: Payloads drawn from each side of a pair.
DRAWS = 6

SETTINGS = settings(
    max_examples=EXAMPLES,
    derandomize=SEED is None,
    database=None,
    deadline=None,
    print_blob=False,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
)

PATTERNS = ["^a", "^ab", "b$", "^[a-c]*$", "^[a-z]+$", "^[0-9]{2}$", "^[0-9]+$", "^a[0-9]*$", "a|b"]
NAMES = ["a", "b", "c", "d"]
SCALARS = [None, True, False, 0, 1, 2, -1, 1.5, "", "a", "b", "ab", "x"]
TYPES = ["string", "integer", "number", "boolean", "null", "array", "object"]
_ABSENT = object()

# -- schemas -----------------------------------------------------------------------------------

def _optional(mapping: dict, **optional) -> st.SearchStrategy[dict]:
    return st.fixed_dictionaries(mapping, optional=optional)


def _enum_values() -> st.SearchStrategy[list]:
    return st.lists(st.sampled_from(SCALARS), min_size=1, max_size=4, unique_by=lambda v: json.dumps(v))


SMALL = st.integers(-3, 3)

LEAVES = st.one_of(
    _optional({"type": st.just("string")}, minLength=st.integers(0, 2), maxLength=st.integers(0, 4),
              pattern=st.sampled_from(PATTERNS)),
    _optional({"type": st.sampled_from(["integer", "number"])}, minimum=SMALL, maximum=SMALL,
              exclusiveMinimum=SMALL, exclusiveMaximum=SMALL, multipleOf=st.sampled_from([1, 2, 3, 0.5])),
    st.fixed_dictionaries({"type": st.sampled_from(["boolean", "null"])}),
    _optional({"type": st.lists(st.sampled_from(TYPES[:5]), min_size=1, max_size=3, unique=True)},
              minLength=st.integers(0, 2), minimum=SMALL),
    st.fixed_dictionaries({"enum": _enum_values()}),
    st.fixed_dictionaries({"const": st.sampled_from(SCALARS)}),
    st.just({}),
)


@st.composite
def _objects(draw, children):
    schema: dict = {} if draw(st.integers(0, 3)) == 0 else {"type": "object"}
    names = draw(st.lists(st.sampled_from(NAMES), unique=True, max_size=3))
    if names:
        schema["properties"] = {name: draw(children) for name in names}
    required = draw(st.lists(st.sampled_from(NAMES), unique=True, max_size=2))
    if required:
        schema["required"] = required
    extra = draw(st.sampled_from([_ABSENT, _ABSENT, False, {"type": "integer"}]))
    if extra is not _ABSENT:
        schema["additionalProperties"] = extra
    return schema


@st.composite
def _arrays(draw, children):
    schema: dict = {"type": "array"}
    if draw(st.booleans()):
        schema["prefixItems"] = draw(st.lists(children, min_size=1, max_size=2))
    if draw(st.booleans()):
        schema["items"] = draw(st.one_of(children, st.just(False)))
    lo = draw(st.sampled_from([_ABSENT, 0, 1, 2]))
    if lo is not _ABSENT:
        schema["minItems"] = lo
    hi = draw(st.sampled_from([_ABSENT, 1, 2, 3]))
    if hi is not _ABSENT:
        schema["maxItems"] = hi
    if draw(st.integers(0, 3)) == 0:
        schema["uniqueItems"] = True
    return schema


def _extend(children):
    return st.one_of(
        _objects(children),
        _arrays(children),
        st.lists(children, min_size=2, max_size=2).map(lambda parts: {"anyOf": parts}),
        st.lists(children, min_size=2, max_size=2).map(lambda parts: {"allOf": parts}),
        LEAVES.map(lambda part: {"not": part}),
    )


def schemas() -> st.SearchStrategy[dict]:
    """A small schema; most are objects, the shape of an event."""
    nested = st.recursive(LEAVES, _extend, max_leaves=5)
    return st.one_of(_objects(nested), nested)


# -- mutations ---------------------------------------------------------------------------------

def _paths(schema, path=()):
    """Every subschema position in ``schema``, as key paths from the root."""
    found = [path]
    if not isinstance(schema, dict):
        return found
    for key in ("items", "not", "additionalProperties"):
        if key in schema:
            found += _paths(schema[key], path + (key,))
    for name, sub in schema.get("properties", {}).items():
        found += _paths(sub, path + ("properties", name))
    for key in ("prefixItems", "anyOf", "allOf"):
        for index, sub in enumerate(schema.get(key, [])):
            found += _paths(sub, path + (key, index))
    return found


def _get(schema, path):
    for key in path:
        schema = schema[key]
    return schema


def _set(schema, path, value):
    if not path:
        return value
    _get(schema, path[:-1])[path[-1]] = value
    return schema


BOUNDS = ["minLength", "maxLength", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
          "minItems", "maxItems", "multipleOf"]


KINDS = ["bound", "enum", "required", "type", "property", "extra", "pattern", "const", "items", "prefix",
         "unique", "any_of", "all_of", "not"]


def _relevant(node: dict) -> list[str]:
    """The edits that usually matter for this subschema (any edit may be drawn, less often)."""
    types = node.get("type", [])
    types = {types} if isinstance(types, str) else set(types)
    kinds = ["type", "all_of", "not"]
    if "enum" in node or "const" in node:
        kinds += ["enum", "const"]
    if "string" in types or "pattern" in node:
        kinds += ["bound", "pattern"]
    if types & {"integer", "number"}:
        kinds += ["bound"]
    if "object" in types or "properties" in node or "required" in node:
        kinds += ["required", "property", "property", "extra"]
    if "array" in types or "items" in node or "prefixItems" in node:
        kinds += ["bound", "items", "prefix", "unique"]
    if "anyOf" in node:
        kinds += ["any_of", "any_of"]
    return kinds


def _mutate_node(draw, node):
    """One edit of one subschema; returns the new subschema."""
    if not isinstance(node, dict):
        return draw(LEAVES) if node is False else {"not": draw(LEAVES)}
    node = dict(node)
    kind = draw(st.sampled_from(_relevant(node)) if draw(st.integers(0, 4)) else st.sampled_from(KINDS))
    if kind == "bound":
        keyword = draw(st.sampled_from(BOUNDS))
        if keyword == "multipleOf":
            choice = draw(st.sampled_from([_ABSENT, 1, 2, 3, 4, 0.5]))
        else:
            current = node.get(keyword, 0)
            choice = draw(st.sampled_from([_ABSENT, current - 1, current + 1, current + 2, current - 2]))
            if keyword in ("minLength", "maxLength", "minItems", "maxItems") and choice is not _ABSENT:
                choice = max(0, choice)
        if choice is _ABSENT:
            node.pop(keyword, None)
        else:
            node[keyword] = choice
    elif kind == "enum":
        values = list(node.get("enum", []))
        action = draw(st.sampled_from(["add", "remove", "drop"] if values else ["new"]))
        if action in ("add", "new"):
            extra = draw(st.sampled_from(SCALARS))
            if not any(json.dumps(extra) == json.dumps(v) for v in values):
                values.append(extra)
            node["enum"] = values
        elif action == "remove" and len(values) > 1:
            values.pop(draw(st.integers(0, len(values) - 1)))
            node["enum"] = values
        else:
            node.pop("enum", None)
    elif kind == "required":
        required = list(node.get("required", []))
        name = draw(st.sampled_from(NAMES))
        if name in required:
            required.remove(name)
        else:
            required.append(name)
        if required:
            node["required"] = required
        else:
            node.pop("required", None)
    elif kind == "type":
        current = node.get("type", _ABSENT)
        types = [] if current is _ABSENT else ([current] if isinstance(current, str) else list(current))
        action = draw(st.sampled_from(["widen", "narrow", "set", "drop"]))
        if action == "widen" or not types:
            extra = draw(st.sampled_from(TYPES))
            types = types + [extra] if extra not in types else types
        elif action == "narrow" and len(types) > 1:
            types.pop(draw(st.integers(0, len(types) - 1)))
        elif action == "set":
            types = [draw(st.sampled_from(TYPES))]
        else:
            types = []
        if types:
            node["type"] = types[0] if len(types) == 1 and draw(st.booleans()) else types
        else:
            node.pop("type", None)
    elif kind == "property":
        properties = dict(node.get("properties", {}))
        name = draw(st.sampled_from(NAMES))
        if name in properties and draw(st.booleans()):
            del properties[name]
        else:
            properties[name] = draw(LEAVES)
        if properties:
            node["properties"] = properties
        else:
            node.pop("properties", None)
    elif kind == "extra":
        choice = draw(st.sampled_from([_ABSENT, False, {"type": "integer"}, {"type": "string"}]))
        if choice is _ABSENT:
            node.pop("additionalProperties", None)
        else:
            node["additionalProperties"] = choice
    elif kind == "pattern":
        choice = draw(st.sampled_from([_ABSENT, *PATTERNS]))
        if choice is _ABSENT:
            node.pop("pattern", None)
        else:
            node["pattern"] = choice
    elif kind == "const":
        choice = draw(st.sampled_from([_ABSENT, *SCALARS]))
        if choice is _ABSENT:
            node.pop("const", None)
        else:
            node["const"] = choice
    elif kind == "items":
        choice = draw(st.one_of(st.just(_ABSENT), st.just(False), LEAVES))
        if choice is _ABSENT:
            node.pop("items", None)
        else:
            node["items"] = choice
    elif kind == "prefix":
        prefix = list(node.get("prefixItems", []))
        if prefix and draw(st.booleans()):
            prefix.pop()
        else:
            prefix.append(draw(LEAVES))
        if prefix:
            node["prefixItems"] = prefix
        else:
            node.pop("prefixItems", None)
    elif kind == "unique":
        if node.pop("uniqueItems", False) is not True:
            node["uniqueItems"] = True
    elif kind == "any_of":
        branches = list(node.get("anyOf", []))
        if len(branches) > 1 and draw(st.booleans()):
            branches.pop(draw(st.integers(0, len(branches) - 1)))
        else:
            branches.append(draw(LEAVES))
        node["anyOf"] = branches
    elif kind == "all_of":
        return {"allOf": [node]} if draw(st.booleans()) else {"allOf": [node, draw(LEAVES)]}
    elif kind == "not":
        if "not" in node:
            node.pop("not")
        else:
            return {"allOf": [node], "not": draw(LEAVES)}
    return node


@st.composite
def schema_pairs(draw):
    old = draw(schemas())
    new = copy.deepcopy(old)
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(_paths(new)))
        new = _set(new, path, _mutate_node(draw, copy.deepcopy(_get(new, path))))
    return old, new


# -- payloads ----------------------------------------------------------------------------------

def _to_draft7(schema):
    """hypothesis-jsonschema generates for drafts 4-7: ``prefixItems``/``items`` become ``items``/``additionalItems``."""
    if isinstance(schema, list):
        return [_to_draft7(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out = {}
    for key, value in schema.items():
        if key == "prefixItems":
            continue
        if key == "items" and "prefixItems" in schema:
            out["additionalItems"] = _to_draft7(value)
        elif key == "properties":
            out[key] = {name: _to_draft7(sub) for name, sub in value.items()}
        elif key in ("anyOf", "allOf", "oneOf", "not", "additionalProperties", "items"):
            out[key] = _to_draft7(value)
        else:
            out[key] = value
    if "prefixItems" in schema:
        out["items"] = _to_draft7(schema["prefixItems"])
    return out


def _key(schema) -> str:
    return json.dumps(schema, sort_keys=True)


@lru_cache(maxsize=4096)
def _validator(key: str) -> Draft202012Validator:
    return Draft202012Validator(json.loads(key))


def valid(schema, instance) -> bool:
    return _validator(_key(schema)).is_valid(instance)


STATS: Counter = Counter()


def payloads(schema) -> st.SearchStrategy | None:
    """Payloads for ``schema`` from hypothesis-jsonschema, or None when it finds it unsatisfiable or cannot handle it."""
    try:
        strategy = hypothesis_jsonschema.from_schema(_draft7(schema))
        empty = strategy.is_empty  # builds the lazy parts, which may raise too
    except Exception as error:  # unsupported or contradictory schema (minLength > maxLength...): the generator gives up
        STATS[f"generator raised {type(error).__name__}"] += 1
        return None
    if "error_raiser" in repr(strategy):  # from_schema defers its own errors to the first draw
        STATS["generator gave up on a schema (deferred error)"] += 1
        return None
    if empty:
        STATS["generator proved a schema empty (a side, or a difference)"] += 1
        return None
    return strategy


#: What hypothesis-jsonschema raises on a schema it cannot handle after all (its own canonical forms can fail
#: the metaschema, e.g. ``"items": []``).
GENERATOR_ERRORS = (InvalidArgument, SchemaError)


def _draw(data, strategy, label):
    """A payload; hypothesis-jsonschema builds some strategies lazily and may only then find a contradiction it
    cannot express (``minLength`` > ``maxLength`` under ``uniqueItems``...): that example is dropped, and counted."""
    try:
        return data.draw(strategy, label=label)
    except GENERATOR_ERRORS as error:
        STATS[f"generator raised {type(error).__name__} while drawing (example dropped)"] += 1
        reject()


def _describe(report) -> str:
    return "\n".join(f"    {c.rule} at {c.pointer} fwd={c.breaks_forward} bwd={c.breaks_backward} unknown={c.unknown}"
                     for c in report.changes) or "    (no changes)"


def _check_witnesses(old, new, report) -> None:
    sides = {"old": old, "new": new}
    for change in report.breaking:
        witness = change.witness
        if witness is None:
            continue
        STATS["witnesses checked"] += 1
        assert valid(sides[witness.accepted_by], witness.instance), (
            f"{change.rule}: witness {witness.instance!r} is not accepted by {witness.accepted_by}")
        assert not valid(sides[witness.rejected_by], witness.instance), (
            f"{change.rule}: witness {witness.instance!r} is not rejected by {witness.rejected_by}")


# -- the cross-check ---------------------------------------------------------------------------

def _draft7(schema):
    return {"$schema": "http://json-schema.org/draft-07/schema#", **_to_draft7(schema)} if isinstance(schema, dict) else schema


def _refute(direction, instance, old, new, report):
    accepted = "new" if direction == "forward" else "old"
    assert not report.compatible, (
        f"{direction} is broken: {instance!r} is valid under {accepted} and not under the other, "
        f"but the engine says compatible\nold={json.dumps(old)}\nnew={json.dumps(new)}\n{_describe(report)}")


#: Pairs and directions left for the aimed search, as (old, new, direction, engine says compatible).
PENDING: dict[str, tuple] = {}


def _seeded(test):
    return seed(int(SEED))(test) if SEED is not None else test


@_seeded
@SETTINGS
@given(st.data())
def _cross_check(data):
    old, new = data.draw(schema_pairs(), label="old, new")
    STATS["pairs"] += 1
    if _key(old) == _key(new):  # JSON equality: in Python True == 1
        STATS["pairs whose edits cancelled out (identity, checked below)"] += 1
    reports = {d: compare(old, new, direction=d, policy="strict") for d in ("forward", "backward")}
    for direction, report in reports.items():
        note(f"{direction}: compatible={report.compatible}\n{_describe(report)}")
        _check_witnesses(old, new, report)
        if report.breaking and all(c.witness is None for c in report.breaking):
            STATS[f"{direction}: breaking, and no witness from the engine"] += 1
    # forward is refuted by a payload of new that old rejects; backward by one of old that new rejects
    for direction, (source, other) in {"forward": (new, old), "backward": (old, new)}.items():
        report = reports[direction]
        strategy = payloads(source)
        refuted = False
        if strategy is not None:
            for _ in range(DRAWS):
                instance = _draw(data, strategy, f"payload of {'new' if direction == 'forward' else 'old'}")
                if not valid(source, instance):
                    STATS["generated payload invalid for its own schema (discarded)"] += 1
                    continue
                STATS["payloads checked"] += 1
                if not valid(other, instance):
                    refuted = True
                    _refute(direction, instance, old, new, report)
                    break
        if refuted:
            STATS[f"{direction}: breaking, counterexample sampled"] += 1
        elif _key(old) == _key(new):
            assert report.compatible and not report.changes, _describe(report)
        else:
            PENDING[json.dumps([old, new, direction])] = (old, new, direction, report.compatible)


def _refute(direction, instance, old, new, report):
    accepted = "new" if direction == "forward" else "old"
    assert not report.compatible, (
        f"{direction} is broken: {instance!r} is valid under {accepted} and not under the other, "
        f"but the engine says compatible\nold={json.dumps(old)}\nnew={json.dumps(new)}\n{_describe(report)}")


#: Seconds for the aimed search after sampling; ``COMPAT_SEMANTIC_AIMED_SECONDS`` for a longer soak.
AIMED_SECONDS = float(os.environ.get("COMPAT_SEMANTIC_AIMED_SECONDS", "15"))
AIMED = settings(max_examples=3, derandomize=True, database=None, deadline=None, phases=[Phase.generate, Phase.shrink],
                 suppress_health_check=list(HealthCheck))


def _aim(old, new, direction):
    """The difference for one claim: (order, strategy, source, other). The strategy is None when the generator
    proves the difference empty; order puts differences the generator solved before those it can only reach by
    filtering (a filter takes seconds to give up on an empty difference), smallest first."""
    source, other = (new, old) if direction == "forward" else (old, new)
    strategy = payloads({"allOf": [source, {"not": other}]})
    text = "" if strategy is None else repr(strategy)
    filtered = "not validator(v)" in text
    collections = filtered and any(part in text for part in ("lists(", "compose_lists", "builds(add,", "from_object_schema()"))
    return (collections, filtered, len(text)), strategy, source, other


def test_verdicts_agree_with_payloads(capsys):
    STATS.clear()
    PENDING.clear()
    start = time.perf_counter()
    _cross_check()
    sampled = time.perf_counter() - start
    # what sampling did not settle: aim at the difference ``source and not other`` itself; a find is an
    # independent search, so it runs after the property, not inside it. The engine's compatible verdicts first
    # (a counterexample there is a bug), then its breaking ones (information), within the time budget.
    failures = []
    claims = []
    for index, (old, new, direction, compatible) in enumerate(PENDING.values()):
        order, strategy, source, other = _aim(old, new, direction)
        claims.append(((not compatible, order, index), (old, new, direction, compatible, order, strategy, source, other)))
    claims.sort(key=lambda claim: claim[0])
    deadline = time.perf_counter() + AIMED_SECONDS
    for _, (old, new, direction, compatible, order, strategy, source, other) in claims:
        verdict = "compatible" if compatible else "breaking"
        if strategy is None:
            STATS[f"{direction}: {verdict}, the generator proves the difference empty"] += 1
            continue
        if order[0]:
            # the negation is only a filter over the source's arrays or objects: what the sampling did
            STATS[f"{direction}: {verdict}, difference only reachable by filtering arrays/objects (sampled only)"] += 1
            continue
        if time.perf_counter() > deadline:
            STATS[f"{direction}: {verdict}, aimed search out of time"] += 1
            continue
        try:
            found = find(strategy, lambda v: valid(source, v) and not valid(other, v), settings=AIMED)
        except (NoSuchExample, Unsatisfiable):
            STATS[f"{direction}: {verdict}, aimed search found no counterexample"] += 1
            continue
        except GENERATOR_ERRORS as error:
            STATS[f"{direction}: {verdict}, aimed search: generator raised {type(error).__name__}"] += 1
            continue
        if compatible:
            failures.append(f"{direction} is broken: {found!r} is valid under "
                            f"{'new' if direction == 'forward' else 'old'} and not under the other, but the engine says "
                            f"compatible\n  old={json.dumps(old)}\n  new={json.dumps(new)}")
        else:
            STATS[f"{direction}: breaking, counterexample aimed"] += 1
    with capsys.disabled():
        print(f"\ncompat cross-check over {STATS['pairs']} pairs ({EXAMPLES} examples): "
              f"{sampled:.1f} s sampling, {time.perf_counter() - start - sampled:.1f} s aimed search")
        for key, count in sorted(STATS.items()):
            print(f"  {key}: {count}")
    assert not failures, "\n".join(failures)
    # not vacuous: payloads were checked, and breaking changes were caught by payloads in both directions
    assert STATS["payloads checked"] > EXAMPLES, STATS
    assert STATS["forward: breaking, counterexample sampled"] and STATS["backward: breaking, counterexample sampled"], STATS


# -- identity and refactoring ------------------------------------------------------------------

def _reordered(schema):
    """Every object's keys in reverse order; ``required``, ``enum`` and ``anyOf`` reversed (they are sets)."""
    if isinstance(schema, list):
        return [_reordered(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out = {}
    for key in reversed(list(schema)):
        value = schema[key]
        if key in ("required", "enum"):
            out[key] = list(reversed(value))
        elif key == "anyOf":
            out[key] = [_reordered(s) for s in reversed(value)]
        elif key == "properties":
            out[key] = {name: _reordered(value[name]) for name in reversed(list(value))}
        elif key in ("allOf", "prefixItems", "items", "not", "additionalProperties"):
            out[key] = _reordered(value)
        else:
            out[key] = value
    return out


def _in_defs(schema):
    """Each property, item and combinator part moved into root ``$defs`` behind a ``$ref``."""
    defs: dict = {}

    def move(sub):
        sub = walk(sub)
        name = f"d{len(defs)}"
        defs[name] = sub
        return {"$ref": f"#/$defs/{name}"}

    def walk(node):
        if not isinstance(node, dict):
            return node
        out = dict(node)
        if "properties" in out:
            out["properties"] = {name: move(sub) for name, sub in out["properties"].items()}
        for key in ("items", "not", "additionalProperties"):
            if isinstance(out.get(key), dict):
                out[key] = move(out[key])
        for key in ("prefixItems", "anyOf", "allOf"):
            if key in out:
                out[key] = [move(sub) for sub in out[key]]
        return out

    root = walk(schema)
    return {"$defs": defs, **root} if defs else root


def _all_at_once(schema):
    moved = _in_defs(_reordered(schema))
    defs = moved.pop("$defs", None)
    return {"$defs": defs, "allOf": [moved]} if defs else {"allOf": [moved]}


REFACTORINGS = {
    "itself": copy.deepcopy,
    "reordered": _reordered,
    "allOf": lambda s: {"allOf": [s]},
    "$defs": _in_defs,
    "whole in $defs": lambda s: {"$defs": {"event": s}, "$ref": "#/$defs/event"},
    "all at once": lambda s: _all_at_once(s),
}


@_seeded
@SETTINGS
@given(st.data())
def _identity(data):
    schema = data.draw(schemas(), label="schema")
    name = data.draw(st.sampled_from(sorted(REFACTORINGS)), label="refactoring")
    other = REFACTORINGS[name](copy.deepcopy(schema))
    note(f"refactored ({name}): {json.dumps(other)}")
    # the refactoring really is one: payloads of the original validate alike under the copy
    strategy = payloads(schema)
    if strategy is not None:
        for _ in range(2):
            instance = _draw(data, strategy, "payload")
            assert valid(schema, instance) == valid(other, instance), "test bug: the refactoring changed the meaning"
    for direction in DIRECTIONS:
        for policy in POLICIES:
            report = compare(schema, other, direction=direction, policy=policy)
            assert report.compatible, f"{name} {direction}/{policy}:\n{_describe(report)}"
            assert not report.changes, f"{name} {direction}/{policy} reports changes:\n{_describe(report)}"
    STATS[f"identity: {name}"] += 1


def test_identity_and_refactorings_are_compatible():
    STATS.clear()
    _identity()
    assert sum(STATS[f"identity: {name}"] for name in REFACTORINGS) >= EXAMPLES // 2, STATS


def test_fixed_pairs_sanity():
    """A few hand-made pairs with known answers, so a broken generator cannot make the properties vacuous."""
    base = {"type": "object", "properties": {"a": {"enum": [1, 2]}}, "required": ["a"]}
    wider = {"type": "object", "properties": {"a": {"enum": [1, 2, 3]}}, "required": ["a"]}
    assert not compare(base, wider, direction="forward", policy="strict").compatible
    assert compare(base, wider, direction="backward", policy="strict").compatible
    assert not compare(wider, base, direction="backward", policy="strict").compatible
    # the generator produces objects (through the adapter above) and solves a difference outright
    found = find(payloads(wider), lambda v: v["a"] == 3, settings=AIMED)
    assert found == {"a": 3}
    difference = payloads({"allOf": [wider, {"not": base}]})
    assert difference is not None and not valid(base, find(difference, lambda v: True, settings=AIMED))
