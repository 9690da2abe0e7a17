"""``access-events lint``: check a folder of JSON Schema files against the catalog's rules.

The metaschema only says a file is *a* JSON Schema; these rules say it is a schema of
this catalog: one dialect, one base URI, every reference resolvable inside the folder,
documented properties, examples that pass, open objects, nothing nullable, and only the
formats the package asserts. Lint is pointed at arbitrary folders (a pull request's
copy, a test's ``tmp_path``), so it builds its own registry from that folder and never
fetches anything.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Iterator
from urllib.parse import quote, urldefrag, urljoin, urlsplit

import referencing
from jsonschema import Draft202012Validator
from jsonschema.exceptions import UnknownType, best_match
from referencing.exceptions import Unresolvable
from referencing.jsonschema import DRAFT202012

from . import _catalog
from ._catalog import SEMVER, VERSION_KEYWORD
from ._formats import FORMAT_CHECKER, KNOWN_FORMATS
from ._locate import line_of, pointer_from_path

DIALECT = "https://json-schema.org/draft/2020-12/schema"

# Keywords whose values are schemas. Everything else (examples, const, enum, default,
# unknown keywords such as OpenAPI's discriminator) is data and is never walked.
_SCHEMA_MAPS = ("properties", "patternProperties", "$defs", "dependentSchemas")
_SCHEMA_LISTS = ("prefixItems", "allOf", "anyOf", "oneOf")
_SCHEMA_VALUES = (
    "additionalProperties", "items", "contains", "propertyNames", "not", "if", "then", "else",
    "unevaluatedItems", "unevaluatedProperties", "contentSchema",
)
_META = Draft202012Validator(Draft202012Validator.META_SCHEMA)
_MAX_MESSAGE = 240  # validator messages quote whole instances; keep one finding one line


@dataclass(frozen=True, order=True)
class Finding:
    file: str  # file name relative to the folder
    line: int  # 1-based
    pointer: str  # JSON pointer inside that file
    rule: str  # stable kebab-case rule id
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.pointer or '/'}: {self.message} [{self.rule}]"


@dataclass(frozen=True)
class LintResult:
    files: tuple[str, ...]  # every schema file read, valid or not
    findings: tuple[Finding, ...]  # sorted by (file, line, pointer, rule, message)


@dataclass(frozen=True)
class _File:
    name: str
    text: str
    doc: dict
    uri: str  # where the registry holds it: its $id, else where it would live under BASE_URI

    def finding(self, path: tuple, rule: str, message: str) -> Finding:
        pointer = pointer_from_path(path)
        return Finding(self.name, line_of(self.text, pointer), pointer, rule, _short(message))


def _short(message: str) -> str:
    message = " ".join(message.split())  # one finding, one line
    return message if len(message) <= _MAX_MESSAGE else message[: _MAX_MESSAGE - 1] + "…"


def _text(value: Any) -> bool:
    return isinstance(value, str) and value.strip() != ""


def _rebase(node: Any, base: str) -> str:
    """The base URI inside ``node``: an ``$id`` starts a new resource."""
    if isinstance(node, dict) and isinstance(node.get("$id"), str):
        return urldefrag(urljoin(base, node["$id"])).url
    return base


def _walk(doc: dict, base: str) -> Iterator[tuple[tuple, dict, str]]:
    """Every schema object of ``doc`` as (path, schema, base URI), iteratively."""
    stack: list[tuple[tuple, Any, str]] = [((), doc, base)]
    while stack:
        path, node, base = stack.pop()
        if not isinstance(node, dict):
            continue  # boolean schemas have nothing to check
        yield path, node, base
        for key in _SCHEMA_MAPS:
            if isinstance(node.get(key), dict):
                stack.extend(((*path, key, name), sub, _rebase(sub, base)) for name, sub in node[key].items())
        for key in _SCHEMA_LISTS:
            if isinstance(node.get(key), list):
                stack.extend(((*path, key, i), sub, _rebase(sub, base)) for i, sub in enumerate(node[key]))
        for key in _SCHEMA_VALUES:
            if key in node:
                stack.append(((*path, key), node[key], _rebase(node[key], base)))


def _lookup(registry: referencing.Registry, base: str, ref: str) -> tuple[Any, str] | None:
    """The target of ``ref`` and its base URI, or None when it does not resolve."""
    try:
        resolved = registry.resolver(base).lookup(ref)
    except Exception:  # Unresolvable, or malformed input (a non-string $id on the way)
        return None
    # The resolver knows the target's base (embedded $ids on the way); referencing does not
    # expose it publicly, so fall back to the document's URI.
    fallback = urldefrag(urljoin(base, ref)).url
    return resolved.contents, getattr(resolved.resolver, "_base_uri", fallback) or fallback


def _has_description(node: Any, base: str, registry: referencing.Registry) -> bool | None:
    """Whether a property schema is described, itself or through its ``$ref`` chain.

    None when the chain breaks: that is an unresolved-ref, not a missing description.
    """
    seen: set[int] = set()
    while isinstance(node, dict) and id(node) not in seen:
        seen.add(id(node))
        if _text(node.get("description")):
            return True
        if not isinstance(node.get("$ref"), str):
            return False
        target = _lookup(registry, base, node["$ref"])
        if target is None:
            return None
        node, base = target
    return False


def _declared(node: dict, base: str, registry: referencing.Registry) -> tuple[set[str], list[str]]:
    """Property names and patterns declared by ``node`` or reachable via allOf/anyOf/oneOf/$ref."""
    names: set[str] = set()
    patterns: list[str] = []
    seen: set[int] = set()  # identity of visited schemas: refs may loop
    stack: list[tuple[Any, str]] = [(node, base)]
    while stack:
        node, base = stack.pop()
        if not isinstance(node, dict) or id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node.get("properties"), dict):
            names.update(node["properties"])
        if isinstance(node.get("patternProperties"), dict):
            patterns.extend(node["patternProperties"])
        for key in ("allOf", "anyOf", "oneOf"):
            if isinstance(node.get(key), list):
                stack.extend((sub, _rebase(sub, base)) for sub in node[key])
        if isinstance(node.get("$ref"), str):
            target = _lookup(registry, base, node["$ref"])
            if target is not None:
                stack.append(target)
    return names, patterns


def _matches_any(name: str, patterns: list[str]) -> bool:
    for pattern in patterns:
        try:
            if re.search(pattern, name):
                return True
        except re.error:
            continue  # an ECMA-only regex: Python cannot judge it, so do not guess
    return False


def _in_tree(absolute: str) -> bool:
    # urljoin leaves dot segments of an absolute reference alone; re-joining the path removes them.
    normalized = urljoin(absolute, urlsplit(absolute).path) if urlsplit(absolute).path else absolute
    return absolute.startswith(_catalog.BASE_URI) and normalized.startswith(_catalog.BASE_URI)


def _load(path: Path, findings: list[Finding]) -> _File | None:
    """The parsed file, or None after an invalid-json finding."""
    data = path.read_bytes()
    try:
        text = data.decode("utf-8")
        doc = json.loads(text)
    except UnicodeDecodeError as error:
        findings.append(Finding(path.name, data.count(b"\n", 0, error.start) + 1, "", "invalid-json", f"not UTF-8: {error.reason}"))
        return None
    except json.JSONDecodeError as error:
        findings.append(Finding(path.name, error.lineno, "", "invalid-json", f"not valid JSON: {error.msg}"))
        return None
    except RecursionError:
        findings.append(Finding(path.name, 1, "", "invalid-json", "nested too deeply to parse"))
        return None
    if not isinstance(doc, dict):
        findings.append(Finding(path.name, line_of(text, ""), "", "invalid-json", f"the document is a JSON {type(doc).__name__}, not an object"))
        return None
    where = _catalog.BASE_URI + path.name
    return _File(path.name, text, doc, _rebase(doc, where))


def _registry(files: list[_File]) -> referencing.Registry:
    # Without a retrieve function, anything not in the folder is unresolvable, never fetched.
    # The first claimant of a duplicated $id keeps it, so results stay deterministic.
    registry: referencing.Registry = referencing.Registry()
    for file in files:
        if file.uri not in registry:
            registry = _with(registry, file)
    return registry


def _with(registry: referencing.Registry, file: _File) -> referencing.Registry:
    """``registry`` plus ``file``, crawled for embedded $ids and $anchors."""
    try:
        return registry.with_resource(file.uri, DRAFT202012.create_resource(file.doc)).crawl()
    except Exception:  # a malformed embedded $id (metaschema reports it): keep the file for pointers only
        return registry.with_resource(file.uri, referencing.Resource.opaque(file.doc))


def _lint_root(file: _File) -> Iterator[Finding]:
    doc, name = file.doc, file.name
    if "$schema" not in doc:
        yield file.finding((), "dialect", f"no $schema; expected {DIALECT}")
    elif doc["$schema"] != DIALECT:
        yield file.finding(("$schema",), "dialect", f"$schema is {doc['$schema']!r}; expected {DIALECT}")
    expected_id = _catalog.BASE_URI + name
    if "$id" not in doc:
        yield file.finding((), "missing-id", f"no $id; expected {expected_id}")
    elif doc["$id"] != expected_id:
        yield file.finding(("$id",), "id-mismatch", f"$id is {doc['$id']!r}; expected {expected_id}")
    for key in ("title", "description"):
        if key not in doc:
            yield file.finding((), f"missing-{key}", f"the schema has no {key}")
        elif not _text(doc[key]):
            yield file.finding((key,), f"missing-{key}", f"the schema's {key} is empty")
    if name != _catalog.COMMON_FILE:
        if "examples" not in doc:
            yield file.finding((), "missing-examples", "the schema has no examples")
        elif not isinstance(doc["examples"], list) or not doc["examples"]:
            yield file.finding(("examples",), "missing-examples", "the schema's examples are empty")
    # The file name is the event type: the union and the docs find schemas by it.
    stem = name[: -len(_catalog.SCHEMA_SUFFIX)]
    event_type = doc.get("properties", {}).get("event_type") if isinstance(doc.get("properties"), dict) else None
    const_path = ("properties", "event_type", "const")
    if isinstance(event_type, dict) and "const" in event_type:
        if event_type["const"] != stem:
            yield file.finding(const_path, "event-type-mismatch",
                               f"event_type const {event_type['const']!r} does not match the file name {name!r}")
    elif "." in stem:
        yield file.finding(const_path, "event-type-mismatch", f"no properties/event_type/const; expected {stem!r}")
    # Every event schema carries its version, which the compat gate holds breaking changes to.
    is_event = "." in stem and name not in (_catalog.COMMON_FILE, _catalog.UNION_FILE)
    if VERSION_KEYWORD in doc:
        version = doc[VERSION_KEYWORD]
        if not (isinstance(version, str) and SEMVER.fullmatch(version)):
            yield file.finding((VERSION_KEYWORD,), "version",
                               f"{VERSION_KEYWORD} is {json.dumps(version)}; expected a semantic version MAJOR.MINOR.PATCH, e.g. \"1.0.0\"")
    elif is_event:
        yield file.finding((), "version", f"no {VERSION_KEYWORD}; an event schema states its semantic version, e.g. \"{VERSION_KEYWORD}\": \"1.0.0\"")


def _lint_node(file: _File, path: tuple, node: dict, base: str, registry: referencing.Registry,
               check_examples: bool) -> Iterator[Finding]:
    ref = node.get("$ref")
    if isinstance(ref, str):
        absolute = urljoin(base, ref)
        if not _in_tree(absolute):
            yield file.finding((*path, "$ref"), "remote-ref", f"$ref {ref!r} resolves to {absolute}, outside {_catalog.BASE_URI}")
        elif _lookup(registry, base, ref) is None:
            yield file.finding((*path, "$ref"), "unresolved-ref", f"$ref {ref!r} ({absolute}) does not resolve in this folder")
    if "format" in node and node["format"] not in KNOWN_FORMATS:
        yield file.finding((*path, "format"), "unknown-format",
                           f"format {node['format']!r} is not asserted by the package; use one of {', '.join(KNOWN_FORMATS)}")
    kind = node.get("type")
    if kind == "null" or (isinstance(kind, list) and "null" in kind):
        yield file.finding((*path, "type"), "nullable", "type allows null; nothing in this catalog is nullable (omit the field instead)")
    if node.get("nullable") is True:
        yield file.finding((*path, "nullable"), "nullable", "nullable: true; nothing in this catalog is nullable (omit the field instead)")
    for key in ("additionalProperties", "unevaluatedProperties"):
        if node.get(key) is False:
            yield file.finding((*path, key), "closed-object", f"{key}: false; events are open, the producer adds fields")
    if isinstance(node.get("properties"), dict):
        for name, sub in node["properties"].items():
            if _has_description(sub, _rebase(sub, base), registry) is False:
                yield file.finding((*path, "properties", name), "missing-description", f"property {name!r} has no description")
    if isinstance(node.get("required"), list):
        names, patterns = _declared(node, base, registry)
        for i, name in enumerate(node["required"]):
            if isinstance(name, str) and name not in names and not _matches_any(name, patterns):
                yield file.finding((*path, "required", i), "required-undeclared", f"required property {name!r} is not declared in properties")
    if "discriminator" in node:
        yield from _check_discriminator(file, path, node, base, registry)
    if check_examples and isinstance(node.get("examples"), list):
        # Only a schema that passes the metaschema says anything about its examples.
        yield from _check_examples(file, path, node, registry)


def _check_discriminator(file: _File, path: tuple, node: dict, base: str, registry: referencing.Registry) -> Iterator[Finding]:
    """OpenAPI's ``discriminator`` beside a ``oneOf`` of ``$ref``s: consumers that generate
    tagged unions from it (OpenAPI and AsyncAPI generators) must route each tag to the right
    branch. Each branch is mapped, each mapping target is a branch, and each tag is the
    ``const`` its branch gives ``propertyName``."""
    here = (*path, "discriminator")
    spec = node["discriminator"]
    name = spec.get("propertyName") if isinstance(spec, dict) else None
    if not isinstance(name, str):
        yield file.finding(here, "discriminator", "discriminator needs a string propertyName")
        return
    mapping = spec.get("mapping", {})
    branches = node.get("oneOf")
    if not isinstance(mapping, dict) or not all(isinstance(v, str) for v in mapping.values()) or not isinstance(branches, list):
        yield file.finding(here, "discriminator", "discriminator needs a oneOf of $refs and a mapping of tags to those $refs")
        return
    targets = {urljoin(base, ref): (i, ref) for i, b in enumerate(branches) if isinstance(b, dict) and isinstance(ref := b.get("$ref"), str)}
    mapped = set()
    for tag, ref in mapping.items():
        absolute = urljoin(base, ref)
        mapped.add(absolute)
        if absolute not in targets:
            yield file.finding((*here, "mapping", tag), "discriminator", f"mapping {tag!r} -> {ref!r} is not a branch of oneOf")
            continue
        found = _lookup(registry, base, ref)
        if found is None:
            continue  # an unresolved-ref finding says it
        props = found[0].get("properties") if isinstance(found[0], dict) else None
        prop = props.get(name) if isinstance(props, dict) else None
        if isinstance(prop, dict) and isinstance(prop.get("$ref"), str) and "const" not in prop:
            prop = (_lookup(registry, found[1], prop["$ref"]) or (None, ""))[0]  # the const may sit behind a $ref
        const = prop.get("const") if isinstance(prop, dict) else None
        if const != tag:
            yield file.finding((*here, "mapping", tag), "discriminator",
                               f"mapping {tag!r} -> {ref!r}, but that schema's {name} const is {json.dumps(const)}")
    for absolute, (i, ref) in sorted(targets.items(), key=lambda item: item[1][0]):
        if absolute not in mapped:
            yield file.finding((*path, "oneOf", i), "discriminator", f"oneOf branch {ref!r} has no discriminator mapping")


def _check_examples(file: _File, path: tuple, node: dict, registry: referencing.Registry) -> Iterator[Finding]:
    # Validate through a $ref to the subschema's place in its file, so relative refs and
    # embedded $ids resolve exactly as they do for a consumer of the schema.
    fragment = quote(pointer_from_path(path), safe="/~$!&'()*+,;=:@")
    validator = Draft202012Validator({"$ref": f"{file.uri}#{fragment}"}, registry=registry, format_checker=FORMAT_CHECKER)
    for i, example in enumerate(node["examples"]):
        try:
            errors = list(validator.iter_errors(example))
        except Unresolvable:
            continue  # reported as unresolved-ref or remote-ref
        except UnknownType:
            continue  # a "type" the metaschema rule reports; nothing can be said about the example
        except RecursionError:
            yield file.finding((*path, "examples", i), "invalid-example", f"example {i} could not be checked: the schema references itself endlessly")
            continue
        except Exception as error:  # e.g. a pattern Python's re cannot compile
            yield file.finding((*path, "examples", i), "invalid-example", f"example {i} could not be checked: {error}")
            continue
        for error in errors:
            inner = best_match([error])  # descend into anyOf/oneOf to the error that matters
            where = pointer_from_path(inner.absolute_path) or "/"
            message = inner.message
            if len(message) > 160:  # it quotes the whole instance: name the failing keyword instead
                message = f"fails {inner.validator} at schema path {pointer_from_path(inner.relative_schema_path) or '/'}"
                if inner.validator in ("oneOf", "anyOf"):
                    message += " (matches more than one branch)" if not inner.context else " (matches no branch)"
            yield file.finding((*path, "examples", i), "invalid-example", f"example {i} is invalid at {where}: {message}")


def _lint_file(file: _File, registry: referencing.Registry, claims: dict[str, list[tuple[_File, tuple]]]) -> Iterator[Finding]:
    yield from _lint_root(file)
    try:
        meta_errors = [file.finding(tuple(e.absolute_path), "metaschema", e.message) for e in _META.iter_errors(file.doc)]
    except RecursionError:
        meta_errors = [file.finding((), "metaschema", "nested too deeply to check against the metaschema")]
    yield from meta_errors
    if registry.get(file.uri) is None or registry.get(file.uri).contents is not file.doc:
        registry = _with(registry, file)  # another file took this $id: check this file against itself
    for path, node, base in _walk(file.doc, file.uri):
        if isinstance(node.get("$id"), str):
            claims.setdefault(base, []).append((file, (*path, "$id")))
        yield from _lint_node(file, path, node, base, registry, check_examples=not meta_errors)


def lint(folder: Path | str | None = None) -> LintResult:
    """Lint every ``*.schema.json`` file of ``folder`` (default: the package's schemas)."""
    folder = _catalog.schema_dir() if folder is None else Path(folder)
    if not folder.exists():
        raise FileNotFoundError(f"no such schema folder: {folder}")
    if not folder.is_dir():
        raise NotADirectoryError(f"not a folder: {folder}")
    paths = sorted(p for p in folder.glob("*" + _catalog.SCHEMA_SUFFIX) if p.is_file())
    findings: list[Finding] = []
    files = [file for file in (_load(path, findings) for path in paths) if file is not None]
    registry = _registry(files)
    claims: dict[str, list[tuple[_File, tuple]]] = {}
    for file in files:
        findings.extend(_lint_file(file, registry, claims))
    for uri, claimants in claims.items():
        if len(claimants) > 1:
            for file, path in claimants:
                others = ", ".join(o.name + (f"#{pointer_from_path(p[:-1])}" if p[:-1] else "")
                                   for o, p in claimants if o is not file or p != path)
                findings.append(file.finding(path, "duplicate-id", f"$id {uri} is also claimed by {others}"))
    return LintResult(tuple(p.name for p in paths), tuple(sorted(set(findings))))


def render_text(result: LintResult) -> str:
    """One ``file:line: pointer: message [rule]`` line per finding, then a summary line."""
    lines = [str(finding) for finding in result.findings]
    lines.append(f"{len(result.findings)} finding(s) in {len(result.files)} file(s)")
    return "\n".join(lines) + "\n"


def render_json(result: LintResult) -> str:
    """The findings and a summary as stable, sorted JSON."""
    report = {
        "findings": [asdict(finding) for finding in result.findings],
        "summary": {"files": len(result.files), "findings": len(result.findings)},
    }
    return json.dumps(report, indent=2, sort_keys=True) + "\n"
