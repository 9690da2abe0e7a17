"""The public entry points: compare two schema documents, or two catalogs of them."""

from __future__ import annotations

import json
import math
import re
import sys
import threading
from dataclasses import replace
from pathlib import Path
from typing import Any, Mapping
from urllib.parse import urljoin

import referencing
from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match
from jsonschema.validators import validator_for
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
    """An input that cannot be read as a schema or a catalog (names the file and line), or a
    document that is not a valid schema (names the document, the JSON pointer and the
    metaschema validator's message)."""


#: JSON nesting a compared document may have: twice what jsonschema validates at Python's
#: default recursion limit (about 500 levels of `properties`, 1,000 JSON levels). Deeper
#: documents are refused with a clear error; up to it the walk runs on a deep stack.
MAX_NESTING = 2_048
#: Below this nesting the comparison runs in the caller's thread, as it always did.
_SHALLOW = 150
#: JSON values in one side's documents above which candidate witnesses are screened with
#: jsonschema-rs before jsonschema confirms them (a `anyOf` of 3,000 constants costs
#: jsonschema milliseconds per candidate; the search tries hundreds).
_BIG = 5_000


def _nesting(document: Any) -> tuple[int, list, int]:
    """The deepest nesting of ``document``, the path to it and the number of JSON values in
    it, iteratively (any depth)."""
    deepest, where, count = 0, [], 0
    stack = [(document, 0, [])]
    while stack:
        value, depth, path = stack.pop()
        count += 1
        if depth > deepest:
            deepest, where = depth, path
        if depth > MAX_NESTING:
            break
        if isinstance(value, dict):
            stack.extend((child, depth + 1, path + [key]) for key, child in value.items())
        elif isinstance(value, list):
            stack.extend((child, depth + 1, path + [index]) for index, child in enumerate(value))
    return deepest, where, count


def _pointer(path: Any) -> str:
    return "".join("/" + str(part).replace("~", "~0").replace("/", "~1") for part in path)


def check_depth(document: Any, name: str) -> int:
    """Refuse a document nested deeper than :data:`MAX_NESTING`; return its nesting depth."""
    depth, where, _count = _nesting(document)
    if depth > MAX_NESTING:
        raise CompatInputError(f"{name}: nested deeper than {MAX_NESTING} levels (at {_pointer(where[:12])}/…); "
                               "the compatibility engine compares schemas up to that depth")
    return depth


#: Values that are instances, not schemas: a ``pattern`` key inside them is data.
_DATA_KEYWORDS = frozenset({"const", "enum", "examples", "default"})


def _bad_pattern(document: Any) -> tuple[list, str] | None:
    """The first ``pattern`` or ``patternProperties`` name that Python's ``re`` (which
    jsonschema validates with) cannot compile: ``(path, message)``."""
    stack: list[tuple[Any, list]] = [(document, [])]
    while stack:
        value, path = stack.pop()
        if isinstance(value, dict):
            candidates = []
            if isinstance(value.get("pattern"), str):
                candidates.append((value["pattern"], path + ["pattern"]))
            if isinstance(value.get("patternProperties"), dict):
                candidates.extend((name, path + ["patternProperties", name]) for name in value["patternProperties"])
            for pattern, where in candidates:
                try:
                    re.compile(pattern)
                except re.error as error:
                    return where, f"{pattern!r} is not a 'regex' ({error})"
            stack.extend((child, path + [key]) for key, child in value.items() if key not in _DATA_KEYWORDS)
        elif isinstance(value, list):
            stack.extend((child, path + [index]) for index, child in enumerate(value))
    return None


def _value_at(document: Any, path: list) -> Any:
    for part in path:
        document = document[part]
    return document


def _non_finite(document: Any) -> list | None:
    """The path to the first ``Infinity``/``-Infinity``/``NaN`` in ``document``: not JSON
    numbers, though Python's ``json`` reads them (and the comparison's arithmetic cannot)."""
    stack: list[tuple[Any, list]] = [(document, [])]
    while stack:
        value, path = stack.pop()
        if isinstance(value, float) and not math.isfinite(value):
            return path
        if isinstance(value, dict):
            stack.extend((child, path + [key]) for key, child in value.items())
        elif isinstance(value, list):
            stack.extend((child, path + [index]) for index, child in enumerate(value))
    return None


