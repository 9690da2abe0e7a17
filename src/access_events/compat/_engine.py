"""The public entry points: compare two schema documents, or two catalogs of them."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any, Mapping
from urllib.parse import urljoin

import referencing
from jsonschema import Draft202012Validator
from referencing.jsonschema import DRAFT202012

from .._formats import FORMAT_CHECKER
from . import _dialect, _witness
from ._diff import Ctx, Differ, Found
from ._model import DIRECTIONS, POLICIES, VERSION_KEYWORD, Change, Location, Report, document_name
from ._normalize import HANDLED, Builder

Catalog = Mapping[str, Any]
#: Base URI for documents without a ``$id`` (never fetched: the registry has no retriever).
_ANONYMOUS = "https://compat.invalid/{side}/"


class CompatInputError(ValueError):
    """An input that cannot be read as a schema or a catalog (names the file and line)."""


def _check_options(direction: str, policy: str) -> None:
    if direction not in DIRECTIONS:
        raise ValueError(f"direction must be one of {', '.join(DIRECTIONS)}, not {direction!r}")
    if policy not in POLICIES:
        raise ValueError(f"policy must be one of {', '.join(POLICIES)}, not {policy!r}")


class _Side:
    """One version: its documents under their URIs, a node builder and validators."""

    def __init__(self, documents: Mapping[str, Any], side: str, extra: referencing.Registry | None = None):
        base = _ANONYMOUS.format(side=side)
        self.uris: dict[str, str] = {}
        self.names: dict[str, str] = {}
        resources = []
        for name, document in documents.items():
            uri = base + name
            if isinstance(document, dict) and isinstance(document.get("$id"), str):
                uri = urljoin(base, document["$id"])
            uri = uri.rstrip("#")
            self.uris[name] = uri
            self.names[uri] = name
            resources.append((uri, DRAFT202012.create_resource(document)))
        registry = extra if extra is not None else referencing.Registry()
        try:
            self.registry = registry.with_resources(resources).crawl()
        except Exception as error:  # referencing fails on documents that are not schemas
            raise CompatInputError(f"the {side} side is not a set of JSON Schema documents: {error}") from None
        self.documents = dict(documents)
        self.builder = Builder(self.registry, self.name_of)
        self._validators: dict[str, Any] = {}

    def name_of(self, uri: str) -> str:
        """How reports name a document: its file name in the catalog, else its URI's last segment."""
        if uri in self.names:
            return self.names[uri]
        return document_name(uri)

    def root(self, name: str):
        uri = self.uris[name]
        return self.builder.node([self.builder.root(uri)])

    def union_validator(self, name: str):
        """A compiled (jsonschema-rs) validator for a union document: checking a payload against
        a ``oneOf`` of a thousand ``$ref``s costs a second in jsonschema, microseconds here."""
        key = ("rs", name)
        if key not in self._validators:
            try:
                import jsonschema_rs

                registry = jsonschema_rs.Registry([(self.uris[other], document) for other, document in
                                                   sorted(self.documents.items()) if isinstance(document, (dict, bool))])
                self._validators[key] = jsonschema_rs.Draft202012Validator(
                    self.documents[name], registry=registry, validate_formats=True, base_uri=self.uris[name])
            except Exception:  # a document jsonschema-rs refuses: the reference validator will do
                self._validators[key] = self.validator(name)
        return self._validators[key]

    def validator(self, name: str):
        if name not in self._validators:
            self._validators[name] = Draft202012Validator(
                self.documents[name], registry=self.registry, format_checker=FORMAT_CHECKER)
        return self._validators[name]


def _witnessed(found: list[Found], direction: str, old: _Side, new: _Side, old_name: str, new_name: str,
               enabled: bool) -> list[Change]:
    changes = []
    for item in found:
        change = item.change
        if enabled and not change.unknown and change.breaks(direction):
            change = replace(change, witness=_witness_for(item, old, new, old_name, new_name))
        changes.append(change)
    return changes


