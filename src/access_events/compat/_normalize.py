"""Turn schema documents into normalised nodes that the differ compares by meaning.

A :class:`Node` is the conjunction of every schema object that applies at one place:
the object itself, the targets of its ``$ref`` (followed across the documents of a
registry), its ``allOf`` parts and single-branch ``anyOf``/``oneOf``, recursively. So a
schema split into ``$defs``, or a property moved between ``allOf`` parts, gives the same
node. Every constraint remembers its :class:`Src` (document and JSON pointer), which is
what a report points at.

Children are kept as lists of sources and turned into nodes on demand through the
:class:`Builder`, which memoises nodes by the set of sources they merge: a recursive
``$ref`` therefore ends in a node already built instead of an endless expansion.
"""

from __future__ import annotations

import math
import re
from collections import deque
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Callable
from urllib.parse import urldefrag, urljoin

import referencing
from referencing.exceptions import Unresolvable

from .._locate import pointer_from_path

#: JSON types as disjoint atoms: ``number`` is ``integer`` + ``fraction``.
ALL_ATOMS = frozenset({"null", "boolean", "object", "array", "string", "integer", "fraction"})
_TYPE_ATOMS = {
    "null": {"null"}, "boolean": {"boolean"}, "object": {"object"}, "array": {"array"},
    "string": {"string"}, "integer": {"integer"}, "number": {"integer", "fraction"},
}
STRING = frozenset({"string"})
NUMBER = frozenset({"integer", "fraction"})
OBJECT = frozenset({"object"})
ARRAY = frozenset({"array"})

ANNOTATIONS = frozenset({
    "title", "description", "examples", "default", "$comment", "deprecated", "readOnly",
    "writeOnly", "contentEncoding", "contentMediaType", "contentSchema", "discriminator",
})
#: Keywords that structure documents without constraining instances.
STRUCTURE = frozenset({"$schema", "$id", "$anchor", "$dynamicAnchor", "$vocabulary", "$defs", "definitions"})
#: Count bounds kept as "the tightest value wins"; lower bounds first.
LOWER_COUNTS = ("minLength", "minItems", "minProperties")
UPPER_COUNTS = ("maxLength", "maxItems", "maxProperties")
HANDLED = frozenset({
    "$ref", "allOf", "anyOf", "oneOf", "not", "if", "then", "else", "type", "const", "enum",
    "format", "pattern", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
    "multipleOf", "required", "properties", "patternProperties", "additionalProperties",
    "unevaluatedProperties", "propertyNames", "dependentRequired", "dependentSchemas",
    "items", "prefixItems", "contains", "minContains", "maxContains", "uniqueItems",
    "unevaluatedItems", *LOWER_COUNTS, *UPPER_COUNTS,
})


def canon(value: Any) -> Any:
    """A hashable stand-in for a JSON value with JSON Schema's equality (``1 == 1.0``, ``true != 1``)."""
    if isinstance(value, bool) or value is None:
        return ("lit", value)
    if isinstance(value, (int, float)):
        if isinstance(value, float) and not math.isfinite(value):
            return ("num", repr(value))
        return ("num", Fraction(value) if isinstance(value, float) else value)
    if isinstance(value, str):
        return ("str", value)
    if isinstance(value, list):
        return ("arr", tuple(canon(item) for item in value))
    if isinstance(value, dict):
        return ("obj", tuple(sorted((key, canon(item)) for key, item in value.items())))
    return ("other", repr(value))