def check_document(document: Any, name: str, depth: int = 0) -> None:
    """Refuse a document that is not a valid schema of its dialect (2020-12 unless its
    ``$schema`` names another), with the metaschema validator's message and JSON pointer.

    jsonschema-rs checks the structure (microseconds; jsonschema's own check costs
    milliseconds, and its ``$dynamicRef`` resolution is quadratic in the nesting), the
    patterns are compiled with Python's ``re``; only an invalid document is explained by
    jsonschema's ``best_match`` (the message this package shows everywhere).
    """
    if not isinstance(document, (dict, bool)):
        raise CompatInputError(f"{name}: a schema is a JSON object or a boolean, not {type(document).__name__}")
    where = _non_finite(document)
    if where is not None:
        raise CompatInputError(f"{name}: not a valid JSON Schema at {_pointer(where)}: "
                               f"{_value_at(document, where)!r} is not a JSON number (JSON has no Infinity or NaN)")
    try:
        import jsonschema_rs

        structure_ok = jsonschema_rs.meta.is_valid(document)
    except Exception:  # not installed, or a $schema it does not know: jsonschema decides
        structure_ok = None
    if structure_ok:
        bad = _bad_pattern(document)
        if bad is None:
            return
        raise CompatInputError(f"{name}: not a valid JSON Schema at {_pointer(bad[0])}: {bad[1]}")
    try:
        cls = validator_for(document, default=Draft202012Validator)
    except Exception:  # an unknown $schema: hold it to 2020-12, the engine's dialect
        cls = Draft202012Validator
    try:
        error = best_match(cls(cls.META_SCHEMA, format_checker=cls.FORMAT_CHECKER).iter_errors(document))
    except RecursionError:  # pragma: no cover - run on a deep stack (see _deep)
        raise CompatInputError(f"{name}: too deeply nested to check against its metaschema") from None
    if error is not None:
        raise CompatInputError(f"{name}: not a valid JSON Schema at {_pointer(error.absolute_path) or '/'}: "
                               f"{error.message}")


def _deep(call, depth: int):
    """Run ``call()``; for a deeply nested input, on a thread with a deep stack and a raised
    recursion limit (the differ recurses a few frames per level of nesting)."""
    if depth <= _SHALLOW:
        return call()
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["value"] = call()
        except BaseException as error:  # handed back to the caller's thread
            outcome["error"] = error

    limit = sys.getrecursionlimit()
    wanted = 40 * MAX_NESTING + 1_000
    if limit < wanted:
        sys.setrecursionlimit(wanted)
    size = threading.stack_size()
    for megabytes in (512, 256, 64):  # some platforms cap a thread's stack
        try:
            threading.stack_size(megabytes * 1024 * 1024)
            break
        except (ValueError, RuntimeError):
            continue
    try:
        worker = threading.Thread(target=run, name="compat-deep")
        worker.start()
    finally:
        threading.stack_size(size)
    worker.join()
    if sys.getrecursionlimit() == wanted:
        sys.setrecursionlimit(limit)
    if "error" in outcome:
        if isinstance(outcome["error"], RecursionError):
            raise CompatInputError("the schemas are nested too deeply to compare") from None
        raise outcome["error"]
    return outcome["value"]


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
        shapes = [_nesting(document) for document in documents.values()]
        #: Big or deep documents: the witness search screens candidates with jsonschema-rs first.
        self.big = sum(shape[2] for shape in shapes) > _BIG or max((shape[0] for shape in shapes), default=0) > _SHALLOW

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
            if direction == "full" and change.breaks_forward and change.breaks_backward:
                # Breaking both ways, and both proven: one finding per direction, each with its
                # own witness (one witness would leave the other direction unproven).
                forward = _witness_for(item, old, new, old_name, new_name, only="forward")
                backward = _witness_for(item, old, new, old_name, new_name, only="backward")
                if forward is not None and backward is not None:
                    changes.append(replace(change, breaks_backward=False, witness=forward))
                    changes.append(replace(change, breaks_forward=False, witness=backward))
                    continue
                change = replace(change, witness=forward or backward)
            else:  # the direction asked about first
                change = replace(change, witness=_witness_for(item, old, new, old_name, new_name, first=direction))
        changes.append(change)
    return changes