def _witness_for(item: Found, old: _Side, new: _Side, old_name: str, new_name: str):
    change = item.change
    old_validator, new_validator = old.validator(old_name), new.validator(new_name)
    old_root, new_root = old.root(old_name), new.root(new_name)
    attempts = []
    if change.breaks_forward:
        attempts.append(("new", item.new_node, item.old_node, new.builder, new_validator, old_validator, new_root, old_root))
    if change.breaks_backward:
        attempts.append(("old", item.old_node, item.new_node, old.builder, old_validator, new_validator, old_root, new_root))
    for accepted_by, accepting, rejecting, builder, yes, no, root, other_root in attempts:
        try:
            bases = [value for value in _witness._examples(root) + _witness._examples(other_root)
                     + [_witness.minimal(builder, root)] if yes.is_valid(value)]
            witness = _witness.find(change, accepted_by, accepting, rejecting, builder, bases or [None],
                                    yes.is_valid, _witness.rejection_of(no))
        except Exception:  # a validator that cannot run (an unresolvable $ref): no witness, not a crash
            return None
        if witness is not None:
            return witness
    return None


def _document_name(document: Any, default: str) -> str:
    """A document is named by its ``$id``'s last segment (its file name in a catalog), else "old"/"new"."""
    if isinstance(document, dict) and isinstance(document.get("$id"), str):
        return document_name(document["$id"]) if document["$id"].split("#", 1)[0].strip("/") else default
    return default


def _translated(name: str, document: Any, dialect: str | None) -> Any:
    """``document`` in draft 2020-12, from its ``$schema`` dialect or ``dialect`` (``_dialect``)."""
    try:
        return _dialect.translate(document, dialect)
    except _dialect.DialectError as error:
        raise CompatInputError(f"{name}: {error}") from None


def compare(old: Any, new: Any, *, direction: str = "full", policy: str = "lenient",
            old_registry: referencing.Registry | None = None,
            new_registry: referencing.Registry | None = None,
            witnesses: bool = True, dialect: str | None = None) -> Report:
    """Compare two versions of one schema document (``$ref``s may reach into the registries).

    Each document is read in the dialect its ``$schema`` names (draft 2020-12 without one),
    or in ``dialect`` (one of ``DIALECTS``: OpenAPI 3.0, drafts 04 to 2019-09) when given."""
    _check_options(direction, policy)
    old, new = _translated("old", old, dialect), _translated("new", new, dialect)
    old_name, new_name = _document_name(old, "old"), _document_name(new, "new")
    old_side = _Side({old_name: old}, "old", old_registry)
    new_side = _Side({new_name: new}, "new", new_registry)
    differ = Differ(old_side.builder, new_side.builder, policy)
    differ.diff(old_side.root(old_name), new_side.root(new_name), (), Ctx())
    changes = _witnessed(differ.results(), direction, old_side, new_side, old_name, new_name, witnesses)
    return Report(direction, policy, tuple(changes))


