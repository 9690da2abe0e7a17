"""The compatibility engine's vocabulary: rules, changes, witnesses and reports.

Directions are named as schema registries name them:

* **forward**: everything valid under *new* is valid under *old*. A change that lets the
  new schema accept a payload the old one rejects (it *loosens*) breaks forward: a producer
  on the new schema can send what a receiver still on the old schema refuses.
* **backward**: everything valid under *old* is valid under *new*. A change that makes the
  new schema reject a payload the old one accepts (it *tightens*) breaks backward: a
  receiver on the new schema refuses replayed or archived events written under the old.
* **full**: both.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from .._catalog import VERSION_KEYWORD  # noqa: F401  (part of this module's vocabulary)

Direction = Literal["forward", "backward", "full"]
Policy = Literal["strict", "lenient"]
DIRECTIONS: tuple[str, ...] = ("forward", "backward", "full")
POLICIES: tuple[str, ...] = ("strict", "lenient")

#: What a rule does to the set of valid payloads, before nesting (a ``not`` flips it):
#: ``loosens`` breaks forward, ``tightens`` breaks backward, ``both`` breaks both,
#: ``none`` breaks nothing, ``depends`` is decided per change (policy, open or closed
#: object, which types the schema admits), ``unknown`` means the engine cannot decide.
Effect = Literal["loosens", "tightens", "both", "none", "depends", "unknown"]


@dataclass(frozen=True)
class Rule:
    id: str
    effect: Effect
    summary: str


def _bounds(keyword: str, name: str, lower: bool) -> list[Rule]:
    tighter, looser = ("increased", "decreased") if lower else ("decreased", "increased")
    return [
        Rule(f"{keyword}-added", "tightens", f"`{name}` added"),
        Rule(f"{keyword}-removed", "loosens", f"`{name}` removed"),
        Rule(f"{keyword}-{tighter}", "tightens", f"`{name}` {tighter}"),
        Rule(f"{keyword}-{looser}", "loosens", f"`{name}` {looser}"),
    ]


_RULES: list[Rule] = [
    Rule("annotation-changed", "none", "an annotation (title, description, examples, $comment, default, x-*) changed"),
    # type
    Rule("type-widened", "loosens", "the set of allowed JSON types grew (integer ⊂ number)"),
    Rule("type-narrowed", "tightens", "the set of allowed JSON types shrank"),
    Rule("type-changed", "both", "allowed JSON types both gained and lost members"),
    # const / enum
    Rule("const-added", "tightens", "`const` added"),
    Rule("const-removed", "loosens", "`const` removed"),
    Rule("const-changed", "both", "`const` value changed"),
    Rule("enum-added", "tightens", "`enum` added"),
    Rule("enum-removed", "loosens", "`enum` removed"),
    Rule("enum-value-added", "loosens", "a value added to `enum`"),
    Rule("enum-value-removed", "tightens", "a value removed from `enum`"),
    # strings
    Rule("format-added", "tightens", "`format` added (formats are asserted by this package)"),
    Rule("format-removed", "loosens", "`format` removed"),
    Rule("format-changed", "both", "`format` changed"),
    Rule("pattern-added", "tightens", "`pattern` added"),
    Rule("pattern-removed", "loosens", "`pattern` removed"),
    Rule("pattern-changed", "depends", "`pattern` changed (compared as regular languages where decidable, else breaks both ways)"),
    *_bounds("min-length", "minLength", True),
    *_bounds("max-length", "maxLength", False),
    # numbers
    *_bounds("minimum", "minimum", True),
    *_bounds("maximum", "maximum", False),
    *_bounds("exclusive-minimum", "exclusiveMinimum", True),
    *_bounds("exclusive-maximum", "exclusiveMaximum", False),
    Rule("lower-bound-changed", "depends", "a numeric lower bound moved between `minimum` and `exclusiveMinimum`"),
    Rule("upper-bound-changed", "depends", "a numeric upper bound moved between `maximum` and `exclusiveMaximum`"),
    Rule("multiple-of-added", "tightens", "`multipleOf` added"),
    Rule("multiple-of-removed", "loosens", "`multipleOf` removed"),
    Rule("multiple-of-changed", "depends", "`multipleOf` changed (tightens when the new value is a multiple of the old)"),
    # objects
    Rule("required-property-added", "tightens", "a property became required"),
    Rule("required-property-removed", "loosens", "a property is no longer required"),
    Rule("property-added", "depends", "a property declared (breaks forward on a closed object; on an open object, backward under the strict policy)"),
    Rule("property-removed", "depends", "a property declaration removed (breaks backward on a closed object; on an open object, forward under the strict policy)"),
    Rule("additional-properties-forbidden", "tightens", "undeclared properties were allowed and are now rejected"),
    Rule("additional-properties-allowed", "loosens", "undeclared properties were rejected and are now allowed"),
    Rule("unevaluated-properties-forbidden", "tightens", "`unevaluatedProperties: false` added"),
    Rule("unevaluated-properties-allowed", "loosens", "`unevaluatedProperties: false` removed"),
    Rule("pattern-property-added", "depends", "a `patternProperties` entry added (like property-added)"),
    Rule("pattern-property-removed", "depends", "a `patternProperties` entry removed (like property-removed)"),
    Rule("property-names-added", "tightens", "`propertyNames` added"),
    Rule("property-names-removed", "loosens", "`propertyNames` removed"),
    *_bounds("min-properties", "minProperties", True),
    *_bounds("max-properties", "maxProperties", False),
    Rule("dependent-required-added", "tightens", "a `dependentRequired` dependency added"),
    Rule("dependent-required-removed", "loosens", "a `dependentRequired` dependency removed"),
    Rule("dependent-schema-added", "tightens", "a `dependentSchemas` entry added"),
    Rule("dependent-schema-removed", "loosens", "a `dependentSchemas` entry removed"),
    # arrays
    Rule("items-added", "tightens", "`items` added"),
    Rule("items-removed", "loosens", "`items` removed"),
    Rule("prefix-item-added", "tightens", "a `prefixItems` position added"),
    Rule("prefix-item-removed", "loosens", "a `prefixItems` position removed"),
    Rule("additional-items-forbidden", "tightens", "items beyond `prefixItems` were allowed and are now rejected"),
    Rule("additional-items-allowed", "loosens", "items beyond `prefixItems` were rejected and are now allowed"),
    Rule("unevaluated-items-forbidden", "tightens", "`unevaluatedItems: false` added"),
    Rule("unevaluated-items-allowed", "loosens", "`unevaluatedItems: false` removed"),
    Rule("contains-added", "tightens", "`contains` added"),
    Rule("contains-removed", "loosens", "`contains` removed"),
    *_bounds("min-contains", "minContains", True),
    *_bounds("max-contains", "maxContains", False),
    *_bounds("min-items", "minItems", True),
    *_bounds("max-items", "maxItems", False),
    Rule("unique-items-added", "tightens", "`uniqueItems: true` added"),
    Rule("unique-items-removed", "loosens", "`uniqueItems: true` removed"),
    # combinators and booleans
    Rule("any-of-branch-added", "loosens", "an `anyOf`/`oneOf` branch added"),
    Rule("any-of-branch-removed", "tightens", "an `anyOf`/`oneOf` branch removed"),
    Rule("any-of-added", "tightens", "an `anyOf`/`oneOf` added"),
    Rule("any-of-removed", "loosens", "an `anyOf`/`oneOf` removed"),
    Rule("one-of-to-any-of", "loosens", "`oneOf` became `anyOf` over branches that can overlap"),
    Rule("any-of-to-one-of", "tightens", "`anyOf` became `oneOf` over branches that can overlap"),
    Rule("not-added", "tightens", "`not` added"),
    Rule("not-removed", "loosens", "`not` removed"),
    Rule("conditional-added", "tightens", "an `if`/`then`/`else` added"),
    Rule("conditional-removed", "loosens", "an `if`/`then`/`else` removed"),
    Rule("schema-became-false", "tightens", "a subschema now rejects everything (`false`)"),
    Rule("schema-became-true", "loosens", "a subschema that rejected everything now accepts anything"),
    # catalog
    Rule("event-added", "loosens", "an event type added to the catalog (receivers on the old union reject it)"),
    Rule("event-removed", "tightens", "an event type removed from the catalog (archived events of that type fail)"),
    # fail closed
    Rule("unknown-keyword", "unknown", "a keyword the engine does not understand differs between the versions"),
    Rule("undecidable", "unknown", "a construct whose effect the engine cannot decide (overlapping `oneOf`, changed `if`, `unevaluated*` beside applicators, unresolvable `$ref`)"),
]

#: Every rule the engine can report, by ID.
RULES: dict[str, Rule] = {rule.id: rule for rule in _RULES}


def document_name(uri: str) -> str:
    """How reports name a document given by URI or path: its last path segment, fragment
    dropped (``https://x/schemas/a.schema.json#/$defs/b`` → ``a.schema.json``)."""
    return uri.split("#", 1)[0].rstrip("/").rsplit("/", 1)[-1] or uri


@dataclass(frozen=True)
class Location:
    """Where a keyword sits: the document (file name, ``$id`` or ``None``) and a JSON pointer."""

    document: str | None
    pointer: str

    def __str__(self) -> str:
        return f"{self.document or ''}#{self.pointer}"


@dataclass(frozen=True)
class Witness:
    """A concrete payload that one version accepts and the other rejects, checked with jsonschema."""

    instance: Any
    accepted_by: Literal["old", "new"]
    #: The rejecting version's error message for the instance.
    error: str

    @property
    def rejected_by(self) -> str:
        return "new" if self.accepted_by == "old" else "old"


@dataclass(frozen=True)
class Change:
    rule: str
    #: The changed keyword in the old and in the new document (``None`` on the side it is absent).
    old: Location | None
    new: Location | None
    old_value: Any
    new_value: Any
    #: Where in a payload the change applies, as a JSON pointer; ``*`` stands for any array
    #: index, and a property name the schema does not declare stands for any such name.
    instance_path: str
    breaks_forward: bool
    breaks_backward: bool
    #: The engine could not decide this change; it counts as breaking in every direction.
    unknown: bool = False
    message: str = ""
    witness: Witness | None = None
    #: The event (``event_type``, ``$id`` or file name) the change belongs to, in catalog reports.
    event: str | None = None

    def breaks(self, direction: str) -> bool:
        if self.unknown:
            return True
        if direction == "forward":
            return self.breaks_forward
        if direction == "backward":
            return self.breaks_backward
        return self.breaks_forward or self.breaks_backward

    @property
    def pointer(self) -> str:
        """The pointer the change is best known by: in the new document, else in the old."""
        return (self.new or self.old).pointer  # type: ignore[union-attr]


@dataclass(frozen=True)
class Report:
    direction: str
    policy: str
    changes: tuple[Change, ...]
    #: For catalog reports: each event's version on either side (``None`` when it has none).
    versions: dict[str, tuple[str | None, str | None]] = field(default_factory=dict)

    @property
    def breaking(self) -> tuple[Change, ...]:
        return tuple(change for change in self.changes if change.breaks(self.direction))

    @property
    def compatible(self) -> bool:
        return not self.breaking