def _witness_for(item: Found, old: _Side, new: _Side, old_name: str, new_name: str, first: str = "forward",
                 only: str | None = None):
    change = item.change
    old_validator, new_validator = old.validator(old_name), new.validator(new_name)
    old_root, new_root = old.root(old_name), new.root(new_name)
    attempts = []
    if change.breaks_forward and only in (None, "forward"):
        attempts.append(("new", item.new_node, item.old_node, new.builder, new_validator, old_validator, new_root, old_root))
    if change.breaks_backward and only in (None, "backward"):
        attempts.append(("old", item.old_node, item.new_node, old.builder, old_validator, new_validator, old_root, new_root))
    if first == "backward":
        attempts.reverse()
    screened = old.big or new.big
    fast = {"old": old.union_validator(old_name) if screened else None,
            "new": new.union_validator(new_name) if screened else None}
    for accepted_by, accepting, rejecting, builder, yes, no, root, other_root in attempts:
        accepts = yes.is_valid
        if screened:
            fast_yes, fast_no = fast[accepted_by], fast["old" if accepted_by == "new" else "new"]

            def accepts(instance: Any, fast_yes=fast_yes, fast_no=fast_no, yes=yes) -> bool:
                # jsonschema-rs screens; jsonschema (the reference) confirms what passes
                return fast_yes.is_valid(instance) and not fast_no.is_valid(instance) and yes.is_valid(instance)
        try:
            # The example-free minimal comes last: an example the schema itself refuses (OpenAPI's
            # `example: null` on an object) would otherwise leave no valid base at all.
            bases = [value for value in _witness._examples(root) + _witness._examples(other_root)
                     + [_witness.minimal(builder, root), _witness.minimal(builder, root, examples=False)]
                     if yes.is_valid(value)]
            witness = _witness.find(change, accepted_by, accepting, rejecting, builder, bases or [None],
                                    accepts, _witness.rejection_of(no), root=root,
                                    other=new.builder if accepted_by == "old" else old.builder)
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
    names = {"old": f"the old schema ({old_name})", "new": f"the new schema ({new_name})"}
    depth = max(check_depth(old, names["old"]), check_depth(new, names["new"]))

    def run() -> Report:
        check_document(old, names["old"])
        check_document(new, names["new"])
        return _compare(old, new, old_name, new_name, direction, policy, old_registry, new_registry, witnesses)

    return _deep(run, depth)


def _compare(old: Any, new: Any, old_name: str, new_name: str, direction: str, policy: str,
             old_registry: referencing.Registry | None, new_registry: referencing.Registry | None,
             witnesses: bool) -> Report:
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
    documents = [(document, f"{name} (old)") for name, document in sorted(old_docs.items())] + [
        (document, f"{name} (new)") for name, document in sorted(new_docs.items())]
    depth = max([check_depth(document, name) for document, name in documents] + [0])

    def run() -> Report:
        for document, name in documents:
            check_document(document, name)
        return _compare_catalogs(old_docs, new_docs, direction, policy, witnesses)

    return _deep(run, depth)


def _compare_catalogs(old_docs: dict[str, Any], new_docs: dict[str, Any], direction: str, policy: str,
                      witnesses: bool) -> Report:
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
    for candidate in _witness._examples(root) + [_witness.minimal(side.builder, root),
                                                 _witness.minimal(side.builder, root, examples=False)]:
        # is_valid, not best_match: explaining a miss over a union of a thousand branches
        # costs a second, and the reason is known anyway.
        if yes.is_valid(candidate) and not no.is_valid(candidate):
            reason = f"no branch of {unions[0]} in the {'old' if added else 'new'} catalog accepts it"
            return replace(change, witness=_witness.Witness(candidate, "new" if added else "old", reason))
    return change
