"""Find a concrete payload proving a breaking change, and check it with a real validator.

The search is deterministic and small: start from instances the accepting version
admits (its ``examples``, the other version's examples, a minimal instance built from
the schema), put a candidate value at the change's instance path (the rule's own old and
new values, strings drawn from the patterns' automata, lengths and bounds around the
changed numbers, the nodes' examples, a fixed corpus of JSON values, or deleting the
property), and keep the first instance that jsonschema accepts under one version and
rejects under the other. A change for which nothing is found simply has no witness: it
may be masked by another constraint, and the report says the witness is missing.
"""

from __future__ import annotations

import copy
import itertools
from typing import Any, Callable, Iterator

from jsonschema.exceptions import best_match

from .._locate import pointer_tokens
from . import _languages, _regex
from ._model import Change, Witness
from ._normalize import Builder, Node

_DELETE = object()
_CORPUS: tuple[Any, ...] = (
    None, True, False, 0, 1, -1, 1.5, -1.5, "", "a", "A", "0", "!", " ", "aaaaaaaaaa",
    "00000000-0000-0000-0000-000000000000", "2025-01-01T00:00:00Z", "2025-01-01T05:30:00+05:30",
    "not a date", [], [None], ["a"], [1], [1, 1], ["a", "a"], {}, {"a": 1},
)
_MAX_TRIES = 400
_MAX_DEPTH = 6


def _strings_for(node: Node | None) -> list[str]:
    if node is None:
        return []
    found = []
    for pattern in sorted(node.patterns):
        found.extend(_regex.sample_strings(pattern, 2))
    return found


def _examples(node: Node | None) -> list[Any]:
    if node is None:
        return []
    values: list[Any] = []
    for keyword in ("examples", "default"):
        for value, _src in node.annotations.get(keyword, []):
            values.extend(value if keyword == "examples" and isinstance(value, list) else [value])
    return values


