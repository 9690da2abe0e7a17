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
from typing import Any, Callable, Iterator

from jsonschema.exceptions import best_match

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


def _tokens(pointer: str) -> list[str]:
    if not pointer:
        return []
    return [token.replace("~1", "/").replace("~0", "~") for token in pointer[1:].split("/")]


def _place(instance: Any, tokens: list[str], value: Any) -> Any:
    """A copy of ``instance`` with ``value`` at ``tokens`` (containers made as needed)."""
    if not tokens:
        return copy.deepcopy(value)
    root = copy.deepcopy(instance)
    holder = {"": root}
    parent, key = holder, ""
    for token in tokens:
        current = parent[key]
        if token == "*" or token.isdigit():
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


def find(change: Change, accepted_by: str, accepting: Node | None, rejecting: Node | None,
         builder: Builder, bases: list[Any], accepts: Callable[[Any], bool],
         rejection: Callable[[Any], str | None]) -> Witness | None:
    """The first candidate instance ``accepts`` admits and ``rejection`` refuses (with its reason)."""
    tokens = _tokens(change.instance_path)
    if any(token.startswith("<") for token in tokens):
        return None  # a property *name*, not a value, is what changed
    tries = 0
    seen: set[str] = set()
    for base in bases:
        for value in _candidates(change, accepting, rejecting, builder):
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


def rejection_of(validator) -> Callable[[Any], str | None]:
    def reason(instance: Any) -> str | None:
        error = best_match(validator.iter_errors(instance))
        if error is None:
            return None
        where = "/" + "/".join(str(part) for part in error.absolute_path) if error.absolute_path else "the root"
        return f"at {where}: {error.message}"
    return reason