def atom_of(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "integer" if value.is_integer() else "fraction"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def search(pattern: str, name: str) -> bool:
    """``pattern`` (ECMA-262) matches somewhere in ``name``, as far as Python's ``re`` can tell."""
    try:
        return re.search(pattern, name) is not None
    except re.error:
        return False


@dataclass(frozen=True)
class Src:
    """One schema object: its contents, the base URI its ``$ref``s resolve against, and where it is."""

    contents: Any
    base: str
    doc: str | None
    pointer: str
    #: Stands for "no schema here" (an undeclared property of an open object): accepts anything.
    virtual: bool = False

    def child(self, *path: str | int) -> "Src":
        contents = self.contents
        for part in path:
            contents = contents[part]
        base = self.base
        if isinstance(contents, dict) and isinstance(contents.get("$id"), str):
            base = urljoin(base, contents["$id"])
        return Src(contents, base, self.doc, self.pointer + pointer_from_path(path))

    @property
    def key(self) -> tuple[str | None, str, str]:
        return (self.doc, self.base, self.pointer, self.virtual)

    def at(self, keyword: str) -> str:
        return self.pointer + pointer_from_path([keyword])


@dataclass
class ObjectGroup:
    """``properties``/``patternProperties``/``additionalProperties`` of one schema object:
    they must stay together, because ``additionalProperties`` only sees its own siblings."""

    src: Src
    properties: dict[str, Src]
    patterns: dict[str, Src]
    additional: Src | None


@dataclass
class ArrayGroup:
    src: Src
    prefix: list[Src]
    items: Src | None


@dataclass
class Contains:
    src: Src
    schema: Src
    min: tuple[int, Src] | None
    max: tuple[int, Src] | None


@dataclass
class Combo:
    kind: str  # "anyOf" | "oneOf"
    src: Src
    branches: list[Src]


@dataclass
class Conditional:
    src: Src
    if_: Src
    then: Src | None
    else_: Src | None


@dataclass
class Node:
    srcs: tuple[Src, ...]
    false: Src | None = None
    atoms: frozenset[str] | None = None
    type_src: Src | None = None
    #: ``(canonical values, {canonical: original}, keyword, src)``; several are intersected.
    enum: tuple[frozenset, dict, str, Src] | None = None
    formats: dict[str, Src] = field(default_factory=dict)
    patterns: dict[str, Src] = field(default_factory=dict)
    counts: dict[str, tuple[int, Src]] = field(default_factory=dict)
    #: ``(value, exclusive, keyword, src)``.
    lower: tuple[Any, bool, str, Src] | None = None
    upper: tuple[Any, bool, str, Src] | None = None
    multiple_of: dict[Any, tuple[Any, Src]] = field(default_factory=dict)
    required: dict[str, Src] = field(default_factory=dict)
    objects: list[ObjectGroup] = field(default_factory=list)
    unevaluated_properties: list[Src] = field(default_factory=list)
    property_names: list[Src] = field(default_factory=list)
    dependent_required: dict[tuple[str, str], Src] = field(default_factory=dict)
    dependent_schemas: dict[str, list[Src]] = field(default_factory=dict)
    arrays: list[ArrayGroup] = field(default_factory=list)
    unevaluated_items: list[Src] = field(default_factory=list)
    contains: list[Contains] = field(default_factory=list)
    unique: Src | None = None
    combos: list[Combo] = field(default_factory=list)
    nots: list[Src] = field(default_factory=list)
    conditionals: list[Conditional] = field(default_factory=list)
    unknown: dict[str, list[tuple[Any, Src]]] = field(default_factory=dict)
    unresolved: list[tuple[str, Src, str]] = field(default_factory=list)
    annotations: dict[str, list[tuple[Any, Src]]] = field(default_factory=dict)
    #: The sources the node was asked for (before ``$ref``/``allOf`` expansion).
    inputs: tuple[Src, ...] = ()
    #: A single-branch ``anyOf``/``oneOf`` applies here (merged in, unless built with ``unwrap=False``).
    single_branch: bool = False
    #: An ``anyOf``/``oneOf`` here only names types (it can be read as a ``type`` list).
    foldable: bool = False
    #: A ``not`` here negates a schema that accepts everything, so the node accepts nothing.
    not_everything: bool = False
    #: For each of ``srcs``, the index of the source it was reached from (-1: an input).
    parents: tuple[int, ...] = ()

    @property
    def origin(self) -> Src:
        return self.srcs[0]

    @property
    def types(self) -> frozenset[str]:
        return ALL_ATOMS if self.atoms is None else self.atoms

    def is_false(self) -> bool:
        """Accepts nothing: ``false``, no type left, no value left (after the types), or ``not: {}``."""
        if self.false is not None or (self.atoms is not None and not self.atoms):
            return True
        if self.enum is not None and not any(atom_of(value) in self.types for value in self.enum[1].values()):
            return True
        return self.not_everything

    def is_true(self) -> bool:
        """Accepts every instance: nothing but annotations (and structure) was said."""
        return not (
            self.false or self.atoms is not None or self.enum or self.formats or self.patterns
            or self.counts or self.lower or self.upper or self.multiple_of or self.required
            or any(g.properties or g.patterns or g.additional for g in self.objects)
            or self.unevaluated_properties or self.property_names or self.dependent_required
            or self.dependent_schemas or any(g.prefix or g.items for g in self.arrays)
            or self.unevaluated_items or self.contains or self.unique or self.combos or self.nots
            or self.conditionals or self.unknown or self.unresolved
        )

    def declared_names(self) -> set[str]:
        return {name for group in self.objects for name in group.properties}

    def all_patterns(self) -> set[str]:
        return {pattern for group in self.objects for pattern in group.patterns}

    def property_sources(self, name: str) -> tuple[list[Src], bool]:
        """The schemas a property called ``name`` must satisfy, and whether any declares it.

        Per schema object: its ``properties[name]`` and every ``patternProperties`` entry
        matching the name all apply; ``additionalProperties`` only when neither does.
        ``unevaluatedProperties`` applies when no object declares or matches the name and
        no ``additionalProperties`` already evaluated it.
        """
        sources: list[Src] = []
        declared = False
        matched_anywhere = False
        for group in self.objects:
            matched = [src for pattern, src in sorted(group.patterns.items()) if search(pattern, name)]
            if name in group.properties:
                sources.append(group.properties[name])
                declared = True
            elif not matched and group.additional is not None:
                sources.append(group.additional)
            sources.extend(matched)
            matched_anywhere = matched_anywhere or bool(matched)
        if not declared and not matched_anywhere and not self._additional_everywhere():
            sources.extend(self.unevaluated_properties)
        return sources, declared

    def _additional_everywhere(self) -> bool:
        return any(group.additional is not None for group in self.objects)

    def additional_sources(self) -> list[Src]:
        """The schemas an undeclared property matching no pattern must satisfy."""
        sources = [group.additional for group in self.objects if group.additional is not None]
        return sources if sources else list(self.unevaluated_properties)

    def unevaluated_out_of_scope(self) -> bool:
        """An ``unevaluated*`` keyword here cannot see every keyword the node merged.

        It sees only the schema object holding it and that object's in-place subschemas
        (its ``allOf``, its ``$ref``); merged with a sibling ``allOf`` part or a separate
        conjunct, the node's model would let it see too much. The differ then fails closed.
        """
        holders = [i for i, src in enumerate(self.srcs) if isinstance(src.contents, dict) and (
            "unevaluatedProperties" in src.contents or "unevaluatedItems" in src.contents)]
        if not holders:
            return False
        evaluating = ("properties", "patternProperties", "additionalProperties", "prefixItems", "items",
                      "contains", "unevaluatedProperties", "unevaluatedItems")
        for i, src in enumerate(self.srcs):
            if isinstance(src.contents, dict) and any(k in src.contents for k in evaluating):
                if not all(self._descends(i, holder) for holder in holders):
                    return True
        return False

    def _descends(self, index: int, ancestor: int) -> bool:
        while index is not None and index >= 0:
            if index == ancestor:
                return True
            index = self.parents[index]
        return False

    def prefix_length(self) -> int:
        return max((len(group.prefix) for group in self.arrays), default=0)

    def item_sources(self, index: int | None) -> tuple[list[Src], bool]:
        """Schemas for the item at ``index`` (``None``: every index past all prefixes)."""
        sources: list[Src] = []
        declared = False
        for group in self.arrays:
            if index is not None and index < len(group.prefix):
                sources.append(group.prefix[index])
                declared = True
            elif group.items is not None:
                sources.append(group.items)
                declared = declared or index is None
        if not any(group.items is not None for group in self.arrays):
            if index is None or index >= self.prefix_length():
                sources.extend(self.unevaluated_items)
        return sources, declared


class Builder:
    """Builds nodes for one side (old or new) from a registry of its documents."""

    def __init__(self, registry: referencing.Registry, names: Callable[[str], str | None]):
        self.registry = registry
        self.names = names
        self._nodes: dict[frozenset, Node] = {}

    def root(self, uri: str) -> Src:
        contents = self.registry.contents(uri)
        return Src(contents, uri, self.names(uri), "")

    def node(self, sources: list[Src] | tuple[Src, ...], at: Src | None = None, unwrap: bool = True,
             fold: bool = False) -> Node:
        """The conjunction of ``sources``; with none, the empty schema located at ``at``.

        ``unwrap``: merge a single-branch ``anyOf``/``oneOf`` into the node (``anyOf: [A]``
        means ``A``). The differ asks for the node without unwrapping when the other
        version has a real combinator there, so that ``[A]`` → ``[A, B]`` reads as a branch
        added rather than as ``A``'s keywords removed. ``fold``: read an ``anyOf``/``oneOf``
        whose branches only name types as that ``type`` list; the differ asks for it when
        the other version has no combinator there (``type: [string, null]`` vs ``anyOf``).
        """
        inputs = tuple(sources)
        if not sources:
            if at is None:
                raise ValueError("an empty conjunction needs a location")
            sources = [Src(True, at.base, at.doc, at.pointer, virtual=True)]
        expanded: list[Src] = []
        unresolved: list[tuple[str, Src, str]] = []
        single = False
        seen: set = set()
        parents: list[int] = []
        queue = deque((src, -1) for src in sources)
        while queue:
            src, parent = queue.popleft()
            if src.key in seen:
                continue
            seen.add(src.key)
            expanded.append(src)
            parents.append(parent)
            here = len(expanded) - 1
            contents = src.contents
            if not isinstance(contents, dict):
                continue
            if isinstance(contents.get("$ref"), str):
                target = self._resolve(src, contents["$ref"])
                if isinstance(target, str):
                    unresolved.append((contents["$ref"], src, target))
                elif target.key in seen and self._is_ancestor(target, here, expanded, parents):
                    # `a: {$ref: a}`: a reference that reaches itself without descending into
                    # any property or item never reaches a schema (validators loop on it).
                    unresolved.append((contents["$ref"], src, f"$ref {contents['$ref']!r} refers back to itself "
                                                             "without reaching a schema"))
                else:
                    queue.append((target, here))
            for index, _ in enumerate(contents.get("allOf", ()) if isinstance(contents.get("allOf"), list) else ()):
                queue.append((src.child("allOf", index), here))
            for kind in ("anyOf", "oneOf"):
                branches = contents.get(kind)
                if isinstance(branches, list) and len(branches) == 1:
                    single = True
                    if unwrap:
                        queue.append((src.child(kind, 0), here))
        key = (frozenset(src.key for src in expanded), unwrap, fold)
        if key in self._nodes:
            return self._nodes[key]
        node = Node(srcs=tuple(expanded), unresolved=unresolved, inputs=inputs, single_branch=single,
                    parents=tuple(parents))
        self._nodes[key] = node
        for src in expanded:
            _absorb(node, src, unwrap, fold)
        # `not: {}` (however it is spelled: through a $ref, an empty allOf...) rejects everything.
        node.not_everything = any(self.node([src]).is_true() for src in node.nots)
        return node

    @staticmethod
    def _is_ancestor(target: Src, index: int, expanded: list[Src], parents: list[int]) -> bool:
        while index >= 0:
            if expanded[index].key == target.key:
                return True
            index = parents[index]
        return False

    def _resolve(self, src: Src, ref: str) -> Src | str:
        try:
            resolved = self.registry.resolver(src.base).lookup(ref)
        except Unresolvable as error:
            return f"unresolvable $ref {ref!r}: {error}"
        except Exception as error:  # a malformed pointer or document
            return f"unresolvable $ref {ref!r}: {error}"
        target_uri = urljoin(src.base, ref)
        document, fragment = urldefrag(target_uri)
        base = document
        if isinstance(resolved.contents, dict) and isinstance(resolved.contents.get("$id"), str):
            base = urljoin(document, resolved.contents["$id"])
        pointer = fragment if fragment.startswith("/") or fragment == "" else "#" + fragment
        return Src(resolved.contents, base or document, self.names(document) or document, pointer)


def _type_union(branches: list, kind: str) -> frozenset[str] | None:
    """The types an ``anyOf``/``oneOf`` of branches that say nothing but ``type`` admits
    (``None`` when a branch says more, or when ``oneOf`` branches share a type)."""
    union: set[str] = set()
    for branch in branches:
        if not isinstance(branch, dict) or "type" not in branch or any(
                key != "type" and key not in ANNOTATIONS and not key.startswith("x-") for key in branch):
            return None
        names = branch["type"] if isinstance(branch["type"], list) else [branch["type"]]
        atoms = {atom for name in names for atom in _TYPE_ATOMS.get(name, ())}
        if kind == "oneOf" and union & atoms:
            return None
        union |= atoms
    return frozenset(union)


def _absorb(node: Node, src: Src, unwrap: bool = True, fold: bool = False) -> None:
    """Add one schema object's own keywords to the node (applicators were expanded already)."""
    contents = src.contents
    if contents is False:
        node.false = node.false or src
        return
    if not isinstance(contents, dict):
        if contents is not True:  # e.g. draft-07's array form of `items`: not a 2020-12 schema
            node.unknown.setdefault("(not a schema)", []).append((contents, src))
        return
    for keyword, value in contents.items():
        if keyword in ANNOTATIONS or keyword.startswith("x-"):
            node.annotations.setdefault(keyword, []).append((value, src))
        elif keyword in STRUCTURE:
            continue
        elif keyword not in HANDLED:
            node.unknown.setdefault(keyword, []).append((value, src))
    if "type" in contents:
        names = contents["type"] if isinstance(contents["type"], list) else [contents["type"]]
        atoms = frozenset(atom for name in names for atom in _TYPE_ATOMS.get(name, ()))
        node.atoms = atoms if node.atoms is None else node.atoms & atoms
        node.type_src = node.type_src or src
    for keyword in ("const", "enum"):
        if keyword not in contents:
            continue
        values = [contents["const"]] if keyword == "const" else list(contents["enum"] or [])
        originals = {canon(value): value for value in values}
        allowed = frozenset(originals)
        if node.enum is not None:
            allowed = allowed & node.enum[0]
            originals = {key: value for key, value in {**node.enum[1], **originals}.items() if key in allowed}
            keyword = node.enum[2] if len(allowed) != 1 or node.enum[2] == "const" else keyword
        node.enum = (allowed, originals, keyword, src)
    if isinstance(contents.get("format"), str):
        node.formats.setdefault(contents["format"], src)
    if isinstance(contents.get("pattern"), str):
        node.patterns.setdefault(contents["pattern"], src)
    for keyword in LOWER_COUNTS:
        if keyword in contents:
            value = contents[keyword]
            if keyword not in node.counts or value > node.counts[keyword][0]:
                node.counts[keyword] = (value, src)
    for keyword in UPPER_COUNTS:
        if keyword in contents:
            value = contents[keyword]
            if keyword not in node.counts or value < node.counts[keyword][0]:
                node.counts[keyword] = (value, src)
    for keyword, exclusive in (("minimum", False), ("exclusiveMinimum", True)):
        if isinstance(contents.get(keyword), (int, float)) and not isinstance(contents[keyword], bool):
            bound = (contents[keyword], exclusive, keyword, src)
            if node.lower is None or (bound[0], bound[1]) > (node.lower[0], node.lower[1]):
                node.lower = bound
    for keyword, exclusive in (("maximum", False), ("exclusiveMaximum", True)):
        if isinstance(contents.get(keyword), (int, float)) and not isinstance(contents[keyword], bool):
            bound = (contents[keyword], exclusive, keyword, src)
            if node.upper is None or (bound[0], not bound[1]) < (node.upper[0], not node.upper[1]):
                node.upper = bound
    if isinstance(contents.get("multipleOf"), (int, float)):
        divisor = contents["multipleOf"]
        # `3` and `3.0` are equal JSON numbers but not the same test for jsonschema: an int
        # divisor is exact (`x % 3`), a float one divides in floating point (`x / 3.0`, which
        # rounds integers beyond 2**53), so a whole float above 1 is its own divisor. (`1.0`
        # and `1` agree: both hold for every whole number.)
        key = ("float", canon(divisor)) if isinstance(divisor, float) and divisor.is_integer() and divisor > 1 \
            else canon(divisor)
        node.multiple_of.setdefault(key, (divisor, src))
    for name in contents.get("required", ()) if isinstance(contents.get("required"), list) else ():
        node.required.setdefault(name, src)
    if any(keyword in contents for keyword in ("properties", "patternProperties", "additionalProperties")):
        node.objects.append(ObjectGroup(
            src,
            {name: src.child("properties", name) for name in contents.get("properties", {})},
            {pattern: src.child("patternProperties", pattern) for pattern in contents.get("patternProperties", {})},
            src.child("additionalProperties") if "additionalProperties" in contents else None,
        ))
    if "unevaluatedProperties" in contents:
        node.unevaluated_properties.append(src.child("unevaluatedProperties"))
    if "propertyNames" in contents:
        node.property_names.append(src.child("propertyNames"))
    for name, deps in (contents.get("dependentRequired") or {}).items():
        for dep in deps:
            node.dependent_required.setdefault((name, dep), src)
    for name in contents.get("dependentSchemas") or {}:
        node.dependent_schemas.setdefault(name, []).append(src.child("dependentSchemas", name))
    if "prefixItems" in contents or "items" in contents:
        node.arrays.append(ArrayGroup(
            src,
            [src.child("prefixItems", index) for index, _ in enumerate(contents.get("prefixItems", []))],
            src.child("items") if "items" in contents else None,
        ))
    if "unevaluatedItems" in contents:
        node.unevaluated_items.append(src.child("unevaluatedItems"))
    if "contains" in contents:
        node.contains.append(Contains(
            src, src.child("contains"),
            (contents["minContains"], src) if "minContains" in contents else None,
            (contents["maxContains"], src) if "maxContains" in contents else None,
        ))
    if contents.get("uniqueItems") is True:
        node.unique = node.unique or src
    for kind in ("anyOf", "oneOf"):
        branches = contents.get(kind)
        if isinstance(branches, list) and (len(branches) != 1 or not unwrap):
            atoms = _type_union(branches, kind)
            if atoms is not None:
                node.foldable = True
                if fold:  # `anyOf: [{type: string}, {type: null}]` is `type: [string, null]`
                    node.atoms = atoms if node.atoms is None else node.atoms & atoms
                    node.type_src = node.type_src or src
                    continue
            node.combos.append(Combo(kind, src, [src.child(kind, index) for index in range(len(branches))]))
    if "not" in contents:
        node.nots.append(src.child("not"))
    if "if" in contents:
        node.conditionals.append(Conditional(
            src, src.child("if"),
            src.child("then") if "then" in contents else None,
            src.child("else") if "else" in contents else None,
        ))