# -- catalogs -----------------------------------------------------------------------
def _read_json(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise CompatInputError(f"{path}: cannot read: {error}") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise CompatInputError(f"{path}:{error.lineno}:{error.colno}: not JSON: {error.msg}") from None


def load_catalog(source: str | Path | Catalog | referencing.Registry) -> dict[str, Any]:
    """A catalog as ``{name: document}``: from a directory (its ``*.json`` files), one file,
    a mapping, or a ``referencing.Registry`` (named by URI)."""
    if isinstance(source, referencing.Registry):
        return {uri: source.contents(uri) for uri in sorted(source)}
    if isinstance(source, Mapping):
        return dict(source)
    path = Path(source)
    if path.is_dir():
        return {child.name: _read_json(child) for child in sorted(path.glob("*.json"))}
    if path.is_file():
        return {path.name: _read_json(path)}
    raise CompatInputError(f"{path}: no such file or directory")


def _is_union(document: Any) -> bool:
    if not isinstance(document, dict) or "properties" in document:
        return False
    for kind in ("oneOf", "anyOf"):
        branches = document.get(kind)
        if isinstance(branches, list) and branches and all(
            isinstance(branch, dict) and set(branch) <= {"$ref", "title", "description", "$comment"} and "$ref" in branch
            for branch in branches
        ):
            return True
    return False


def _is_definitions(document: Any) -> bool:
    return isinstance(document, dict) and not any(keyword in HANDLED for keyword in document)


def _event_key(name: str, document: Any) -> str:
    if isinstance(document, dict):
        const = ((document.get("properties") or {}).get("event_type") or {}).get("const")
        if isinstance(const, str):
            return const
    return name.removesuffix(".json").removesuffix(".schema")


def _events(side: _Side) -> dict[str, str]:
    """``{event key: document name}`` for the documents that are events (not unions, not $defs).

    When the catalog has a union, its branches say which documents are events: a file
    dropped from the union is an event removed, even if the file stays.
    """
    documents = side.documents
    members: set[str] | None = None
    for union in sorted(name for name, document in documents.items() if _is_union(document)):
        members = members if members is not None else set()
        for kind in ("oneOf", "anyOf"):
            for branch in documents[union].get(kind) or []:
                target = urljoin(side.uris[union], branch["$ref"]).split("#", 1)[0]
                members.add(side.names.get(target, target))
    events: dict[str, str] = {}
    for name, document in sorted(documents.items()):
        if _is_union(document) or _is_definitions(document) or (members is not None and name not in members):
            continue
        key = _event_key(name, document)
        if key in events:
            raise CompatInputError(f"{events[key]} and {name} both define the event {key}")
        events[key] = name
    return events


def _version(document: Any) -> str | None:
    value = document.get(VERSION_KEYWORD) if isinstance(document, dict) else None
    return value if isinstance(value, str) else None


def compare_catalogs(old: Any, new: Any, *, direction: str = "full", policy: str = "lenient",
                     witnesses: bool = True, dialect: str | None = None) -> Report:
    """Compare two catalogs: events matched by ``event_type`` (else ``$id``/file name), each
    compared with ``$ref``s followed across its catalog, plus events added and removed.
    Documents are read as in :func:`compare` (``$schema``, or ``dialect``)."""
    _check_options(direction, policy)
    old_docs = {name: _translated(name, doc, dialect) for name, doc in load_catalog(old).items()}
    new_docs = {name: _translated(name, doc, dialect) for name, doc in load_catalog(new).items()}
    old_side, new_side = _Side(old_docs, "old"), _Side(new_docs, "new")
    old_events, new_events = _events(old_side), _events(new_side)
    changes: list[Change] = []
    versions: dict[str, tuple[str | None, str | None]] = {}
    for key in sorted(set(old_events) | set(new_events)):
        old_name, new_name = old_events.get(key), new_events.get(key)
        versions[key] = (_version(old_docs[old_name]) if old_name else None,
                         _version(new_docs[new_name]) if new_name else None)
        if old_name and new_name:
            differ = Differ(old_side.builder, new_side.builder, policy)
            differ.diff(old_side.root(old_name), new_side.root(new_name), (), Ctx())
            found = _witnessed(differ.results(), direction, old_side, new_side, old_name, new_name, witnesses)
            changes.extend(replace(change, event=key) for change in found)
        else:
            changes.append(_event_change(key, old_name, new_name, old_side, new_side, direction, witnesses))
    return Report(direction, policy, tuple(changes), versions)


def _event_change(key: str, old_name: str | None, new_name: str | None, old: _Side, new: _Side,
                  direction: str, witnesses: bool) -> Change:
    added = new_name is not None
    name = new_name if added else old_name
    change = Change(
        rule="event-added" if added else "event-removed",
        old=None if added else Location(old_name, ""), new=Location(new_name, "") if added else None,
        old_value=None if added else key, new_value=key if added else None, instance_path="",
        breaks_forward=added, breaks_backward=not added, event=key,
        message=(f"event type {key} added: receivers validating against the old catalog reject it" if added
                 else f"event type {key} removed: archived {key} events no longer validate"),
    )
    if not witnesses or not change.breaks(direction):
        return change
    # Witness: an example of the event, accepted by its own schema and refused by the other
    # version's union (when that version has one).
    side, other = (new, old) if added else (old, new)
    unions = [doc_name for doc_name, document in sorted(other.documents.items()) if _is_union(document)]
    if not unions:
        return change
    yes, no = side.validator(name), other.union_validator(unions[0])  # type: ignore[arg-type]
    root = side.root(name)  # type: ignore[arg-type]
    for candidate in _witness._examples(root) + [_witness.minimal(side.builder, root)]:
        # is_valid, not best_match: explaining a miss over a union of a thousand branches
        # costs a second, and the reason is known anyway.
        if yes.is_valid(candidate) and not no.is_valid(candidate):
            reason = f"no branch of {unions[0]} in the {'old' if added else 'new'} catalog accepts it"
            return replace(change, witness=_witness.Witness(candidate, "new" if added else "old", reason))
    return change
