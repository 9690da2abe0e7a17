"""Walk two normalised nodes side by side and record every difference as a :class:`Change`.

Each keyword family is compared by what it admits, not by its text: a change is recorded
with the effect it has on the set of valid payloads (loosens, tightens, both, none). The
effect is then turned into broken directions, flipped under ``not``, and masked when the
keyword cannot matter (a string keyword where neither version admits strings). Inside a
construct the engine cannot reason about monotonically (overlapping ``oneOf`` branches,
``unevaluated*`` beside applicators, ``maxContains``), changes are marked unknown: they
count as breaking in every direction.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, replace
from fractions import Fraction
from typing import Any, Callable

from jsonschema import Draft202012Validator

from .._formats import FORMAT_CHECKER
from .._locate import pointer_from_path
from . import _languages, _regex
from ._model import RULES, Change, Location
from ._normalize import ALL_ATOMS, ARRAY, NUMBER, OBJECT, STRING, Builder, Node, Src, atom_of, canon, search

_FLIP = {"loosens": "tightens", "tightens": "loosens"}
#: A property name standing for "any property the schema does not declare".
UNDECLARED = "undeclared_property"


@dataclass(frozen=True)
class Ctx:
    polarity: int = 1
    #: Why changes here cannot be decided (they are then reported as unknown).
    unknown: str | None = None
    #: The keyword cannot matter here (the enclosing types exclude it): changes break nothing.
    moot: bool = False
    #: The types (atoms) of the values both versions can hold at this place, given what
    #: encloses it at the same instance location (``Differ._domain``): a change no value of
    #: these types can see breaks nothing here (a type one side cannot hold is reported as a
    #: type change where that side's keywords are).
    domain: frozenset = ALL_ATOMS
    #: For each instance location entered below the root of this comparison, the type of the
    #: value that holds it (``OBJECT`` for a property, ``ARRAY`` for an item): a change there
    #: can move only values of that type at the enclosing place (:meth:`Differ._isolated`).
    kinds: tuple = ()


@dataclass
class Found:
    """A change plus the nodes it was found on, which the witness search starts from."""

    change: Change
    old_node: Node | None
    new_node: Node | None
    #: ``Ctx.kinds`` where the change was found, and the types of the values it can move there
    #: (its ``applies``; every type when the rule names none).
    kinds: tuple = ()
    applies: frozenset = ALL_ATOMS


def _loc(src: Src | None, keyword: str | None = None) -> Location | None:
    if src is None:
        return None
    return Location(src.doc, src.at(keyword) if keyword else src.pointer)


def _number(value: Any) -> Fraction | float:
    if isinstance(value, float) and math.isfinite(value):
        return Fraction(value)
    return value


def _type_names(atoms: frozenset[str]) -> list[str]:
    """The JSON Schema ``type`` names for a set of atoms (``integer`` + ``fraction`` = ``number``)."""
    names = set(atoms) - {"integer", "fraction"}
    if {"integer", "fraction"} <= atoms:
        names.add("number")
    elif "integer" in atoms:
        names.add("integer")
    elif "fraction" in atoms:
        names.add("number (not integer)")
    return sorted(names)


def _counterpart(required: dict[str, Src], other: Src) -> Src:
    """The ``required`` list on this side at the same place as ``other`` (the list that changed), else the first."""
    for src in required.values():
        if (src.doc, src.pointer) == (other.doc, other.pointer):
            return src
    return next(iter(required.values()))


def _shown(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    return text if len(text) <= 80 else text[:79] + "…"


def _describe(rule: str, path: tuple, old_value: Any, new_value: Any) -> str:
    """``maxLength increased from 5 to 10 at /code``: the rule's summary, its values, its place."""
    summary = RULES[rule].summary
    where = f" at {pointer_from_path(path)}" if path else " at the root"
    if len(_shown(old_value)) > 40 or len(_shown(new_value)) > 40:
        values = ""  # long values (patterns, subschemas) are shown beside the message, not in it
    elif rule.endswith(("-increased", "-decreased", "-changed")) and old_value is not None and new_value is not None:
        values = f": {_shown(old_value)} → {_shown(new_value)}"
    elif rule.endswith("-added") and new_value is not None:
        values = f": {_shown(new_value)}"
    elif rule.endswith("-removed") and old_value is not None:
        values = f": {_shown(old_value)}"
    elif rule.startswith("type-"):
        values = f": {_shown(old_value)} → {_shown(new_value)}"
    else:
        values = ""
    return f"{summary}{values}{where}"


def _exact_int(value: Any) -> bool:
    """A positive integer divisor jsonschema tests exactly for every number: ``instance %
    divisor`` is exact for an int instance, and for a float one Python converts the divisor
    to a float first, so it must be one exactly (``9007199254740992.0 % 9007199254740993``
    is ``0.0``: the divisor rounds to ``2**53``)."""
    if type(value) is not int or value <= 0:
        return False
    try:
        return float(value) == value
    except OverflowError:
        return False