def minimal(builder: Builder, node: Node, depth: int = 0, chosen: frozenset = frozenset(),
            examples: bool = True) -> Any:
    """A small instance the node is likely to accept (checked by the caller, never trusted).

    ``anyOf``/``oneOf`` are met with their first branch (``chosen`` remembers which
    combinators were already resolved), and the ``then`` of a conditional is assumed to
    apply, so its required properties are included.

    A node's first ``examples`` (or ``default``) value is taken as is, at every depth, when
    ``examples`` is true. Annotations are not checked against their schema (OpenAPI's
    ``example: null`` on a non-nullable object is common), so callers also try
    ``examples=False``: the instance built from the constraints alone.
    """
    if depth > _MAX_DEPTH or node.is_false():
        return None
    if examples:
        for example in _examples(node):
            return copy.deepcopy(example)
    if node.enum is not None and node.enum[0]:
        return copy.deepcopy(node.enum[1][sorted(node.enum[0], key=repr)[0]])
    for combo in node.combos:
        if combo.src.key not in chosen:
            merged = builder.node(list(node.srcs) + [combo.branches[0]])
            return minimal(builder, merged, depth + 1, chosen | {combo.src.key}, examples)
    thens = [c.then for c in node.conditionals if c.then is not None]
    if thens and not any(src.key in chosen for src in thens):
        merged = builder.node(list(node.srcs) + thens)
        return minimal(builder, merged, depth + 1, chosen | {src.key for src in thens}, examples)
    types = node.types
    for atom in ("object", "string", "integer", "array", "fraction", "boolean", "null"):
        if atom not in types:
            continue
        if atom == "object":
            result = {}
            for name in sorted(node.required):
                sources, _ = node.property_sources(name)
                result[name] = minimal(builder, builder.node(sources, node.origin), depth + 1, examples=examples)
            return result
        if atom == "string":
            if "uuid" in node.formats:
                return "00000000-0000-0000-0000-000000000000"
            if "date-time" in node.formats:
                return "2025-01-01T00:00:00Z"
            samples = _strings_for(node)
            if samples:
                return samples[0]
            low = node.counts.get("minLength", (0, None))[0]
            return "a" * max(low, 1 if "maxLength" not in node.counts else min(1, node.counts["maxLength"][0]))
        if atom in ("integer", "fraction"):
            value = 0
            if node.lower is not None:
                value = int(node.lower[0]) + (1 if node.lower[1] or node.lower[0] != int(node.lower[0]) else 0)
            multiples = [m for m, _ in node.multiple_of.values()]
            if multiples and isinstance(multiples[0], int) and multiples[0]:
                value = -(-value // multiples[0]) * multiples[0]
            return value
        if atom == "array":
            count = node.counts.get("minItems", (0, None))[0]
            return [minimal(builder, builder.node(node.item_sources(i)[0], node.origin), depth + 1,
                            examples=examples) for i in range(count)]
        return {"boolean": False, "null": None}[atom]
    return None


def _place(instance: Any, tokens: list[str], value: Any) -> Any:
    """A copy of ``instance`` with ``value`` at ``tokens`` (containers made as needed)."""
    if not tokens:
        return copy.deepcopy(value)
    root = copy.deepcopy(instance)
    holder = {"": root}
    parent, key = holder, ""
    for token in tokens:
        current = parent[key]
        if token == "*" or (token.isdigit() and not isinstance(current, dict)):  # "00" may name a property
            if not isinstance(current, list):
                current = []
                parent[key] = current
            index = 0 if token == "*" else int(token)
            while len(current) <= index:
                current.append(copy.deepcopy(current[-1]) if current else None)
            parent, key = current, index
        else:
            if not isinstance(current, dict):
                current = {}
                parent[key] = current
            current.setdefault(token, None)
            parent, key = current, token
    if value is _DELETE:
        if isinstance(parent, dict):
            del parent[key]
        else:
            return None
    else:
        parent[key] = copy.deepcopy(value)
    return holder[""]


def _sample_language(node: Node | None, limit: int = 2) -> list[str]:
    """Strings the node's asserted formats and patterns all accept (formats read as their
    regular languages, ``_languages``: a UUID ending in ``a`` for ``format: uuid`` with
    ``pattern: a$``); empty when there is nothing to read or it cannot be decided."""
    if node is None or not (node.formats or node.patterns):
        return []
    return _languages.sample_language(node.formats, node.patterns, limit)


#: How many branches of one ``anyOf``/``oneOf`` the second witness round builds an instance of.
EXTRA_BRANCHES = 16


def _extra_candidates(change: Change, accepting: Node | None, rejecting: Node | None, builder: Builder,
                      other: Builder | None) -> Iterator[Any]:
    """Candidates tried after :func:`_candidates` found nothing: values of each node's own
    language (under a ``not`` the value must meet the *rejecting* side's inner schema),
    an instance of each ``anyOf``/``oneOf`` branch, arrays of a node's minimal item at the
    changed counts, and numbers where jsonschema's float ``multipleOf`` test overflows."""
    nodes = [(node, side_builder) for node, side_builder in ((accepting, builder), (rejecting, other))
             if node is not None and side_builder is not None]
    for node, _ in nodes:
        yield from _sample_language(node)
    for node, side_builder in nodes:
        for combo in node.combos:
            # Each merged node re-reads the whole combinator (its node's sources hold it): with n
            # branches that is n*n work, so only the first and the last few are tried (the last:
            # where a branch is usually added). 3,000 `const`s took 6 s.
            branches = combo.branches
            if len(branches) > 2 * EXTRA_BRANCHES:
                branches = branches[:EXTRA_BRANCHES] + branches[-EXTRA_BRANCHES:]
            for branch in branches:
                try:
                    merged = side_builder.node(list(node.srcs) + [branch])
                except Exception:  # a branch this side cannot build: skip it
                    continue
                yield from _sample_language(merged)
                yield minimal(side_builder, merged, examples=False)
        yield minimal(side_builder, node, examples=False)
    for node, _ in nodes:  # numbers a step or a few inside and outside each bound, and small multiples
        for bound in (node.lower, node.upper):
            if bound is not None and isinstance(bound[0], (int, float)) and not isinstance(bound[0], bool):
                for step in (1, 2, 3, 10):
                    yield bound[0] - step
                    yield bound[0] + step
        for divisor, _src in node.multiple_of.values():
            if isinstance(divisor, (int, float)) and not isinstance(divisor, bool):
                for factor in (2, 3, -1, -2, -3, 7):
                    yield divisor * factor
    counts = [value for value in (change.old_value, change.new_value)
              if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 1_000]
    for node, side_builder in nodes:
        if not counts:
            break
        items, _ = node.item_sources(None)
        item = minimal(side_builder, side_builder.node(items, node.origin), examples=False)
        for count in counts:
            for length in (count, count + 1, count - 1):
                if length >= 0:
                    yield [item] * length
                    yield [copy.deepcopy(item) for _ in range(length)]
    if change.rule.startswith("multiple-of-"):
        # jsonschema divides by a float divisor in floating point and, when the quotient
        # overflows, decides with exact fractions instead: large multiples meet the two ways.
        for divisor in (change.old_value, change.new_value):
            if isinstance(divisor, bool) or not isinstance(divisor, (int, float)) or divisor <= 0:
                continue
            for top in (2 * 10 ** 307, 10 ** 308, 17 * 10 ** 307):
                if isinstance(divisor, int):
                    yield divisor * (top // divisor)
                    yield float(divisor * (top // divisor))
                yield top
                yield float(top)


def _candidates(change: Change, accepting: Node | None, rejecting: Node | None, builder: Builder) -> Iterator[Any]:
    if change.rule.startswith("required-property-"):
        yield _DELETE  # the payload without the property is what the change is about
    # A `pattern`'s or `format`'s value is schema text, not a payload value: offered as one, it
    # made witnesses that read like a misprint (`'^[0-9]+$' does not match '^[0-9]+$'`).
    own = () if change.rule.startswith(("pattern-", "format-")) else (change.old_value, change.new_value)
    for value in own:
        if value is not None and not isinstance(value, (dict, list)):
            yield value
        if isinstance(value, list):
            yield from value
            yield value
    yield _DELETE
    for value in (change.old_value, change.new_value):
        if isinstance(value, int) and not isinstance(value, bool):
            for count in (value, value - 1, value + 1):
                if 0 <= count <= 10_000:
                    yield "a" * count
                    yield "0" * count
                    yield [1] * count
                    yield ["a"] * count
                    yield {f"p{i}": 1 for i in range(count)}
            for delta in (0, -1, 1, -0.5, 0.5):
                yield value + delta
        elif isinstance(value, float):
            for delta in (0, -1, 1, -0.5, 0.5, -0.25, 0.25):
                yield value + delta
    # Formats read as languages (_languages): cheap, and exact where formats are involved.
    if accepting is not None and rejecting is not None:
        yield from _languages.sample_difference(accepting.formats, accepting.patterns, rejecting.formats,
                                                rejecting.patterns, 2)
    patterns_accepting = sorted(accepting.patterns) if accepting else []
    patterns_rejecting = sorted(rejecting.patterns) if rejecting else []
    for pattern in patterns_accepting or [None]:
        for other in patterns_rejecting or [None]:
            if pattern is not None or other is not None:
                yield from _regex.sample_difference(pattern, other, 2)
    yield from _examples(accepting)
    yield from _examples(rejecting)
    if accepting is not None:
        yield minimal(builder, accepting)
    yield from _CORPUS


def _child(builder: Builder, node: Node, token: str) -> Node:
    """The node one step down an instance path: a property, an item (``*``: any index)."""
    if token == "*" or token.isdigit():
        sources, _ = node.item_sources(None if token == "*" else int(token))
    else:
        sources, _ = node.property_sources(token)
    return builder.node(sources, node.origin)


def _filled(builder: Builder, root: Node, base: Any, tokens: list[str], names: bool = False) -> Any:
    """``base`` with each missing container on the way to the changed place made from that
    place's minimal instance (its required properties, its minimal items), so a value put
    there is not refused only for a sibling the path lacks. ``names``: a token of digits
    where an object may be is a property name (``"00"`` matching a pattern), not an index."""
    node, instance = root, base
    for depth in range(len(tokens) - 1):
        node = _child(builder, node, tokens[depth])
        current = _at(instance, tokens[:depth + 1])
        following = tokens[depth + 1]
        index = following == "*" or following.isdigit()
        # an index for an array, unless only an object can be here ("00" names a property then)
        want = list if index and not (names and following != "*" and "object" in node.types) and (
            "array" in node.types or "object" not in node.types) else dict
        if not isinstance(current, want):
            filler = minimal(builder, node, examples=False)
            instance = _place(instance, tokens[:depth + 1], filler if isinstance(filler, want) else want())
        if want is list and following.isdigit():
            # the items before the changed one, each its place's minimal instance
            items = _at(instance, tokens[:depth + 1])
            if isinstance(items, list) and len(items) < int(following):
                filled = list(items) + [minimal(builder, _child(builder, node, str(i)), examples=False)
                                        for i in range(len(items), int(following))]
                instance = _place(instance, tokens[:depth + 1], filled)
    return instance


def _at(instance: Any, tokens: list[str]) -> Any:
    for token in tokens:
        if isinstance(instance, dict):
            if token not in instance:
                return None
            instance = instance[token]
        elif isinstance(instance, list) and (token == "*" or token.isdigit()) and len(instance) > (
                0 if token == "*" else int(token)):
            instance = instance[0 if token == "*" else int(token)]
        else:
            return None
    return instance


def find(change: Change, accepted_by: str, accepting: Node | None, rejecting: Node | None,
         builder: Builder, bases: list[Any], accepts: Callable[[Any], bool],
         rejection: Callable[[Any], str | None], root: Node | None = None,
         other: Builder | None = None) -> Witness | None:
    """The first candidate instance ``accepts`` admits and ``rejection`` refuses (with its reason).

    When the usual candidates on ``bases`` find nothing, a second round (its own budget)
    tries :func:`_extra_candidates` on the bases and on the bases with the path to the
    change filled in from ``root`` (``other``: the rejecting side's builder)."""
    tokens = pointer_tokens(change.instance_path)
    if any(token.startswith("<") for token in tokens):
        return None  # a property *name*, not a value, is what changed
    seen: set[str] = set()

    def attempt(rounds) -> Witness | None:
        tries = 0
        for base, values in rounds:
            for value in values:
                if value is _DELETE and not tokens:
                    continue
                instance = _place(base, tokens, value)
                marker = repr(instance)
                if marker in seen:
                    continue
                seen.add(marker)
                tries += 1
                if tries > _MAX_TRIES:
                    return None
                if accepts(instance):
                    reason = rejection(instance)
                    if reason is not None:
                        return Witness(instance=instance, accepted_by=accepted_by, error=reason)  # type: ignore[arg-type]
        return None

    # The candidates depend on the change and its nodes, not on the base: each generator runs
    # once, and ``itertools.tee`` replays what it made for every base (one copy more is kept
    # for the second round).
    candidates = itertools.tee(_candidates(change, accepting, rejecting, builder), len(bases) + 1)
    found = attempt(zip(bases, candidates))
    if found is not None:
        return found

    def second():
        extended = list(bases)
        if root is not None and len(tokens) > 1:
            for base in bases:
                for names in (False, True):
                    try:
                        filled = _filled(builder, root, base, tokens, names)
                    except Exception:  # a path this side's schema does not describe: the plain bases only
                        continue
                    if filled not in extended:
                        extended.append(filled)
        extra = itertools.tee(_extra_candidates(change, accepting, rejecting, builder, other), len(extended))
        again = itertools.tee(candidates[-1], len(extended))
        for base, first, then in zip(extended, extra, again):
            yield base, first
            yield base, then

    return attempt(second())


def rejection_of(validator) -> Callable[[Any], str | None]:
    def reason(instance: Any) -> str | None:
        error = best_match(validator.iter_errors(instance))
        if error is None:
            return None
        where = "/" + "/".join(str(part) for part in error.absolute_path) if error.absolute_path else "the root"
        return f"at {where}: {error.message}"
    return reason