def _exact_divisor(value: Any) -> bool:
    """jsonschema's ``multipleOf`` test with this divisor is exact divisibility: an integer
    a float can hold exactly (``instance % divisor``, exact in Python for ints and floats
    alike, :func:`_exact_int`), or a float ``2**-k``
    (``k >= 0``), by which dividing is an exact scaling that cannot underflow; when it
    overflows, jsonschema falls back to exact fractions."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    if isinstance(value, int):
        return _exact_int(value)
    if not math.isfinite(value) or value <= 0 or value > 1:
        return False
    ratio = Fraction(value)
    return ratio.numerator == 1 and ratio.denominator & (ratio.denominator - 1) == 0


def _divides_one(value: Any) -> bool:
    """``multipleOf: value`` holds for every whole number under jsonschema's test: ``1``, or a
    float ``2**-k`` (dividing by it is an exact scaling; on overflow jsonschema falls back to
    exact fractions)."""
    return _exact_divisor(value) and 0 < value <= 1


def _integer_bound(value: Any, exclusive: bool, lower: bool) -> int:
    """The smallest (``lower``) or largest integer a bound admits."""
    value = _number(value)
    if lower:
        return math.floor(value) + 1 if exclusive else math.ceil(value)
    return math.ceil(value) - 1 if exclusive else math.floor(value)



def _enum_decides(o: Node, n: Node) -> bool:
    """Both sides have an ``enum``/``const`` and every string value of either passes every
    ``pattern`` and asserted ``format`` of both: the string keywords then remove no value, and
    the ``enum`` comparison alone decides (``const: "a.b"`` beside a ``pattern`` it matches
    equals ``enum: ["a.b"]``)."""
    from .._formats import FORMAT_CHECKER

    if o.enum is None or n.enum is None:
        return False
    values = [value for node in (o, n) for value in node.enum[1].values() if isinstance(value, str)]
    patterns = set(o.patterns) | set(n.patterns)
    formats = set(o.formats) | set(n.formats)
    return all(search(pattern, value) for value in values for pattern in patterns) and all(
        FORMAT_CHECKER.conforms(value, name) for value in values for name in formats)

class Differ:
    def __init__(self, old: Builder, new: Builder, policy: str):
        self.old = old
        self.new = new
        self.policy = policy
        self.found: list[Found] = []
        self._active: set = set()
        self._equivalence: dict = {}
        self._pending: set = set()
        self._validators: dict = {}
        self._subsets: dict = {}
        self._probing: set = set()
        self._domains: dict = {}
        self._universals: dict = {}
        self._contradictions: dict = {}
        self._domain_active: set = set()
        #: How often a comparison met a pair already being compared further up (a recursive schema).
        self._cycles = 0

    def _probe(self, subsets: bool = True, builder: Builder | None = None) -> "Differ":
        """A differ for a side question (strict policy), sharing this one's caches (the value
        domains always: they depend on nothing but the nodes). ``builder``: both sides are
        that version's (two subschemas of one document compared); the caches are keyed by
        node, so they serve that question too."""
        probe = Differ(builder or self.old, builder or self.new, "strict")
        probe._equivalence, probe._pending = self._equivalence, self._pending
        if subsets:
            probe._subsets, probe._probing, probe._validators = self._subsets, self._probing, self._validators
        probe._domains, probe._universals, probe._domain_active = self._domains, self._universals, self._domain_active
        probe._contradictions = self._contradictions
        return probe

    def results(self) -> list[Found]:
        """The changes found, each once: a ``$ref`` reached along several paths (a recursive
        schema, a definition used twice) yields the same change at each; the shortest
        instance path is kept, at the place the change was first found."""
        first: dict[tuple, int] = {}
        kept: list[Found] = []
        for found in self.found:
            change = found.change
            key = (change.rule, change.old, change.new, repr(change.old_value), repr(change.new_value),
                   change.breaks_forward, change.breaks_backward, change.unknown)
            if key not in first:
                first[key] = len(kept)
                kept.append(found)
            elif len(change.instance_path) < len(kept[first[key]].change.instance_path):
                kept[first[key]] = found
        return kept

    # -- recording ------------------------------------------------------------------
    def emit(self, rule: str, o: Node | None, n: Node | None, path: tuple, ctx: Ctx, *,
             old: Location | None, new: Location | None, old_value: Any = None,
             new_value: Any = None, effect: str | None = None, applies: frozenset | None = None,
             message: str = "") -> None:
        effect = effect or RULES[rule].effect
        if applies is not None and o is not None and n is not None and not (applies & o.types & n.types & ctx.domain):
            effect = "none"
        if ctx.moot:
            effect = "none"
        if ctx.polarity < 0:
            effect = _FLIP.get(effect, effect)
        unknown = effect == "unknown" or (ctx.unknown is not None and effect != "none")
        if unknown and ctx.unknown and not message:
            message = ctx.unknown
        if not message:
            message = _describe(rule, path, old_value, new_value)
        change = Change(
            rule=rule, old=old, new=new, old_value=old_value, new_value=new_value,
            instance_path=pointer_from_path(path), breaks_forward=effect in ("loosens", "both"),
            breaks_backward=effect in ("tightens", "both"), unknown=unknown,
            message=message or RULES[rule].summary,
        )
        self.found.append(Found(change, o, n, ctx.kinds, ALL_ATOMS if applies is None else applies))

    def guarded(self, reason: str, o: Node, n: Node, old: Location | None, new: Location | None, path: tuple,
                ctx: Ctx, body, languages_only: bool = False) -> None:
        """Run ``body``; if it found any change, add one ``undecidable`` change for the construct.

        The changes inside keep their own rule, so a reader sees what changed, but they are
        marked unknown: their usual directions do not hold here. The ``undecidable`` change
        names the construct; both make the comparison fail closed. ``body`` may return the
        indices of changes it decided itself (they keep their directions).
        """
        start = len(self.found)
        decided = body() or ()
        # ``languages_only``: the construct depends only on which values each part accepts (a
        # `oneOf`), so a change found to leave that alone (a keyword the types make moot, one
        # masked by an `enum`) cannot move a payload between branches. Not so for
        # `unevaluated*`, where declaring `b: true` changes what counts as evaluated.
        inner = [i for i in range(start, len(self.found)) if i not in decided and self.found[i].change.rule != "annotation-changed" and (
            not languages_only or self.found[i].change.unknown or self.found[i].change.breaks_forward
            or self.found[i].change.breaks_backward)]
        for i in inner:
            change = self.found[i].change
            self.found[i].change = replace(change, unknown=True, message=f"{change.message} (undecided: {reason})")
        if inner:
            self.emit("undecidable", o, n, path, ctx, old=old, new=new, message=reason)

    # -- entry ----------------------------------------------------------------------
    def diff(self, o: Node, n: Node, path: tuple, ctx: Ctx, *, became_false: str = "schema-became-false",
             became_true: str = "schema-became-true") -> None:
        key = (id(o), id(n), ctx.polarity)
        if key in self._active:
            self._cycles += 1
            return  # a recursive schema: this pair is being compared further up
        self._active.add(key)
        start = len(self.found)
        try:
            self._diff(o, n, path, ctx, became_false, became_true)
        finally:
            self._active.discard(key)
        if len(self.found) > start:
            self._mask_finite(o, n, ctx, start)
            self._mask_empty(o, n, ctx, start)

    def _mask_empty(self, o: Node, n: Node, ctx: Ctx, start: int) -> None:
        """A side that accepts nothing here (beyond what ``is_false`` sees: an object that must
        have a property no value can satisfy, an array that must contain an item its ``items``
        forbid, no value of the types that matter here) cannot gain or lose values: only the
        other side's direction can break."""
        old_empty = not (self._domain(self.old, o) & ctx.domain)
        new_empty = not (self._domain(self.new, n) & ctx.domain)
        if not (old_empty or new_empty):
            return
        gains, losses = not new_empty, not old_empty  # new accepts something / old accepts something
        forward, backward = (gains, losses) if ctx.polarity > 0 else (losses, gains)
        self._clear(start, forward, backward)

    @staticmethod
    def _no_string(node: Node) -> bool:
        """No string meets the node's length bounds, formats and patterns together (the formats'
        shortest forms: a UUID has 36 characters, an RFC 3339 date-time at least 20; and the
        formats' languages, ``_languages``, against the patterns: no UUID matches ``^[a-c]+$``)."""
        low = node.counts.get("minLength", (0, None))[0]
        high = node.counts.get("maxLength", (None, None))[0]
        if high is not None and low > high:
            return True
        if "uuid" in node.formats and ((high is not None and high < 36) or low > 36):
            return True
        if "date-time" in node.formats and high is not None and high < 20:
            return True
        # Each asserted format as its regular language, a superset of what the checker accepts
        # (``hi``): no string in the intersection means no string at all. Other formats are
        # annotations here (FORMAT_CHECKER asserts only these).
        languages = tuple(sorted(_languages.LANGUAGES[name][1] for name in node.formats
                                 if name in _languages.LANGUAGES))
        if not node.patterns or (high is None and not low):
            patterns = tuple(sorted(node.patterns)) + languages
            return len(patterns) > 1 and _regex._strings(patterns, (), 1) == ()
        # A length window as a pattern ('$' may add a final newline: a superset, so "none" holds).
        window = f"^(.|\n){{{low},{high if high is not None else ''}}}$"
        return _regex._strings(tuple(sorted(node.patterns)) + languages + (window,), (), 1) == ()

    def _empty(self, builder: Builder, node: Node) -> bool:
        """The node accepts no value at all (as far as its own keywords show)."""
        return not self._domain(builder, node)

    # -- value domains: which JSON types a schema can accept, and which it accepts whole ----
    #: How many subschemas deep (required properties, items, branches) the analysis looks
    #: before it answers conservatively (every type possible, none accepted whole).
    _DOMAIN_DEPTH = 6

    def _domain(self, builder: Builder, node: Node, depth: int = 0) -> frozenset[str]:
        """The types (atoms) of the values ``node`` can accept: a superset, never missing the
        type of a value it accepts. ``type`` and ``enum``, minus each type whose own keywords
        contradict each other (no string meets the lengths, formats and patterns; the number
        bounds leave no integer, or no fraction beside an integer ``multipleOf``; an object
        must have a property no value meets, or more properties than it may; an array must be
        longer than its items allow, or contain an item nothing there can be), intersected
        with what its ``anyOf``/``oneOf`` branches, ``not`` and ``if``/``then``/``else`` admit.

        The differ compares the keywords of one type only where both versions can hold a
        value of that type (:class:`Ctx` ``domain``): a change no such value can see moves
        nothing, and a type one side cannot hold at all is compared as a type change.
        """
        key = (id(builder), id(node))
        if key in self._domains:
            return self._domains[key]
        if node.is_false():
            return frozenset()
        if key in self._domain_active or depth > self._DOMAIN_DEPTH:
            return node.types  # a recursive schema, or too deep: every type it names
        return self._computed(self._domains, key, self._atoms, builder, node, depth)

    def _computed(self, cache: dict, key: tuple, compute: Callable, builder: Builder, node: Node,
                  depth: int) -> frozenset[str]:
        """``compute(builder, node, depth)``, stored in ``cache`` under ``key``; while it runs the
        key is marked active, so a recursive schema meeting itself gets the caller's fallback."""
        self._domain_active.add(key)
        try:
            atoms = compute(builder, node, depth)
        finally:
            self._domain_active.discard(key)
        cache[key] = atoms
        return atoms

    def _atoms(self, builder: Builder, node: Node, depth: int) -> frozenset[str]:
        atoms = set(node.types)
        if node.enum is not None:
            atoms &= {atom_of(value) for value in node.enum[1].values()}
        if not atoms or node.unknown or node.unresolved:
            return frozenset(atoms)
        atoms -= self._contradicted(builder, node, depth)
        for combo in node.combos:
            if not atoms:
                break
            branches = [builder.node([src]) for src in combo.branches]
            domains = [self._domain(builder, branch, depth + 1) for branch in branches]
            atoms &= frozenset().union(*domains)
            if combo.kind == "oneOf":  # a value two branches accept whole fails the `oneOf`
                whole = [self._universal(builder, branch, depth + 1) for branch in branches]
                atoms -= {atom for atom in ALL_ATOMS if sum(atom in found for found in whole) >= 2}
        for src in node.nots:
            atoms -= self._universal(builder, builder.node([src]), depth + 1)
        for conditional in node.conditionals:
            if not atoms:
                break
            condition = builder.node([conditional.if_])
            then = builder.node([conditional.then, conditional.if_]) if conditional.then else condition
            otherwise = self._domain(builder, builder.node([conditional.else_]), depth + 1) if conditional.else_ \
                else ALL_ATOMS
            atoms &= self._domain(builder, then, depth + 1) | (otherwise - self._universal(builder, condition, depth + 1))
        return frozenset(atoms)

    def _contradicted(self, builder: Builder, node: Node, depth: int = 0) -> frozenset[str]:
        """The types the node names whose own keywords leave no value of them."""
        key = (id(builder), id(node))
        if key in self._contradictions:
            return self._contradictions[key]
        atoms = set(node.types)
        if node.unknown or node.unresolved:
            return frozenset()
        gone: set[str] = set()
        if "string" in atoms and self._no_string(node):
            gone.add("string")
        if atoms & NUMBER:
            gone |= self._no_numbers(node)
        if "object" in atoms and not node.unevaluated_properties and self._no_object(builder, node, depth):
            gone.add("object")
        if "array" in atoms and not node.unevaluated_items and self._no_array(builder, node, depth):
            gone.add("array")
        self._contradictions[key] = frozenset(gone)
        return self._contradictions[key]

    def _own_domain(self, builder: Builder, node: Node) -> frozenset[str]:
        """The types the node's ``type`` names less those its own keywords contradict (all of
        them when :meth:`_domain` finds the node accepts nothing). ``enum``, combinators,
        ``not`` and conditionals are left to their own comparisons: this is what ``type``
        changes and the keyword families are judged by."""
        if not self._domain(builder, node):
            return frozenset()
        return node.types - self._contradicted(builder, node)

    @staticmethod
    def _no_numbers(node: Node) -> set[str]:
        """The number atoms the bounds and ``multipleOf`` leave no value of."""
        gone: set[str] = set()
        if any(type(m) is int and m > 0 for m, _ in node.multiple_of.values()):
            # `x % m` is zero only for a whole `x` (a float `m` beyond 2**53 is whole too)
            gone.add("fraction")
        # Only the divisors every number is tested against exactly say which integers remain.
        integers = [m for m, _ in node.multiple_of.values() if _exact_int(m)]
        if node.lower is None or node.upper is None:
            return gone
        low, high = _number(node.lower[0]), _number(node.upper[0])
        if not all(isinstance(bound, (int, Fraction)) for bound in (low, high)):
            return gone
        if low > high or (low == high and (node.lower[1] or node.upper[1])):
            return set(NUMBER)
        if low == high and low == int(low):
            gone.add("fraction")  # a single value, and it is whole
        first = _integer_bound(node.lower[0], node.lower[1], True)
        last = _integer_bound(node.upper[0], node.upper[1], False)
        step = math.lcm(*integers) if integers else 1
        if -(-first // step) * step > last:  # no whole number (multiple of every int divisor) in range
            gone.add("integer")
        return gone

    def _no_object(self, builder: Builder, node: Node, depth: int) -> bool:
        """No object meets the node's object keywords together."""
        low = node.counts.get("minProperties", (0, None))[0]
        high = node.counts.get("maxProperties", (None, None))[0]
        if high is not None and (low > high or len(node.required) > high):
            return True
        return any(not self._domain(builder, builder.node(node.property_sources(name)[0], node.origin), depth + 1)
                   for name in sorted(node.required))

    def _length_cap(self, builder: Builder, node: Node, depth: int) -> int | None:
        """The longest array the node's ``maxItems`` and items allow (an item position no
        value can fill ends every array before it); ``None``: no bound."""
        cap = node.counts.get("maxItems", (None, None))[0]
        for index in range(node.prefix_length()):
            if cap is not None and index >= cap:
                return cap
            sources, _ = node.item_sources(index)
            if sources and not self._domain(builder, builder.node(sources, node.origin), depth + 1):
                return index
        rest, _ = node.item_sources(None)
        if rest and (cap is None or cap > node.prefix_length()) and \
                not self._domain(builder, builder.node(rest, node.origin), depth + 1):
            return node.prefix_length()
        return cap

    def _no_array(self, builder: Builder, node: Node, depth: int) -> bool:
        """No array meets the node's array keywords together."""
        cap = self._length_cap(builder, node, depth)
        low = node.counts.get("minItems", (0, None))[0]
        if cap is not None and low > cap:
            return True
        for holder in node.contains:
            need = (holder.min or (1,))[0]
            if need < 1:
                continue
            if (holder.max is not None and holder.max[0] < need) or (cap is not None and need > cap):
                return True
            length = node.prefix_length()
            places = [node.item_sources(index)[0] for index in range(length if cap is None else min(cap, length))]
            if cap is None or cap > length:
                places.append(node.item_sources(None)[0])
            if not any(self._domain(builder, builder.node(sources + [holder.schema], node.origin), depth + 1)
                       for sources in places):
                return True
        return False

    def _universal(self, builder: Builder, node: Node, depth: int = 0) -> frozenset[str]:
        """The types (atoms) of which ``node`` accepts every value: a subset, never claiming a
        type it rejects a value of (``not`` of it accepts no value of those types)."""
        key = (id(builder), id(node))
        if key in self._universals:
            return self._universals[key]
        if node.is_false() or key in self._domain_active or depth > self._DOMAIN_DEPTH or node.unknown \
                or node.unresolved or node.unevaluated_properties or node.unevaluated_items:
            return frozenset()
        return self._computed(self._universals, key, self._whole, builder, node, depth)

    def _whole(self, builder: Builder, node: Node, depth: int) -> frozenset[str]:
        atoms = set(node.types)
        if node.enum is not None:
            values = list(node.enum[1].values())
            atoms &= ({"null"} if any(value is None for value in values) else set()) | (
                {"boolean"} if any(value is True for value in values) and any(value is False for value in values)
                else set())
        low = node.counts.get("minLength", (0, None))[0]
        if node.patterns or "maxLength" in node.counts or low > 0 or any(
                name in _languages.LANGUAGES for name in node.formats):
            atoms.discard("string")
        if node.lower is not None or node.upper is not None or any(
                not _divides_one(m) for m, _ in node.multiple_of.values()):
            atoms -= NUMBER
        elif node.multiple_of:
            atoms.discard("fraction")

        def accepts_all(src: Src | None) -> bool:
            return src is None or builder.node([src]).is_true()

        if node.required or "maxProperties" in node.counts or node.counts.get("minProperties", (0, None))[0] > 0 \
                or node.property_names or node.dependent_required or node.dependent_schemas or not all(
                    accepts_all(src) for group in node.objects
                    for src in [*group.properties.values(), *group.patterns.values(), group.additional]):
            atoms.discard("object")
        if "maxItems" in node.counts or node.counts.get("minItems", (0, None))[0] > 0 or node.contains \
                or node.unique or not all(accepts_all(src) for group in node.arrays
                                          for src in [*group.prefix, group.items]):
            atoms.discard("array")
        for combo in node.combos:
            if not atoms:
                break
            atoms &= self._combo_whole(builder, combo, depth)
        for src in node.nots:
            atoms -= self._domain(builder, builder.node([src]), depth + 1)
        for conditional in node.conditionals:
            if not atoms:
                break
            atoms &= self._conditional_whole(builder, conditional, depth)
        return frozenset(atoms)

    # -- finite places: decided by validating every value ---------------------------------
    #: Values a place may list (``enum``/``const``) for it to be decided value by value.
    _FINITE = 64

    def _mask_finite(self, o: Node, n: Node, ctx: Ctx, start: int) -> None:
        """Where a side lists its values (``enum``/``const``), which values each side accepts
        is decided exactly, by validating every listed value against both sides' schemas at
        this place with jsonschema. A direction in which no value moved cannot break here,
        whatever the keyword-by-keyword comparison said (``maxLength`` dropped beside an
        ``enum`` of short strings, a number ``enum`` meeting ``type: integer``, a type widened
        where the ``enum`` admits none of the new type): the changes found at and below this
        place are cleared in that direction (``not`` flips which direction that is)."""
        exact = self._finite(o, n)
        if exact is None:
            return
        new_only, old_only = exact
        forward, backward = (new_only, old_only) if ctx.polarity > 0 else (old_only, new_only)
        self._clear(start, forward, backward)

    def _finite(self, o: Node, n: Node) -> tuple[bool, bool] | None:
        """``(some value only new accepts, some value only old accepts)`` where a side lists
        its values and both sides can be validated here; ``None`` otherwise."""
        if (o.enum is None and not self._listed(o)) and (n.enum is None and not self._listed(n)):
            return None
        if o.unresolved or n.unresolved or o.unevaluated_properties or n.unevaluated_properties or \
                o.unevaluated_items or n.unevaluated_items or o.unknown or n.unknown:
            return None
        values: dict[str, Any] = {}
        for node in (o, n):
            if node.enum is not None:
                for key in node.enum[0]:
                    values.setdefault(repr(key), node.enum[1][key])
            elif self._listed(node):
                for value in self._listed(node):
                    values.setdefault(repr(canon(value)), value)
        if len(values) > self._FINITE or any(isinstance(value, (dict, list)) for value in values.values()):
            return None
        old_accepts, new_accepts = self._accepts(self.old, o), self._accepts(self.new, n)
        if old_accepts is None or new_accepts is None:
            return None
        try:
            verdicts = [(old_accepts(value), new_accepts(value)) for value in values.values()]
        except Exception:  # a schema the validator cannot run here: keep the keyword-by-keyword verdict
            return None
        new_only = any(b and not a for a, b in verdicts) or (n.enum is None and not self._listed(n) and not n.is_false())
        old_only = any(a and not b for a, b in verdicts) or (o.enum is None and not self._listed(o) and not o.is_false())
        return new_only, old_only

    @staticmethod
    def _listed(node: Node) -> list:
        """The values of a node whose types have finitely many (``null``, ``boolean``): its types
        list them as an ``enum`` would."""
        if node.atoms is None or not node.atoms or not node.atoms <= {"null", "boolean"}:
            return []
        return ([None] if "null" in node.atoms else []) + ([False, True] if "boolean" in node.atoms else [])

    def _accepts(self, builder: Builder, node: Node):
        """A test that a value meets every schema at this place (jsonschema, formats asserted)."""
        key = (id(builder), id(node))
        if key not in self._validators:
            sources = node.inputs or node.srcs
            try:
                validators = [Draft202012Validator(src.contents, registry=builder.registry, format_checker=FORMAT_CHECKER,
                                                   _resolver=builder.registry.resolver(src.base))
                              for src in sources if not src.virtual]
            except Exception:
                validators = None
            self._validators[key] = (None if validators is None else
                                     (lambda value, validators=validators: all(v.is_valid(value) for v in validators)))
        return self._validators[key]

    def equivalent(self, o: Node, n: Node, exact: bool = False) -> bool:
        """Both nodes admit the same instances, as far as this engine can tell. ``exact``: and
        the comparison records no change at all (not even one that moves no payload), as for
        a branch and its own copy."""
        key = (id(o), id(n))
        if key in self._equivalence:
            return self._equivalence[key][exact]
        if key in self._pending:
            return True  # assumed while it is being decided (a recursive schema)
        self._pending.add(key)
        try:
            probe = self._probe(subsets=False)
            probe.diff(o, n, (), Ctx())
            # Equal when no change moves a payload either way (one the types make moot counts not;
            # the probe is strict and sound both ways). From fa-combinators.
            result = not any(found.change.unknown or found.change.breaks_forward or found.change.breaks_backward
                             for found in probe.found)
            same = result and all(found.change.rule == "annotation-changed" for found in probe.found)
        finally:
            self._pending.discard(key)
        # "Different" holds whatever was assumed; "equal" may rest on an assumption still
        # pending further up, so it is only remembered once nothing is pending.
        if not result or not self._pending:
            self._equivalence[key] = (result, same)
        return same if exact else result

    def _diff(self, o: Node, n: Node, path: tuple, ctx: Ctx, became_false: str, became_true: str) -> None:
        if (o.foldable and not n.combos) or (n.foldable and not o.combos):
            # `type: [string, null]` on one side, `anyOf: [{type: string}, {type: null}]` on the other.
            o = self.old.node(o.inputs, o.origin, fold=True) if o.inputs else o
            n = self.new.node(n.inputs, n.origin, fold=True) if n.inputs else n
        if (o.single_branch and n.combos) or (n.single_branch and o.combos):
            # `anyOf: [A]` on one side and a real combinator on the other: compare them as
            # combinators, so `[A]` -> `[A, B]` is a branch added, not A's keywords removed.
            o = self.old.node(o.inputs, o.origin, unwrap=False) if o.inputs else o
            n = self.new.node(n.inputs, n.origin, unwrap=False) if n.inputs else n
        self._annotations(o, n, path, ctx)
        if o.is_false() or n.is_false():
            # The other side may accept nothing either (no value of the types that matter here).
            if o.is_false() and not n.is_false():
                self.emit(became_true, o, n, path, ctx, old=_loc(o.origin), new=_loc(n.origin),
                          old_value=False, new_value=n.origin.contents,
                          effect=None if self._domain(self.new, n) & ctx.domain else "none")
            elif n.is_false() and not o.is_false():
                self.emit(became_false, o, n, path, ctx, old=_loc(o.origin), new=_loc(n.origin),
                          old_value=o.origin.contents, new_value=False,
                          effect=None if self._domain(self.old, o) & ctx.domain else "none")
            return
        if o.unresolved or n.unresolved:
            # Without the target, everything else here would be compared against a hole.
            for side, (ref, src, reason) in [("old", u) for u in o.unresolved] + [("new", u) for u in n.unresolved]:
                self.emit("undecidable", o, n, path, ctx,
                          old=_loc(src, "$ref") if side == "old" else _loc(o.origin),
                          new=_loc(src, "$ref") if side == "new" else _loc(n.origin),
                          old_value=ref if side == "old" else None, new_value=ref if side == "new" else None,
                          message=f"{reason} (in the {side} version)")
            return
        self._unknown_keywords(o, n, path, ctx)
        old_domain, new_domain = self._own_domain(self.old, o) & ctx.domain, self._own_domain(self.new, n) & ctx.domain
        if bool(old_domain) != bool(new_domain) and o.types == n.types:
            # One side's keywords contradict each other (it accepts nothing here), the other's do not.
            if new_domain:
                self.emit(became_true, o, n, path, ctx, old=_loc(o.origin), new=_loc(n.origin),
                          old_value=o.origin.contents, new_value=n.origin.contents)
            else:
                self.emit(became_false, o, n, path, ctx, old=_loc(o.origin), new=_loc(n.origin),
                          old_value=o.origin.contents, new_value=n.origin.contents)
        self._types(o, n, path, ctx, old_domain, new_domain)
        # Below, at this same instance location, only values both sides can hold matter (and a
        # type neither version accepts any value of, a `not: {type: string}` on both, none).
        ctx = replace(ctx, domain=old_domain & new_domain & (self._domain(self.old, o) | self._domain(self.new, n)))
        self._enum(o, n, path, ctx)
        self._strings(o, n, path, ctx)
        self._numbers(o, n, path, ctx)
        if o.unevaluated_out_of_scope() or n.unevaluated_out_of_scope():
            same = [canon(src.contents) for src in o.srcs] == [canon(src.contents) for src in n.srcs]
            if not same:
                self.emit("undecidable", o, n, path, ctx, old=_loc(o.origin), new=_loc(n.origin),
                          message="`unevaluated*` inside an `allOf` part or `$ref` target: it sees only its own "
                                  "subschema, which the engine does not model")
                return

        def family(compare: Callable, atoms: frozenset) -> None:
            # The object (array) keywords move only objects (arrays) here: a side whose value
            # domain (``not``, combinators and conditionals included) holds none cannot gain
            # (new) or lose (old) a value through them. A fact about this node's own sets, so it
            # holds under `not` and non-monotone constructs alike.
            start = len(self.found)
            compare(o, n, path, ctx)
            if len(self.found) > start:
                self._reachable(start, ctx, bool(atoms & self._domain(self.new, n)), bool(atoms & self._domain(self.old, o)))

        def structure() -> None:
            family(self._objects, OBJECT)
            family(self._arrays, ARRAY)
            self._combos(o, n, path, ctx)
            self._conditionals(o, n, path, ctx)

        unevaluated = o.unevaluated_properties or n.unevaluated_properties or o.unevaluated_items or n.unevaluated_items
        if unevaluated and (
            o.combos or n.combos or o.conditionals or n.conditionals or o.dependent_schemas or n.dependent_schemas
            or ((o.unevaluated_items or n.unevaluated_items) and (o.contains or n.contains))
        ):
            self.guarded("`unevaluated*` next to applicators that evaluate properties or items: what counts as "
                         "evaluated moved", o, n, _loc(o.origin), _loc(n.origin), path, ctx, structure)
        else:
            structure()
        self._nots(o, n, path, ctx)

    # -- keyword families -----------------------------------------------------------
    def _annotations(self, o: Node, n: Node, path: tuple, ctx: Ctx) -> None:
        for keyword in sorted(set(o.annotations) | set(n.annotations)):
            old = o.annotations.get(keyword, [])
            new = n.annotations.get(keyword, [])
            if sorted(map(repr, map(canon, (value for value, _ in old)))) == sorted(
                map(repr, map(canon, (value for value, _ in new)))
            ):
                continue
            # Point at the value that differs, not at the first of the merged ones (a
            # property's own description and the one of the definition it refers to).
            new_keys = {repr(canon(value)) for value, _ in new}
            old_keys = {repr(canon(value)) for value, _ in old}
            old_pick = next((item for item in old if repr(canon(item[0])) not in new_keys), old[0] if old else None)
            new_pick = next((item for item in new if repr(canon(item[0])) not in old_keys), new[0] if new else None)
            self.emit("annotation-changed", o, n, path, replace(ctx, unknown=None),
                      old=_loc(old_pick[1], keyword) if old_pick else _loc(o.origin),
                      new=_loc(new_pick[1], keyword) if new_pick else _loc(n.origin),
                      old_value=old_pick[0] if old_pick else None, new_value=new_pick[0] if new_pick else None,
                      effect="none", message=f"`{keyword}` changed")

    def _unknown_keywords(self, o: Node, n: Node, path: tuple, ctx: Ctx) -> None:
        for keyword in sorted(set(o.unknown) | set(n.unknown)):
            old = o.unknown.get(keyword, [])
            new = n.unknown.get(keyword, [])
            dynamic = keyword in ("$dynamicRef", "$recursiveRef")  # its target depends on the dynamic scope
            if not dynamic and sorted(repr(canon(v)) for v, _ in old) == sorted(repr(canon(v)) for v, _ in new):
                continue  # the same unknown constraint on both sides: a conjunction that cannot hide a break
            self.emit("unknown-keyword", o, n, path, ctx,
                      old=_loc(old[0][1], keyword) if old else _loc(o.origin),
                      new=_loc(new[0][1], keyword) if new else _loc(n.origin),
                      old_value=old[0][0] if old else None, new_value=new[0][0] if new else None,
                      message=f"`{keyword}` depends on the dynamic scope, which the engine does not follow" if dynamic
                      else f"`{keyword}` is not a keyword the engine understands, and it differs")

    def _types(self, o: Node, n: Node, path: tuple, ctx: Ctx, old_domain: frozenset, new_domain: frozenset) -> None:
        """The types each side can hold here (``_domain``): ``type`` and ``enum``, less the types
        whose own keywords leave no value (``type: [string, integer]`` beside ``minimum: 5,
        maximum: 1`` holds strings only), within what the enclosing schema admits. The rule
        names what ``type`` says; the effect is what the domains say."""
        old, new = o.types, n.types
        if old == new:
            if old_domain == new_domain or not (old_domain and new_domain):
                return  # equal, or one side holds nothing here (reported as the schema becoming true/false)
            old, new = old_domain, new_domain
            effect = None
        elif old_domain == new_domain:
            effect = "none"
        else:
            effect = ("loosens" if new_domain > old_domain else "tightens" if new_domain < old_domain
                      else "both")
        rule = "type-widened" if new > old else "type-narrowed" if new < old else "type-changed"
        self.emit(rule, o, n, path, ctx, old=_loc(o.type_src, "type") or _loc(o.origin),
                  new=_loc(n.type_src, "type") or _loc(n.origin),
                  old_value=_type_names(old), new_value=_type_names(new), effect=effect)

    def _enum(self, o: Node, n: Node, path: tuple, ctx: Ctx) -> None:
        if o.enum is None and n.enum is None:
            return
        if o.enum is None or n.enum is None:
            added = n.enum is not None
            allowed, originals, keyword, src = n.enum if added else o.enum  # type: ignore[misc]
            rule = ("const" if keyword == "const" else "enum") + ("-added" if added else "-removed")
            value = originals[next(iter(allowed))] if keyword == "const" and allowed else sorted(originals.values(), key=repr)
            self.emit(rule, o, n, path, ctx, old=_loc(src, keyword) if not added else _loc(o.origin),
                      new=_loc(src, keyword) if added else _loc(n.origin),
                      old_value=None if added else value, new_value=value if added else None)
            return
        old_set, old_orig, old_kw, old_src = o.enum
        new_set, new_orig, new_kw, new_src = n.enum
        if old_set == new_set:
            return
        if old_kw == new_kw == "const" and len(old_set) == len(new_set) == 1:
            old_value, new_value = old_orig[next(iter(old_set))], new_orig[next(iter(new_set))]
            self.emit("const-changed", o, n, path, ctx, old=_loc(old_src, "const"), new=_loc(new_src, "const"),
                      old_value=old_value, new_value=new_value)
            return
        for key in sorted(new_set - old_set, key=repr):
            value = new_orig[key]
            self.emit("enum-value-added", o, n, path, ctx, old=_loc(old_src, old_kw), new=_loc(new_src, new_kw),
                      new_value=value, applies=frozenset({atom_of(value)}))
        for key in sorted(old_set - new_set, key=repr):
            value = old_orig[key]
            self.emit("enum-value-removed", o, n, path, ctx, old=_loc(old_src, old_kw), new=_loc(new_src, new_kw),
                      old_value=value, applies=frozenset({atom_of(value)}))

    def _sets(self, o: Node, n: Node, path: tuple, ctx: Ctx, old: dict, new: dict, keyword: str,
              stem: str, applies: frozenset) -> None:
        """Keywords that may appear several times after merging (format, pattern, multipleOf)."""
        gone = sorted(set(old) - set(new), key=repr)
        came = sorted(set(new) - set(old), key=repr)
        if len(gone) == 1 and len(came) == 1:
            old_value, new_value = gone[0], came[0]
            effect = None
            message = ""
            if keyword == "pattern":
                relation = _regex.relation(old_value, new_value)
                if relation == "equal":
                    return
                # Undecidable (lookaround, back-references, Unicode classes): unknown, not a guess.
                effect = {"wider": "loosens", "narrower": "tightens", "overlap": "both"}.get(relation or "", "unknown")
                where = f" at {pointer_from_path(path)}" if path else " at the root"
                message = {
                    "wider": "`pattern` now matches more strings (the old language is a strict subset)",
                    "narrower": "`pattern` now matches fewer strings (the new language is a strict subset)",
                    "overlap": "`pattern` changed: each version matches strings the other refuses",
                }.get(relation or "", "`pattern` changed, and the two could not be compared as regular languages ("
                      + _regex.why(old_value, new_value) + ")") + where
            elif keyword == "format":
                effect = "both"
            else:
                old_value, new_value = old[old_value][0], new[new_value][0]
                a, b = _number(old_value), _number(new_value)
                if not (_exact_divisor(old_value) and _exact_divisor(new_value)):
                    # jsonschema divides by a float `multipleOf` in binary floating point and
                    # checks that the rounded quotient is whole, falling back to exact
                    # arithmetic only when the quotient overflows (0.35 is a multiple of 0.01
                    # but not of 0.001 for it, and 1e307 is a multiple of 0.1 but not of
                    # 0.05): exact arithmetic would promise too much either way.
                    effect = "both"
                else:
                    effect = "tightens" if b % a == 0 else "loosens" if a % b == 0 else "both"
            old_src = old[gone[0]] if keyword != "multipleOf" else old[gone[0]][1]
            new_src = new[came[0]] if keyword != "multipleOf" else new[came[0]][1]
            self.emit(f"{stem}-changed", o, n, path, ctx, old=_loc(old_src, keyword), new=_loc(new_src, keyword),
                      old_value=old_value, new_value=new_value, effect=effect, applies=applies,
                      message=message if keyword == "pattern" else "")
            return
        for value in came:
            src = new[value] if keyword != "multipleOf" else new[value][1]
            shown = value if keyword != "multipleOf" else new[value][0]
            self.emit(f"{stem}-added", o, n, path, ctx, old=_loc(o.origin), new=_loc(src, keyword),
                      new_value=shown, applies=applies)
        for value in gone:
            src = old[value] if keyword != "multipleOf" else old[value][1]
            shown = value if keyword != "multipleOf" else old[value][0]
            self.emit(f"{stem}-removed", o, n, path, ctx, old=_loc(src, keyword), new=_loc(n.origin),
                      old_value=shown, applies=applies)

    def _strings(self, o: Node, n: Node, path: tuple, ctx: Ctx) -> None:
        # Formats read as languages (_languages): a pattern that only restates its format is
        # no change. Otherwise each keyword is compared on its own, as before (a narrower or
        # wider pattern is still found; raw pattern relations are sound under a shared format).
        same = (o.formats.keys() != n.formats.keys() or o.patterns.keys() != n.patterns.keys()) and (
            _enum_decides(o, n) or _languages.relation(o.formats, o.patterns, n.formats, n.patterns) == "equal")
        if not same:
            self._sets(o, n, path, ctx, o.formats, n.formats, "format", "format", STRING)
            self._sets(o, n, path, ctx, o.patterns, n.patterns, "pattern", "pattern", STRING)
        low, high = self._length_window(o, n)
        self._counts(o, n, path, ctx, "minLength", "min-length", True, STRING, window=(low, high))
        self._counts(o, n, path, ctx, "maxLength", "max-length", False, STRING, window=(low, high))

    @staticmethod
    def _length_window(o: Node, n: Node) -> tuple[int, int | None]:
        """Lengths outside which no string meets the formats and patterns both versions keep:
        the shortest string of their common language (formats as their ``hi`` languages, a
        superset, so this is a lower bound), and 36 under a common ``format: uuid``. A length
        bound moved where no such string can be is no change (``minLength: 0`` -> ``1``
        beside ``pattern: b``)."""
        formats = sorted(_languages.LANGUAGES[name][1] for name in o.formats
                         if name in n.formats and name in _languages.LANGUAGES)
        patterns = sorted(set(o.patterns) & set(n.patterns))
        low = 0
        if formats or patterns:
            shortest = _regex._strings(tuple(patterns) + tuple(formats), (), 1)
            if shortest:
                low = len(shortest[0])
        return low, 36 if "uuid" in o.formats and "uuid" in n.formats else None

    def _counts(self, o: Node, n: Node, path: tuple, ctx: Ctx, keyword: str, stem: str, lower: bool,
                applies: frozenset, window: tuple[int, int | None] = (0, None)) -> None:
        """``window``: the counts every value both versions could hold has anyway; a bound
        inside it on both sides says nothing (a lower count of 0, `minItems: 0`, is what its
        absence means): reported, breaking nothing."""
        old = o.counts.get(keyword)
        new = n.counts.get(keyword)
        low, high = window

        def effective(bound: tuple | None) -> int | None:
            if lower:
                return max(bound[0] if bound else 0, low)
            value = bound[0] if bound else None
            return value if high is None or (value is not None and value < high) else high

        idle = (old or new) is not None and effective(old) == effective(new)
        self._bound(o, n, path, ctx, keyword, stem, lower, applies, old, new, effect="none" if idle else None)

    def _bound(self, o: Node, n: Node, path: tuple, ctx: Ctx, keyword: str, stem: str, lower: bool,
               applies: frozenset, old: tuple | None, new: tuple | None, effect: str | None = None,
               whole: tuple | None = None) -> None:
        """``whole``: the integer bounds ``(old, new)`` where only whole numbers matter here
        (``maximum: 10`` and ``10.5`` admit the same integers: reported, breaking nothing)."""
        if old is None and new is None:
            return
        if old is not None and new is not None:
            a, b = _number(old[0]), _number(new[0])
            if a == b:
                return
            rule = f"{stem}-increased" if b > a else f"{stem}-decreased"
            if whole is not None and whole[0] == whole[1]:
                effect = "none"
        else:
            rule = f"{stem}-added" if new is not None else f"{stem}-removed"
        self.emit(rule, o, n, path, ctx,
                  old=_loc(old[1], keyword) if old else _loc(o.origin),
                  new=_loc(new[1], keyword) if new else _loc(n.origin),
                  old_value=old[0] if old else None, new_value=new[0] if new else None, applies=applies,
                  effect=effect)

    def _numbers(self, o: Node, n: Node, path: tuple, ctx: Ctx) -> None:
        # Only whole numbers matter here when a side holds no fraction (``type: integer``, an
        # integer ``multipleOf``): a fraction the other side holds is the type change's business.
        whole = "fraction" not in (o.types | n.types) or "fraction" not in ctx.domain
        # An integer `multipleOf` both versions keep: a bound counts as the multiple it reaches.
        step = math.lcm(*[value[0] for key, value in o.multiple_of.items()
                          if key in n.multiple_of and _exact_int(value[0])] or [1])

        def rounded(bound: tuple, lower: bool) -> int:
            edge = _integer_bound(bound[0], bound[1], lower)
            return -(-edge // step) * step if lower else edge // step * step

        for side, stems in (("lower", {"minimum": "minimum", "exclusiveMinimum": "exclusive-minimum"}),
                            ("upper", {"maximum": "maximum", "exclusiveMaximum": "exclusive-maximum"})):
            old, new = getattr(o, side), getattr(n, side)
            lower = side == "lower"
            if old is None or new is None or old[2] == new[2]:
                bound = old or new
                keyword = bound[2] if bound else ""
                if bound:
                    self._bound(o, n, path, ctx, keyword, stems[keyword], lower, NUMBER,
                                (old[0], old[3]) if old else None, (new[0], new[3]) if new else None,
                                whole=(rounded(old, lower), rounded(new, lower)) if whole and old and new else None)
                continue
            # The bound moved between the inclusive and the exclusive keyword: compare the bounds.
            a = (_number(old[0]), old[1] if lower else not old[1])
            b = (_number(new[0]), new[1] if lower else not new[1])
            if whole:
                # Integers only: `exclusiveMinimum: 0` is `minimum: 1`, so compare whole bounds.
                a, b = (rounded(old, lower), False), (rounded(new, lower), False)
                if a == b:
                    continue
            tighter = b > a if lower else b < a
            self.emit(f"{side}-bound-changed", o, n, path, ctx, old=_loc(old[3], old[2]), new=_loc(new[3], new[2]),
                      old_value={old[2]: old[0]}, new_value={new[2]: new[0]},
                      effect="tightens" if tighter else "loosens", applies=NUMBER)
        if not whole:
            self._sets(o, n, path, ctx, o.multiple_of, n.multiple_of, "multipleOf", "multiple-of", NUMBER)
            return
        # Whole numbers only: `multipleOf: 1` (or 0.5, 0.25...) holds for every one of them.
        old_kept = {key: value for key, value in o.multiple_of.items() if not _divides_one(value[0])}
        new_kept = {key: value for key, value in n.multiple_of.items() if not _divides_one(value[0])}
        self._sets(o, n, path, ctx, old_kept, new_kept, "multipleOf", "multiple-of", NUMBER)
        for key in sorted(set(o.multiple_of) ^ set(n.multiple_of), key=repr):
            if key in old_kept or key in new_kept:
                continue
            added = key in n.multiple_of
            value, src = (n.multiple_of if added else o.multiple_of)[key]
            self.emit("multiple-of-added" if added else "multiple-of-removed", o, n, path, ctx,
                      old=_loc(o.origin) if added else _loc(src, "multipleOf"),
                      new=_loc(src, "multipleOf") if added else _loc(n.origin),
                      old_value=None if added else value, new_value=value if added else None, effect="none")

    # -- objects --------------------------------------------------------------------
    def _objects(self, o: Node, n: Node, path: tuple, ctx: Ctx) -> None:
        moot = ctx if (OBJECT & o.types & n.types & ctx.domain) else replace(ctx, moot=True)
        # Property values are other instance locations: every type matters there again.
        child = replace(moot, domain=ALL_ATOMS, kinds=ctx.kinds + (OBJECT,))
        for name in sorted(set(o.required) | set(n.required)):
            if name in n.required and name not in o.required:
                old_at = _loc(_counterpart(o.required, n.required[name]), "required") if o.required else _loc(o.origin)
                self.emit("required-property-added", o, n, path + (name,), moot, old=old_at,
                          new=_loc(n.required[name], "required"), new_value=name, applies=OBJECT)
            elif name in o.required and name not in n.required:
                new_at = _loc(_counterpart(n.required, o.required[name]), "required") if n.required else _loc(n.origin)
                self.emit("required-property-removed", o, n, path + (name,), moot,
                          old=_loc(o.required[name], "required"), new=new_at, old_value=name, applies=OBJECT)
        for name in sorted(o.declared_names() | n.declared_names()):
            old_sources, new_sources = o.property_sources(name), n.property_sources(name)
            # The lenient policy's exemption is for optional properties: a property required
            # where it is not declared is in every payload of that side, so declaring it on
            # the other constrains them all.
            optional = not ((name in o.required and not old_sources[1]) or (name in n.required and not new_sources[1]))
            start = len(self.found)
            self._declared(o, n, old_sources, new_sources, path, name, child, "property", optional)
            self._reachable(start, ctx, self._may_hold(n, name), self._may_hold(o, name))
        self._pattern_regions(o, n, path, child)
        old_extra, new_extra = o.additional_sources(), n.additional_sources()
        if old_extra or new_extra:
            uneval = bool(o.unevaluated_properties or n.unevaluated_properties) and not any(
                g.additional for g in o.objects + n.objects)
            stem = "unevaluated-properties" if uneval else "additional-properties"
            start = len(self.found)
            self.diff(self.old.node(old_extra, o.origin), self.new.node(new_extra, n.origin), path + (UNDECLARED,), child,
                      became_false=f"{stem}-forbidden", became_true=f"{stem}-allowed")
            self._reachable(start, ctx, self._may_hold(n, None), self._may_hold(o, None))
        self._pair_lists(o, n, path + ("<property name>",), child, o.property_names, n.property_names,
                         "property-names")
        self._counts(o, n, path, moot, "minProperties", "min-properties", True, OBJECT)
        start = len(self.found)
        self._counts(o, n, path, moot, "maxProperties", "max-properties", False, OBJECT)
        old_max, new_max = o.counts.get("maxProperties", (None,))[0], n.counts.get("maxProperties", (None,))[0]
        old_cap, new_cap = self._property_cap(self.old, o), self._property_cap(self.new, n)
        # Fewer properties allowed matters only to objects that had more; more, only to objects that can have more.
        self._reachable(start, ctx, new_cap is None or old_max is None or new_cap > old_max,
                        old_cap is None or new_max is None or old_cap > new_max)
        for pair in sorted(set(o.dependent_required) | set(n.dependent_required)):
            if pair in n.dependent_required and pair not in o.dependent_required:
                self.emit("dependent-required-added", o, n, path, moot, old=_loc(o.origin),
                          new=_loc(n.dependent_required[pair], "dependentRequired"), new_value=list(pair), applies=OBJECT)
            elif pair in o.dependent_required and pair not in n.dependent_required:
                self.emit("dependent-required-removed", o, n, path, moot,
                          old=_loc(o.dependent_required[pair], "dependentRequired"), new=_loc(n.origin),
                          old_value=list(pair), applies=OBJECT)
        for name in sorted(set(o.dependent_schemas) | set(n.dependent_schemas)):
            self._pair_lists(o, n, path, moot, o.dependent_schemas.get(name, []), n.dependent_schemas.get(name, []),
                             "dependent-schema", value=name)

    def _reachable(self, start: int, ctx: Ctx, gains: bool, losses: bool) -> None:
        """Changes found since ``start`` concern values only new (``gains``) or old (``losses``)
        objects or arrays may hold: a side that holds none cannot break its direction there."""
        if not (gains and losses):
            forward, backward = (gains, losses) if ctx.polarity > 0 else (losses, gains)
            self._clear(start, forward, backward)

    @staticmethod
    def _may_hold(node: Node, name: str | None) -> bool:
        """An object of this node may have the property ``name`` (``None``: an undeclared one):
        not when its required properties already fill ``maxProperties``."""
        if name is not None and name in node.required:
            return True
        if name is None and any(not node.property_sources(required)[1] for required in node.required):
            return True  # a required property nothing declares meets the undeclared schema
        most = node.counts.get("maxProperties", (None,))[0]
        return most is None or len(node.required) + 1 <= most

    def _property_cap(self, builder: Builder, node: Node) -> int | None:
        """The most properties an object of this node can have: ``maxProperties``, and the
        declared names a closed object (``additionalProperties: false``, no patterns) can fill."""
        cap = node.counts.get("maxProperties", (None,))[0]
        if node.unevaluated_properties:
            return cap
        for group in node.objects:
            if group.additional is None or group.patterns or not builder.node([group.additional]).is_false():
                continue
            names = [name for name in group.properties
                     if self._domain(builder, builder.node(node.property_sources(name)[0], node.origin))]
            cap = len(names) if cap is None else min(cap, len(names))
        return cap

    def _pattern_regions(self, o: Node, n: Node, path: tuple, ctx: Ctx) -> None:
        """``patternProperties`` compared region by region: the names matched by exactly the
        same set of patterns (of either version) meet the same schemas on each side, so one
        name per non-empty region stands for all of them, overlaps included. Declared names
        are left out (they were compared as properties)."""
        patterns = tuple(sorted(o.all_patterns() | n.all_patterns()))
        if not patterns:
            return
        declared = o.declared_names() | n.declared_names()
        found = _regex.regions(patterns, frozenset(declared))
        if found is not None and all(
                {p for p in patterns if search(p, name)} == set(key) for key, name in found.items()):
            for key, name in sorted(found.items(), key=lambda item: (len(item[1]), item[1])):
                self._pattern_region(o, n, key, name, path, ctx)
            return
        # Undecidable regions: fail closed unless each pattern meets the same schemas on both sides.
        old_at = {p: [canon(g.patterns[p].contents) for g in o.objects if p in g.patterns] for p in patterns}
        new_at = {p: [canon(g.patterns[p].contents) for g in n.objects if p in g.patterns] for p in patterns}
        if old_at != new_at or self._pattern_siblings_differ(o, n):
            reason = _regex.why(*patterns) if found is None else "Python's `re` and the automata disagree on a name"
            self.emit("undecidable", o, n, path, ctx, old=_loc(o.origin), new=_loc(n.origin),
                      old_value=sorted(o.all_patterns()), new_value=sorted(n.all_patterns()),
                      message=f"`patternProperties` could not be compared region by region: {reason}")

    def _pattern_siblings_differ(self, o: Node, n: Node) -> bool:
        """``additionalProperties`` beside patterns applies to the names no pattern matches."""
        return [canon(g.additional.contents) if g.additional else None for g in o.objects] != [
            canon(g.additional.contents) if g.additional else None for g in n.objects]

    def _pattern_region(self, o: Node, n: Node, matched: frozenset, name: str, path: tuple, ctx: Ctx) -> None:
        old_patterns, new_patterns = matched & o.all_patterns(), matched & n.all_patterns()
        old_at = [g.patterns[p] for p in sorted(old_patterns) for g in o.objects if p in g.patterns]
        new_at = [g.patterns[p] for p in sorted(new_patterns) for g in n.objects if p in g.patterns]
        on = self.old.node(o.property_sources(name)[0], o.origin)
        nn = self.new.node(n.property_sources(name)[0], n.origin)
        sub = path + (name,)
        if old_at and new_at:
            self.diff(on, nn, sub, ctx)
        elif new_at:
            self._slot("pattern-property-added", on, nn, sub, ctx, o.origin, new_at[0], sorted(new_patterns)[0], True)
        else:
            self._slot("pattern-property-removed", on, nn, sub, ctx, old_at[0], n.origin, sorted(old_patterns)[0],
                       True)

    def _declared(self, o: Node, n: Node, old: tuple[list[Src], bool], new: tuple[list[Src], bool], path: tuple,
                  key: str | int, ctx: Ctx, stem: str, policy_bound: bool) -> None:
        """A property name or prefix position that at least one side declares: ``old``/``new``
        are each side's ``(sources, declared)``; compared where both declare it, else a slot."""
        (old_sources, old_declared), (new_sources, new_declared) = old, new
        on, nn = self.old.node(old_sources, o.origin), self.new.node(new_sources, n.origin)
        if old_declared and new_declared:
            self.diff(on, nn, path + (key,), ctx)
            return
        old_at = old_sources[0] if old_declared else o.origin
        new_at = new_sources[0] if new_declared else n.origin
        rule = f"{stem}-added" if new_declared else f"{stem}-removed"
        self._slot(rule, on, nn, path + (key,), ctx, old_at, new_at, key, policy_bound)

    def _slot(self, rule: str, on: Node, nn: Node, path: tuple, ctx: Ctx, old_at: Src, new_at: Src,
              value: Any, policy_bound: bool) -> None:
        """A property (or position) declared on one side only (``rule`` ends in ``-added`` or
        ``-removed``); on the other side it falls under ``on``/``nn`` (additional properties,
        patterns, ``items``, or nothing at all).

        Where the undeclared side accepts anything, declaring narrows (under the strict
        policy only, for properties of open objects); where it accepts nothing (a closed
        object), declaring widens; otherwise the two schemas are compared as they are.
        """
        added = rule.endswith("-added")
        undeclared, declared = (on, nn) if added else (nn, on)
        narrows, widens = ("tightens", "loosens") if added else ("loosens", "tightens")
        if undeclared.is_true():
            effect = "none" if declared.is_true() else (narrows if self.policy == "strict" or not policy_bound else "none")
        elif undeclared.is_false():
            effect = "none" if declared.is_false() else widens
        else:
            effect = "none"
        self.emit(rule, on, nn, path, ctx, old=_loc(old_at), new=_loc(new_at), effect=effect,
                  old_value=None if added else value, new_value=value if added else None)
        if not (undeclared.is_true() or undeclared.is_false()):
            self.diff(on, nn, path, ctx)

    def _pair_lists(self, o: Node, n: Node, path: tuple, ctx: Ctx, old: list[Src], new: list[Src], stem: str,
                    value: Any = None) -> None:
        """A subschema keyword that is a conjunction when repeated (propertyNames, dependentSchemas)."""
        if old and new:
            self.diff(self.old.node(old), self.new.node(new), path, ctx)
        elif new:
            nn = self.new.node(new)
            self.emit(f"{stem}-added", o, n, path, ctx, old=_loc(o.origin), new=_loc(new[0]),
                      new_value=value if value is not None else new[0].contents,
                      effect="none" if nn.is_true() else None)
        elif old:
            on = self.old.node(old)
            self.emit(f"{stem}-removed", o, n, path, ctx, old=_loc(old[0]), new=_loc(n.origin),
                      old_value=value if value is not None else old[0].contents,
                      effect="none" if on.is_true() else None)

    # -- arrays ---------------------------------------------------------------------
    def _arrays(self, o: Node, n: Node, path: tuple, ctx: Ctx) -> None:
        moot = ctx if (ARRAY & o.types & n.types & ctx.domain) else replace(ctx, moot=True)
        # Items are other instance locations: every type matters there again.
        child = replace(moot, domain=ALL_ATOMS, kinds=ctx.kinds + (ARRAY,))
        # A position past the longest array a side allows (``maxItems``, or an item no value
        # can fill) is in none of its arrays: a change there cannot break that side's direction.
        old_cap, new_cap = self._length_cap(self.old, o, 0), self._length_cap(self.new, n, 0)

        def reachable(start: int, index: int) -> None:
            # new (old) has arrays with an item there
            self._reachable(start, ctx, new_cap is None or index < new_cap, old_cap is None or index < old_cap)

        length = max(o.prefix_length(), n.prefix_length())
        for index in range(length):
            start = len(self.found)
            self._declared(o, n, o.item_sources(index), n.item_sources(index), path, index, child, "prefix-item", False)
            reachable(start, index)
        old_sources, old_declared = o.item_sources(None)
        new_sources, new_declared = n.item_sources(None)
        start = len(self.found)
        if old_sources or new_sources:
            on, nn = self.old.node(old_sources, o.origin), self.new.node(new_sources, n.origin)
            sub = path + ("*",) if not length else path + (length,)
            stem = "additional-items" if length else None
            if not (o.unevaluated_items or n.unevaluated_items) or old_declared or new_declared:
                if old_declared and not new_declared and not (nn.is_false() or on.is_false()):
                    if on.is_true():  # `items: {}` dropped: the same meaning, unless `unevaluatedItems` now applies
                        if not nn.is_true():
                            self.diff(on, nn, sub, child)
                    else:
                        self._slot("items-removed", on, nn, sub, child, old_sources[0], n.origin, None, False)
                elif new_declared and not old_declared and not (nn.is_false() or on.is_false()):
                    if not nn.is_true():
                        self._slot("items-added", on, nn, sub, child, o.origin, new_sources[0], None, False)
                    elif not on.is_true():  # `items: {}` where `unevaluatedItems` applied
                        self.diff(on, nn, sub, child)
                else:
                    self.diff(on, nn, sub, child,
                              became_false=f"{stem}-forbidden" if stem else "schema-became-false",
                              became_true=f"{stem}-allowed" if stem else "schema-became-true")
            else:
                self.diff(on, nn, sub, child, became_false="unevaluated-items-forbidden",
                          became_true="unevaluated-items-allowed")
        reachable(start, length)
        self._counts(o, n, path, moot, "minItems", "min-items", True, ARRAY)
        start = len(self.found)
        self._counts(o, n, path, moot, "maxItems", "max-items", False, ARRAY)
        old_max, new_max = o.counts.get("maxItems", (None,))[0], n.counts.get("maxItems", (None,))[0]
        self._reachable(start, ctx, new_cap is None or old_max is None or new_cap > old_max,
                        old_cap is None or new_max is None or old_cap > new_max)
        if bool(o.unique) != bool(n.unique):
            rule = "unique-items-added" if n.unique else "unique-items-removed"
            self.emit(rule, o, n, path, moot, old=_loc(o.unique, "uniqueItems") or _loc(o.origin),
                      new=_loc(n.unique, "uniqueItems") or _loc(n.origin), old_value=bool(o.unique),
                      new_value=bool(n.unique), applies=ARRAY)
        self._contains(o, n, path, moot)

    def _contains(self, o: Node, n: Node, path: tuple, ctx: Ctx) -> None:
        if not o.contains and not n.contains:
            return
        if len(o.contains) > 1 or len(n.contains) > 1:
            if len(o.contains) != len(n.contains) or not all(
                self.equivalent(self.old.node([a.schema]), self.new.node([b.schema]))
                and (a.min or (1,))[0] == (b.min or (1,))[0] and (a.max or (None,))[0] == (b.max or (None,))[0]
                for a, b in zip(o.contains, n.contains)
            ):
                self.emit("undecidable", o, n, path, ctx, old=_loc(o.origin), new=_loc(n.origin),
                          message="several `contains` keywords merged from `allOf` parts")
            return
        if not o.contains or not n.contains:
            added = bool(n.contains)
            item = (n.contains or o.contains)[0]
            self.emit("contains-added" if added else "contains-removed", o, n, path + ("*",), ctx,
                      old=_loc(item.src, "contains") if not added else _loc(o.origin),
                      new=_loc(item.src, "contains") if added else _loc(n.origin),
                      old_value=None if added else item.schema.contents,
                      new_value=item.schema.contents if added else None, applies=ARRAY)
            return
        a, b = o.contains[0], n.contains[0]
        def inner() -> None:
            self.diff(self.old.node([a.schema]), self.new.node([b.schema]), path + ("*",),
                      replace(ctx, domain=ALL_ATOMS, kinds=ctx.kinds + (ARRAY,)))  # an item: every type matters again

        if a.max or b.max:
            self.guarded("`contains` with `maxContains`: a wider `contains` can also reject more arrays", o, n,
                         _loc(a.src, "contains"), _loc(b.src, "contains"), path, ctx, inner)
        else:
            inner()
        # minContains defaults to 1: the rule names what was written, the effect what it means.
        if (a.min or (1,))[0] != (b.min or (1,))[0]:
            if a.min and b.min:
                self._bound(o, n, path, ctx, "minContains", "min-contains", True, ARRAY, a.min, b.min)
            else:
                tighter = (b.min or (1,))[0] > (a.min or (1,))[0]
                self.emit("min-contains-added" if b.min else "min-contains-removed", o, n, path, ctx,
                          old=_loc(a.src, "minContains"), new=_loc(b.src, "minContains"),
                          old_value=a.min[0] if a.min else None, new_value=b.min[0] if b.min else None,
                          effect="tightens" if tighter else "loosens", applies=ARRAY)
        self._bound(o, n, path, ctx, "maxContains", "max-contains", False, ARRAY, a.max, b.max)

    # -- combinators ----------------------------------------------------------------
    def _combos(self, o: Node, n: Node, path: tuple, ctx: Ctx) -> None:
        pairs = list(zip(o.combos, n.combos))
        for oc, nc in pairs:
            self._combo(o, n, oc, nc, path, ctx)
        # An `anyOf` added with a branch that holds every value the old schema accepted rejects
        # none of them; one removed whose branch held every value the new schema accepts let none in.
        def union(builder: Builder, combo, node: Node) -> bool:  # a `oneOf` over disjoint branches is an `anyOf`
            return len(combo.branches) <= 8 and (combo.kind == "anyOf" or self._disjoint(
                builder, [builder.node([src]) for src in combo.branches], node.types))

        # So does one (overlapping or not) that accepts whole every type the other side can hold
        # (not beside unevaluated*: its branches' annotations move what is evaluated).
        def holds(builder: Builder, combo, other: Node, other_builder: Builder) -> bool:
            if other.unevaluated_properties or other.unevaluated_items or len(combo.branches) > 8:
                return False
            return self._domain(other_builder, other) <= self._combo_whole(builder, combo)

        for oc in o.combos[len(pairs):]:
            idle = (union(self.old, oc, o) and any(
                self._within(self.old.node([src]), n, "forward") for src in oc.branches)) or (
                not (o.unevaluated_properties or o.unevaluated_items) and holds(self.old, oc, n, self.new))
            self.emit("any-of-removed", o, n, path, ctx, old=_loc(oc.src, oc.kind), new=_loc(n.origin),
                      old_value=len(oc.branches), effect="none" if idle else None)
        for nc in n.combos[len(pairs):]:
            idle = (union(self.new, nc, n) and any(
                self._within(o, self.new.node([src]), "backward") for src in nc.branches)) or (
                not (n.unevaluated_properties or n.unevaluated_items) and holds(self.new, nc, o, self.old))
            self.emit("any-of-added", o, n, path, ctx, old=_loc(o.origin), new=_loc(nc.src, nc.kind),
                      new_value=len(nc.branches), effect="none" if idle else None)

    def _combo_whole(self, builder: Builder, combo, depth: int = -1) -> frozenset[str]:
        """The types of which an ``anyOf``/``oneOf`` accepts every value (a subset), as
        :meth:`_whole` reads one: a branch holds the type whole (in a ``oneOf``: exactly one,
        and no other branch can hold a value of it). ``depth``: the enclosing node's."""
        branches = [builder.node([src]) for src in combo.branches]
        whole = [self._universal(builder, branch, depth + 1) for branch in branches]
        if combo.kind == "anyOf":
            return frozenset().union(*whole)
        domains = [self._domain(builder, branch, depth + 1) for branch in branches]
        return frozenset(atom for atom in ALL_ATOMS if sum(atom in found for found in whole) == 1
                         and sum(atom in found for found in domains) == 1)

    def _disjoint(self, builder: Builder, branches: list[Node], within: frozenset) -> bool:
        """No instance of the types ``within`` (the enclosing schema's) meets two branches.

        Branches that are plain ``enum``/``const`` lists are checked together in one pass
        (a value in two of them is an overlap), so a union of thousands of constants costs
        linear time; the other branches are compared pairwise with every branch.
        """
        values: set = set()
        listed, others = [], []
        for branch in branches:
            if branch.enum is not None and not branch.combos and not branch.nots and not branch.conditionals:
                listed.append(branch)
                for value in branch.enum[0]:
                    if value in values:
                        return False
                    values.add(value)
            else:
                others.append(branch)
        for i, a in enumerate(others):
            for b in others[i + 1:] + listed:
                if not self._disjoint_pair(builder, a, b, within):
                    return False
        return True

    def _disjoint_pair(self, builder: Builder, a: Node, b: Node, within: frozenset) -> bool:
        if not (a.types & b.types & within):
            return True
        if a.enum is not None and b.enum is not None and not (a.enum[0] & b.enum[0]):
            return True
        if not (a.types & b.types & within) <= OBJECT:
            return False  # a required property only separates objects: other values may match both
        for name in sorted(set(a.required) & set(b.required)):
            pa = builder.node(a.property_sources(name)[0], a.origin)
            pb = builder.node(b.property_sources(name)[0], b.origin)
            if pa.enum is not None and pb.enum is not None and not (pa.enum[0] & pb.enum[0]):
                return True
            if not (pa.types & pb.types):
                return True
        return False

    def _combo(self, o: Node, n: Node, oc, nc, path: tuple, ctx: Ctx) -> None:
        old_branches = [self.old.node([src]) for src in oc.branches]
        new_branches = [self.new.node([src]) for src in nc.branches]
        disjoint = self._disjoint(self.old, old_branches, o.types) and self._disjoint(self.new, new_branches, n.types)
        if oc.kind != nc.kind and not disjoint:
            rule = "any-of-to-one-of" if nc.kind == "oneOf" else "one-of-to-any-of"
            self.emit(rule, o, n, path, ctx, old=_loc(oc.src, oc.kind), new=_loc(nc.src, nc.kind),
                      old_value=oc.kind, new_value=nc.kind)
        if "oneOf" in (oc.kind, nc.kind) and not disjoint:
            self._branches(o, n, oc, nc, old_branches, new_branches, path, ctx,
                           guard="`oneOf` branches that can overlap: a change to one branch can also reject "
                                 "payloads that now match two branches")
        else:
            self._branches(o, n, oc, nc, old_branches, new_branches, path, ctx, union=True)

    def _branches(self, o: Node, n: Node, oc, nc, old_branches: list[Node], new_branches: list[Node],
                  path: tuple, inner: Ctx, union: bool = False, guard: str | None = None) -> None:
        old_left = list(range(len(old_branches)))
        new_left = list(range(len(new_branches)))
        matches: list[tuple[int, int]] = []

        def take(i: int, j: int) -> None:
            old_left.remove(i)
            new_left.remove(j)
            matches.append((i, j))

        # 1. the same discriminating constant; 2. the same meaning; 3. the one left on each side.
        old_keys = {i: self._branch_key(self.old, old_branches[i]) for i in old_left}
        for j in list(new_left):
            key = self._branch_key(self.new, new_branches[j])
            candidates = [i for i in old_left if key is not None and old_keys[i] == key]
            if len(candidates) == 1:
                take(candidates[0], j)
        # the same text first (linear), then the same meaning (pairwise, over what is left)
        by_text: dict = {}
        for i in old_left:
            by_text.setdefault(repr(canon(oc.branches[i].contents)), []).append(i)
        for j in list(new_left):
            same = by_text.get(repr(canon(nc.branches[j].contents)))
            if same:
                i = same.pop(0)
                if self.equivalent(old_branches[i], new_branches[j]):
                    take(i, j)
                else:
                    same.insert(0, i)
        # a branch's own copy (no change at all) before one that only moves no payload: with
        # `{type: string}` and `{type: string, minLength: 0}` on both sides, either pairing moves
        # nothing, but only the exact one reports nothing
        if len(old_left) * len(new_left) <= 64:
            for i, j in self._exact_pairs(old_branches, new_branches, old_left, new_left):
                take(i, j)
        for exact in (True, False):
            for j in list(new_left):
                for i in old_left:
                    if self.equivalent(old_branches[i], new_branches[j], exact=exact):
                        take(i, j)
                        break
        if len(old_left) == 1 and len(new_left) == 1:
            take(old_left[0], new_left[0])
        def covered(i: int | None, j: int | None, start: int) -> None:
            """Under union semantics, what branch ``j`` gained is harmless when another old
            branch holds all of it, and what branch ``i`` lost when another new branch does."""
            if not union or len(self.found) == start or len(old_branches) * len(new_branches) > 64:
                return
            gains = j is not None and any(self._within(old_branches[k], new_branches[j], "forward")
                                          for k in range(len(old_branches)) if k != i)
            losses = i is not None and any(self._within(old_branches[i], new_branches[k], "backward")
                                           for k in range(len(new_branches)) if k != j)
            forward, backward = (not gains, not losses) if inner.polarity > 0 else (not losses, not gains)
            self._clear(start, forward, backward)

        # Under union semantics a value of a type another branch accepts whole, on both sides,
        # meets the whole on both whatever branches ``i``/``j`` say: a change only such values
        # see moves nothing (an equivalence, so it holds under a `not` too). Not where the
        # enclosing schema has unevaluated*: which branches match moves what is evaluated.
        evaluated = o.unevaluated_properties or o.unevaluated_items or n.unevaluated_properties \
            or n.unevaluated_items
        # ``guard``: branches that can overlap (a `oneOf`); a change there is undecided, except in
        # a matched pair whose types (of either version) no other branch of either version can
        # hold: a value of those types meets the `oneOf` exactly when it meets that branch (on
        # both sides), and one of other types meets neither branch, so the pair is compared as
        # it stands (an equivalence for both directions, sound under a `not` too).
        isolated: list[tuple[int, int]] = []
        others: dict[tuple[int, int], frozenset] = {}  # per matched pair: the types other branches can hold
        if guard is not None and oc.kind == nc.kind == "oneOf" and len(old_branches) * len(new_branches) <= 64:
            old_domains = [self._domain(self.old, branch) for branch in old_branches]
            new_domains = [self._domain(self.new, branch) for branch in new_branches]
            for i, j in sorted(matches):
                others[i, j] = frozenset().union(*(old_domains[k] for k in range(len(old_branches)) if k != i),
                                                 *(new_domains[k] for k in range(len(new_branches)) if k != j))
                if not ((old_domains[i] | new_domains[j]) & others[i, j]):
                    isolated.append((i, j))
        for i, j in isolated:
            matches.remove((i, j))
            self.diff(old_branches[i], new_branches[j], path, inner)

        def rest() -> set[int]:
            decided: set[int] = set()
            cycles = self._cycles
            for i, j in sorted(matches):
                start = len(self.found)
                branch_ctx = inner
                if union and not evaluated and len(old_branches) * len(new_branches) <= 64:
                    held = frozenset().union(*(self._universal(self.old, old_branches[k])
                                               for k in range(len(old_branches)) if k != i)) \
                        & frozenset().union(*(self._universal(self.new, new_branches[k])
                                              for k in range(len(new_branches)) if k != j))
                    if held:
                        branch_ctx = replace(inner, domain=inner.domain - held)
                self.diff(old_branches[i], new_branches[j], path, branch_ctx)
                covered(i, j, start)
                if (i, j) in others and self._isolated(start, len(inner.kinds), others[i, j]):
                    decided.update(range(start, len(self.found)))
            for j in new_left:
                start = len(self.found)
                self.emit("any-of-branch-added", o, n, path, inner, old=_loc(oc.src, oc.kind),
                          new=_loc(nc.branches[j]), new_value=nc.branches[j].contents)
                covered(None, j, start)
            for i in old_left:
                start = len(self.found)
                self.emit("any-of-branch-removed", o, n, path, inner, old=_loc(oc.branches[i]),
                          new=_loc(nc.src, nc.kind), old_value=oc.branches[i].contents)
                covered(i, None, start)
            # A recursive schema met below: its changes are recorded further up only, so a
            # branch may have moved without a change of its own to show it. Nothing is decided.
            return decided if self._cycles == cycles else set()

        if guard is None:
            rest()
        else:
            self.guarded(guard, o, n, _loc(oc.src, oc.kind), _loc(nc.src, nc.kind), path, inner, rest,
                         languages_only=True)

    def _exact_pairs(self, old_branches: list[Node], new_branches: list[Node], old_left: list[int],
                     new_left: list[int]) -> list[tuple[int, int]]:
        """As many (old, new) branch pairs as can be formed of branches that are exact copies
        (:meth:`equivalent` ``exact``): a greedy pass can take a copy another branch needed
        (``anyOf: [S, S]`` folds to ``S``, so it copies ``S`` as well as its own reordered
        copy). Kuhn's augmenting paths, written here: a few lines over at most 64 pairs, where a
        graph library would be a new dependency for one call."""
        edges = {j: [i for i in old_left if self.equivalent(old_branches[i], new_branches[j], exact=True)]
                 for j in new_left}
        owner: dict[int, int] = {}  # old index -> new index

        def claim(j: int, seen: set[int]) -> bool:
            for i in edges[j]:
                if i not in seen:
                    seen.add(i)
                    if i not in owner or claim(owner[i], seen):
                        owner[i] = j
                        return True
            return False

        for j in new_left:
            claim(j, set())
        return sorted((i, j) for i, j in owner.items())

    def _isolated(self, start: int, at: int, others: frozenset) -> bool:
        """Every change found since ``start`` (in one matched pair of overlapping ``oneOf``
        branches) moves only values of types no other branch of either version can hold, at the
        ``oneOf``'s place (``at``: its depth in ``Ctx.kinds``): a change below a property (item)
        moves only objects (arrays) there, one at that place only the types its rule applies to.
        A value of such a type meets the ``oneOf`` exactly when it meets this branch, on both
        sides; a value of any other type meets this branch alike on both sides. So the changes
        keep their directions (each change's own, as within the branch). Not when a change is
        unknown."""
        for found in self.found[start:]:
            change = found.change
            if change.rule == "annotation-changed" or not (
                    change.unknown or change.breaks_forward or change.breaks_backward):
                continue
            concern = found.kinds[at] if len(found.kinds) > at else found.applies
            if change.unknown or concern & others:
                return False
        return True

    def _within(self, o: Node, n: Node, direction: str) -> bool:
        """Nothing breaks ``direction`` between ``o`` and ``n`` (``forward``: ``n`` ⊆ ``o``;
        ``backward``: ``o`` ⊆ ``n``), as far as this engine can tell (so never wrongly)."""
        key = (id(o), id(n), direction)
        if key in self._subsets:
            return self._subsets[key]
        if key in self._probing:
            return False  # a recursive schema: not assumed
        self._probing.add(key)
        try:
            probe = self._probe()
            probe.diff(o, n, (), Ctx())
            result = not any(found.change.breaks(direction) for found in probe.found)
        finally:
            self._probing.discard(key)
        self._subsets[key] = result
        return result

    def _clear(self, start: int, forward: bool, backward: bool) -> None:
        """Changes found since ``start`` break at most ``forward``/``backward`` (unknown ones stay,
        unless neither direction can break)."""
        for index in range(start, len(self.found)):
            change = self.found[index].change
            if change.unknown:
                if forward or backward:
                    continue
                self.found[index].change = replace(change, unknown=False, breaks_forward=False, breaks_backward=False)
            elif (change.breaks_forward and not forward) or (change.breaks_backward and not backward):
                self.found[index].change = replace(change, breaks_forward=change.breaks_forward and forward,
                                                   breaks_backward=change.breaks_backward and backward)

    def _branch_key(self, builder: Builder, node: Node) -> tuple | None:
        keys = []
        for name in sorted(node.required):
            sources, declared = node.property_sources(name)
            if declared:
                prop = builder.node(sources)
                if prop.enum is not None and len(prop.enum[0]) == 1:
                    keys.append((name, repr(next(iter(prop.enum[0])))))
        return tuple(keys) or None

    def _nots(self, o: Node, n: Node, path: tuple, ctx: Ctx) -> None:
        flipped = replace(ctx, polarity=-ctx.polarity)
        pairs = list(zip(o.nots, n.nots))
        for a, b in pairs:
            self.diff(self.old.node([a]), self.new.node([b]), path, flipped)
        # A `not` whose schema matches no value of the types here (or none at all) rejects nothing.
        for a in o.nots[len(pairs):]:
            inner = self.old.node([a])
            self.emit("not-removed", o, n, path, ctx, old=_loc(a), new=_loc(n.origin), old_value=a.contents,
                      effect="none" if not (self._domain(self.old, inner) & ctx.domain) else None)
        for b in n.nots[len(pairs):]:
            inner = self.new.node([b])
            self.emit("not-added", o, n, path, ctx, old=_loc(o.origin), new=_loc(b), new_value=b.contents,
                      effect="none" if not (self._domain(self.new, inner) & ctx.domain) else None)

    def _conditionals(self, o: Node, n: Node, path: tuple, ctx: Ctx) -> None:
        pairs = list(zip(o.conditionals, n.conditionals))
        for a, b in pairs:
            if not self.equivalent(self.old.node([a.if_]), self.new.node([b.if_])):
                forms = self._reduced(self.old, a), self._reduced(self.new, b)
                if forms[0] is not None and forms[1] is not None:
                    # Each conditional is exactly a plain conjunction (its `then`, its `else`,
                    # `if` and `then`, or nothing): compare those, as any other subschema here.
                    self.diff(self.old.node(forms[0], a.src), self.new.node(forms[1], b.src), path, ctx)
                    continue
                if [] in forms:  # one side accepts everything: only the other side's can shut out
                    removed = forms[1] == []
                    self.emit("conditional-removed" if removed else "conditional-added", o, n, path, ctx,
                              old=_loc(a.if_), new=_loc(b.if_), old_value=a.if_.contents, new_value=b.if_.contents,
                              message="the `if` condition changed so that the "
                                      + ("new" if removed else "old") + " conditional accepts everything")
                    continue
                shape = self._shape(self.old, a), self._shape(self.new, b)
                if shape[0] != shape[1] or shape[0] is None:
                    # `if: I, then: T` (no `else`) is `not I or T`: with the same T on both sides,
                    # a wider I only adds values that must meet T (it tightens), so the `if`s are
                    # compared under a `not`; `if: I, else: E` (no `then`) is `I or E` likewise.
                    shape = (self._same_branch(a.then, b.then, a.else_, b.else_, "not-if")
                             or self._same_branch(a.else_, b.else_, a.then, b.then, "if")
                             or self._same_else_then_never(a, b),) * 2
                if shape[0] == shape[1] and shape[0] is not None:
                    # Both read as `true`, as the `if` itself, or as its negation: compare that.
                    if shape[0] != "true":
                        flipped = replace(ctx, polarity=-ctx.polarity) if shape[0] == "not-if" else ctx
                        self.diff(self.old.node([a.if_]), self.new.node([b.if_]), path, flipped)
                    continue
                pieces = self._monotone_pieces(a, b)
                if pieces:
                    # The conditional moves one way with each piece (a `not if` or the `if`, and
                    # the branch that applies): a break needs a piece that moved that way.
                    for old_part, new_part, negated in pieces:
                        self.diff(old_part, new_part, path, replace(ctx, polarity=-ctx.polarity) if negated else ctx)
                    continue
                self.emit("undecidable", o, n, path, ctx, old=_loc(a.if_), new=_loc(b.if_),
                          old_value=a.if_.contents, new_value=b.if_.contents,
                          message="the `if` condition changed: which payloads meet `then` or `else` moved")
                continue
            # `then` only ever meets values that match `if` (the same on both sides): compared
            # as `then` and `if` together, a `then` change that no such value can see is moot.
            if a.then or b.then:
                self.diff(self.old.node([a.then, a.if_] if a.then else [a.if_]),
                          self.new.node([b.then, b.if_] if b.then else [b.if_]), path, ctx)
            # `else` only ever meets values the `if` does not match: none of a type the `if`
            # accepts whole (on both sides; the `if`s are equivalent here).
            matched = self._universal(self.old, self.old.node([a.if_])) & self._universal(self.new, self.new.node([b.if_]))
            self.diff(self.old.node([a.else_] if a.else_ else [], a.src),
                      self.new.node([b.else_] if b.else_ else [], b.src), path,
                      replace(ctx, domain=ctx.domain - matched))
        # An added (removed) conditional rejects (let in) only values of the types it does not
        # accept whole: ``applies`` masks it where a side holds none of them.
        for a in o.conditionals[len(pairs):]:
            self.emit("conditional-removed", o, n, path, ctx, old=_loc(a.src, "if"), new=_loc(n.origin),
                      effect="none" if self._idle(self.old, a, o) else None,
                      applies=ALL_ATOMS - self._conditional_whole(self.old, a))
        for b in n.conditionals[len(pairs):]:
            self.emit("conditional-added", o, n, path, ctx, old=_loc(o.origin), new=_loc(b.src, "if"),
                      effect="none" if self._idle(self.new, b, n) else None,
                      applies=ALL_ATOMS - self._conditional_whole(self.new, b))

    def _conditional_whole(self, builder: Builder, conditional, depth: int = -1) -> frozenset[str]:
        """The types of which an ``if``/``then``/``else`` accepts every value (a subset), as
        :meth:`_whole` reads a conditional: a value the ``if`` matches meets ``then``, one it
        does not meets ``else``. ``depth``: the enclosing node's."""
        below = depth + 1
        condition = builder.node([conditional.if_])
        then_whole = self._universal(builder, builder.node([conditional.then]), below) if conditional.then else ALL_ATOMS
        else_whole = self._universal(builder, builder.node([conditional.else_]), below) if conditional.else_ else ALL_ATOMS
        return frozenset((then_whole | (ALL_ATOMS - self._domain(builder, condition, below)))
                         & (else_whole | self._universal(builder, condition, below)))

    def _reduced(self, builder: Builder, conditional) -> list[Src] | None:
        """The conditional as a plain conjunction of sources, where it is exactly one: ``[]``
        when it accepts everything; its ``else`` when ``if`` matches nothing; its ``then`` when
        ``if`` matches everything or ``then`` and ``else`` mean the same; ``if`` and ``then``
        when ``else`` accepts nothing ``if`` lets through; ``else`` when ``then`` accepts nothing
        ``if`` matches and ``if`` nothing ``else`` accepts; ``None`` otherwise. Each reading is
        an equivalence (it holds for both directions), so it is sound under non-monotone
        constructs too. Ported from fa-combinators onto the value domains."""
        then, else_ = conditional.then, conditional.else_
        condition = builder.node([conditional.if_])
        if self._conditional_whole(builder, conditional) == ALL_ATOMS:
            return []
        if_eff, if_total = self._domain(builder, condition), self._universal(builder, condition)
        if not if_eff:
            return [else_] if else_ is not None else []
        if if_total == ALL_ATOMS or (then is not None and else_ is not None and self._same_side(builder, then, else_)):
            return [then] if then is not None else []
        else_eff = self._domain(builder, builder.node([else_])) if else_ is not None else ALL_ATOMS
        if not (else_eff - if_total):
            return [conditional.if_] + ([then] if then is not None else [])
        if then is not None and not self._domain(builder, builder.node([then, conditional.if_])) and not (
                if_eff & else_eff):
            return [else_] if else_ is not None else []
        return None

    def _same_side(self, builder: Builder, a: Src, b: Src) -> bool:
        """Two subschemas of one version admit the same instances, as far as the engine can tell."""
        if a.base == b.base and canon(a.contents) == canon(b.contents):
            return True
        probe = self._probe(builder=builder)
        probe.diff(builder.node([a]), builder.node([b]), (), Ctx())
        return not any(found.change.rule != "annotation-changed" for found in probe.found)

    def _monotone_pieces(self, a, b) -> list[tuple[Node, Node, bool]] | None:
        """Where both conditionals have one shape, the pieces they are monotone in:
        ``not if or then`` (no `else`, or one accepting everything), ``if or else`` (likewise
        `then`) and ``not if and else`` (a `then` that never holds where its `if` matches),
        as ``(old, new, under a not)``; ``None`` otherwise."""
        def part(builder: Builder, src: Src | None, at: Src) -> Node:
            return builder.node([src] if src is not None else [], at)

        def trivial(builder: Builder, src: Src | None) -> bool:
            return src is None or builder.node([src]).is_true()

        sides = ((self.old, a), (self.new, b))
        ifs = (self.old.node([a.if_]), self.new.node([b.if_]))
        if all(trivial(builder, c.else_) for builder, c in sides):
            return [(*ifs, True), (part(self.old, a.then, a.src), part(self.new, b.then, b.src), False)]
        if all(trivial(builder, c.then) for builder, c in sides):
            return [(*ifs, False), (part(self.old, a.else_, a.src), part(self.new, b.else_, b.src), False)]
        if all(c.then is not None and not self._domain(builder, builder.node([c.then, c.if_])) for builder, c in sides):
            return [(*ifs, True), (part(self.old, a.else_, a.src), part(self.new, b.else_, b.src), False)]
        return None

    def _same_else_then_never(self, a, b) -> str | None:
        """``"not-if"`` when both ``else``s mean the same and neither ``then`` accepts a value
        its ``if`` matches: each conditional is ``not if and else``."""
        if a.else_ is None or b.else_ is None or a.then is None or b.then is None:
            return None
        for builder, conditional in ((self.old, a), (self.new, b)):
            if self._domain(builder, builder.node([conditional.then, conditional.if_])):
                return None
        return "not-if" if self.equivalent(self.old.node([a.else_]), self.new.node([b.else_])) else None

    def _same_branch(self, old_kept: Src | None, new_kept: Src | None, old_other: Src | None,
                     new_other: Src | None, shape: str) -> str | None:
        """``shape`` when the kept branch (``then`` or ``else``) means the same on both sides
        and the other branch is absent or accepts everything on both."""
        if old_kept is None or new_kept is None:
            return None
        for builder, other in ((self.old, old_other), (self.new, new_other)):
            if other is not None and not builder.node([other]).is_true():
                return None
        return shape if self.equivalent(self.old.node([old_kept]), self.new.node([new_kept])) else None

    def _shape(self, builder: Builder, conditional) -> str | None:
        """What an ``if``/``then``/``else`` amounts to when its branches are trivial: ``"true"``
        (nothing constrained), ``"if"`` (``then`` accepts all, ``else`` nothing) or ``"not-if"``
        (``then`` accepts nothing the ``if`` matches, ``else`` all); ``None`` otherwise."""
        then_all = conditional.then is None or builder.node([conditional.then]).is_true()
        then_none = conditional.then is not None and self._empty(builder, builder.node([conditional.then, conditional.if_]))
        else_all = conditional.else_ is None or builder.node([conditional.else_]).is_true()
        else_none = conditional.else_ is not None and self._empty(builder, builder.node([conditional.else_]))
        if then_all and else_all:
            return "true"
        if then_all and else_none:
            return "if"
        if then_none and else_all:
            return "not-if"
        return None

    @staticmethod
    def _idle(builder: Builder, conditional, node: Node) -> bool:
        """An ``if``/``then``/``else`` that constrains nothing here: the branch that can apply
        (both, unless the ``if`` matches no value of the types here) accepts everything."""
        def accepts_all(src: Src | None) -> bool:
            return src is None or builder.node([src]).is_true()

        condition = builder.node([conditional.if_])
        never = condition.is_false() or not (condition.types & node.types)
        always = condition.is_true()
        return (never or accepts_all(conditional.then)) and (always or accepts_all(conditional.else_))
