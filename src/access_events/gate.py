"""The CI contract gate: ``access-events compat OLD NEW`` turns the compatibility engine's
report into a verdict, with a config file, acknowledgements, a version-bump rule and
renderers for people and for CI systems.

Each side is a schema file, a folder of ``*.schema.json`` files, or ``git:REF`` (this
repository's ``schemas/`` at that revision, read with ``git ls-tree``/``git cat-file``,
never checked out), optionally ``git:REF:path`` (a folder or a file, relative to the
repository's top). Two files are compared as single documents (their folders' other
schema files resolve their ``$ref``s); anything else is compared as a catalog.

Severity: a change that breaks in the chosen direction (or that the engine could not
decide) is an ``error``, a compatible one ``info``. The config's ``severity`` map sets a
rule's breaking changes to ``error``, ``warn`` or ``info``; ``off`` hides the rule's
changes altogether. An unexpired acknowledgement takes a breaking change out of the
verdict, and so does a MAJOR version bump of the event it belongs to (the change is
then a warning: a breaking release made on purpose). An error left against an event
present on both sides is also reported as ``version-not-bumped``. Exit codes: 0 no error, 1 errors, 2 usage error or unreadable
input.
"""

from __future__ import annotations

import datetime as _dt
import functools
import json
import os
import re
import subprocess
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TextIO

from . import _catalog
from ._catalog import SEMVER, VERSION_KEYWORD
from .compat._model import document_name
from ._locate import line_of

OK, FINDINGS, USAGE = 0, 1, 2
FORMATS = ("text", "json", "markdown", "github", "junit")
SEVERITIES = ("error", "warn", "info", "off")
DEFAULT_DIRECTION = "full"
DEFAULT_POLICY = "lenient"

#: Findings the gate itself makes (besides the engine's rules), with what they mean.
GATE_RULES: dict[str, str] = {
    "version-not-bumped": "a breaking change (an error) without a MAJOR version bump",
    "version-decreased": "the event's version went down",
    "version-missing": "the event has a version on one side only",
    "version-invalid": "the event's version is not MAJOR.MINOR.PATCH",
    "stale-acknowledgement": "an acknowledgement in the config matches no breaking change",
}
_GATE_DEFAULT = {"stale-acknowledgement": "warn"}  # the others are errors

_SEVERITY_ORDER = {"error": 0, "warn": 1, "info": 2, "acknowledged": 3}
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_CATALOG_GROUP = "(catalog)"
_CONFIG_GROUP = "(config)"
_MAX_VALUE = 200
_MAX_WITNESS = 400


class GateError(Exception):
    """Usage error or unreadable input: exit 2 with this message, never a traceback."""


# --- sources ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Source:
    """One side of the comparison, read into memory."""

    spec: str  # as the user wrote it
    kind: str  # "file" or "catalog"
    #: The documents compared, by file name (a single one for kind "file").
    documents: dict[str, dict]
    #: Source text of every document read (for line numbers), by file name.
    texts: dict[str, str]
    #: Where each file lives, for annotations: ``schemas/x.schema.json`` (a git path for git sources).
    paths: dict[str, str]
    #: For a single file: its folder's other schema documents, which its ``$ref``s may name.
    context: dict[str, dict] = field(default_factory=dict)

    def file_for(self, document: str | None) -> str | None:
        """The file name a Location's document (file name, ``$id`` or None) stands for."""
        if document is not None and document in self.texts:
            return document
        if self.kind == "file":  # compare() names the two documents itself ("old", "new")
            return next(iter(self.documents))
        if document is None:
            return None
        for name, doc in self.documents.items():
            if isinstance(doc, dict) and doc.get("$id") == document:
                return name
        tail = document_name(document)
        return tail if tail in self.texts else None


class _NotJSON(ValueError):
    pass


def _refuse_constant(name: str) -> Any:
    """Python's json reads NaN and Infinity; JSON has neither (and reports must stay JSON)."""
    raise _NotJSON(f"{name} is not a JSON number")


def _finite_float(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise _NotJSON(f"{text} does not fit a double")
    return value


def _decode(where: str, data: bytes) -> tuple[str, dict]:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise GateError(f"{where}:{line}: not UTF-8: {exc.reason}") from None
    try:
        doc = json.loads(text, parse_constant=_refuse_constant, parse_float=_finite_float)
    except _NotJSON as exc:
        raise GateError(f"{where}: not valid JSON: {exc}") from None
    except json.JSONDecodeError as exc:
        raise GateError(f"{where}:{exc.lineno}: not valid JSON: {exc.msg} (column {exc.colno})") from None
    except RecursionError:
        raise GateError(f"{where}: nested too deeply to parse") from None
    if not isinstance(doc, dict):
        raise GateError(f"{where}: the document is a JSON {type(doc).__name__}, not a schema object")
    _check_schema(where, text, doc)
    return text, doc


@functools.lru_cache(maxsize=1)
def _metaschema_validator() -> Any:
    from jsonschema import Draft202012Validator

    return Draft202012Validator(Draft202012Validator.META_SCHEMA)


def _check_schema(where: str, text: str, doc: dict) -> None:
    """A document the metaschema refuses cannot be compared: say where, instead of failing inside."""
    from jsonschema.exceptions import best_match

    from ._locate import pointer_from_path

    try:
        error = best_match(_metaschema_validator().iter_errors(doc))
    except RecursionError:
        raise GateError(f"{where}: nested too deeply to check against the metaschema") from None
    if error is not None:
        pointer = pointer_from_path(error.absolute_path)
        message = " ".join(error.message.split())
        message = message if len(message) <= 200 else message[:199] + "…"
        raise GateError(f"{where}:{line_of(text, pointer)}: not a valid JSON Schema (draft 2020-12) at "
                        f"{pointer or '/'}: {message}")


def _schema_names(names: Sequence[str]) -> list[str]:
    return sorted(n for n in names if n.endswith(_catalog.SCHEMA_SUFFIX))


def _display(path: str) -> str:
    return Path(os.path.normpath(path)).as_posix()


@functools.lru_cache(maxsize=8)
def _toplevel(cwd: str) -> Path | None:
    try:
        return Path(_git(Path(cwd), "rev-parse", "--show-toplevel").decode().strip()).resolve()
    except (GateError, subprocess.CalledProcessError, OSError):
        return None


def _repo_relative(path: Path, cwd: Path) -> str | None:
    """``path`` from the top of the git repository around ``cwd`` (how CI annotations name
    files, whatever directory the gate ran in), or None outside a repository."""
    top = _toplevel(str(cwd))
    if top is None:
        return None
    try:
        return path.resolve().relative_to(top).as_posix() or "."
    except ValueError:
        return None


def _read_folder(folder: Path, display: str, *, strict: bool = True) -> tuple[dict, dict, dict]:
    docs: dict[str, dict] = {}
    texts: dict[str, str] = {}
    paths: dict[str, str] = {}
    names = _schema_names([p.name for p in folder.iterdir() if p.is_file()])
    for name in names:
        where = f"{display}/{name}"
        try:
            data = (folder / name).read_bytes()
            texts[name], docs[name] = _decode(where, data)
        except OSError as exc:
            if strict:
                raise GateError(f"{where}: cannot read: {exc.strerror or exc}") from None
            continue
        except GateError:
            if strict:
                raise
            continue
        paths[name] = where
    return docs, texts, paths


def _git(repo: Path, *args: str) -> bytes:
    try:
        proc = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, check=False)
    except OSError as exc:
        raise GateError(f"cannot run git: {exc.strerror or exc}") from None
    if proc.returncode != 0:
        raise subprocess.CalledProcessError(proc.returncode, args, proc.stdout, proc.stderr)
    return proc.stdout


def _git_source(spec: str, cwd: Path) -> Source:
    rest = spec[len("git:"):]
    ref, _, path = rest.partition(":")
    path = path.strip("/") or "schemas"
    if not ref or ref.startswith("-"):
        raise GateError(f"{spec}: expected git:REF or git:REF:path, e.g. git:origin/main")
    try:
        top = Path(_git(cwd, "rev-parse", "--show-toplevel").decode().strip())
    except subprocess.CalledProcessError:
        raise GateError(f"{spec}: {cwd} is not inside a git repository") from None
    try:
        commit = _git(top, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}").decode().strip()
    except subprocess.CalledProcessError:
        raise GateError(f"{spec}: unknown git revision {ref!r}") from None
    try:
        kind = _git(top, "cat-file", "-t", f"{commit}:{path}").decode().strip()
    except subprocess.CalledProcessError:
        raise GateError(f"{spec}: {path!r} does not exist at {ref}") from None
    folder = path if kind == "tree" else (path.rpartition("/")[0] or "")
    listing = _git(top, "ls-tree", "-z", f"{commit}:{folder}" if folder else commit)
    blobs: dict[str, str] = {}
    for entry in listing.split(b"\0"):
        if not entry:
            continue
        meta, _, name = entry.decode("utf-8", "surrogateescape").partition("\t")
        mode, kind_, sha = meta.split(" ")
        if kind_ == "blob" and mode != "120000":
            blobs[name] = sha

    def read(name: str) -> tuple[str, dict]:
        where = f"git:{ref}:{folder + '/' if folder else ''}{name}"
        if name not in blobs:
            raise GateError(f"{where}: a symbolic link or not a file at {ref}; give the path it points to")
        return _decode(where, _git(top, "cat-file", "blob", blobs[name]))

    def repo_path(name: str) -> str:
        return f"{folder}/{name}" if folder else name

    if kind == "tree":
        names = _schema_names(list(blobs))
        if not names:
            raise GateError(f"{spec}: no *{_catalog.SCHEMA_SUFFIX} files in {path!r} at {ref}")
        docs, texts = {}, {}
        for name in names:
            texts[name], docs[name] = read(name)
        return Source(spec, "catalog", docs, texts, {n: repo_path(n) for n in names})
    if kind != "blob":
        raise GateError(f"{spec}: {path!r} at {ref} is neither a file nor a folder")
    name = path.rpartition("/")[2]
    text, doc = read(name)
    context = {}
    for other in _schema_names(list(blobs)):
        if other != name:
            try:
                context[other] = read(other)[1]
            except GateError:
                continue  # a broken neighbour is not what was asked about
    return Source(spec, "file", {name: doc}, {name: text}, {name: repo_path(name)}, context)


def load_source(spec: str, *, cwd: str | Path | None = None) -> Source:
    """Read one side: a schema file, a folder of schema files, or ``git:REF[:path]``."""
    cwd = Path(cwd) if cwd is not None else Path.cwd()
    if spec.startswith("git:"):
        try:
            return _git_source(spec, cwd)
        except subprocess.CalledProcessError as exc:
            detail = " ".join(exc.stderr.decode("utf-8", "replace").split()) if exc.stderr else f"exit {exc.returncode}"
            raise GateError(f"{spec}: git failed: {detail}") from None
    path = Path(spec)
    if not path.is_absolute():
        path = cwd / path
    display = _repo_relative(path, cwd) or _display(spec)
    if path.is_dir():
        docs, texts, paths = _read_folder(path, display)
        if not docs:
            raise GateError(f"{spec}: no *{_catalog.SCHEMA_SUFFIX} files in this folder")
        return Source(spec, "catalog", docs, texts, paths)
    if not path.exists():
        raise GateError(f"{spec}: no such file or folder")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise GateError(f"{spec}: cannot read: {exc.strerror or exc}") from None
    text, doc = _decode(display, data)
    name = path.name
    parent = _repo_relative(path.parent, cwd) or _display(str(Path(spec).parent))
    context = {n: d for n, d in _read_folder(path.parent, parent, strict=False)[0].items() if n != name}
    return Source(spec, "file", {name: doc}, {name: text}, {name: display}, context)


# --- config ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Acknowledgement:
    rule: str
    pointer: str  # a JSON pointer
    file: str | None  # the document, when written as file#/pointer
    event: str | None
    reason: str
    expires: _dt.date
    line: int | None = None  # in the config file

    @property
    def where(self) -> str:
        return f"{self.file or ''}#{self.pointer}" if self.file is not None else self.pointer

    def expired(self, today: _dt.date) -> bool:
        return today > self.expires  # the expiry date itself is the last day it applies

    def as_json(self) -> dict[str, Any]:
        return {"rule": self.rule, "pointer": self.where, "event": self.event, "reason": self.reason,
                "expires": self.expires.isoformat()}


@dataclass(frozen=True)
class Config:
    direction: str | None = None
    policy: str | None = None
    severity: dict[str, str] = field(default_factory=dict)
    acknowledged: tuple[Acknowledgement, ...] = ()
    path: str | None = None


def _known_rules() -> dict[str, Any]:
    from .compat import RULES

    return {**RULES, **GATE_RULES}


def _parse_date(value: Any, where: str) -> _dt.date:
    if isinstance(value, _dt.datetime):
        raise GateError(f"{where}: expires must be a date YYYY-MM-DD, not a date and time")
    if isinstance(value, _dt.date):
        return value
    if isinstance(value, str) and _DATE.fullmatch(value.strip()):
        try:
            return _dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise GateError(f"{where}: expires must be a date YYYY-MM-DD, got {value!r}")


def _parse_pointer(value: Any, where: str) -> tuple[str | None, str]:
    if not isinstance(value, str):
        raise GateError(f"{where}: pointer must be a string (a JSON pointer, or file#/pointer)")
    file, hash_, pointer = value.rpartition("#") if "#" in value else (None, "", value)
    if pointer and not pointer.startswith("/"):
        raise GateError(f"{where}: pointer {value!r} is not a JSON pointer (/a/b) or file#/a/b")
    return (file or None) if hash_ else None, pointer


def _ack_lines(text: str) -> list[int]:
    """Line of each entry of ``acknowledged`` (for annotations), best effort."""
    import yaml

    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except (yaml.YAMLError, ValueError, TypeError, RecursionError):
        return []
    if not isinstance(root, yaml.MappingNode):
        return []
    for key, value in root.value:
        if getattr(key, "value", None) == "acknowledged" and isinstance(value, yaml.SequenceNode):
            return [item.start_mark.line + 1 for item in value.value]
    return []


def load_config(path: str | Path) -> Config:
    """Read and check a gate config file; every mistake is a GateError naming the key."""
    try:
        import yaml
    except ImportError:
        raise GateError("--config needs PyYAML (pip install pyyaml)") from None
    shown = str(path)
    try:
        text = Path(path).read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise GateError(f"{shown}: cannot read: {getattr(exc, 'strerror', None) or exc}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        raise GateError(f"{shown}{line}: not valid YAML: {getattr(exc, 'problem', None) or exc}") from None
    except (ValueError, TypeError) as exc:  # PyYAML's own constructors: `2026-02-30`, `!!int x`
        raise GateError(f"{shown}: not a valid config value: {exc} (dates are YYYY-MM-DD)") from None
    except RecursionError:
        raise GateError(f"{shown}: nested too deeply") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise GateError(f"{shown}: expected a mapping with direction, policy, severity, acknowledged")
    from .compat import DIRECTIONS, POLICIES

    unknown = sorted(set(map(str, data)) - {"direction", "policy", "severity", "acknowledged"})
    if unknown:
        raise GateError(f"{shown}: unknown key {unknown[0]!r}; expected direction, policy, severity, acknowledged")
    for key, allowed in (("direction", DIRECTIONS), ("policy", POLICIES)):
        if key in data and data[key] not in allowed:
            raise GateError(f"{shown}: {key}: {data[key]!r} is not one of {', '.join(allowed)}")
    rules = _known_rules()
    severity = data.get("severity") or {}
    if not isinstance(severity, dict):
        raise GateError(f"{shown}: severity: expected a mapping of rule ID to {'|'.join(SEVERITIES)}")
    checked: dict[str, str] = {}
    for rule, level in severity.items():
        if not isinstance(rule, str) or rule not in rules:
            raise GateError(f"{shown}: severity: unknown rule {rule!r} (see access_events.compat.RULES)")
        if level is False:  # YAML 1.1 reads a bare `off` as false
            level = "off"
        if level not in SEVERITIES:
            raise GateError(f"{shown}: severity: {rule}: {level!r} is not one of {', '.join(SEVERITIES)}")
        checked[rule] = level
    entries = data.get("acknowledged") or []
    if not isinstance(entries, list):
        raise GateError(f"{shown}: acknowledged: expected a list of {{rule, pointer, event, reason, expires}}")
    lines = _ack_lines(text)
    acks = []
    for i, entry in enumerate(entries):
        where = f"{shown}: acknowledged[{i}]"
        if not isinstance(entry, dict):
            raise GateError(f"{where}: expected a mapping with rule, pointer, reason, expires (and optionally event)")
        extra = sorted(set(map(str, entry)) - {"rule", "pointer", "event", "reason", "expires"})
        if extra:
            raise GateError(f"{where}: unknown key {extra[0]!r}")
        for key in ("rule", "pointer", "reason", "expires"):
            if key not in entry or entry[key] is None or (isinstance(entry[key], str) and not entry[key].strip()):
                raise GateError(f"{where}: {key} is required")
        if not isinstance(entry["rule"], str) or entry["rule"] not in rules:
            raise GateError(f"{where}: unknown rule {entry['rule']!r} (see access_events.compat.RULES)")
        if not isinstance(entry["reason"], str):
            raise GateError(f"{where}: reason must be text")
        event = entry.get("event")
        if event is not None and not isinstance(event, str):
            raise GateError(f"{where}: event must be text")
        file, pointer = _parse_pointer(entry["pointer"], where)
        acks.append(Acknowledgement(entry["rule"], pointer, file, event, entry["reason"].strip(),
                                    _parse_date(entry["expires"], where), lines[i] if i < len(lines) else None))
    return Config(data.get("direction"), data.get("policy"), checked, tuple(acks), shown)


# --- evaluation ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Finding:
    rule: str
    #: error, warn or info, after the config's overrides (an acknowledged finding keeps its own).
    severity: str
    event: str | None
    message: str
    old: Any = None  # compat.Location | None
    new: Any = None
    old_value: Any = None
    new_value: Any = None
    instance_path: str | None = None
    #: The directions this change breaks (whatever direction was asked for).
    breaks: tuple[str, ...] = ()
    unknown: bool = False
    #: It breaks in the direction the gate checks (or is unknown).
    breaking: bool = False
    witness: Any = None  # compat.Witness | None
    acknowledged: Acknowledgement | None = None
    expired: Acknowledgement | None = None
    config_line: int | None = None

    @property
    def status(self) -> str:
        return "acknowledged" if self.acknowledged else self.severity

    def sort_key(self) -> tuple:
        return (_SEVERITY_ORDER[self.status], self.rule, str(self.new or ""), str(self.old or ""),
                _compact(self.old_value), _compact(self.new_value), self.message)


@dataclass(frozen=True)
class GateResult:
    old: Source
    new: Source
    direction: str
    policy: str
    #: Every finding shown, grouped by event (``(catalog)`` for changes of no one event,
    #: ``(config)`` for stale acknowledgements), groups and findings sorted.
    groups: tuple[tuple[str, tuple[Finding, ...]], ...]
    versions: dict[str, tuple[str | None, str | None]]
    compared: tuple[str, ...]
    added: tuple[str, ...]
    removed: tuple[str, ...]
    notes: tuple[str, ...]
    hidden: int
    config_path: str | None = None

    @property
    def findings(self) -> tuple[Finding, ...]:
        return tuple(f for _, group in self.groups for f in group)

    def count(self, status: str) -> int:
        return sum(1 for f in self.findings if f.status == status)

    @property
    def exit_code(self) -> int:
        return FINDINGS if self.count("error") else OK


def _compact(value: Any, limit: int = _MAX_VALUE) -> str:
    text = json.dumps(value, separators=(",", ":"), sort_keys=True, ensure_ascii=False, default=str)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _breaks(change: Any) -> tuple[str, ...]:
    if change.unknown:
        return ("forward", "backward")
    return tuple(d for d, flag in (("forward", change.breaks_forward), ("backward", change.breaks_backward)) if flag)


def _same_document(document: str | None, file: str) -> bool:
    """``file`` as written in the config (``x.schema.json``, ``schemas/x.schema.json`` or a
    ``$id`` URL) names the document by its last path segment, as the engine does."""
    if document is None:
        return False
    return document == file or document_name(document) == document_name(file)


def _matches(ack: Acknowledgement, finding: Finding) -> bool:
    if ack.rule != finding.rule or (ack.event is not None and _event_name(ack.event) != finding.event):
        return False
    for loc in (finding.new, finding.old):
        if loc is not None and loc.pointer == ack.pointer and (ack.file is None or _same_document(loc.document, ack.file)):
            return True
    return False


def _acknowledge(findings: list[Finding], acks: Sequence[Acknowledgement], used: set[int], today: _dt.date) -> list[Finding]:
    out = []
    for finding in findings:
        if finding.breaking:
            valid = expired = None
            for i, ack in enumerate(acks):
                if _matches(ack, finding):
                    used.add(i)
                    if ack.expired(today):
                        expired = expired or ack
                    else:
                        valid = valid or ack
            if valid is not None:
                finding = replace(finding, acknowledged=valid)
            elif expired is not None:
                finding = replace(finding, expired=expired)
        out.append(finding)
    return out


def _event_doc(event: str, source: Source) -> str | None:
    """The file holding ``event`` (named by its event_type, ``$id`` or file name) on one side."""
    for name, doc in source.documents.items():
        props = doc.get("properties") if isinstance(doc, dict) else None
        const = props.get("event_type", {}).get("const") if isinstance(props, dict) and isinstance(props.get("event_type"), dict) else None
        if event in (name, doc.get("$id"), const, name.removesuffix(_catalog.SCHEMA_SUFFIX)):
            return name
    return None



def _event_label(name: str, doc: dict) -> str:
    props = doc.get("properties")
    event_type = props.get("event_type") if isinstance(props, dict) else None
    const = event_type.get("const") if isinstance(event_type, dict) else None
    return const if isinstance(const, str) else name.removesuffix(_catalog.SCHEMA_SUFFIX)


def _own_versions(old: Source, new: Source) -> dict[str, tuple[str | None, str | None]]:
    """Versions straight from the event documents, for catalog reports that carry none."""
    versions: dict[str, list[str | None]] = {}
    for side, source in enumerate((old, new)):
        for name, doc in source.documents.items():
            if isinstance(doc, dict):
                versions.setdefault(_event_label(name, doc), [None, None])[side] = doc.get(VERSION_KEYWORD)
    return {event: (pair[0], pair[1]) for event, pair in versions.items()}


def _event_name(event: str | None) -> str | None:
    """One spelling per event: the engine may name it by event type, file name or ``$id``."""
    if event is None:
        return None
    if "://" in event:
        event = document_name(event)
    return event.removesuffix(_catalog.SCHEMA_SUFFIX)


def _semver(value: Any) -> tuple[int, int, int] | None:
    match = SEMVER.fullmatch(value) if isinstance(value, str) else None
    return tuple(int(part) for part in match.groups()) if match else None  # type: ignore[return-value]


def _version_findings(event: str, versions: tuple[Any, Any], errors: list[Finding], old: Source, new: Source,
                      severity: Mapping[str, str]) -> tuple[list[Finding], str | None]:
    """The version rule for one event on both sides; (findings, a note when skipped)."""
    from .compat import Location

    old_v, new_v = versions
    old_file, new_file = _event_doc(event, old), _event_doc(event, new)

    def at(source_file: str | None, present: bool) -> Any:
        if source_file is None:
            return None
        return Location(source_file, "/" + VERSION_KEYWORD if present else "")

    def finding(rule: str, message: str) -> Finding:
        return Finding(rule, severity.get(rule, "error"), event, message, at(old_file, old_v is not None),
                       at(new_file, new_v is not None), old_v, new_v, None, (), False, True)

    if old_v is None and new_v is None:
        return [], event
    if old_v is None or new_v is None:
        side, other = ("new", "old") if new_v is None else ("old", "new")
        return [finding("version-missing", f"{VERSION_KEYWORD} is missing on the {side} side "
                                           f"({other}: {old_v if new_v is None else new_v})")], None
    old_sv, new_sv = _semver(old_v), _semver(new_v)
    if old_sv is None or new_sv is None:
        bad = old_v if old_sv is None else new_v
        return [finding("version-invalid", f"{VERSION_KEYWORD} {_compact(bad)} is not a semantic version MAJOR.MINOR.PATCH")], None
    if new_sv < old_sv:
        return [finding("version-decreased", f"version went down: {old_v} → {new_v}")], None
    if errors and new_sv[0] <= old_sv[0]:
        rules = ", ".join(sorted({f.rule for f in errors}))
        return [finding("version-not-bumped", f"breaking change without a major version bump: {old_v} → {new_v}; "
                                              f"bump to {old_sv[0] + 1}.0.0 ({rules})")], None
    return [], None


def evaluate(report: Any, old: Source, new: Source, config: Config | None = None, *,
             today: _dt.date | None = None) -> GateResult:
    """Apply severities, acknowledgements and the version rule to an engine report."""
    config = config or Config()
    today = today or _dt.date.today()
    severity = config.severity
    hidden = 0
    findings: list[Finding] = []
    added: set[str] = set()
    removed: set[str] = set()
    single = old.kind == "file" and new.kind == "file"
    if single:
        # One document per side: every change is that document's, whatever the engine calls it.
        (old_name, old_doc), (new_name, new_doc) = next(iter(old.documents.items())), next(iter(new.documents.items()))
        label = _event_label(new_name, new_doc)
        versions = {label: (old_doc.get(VERSION_KEYWORD), new_doc.get(VERSION_KEYWORD))}
    else:
        # The engine decides which documents are events (union membership, not file names);
        # the versions are read raw from the documents, so a non-string one is reported invalid.
        own = _own_versions(old, new)
        versions = {_event_name(k): own.get(_event_name(k), tuple(v)) for k, v in report.versions.items()}
    for change in report.changes:
        event = label if single else _event_name(change.event)
        if event is not None:
            if change.rule == "event-added":
                added.add(event)
            elif change.rule == "event-removed":
                removed.add(event)
        breaking = change.breaks(report.direction)
        level = severity.get(change.rule, "error") if breaking else "info"
        if severity.get(change.rule) == "off":
            level = "off"
        findings.append(Finding(change.rule, level, event, change.message or _rule_summary(change.rule),
                                change.old, change.new, change.old_value, change.new_value, change.instance_path,
                                _breaks(change), change.unknown, breaking, change.witness))
    used: set[int] = set()
    findings = _acknowledge(findings, config.acknowledged, used, today)

    both = sorted(set(versions) - added - removed)
    # A MAJOR bump is how a breaking change is released on purpose: it passes, as a warning.
    for event in both:
        old_sv, new_sv = (_semver(v) for v in versions[event])
        if old_sv is not None and new_sv is not None and new_sv[0] > old_sv[0]:
            old_v, new_v = versions[event]
            findings = [replace(f, severity="warn", message=f"{f.message} (released as a breaking change: "
                                                            f"major version {old_v} → {new_v})")
                        if f.event == event and f.status == "error" and f.breaking else f for f in findings]
    skipped: list[str] = []
    version_findings: list[Finding] = []
    for event in both:
        errors = [f for f in findings if f.event == event and f.status == "error"]
        found, skip = _version_findings(event, versions[event], errors, old, new, severity)
        version_findings.extend(found)
        if skip:
            skipped.append(skip)
    findings += _acknowledge(version_findings, config.acknowledged, used, today)

    for i, ack in enumerate(config.acknowledged):
        if i in used:
            continue
        note = f" (it expired on {ack.expires.isoformat()})" if ack.expired(today) else ""
        findings.append(Finding("stale-acknowledgement", severity.get("stale-acknowledgement", _GATE_DEFAULT["stale-acknowledgement"]),
                                _CONFIG_GROUP, f"acknowledgement of {ack.rule} at {ack.where}"
                                f"{' for ' + ack.event if ack.event else ''} matches no breaking change{note}; remove it",
                                config_line=ack.line, breaking=True))
    shown = []
    for f in findings:
        if f.severity == "off":
            hidden += 1
        else:
            shown.append(f)
    groups: dict[str, list[Finding]] = {}
    for f in shown:
        groups.setdefault(f.event if f.event is not None else _CATALOG_GROUP, []).append(f)
    order = sorted(groups, key=lambda g: (g in (_CATALOG_GROUP, _CONFIG_GROUP), g == _CONFIG_GROUP, g))
    notes = []
    if skipped:
        if len(skipped) == len(both):
            notes.append(f"version check skipped: no {VERSION_KEYWORD} on either side")
        else:
            notes.append(f"version check skipped for {', '.join(skipped)}: no {VERSION_KEYWORD} on either side")
    return GateResult(old, new, report.direction, report.policy,
                      tuple((g, tuple(sorted(groups[g], key=Finding.sort_key))) for g in order),
                      {e: versions[e] for e in sorted(versions)}, tuple(both), tuple(sorted(added)),
                      tuple(sorted(removed)), tuple(notes), hidden, config.path)


def _rule_summary(rule: str) -> str:
    from .compat import RULES

    return RULES[rule].summary if rule in RULES else GATE_RULES.get(rule, rule)


def compare_sources(old: Source, new: Source, *, direction: str, policy: str) -> Any:
    """The engine's report for two sources: single documents or catalogs."""
    from . import compat

    if (old.kind == "file") != (new.kind == "file"):
        raise GateError(f"cannot compare a single schema file with a catalog ({old.spec} vs {new.spec}): "
                        "give two files, or two folders / git revisions")
    from referencing.exceptions import Unresolvable

    def run(witnesses: bool) -> Any:
        if old.kind == "file":
            (old_doc,), (new_doc,) = old.documents.values(), new.documents.values()
            return compat.compare(old_doc, new_doc, direction=direction, policy=policy, witnesses=witnesses,
                                  old_registry=_registry(old), new_registry=_registry(new))
        return compat.compare_catalogs(old.documents, new.documents, direction=direction, policy=policy,
                                       witnesses=witnesses)

    try:
        try:
            return run(True), ()
        except Unresolvable as exc:
            # The engine reports an unresolvable $ref as undecidable; only the search for a
            # witness payload cannot cope with it. The verdict does not need witnesses.
            return run(False), (f"no witness payloads: a $ref does not resolve ({exc})",)
    except NotImplementedError:
        raise GateError("the compatibility engine is not available in this build") from None
    except compat.CompatInputError as exc:
        raise GateError(str(exc)) from None


def _registry(source: Source) -> Any:
    import referencing
    from referencing.jsonschema import DRAFT202012

    resources = []
    for doc in [*source.context.values(), *source.documents.values()]:
        if isinstance(doc.get("$id"), str):
            try:
                resources.append((doc["$id"], DRAFT202012.create_resource(doc)))
            except Exception:  # noqa: BLE001 - a neighbour that is no schema resolves nothing
                continue
    try:
        return referencing.Registry().with_resources(resources).crawl()
    except Exception:  # noqa: BLE001 - malformed embedded ids: fall back to the documents alone
        return referencing.Registry().with_resources(resources)


# --- rendering -------------------------------------------------------------------------------


def _where(result: GateResult, loc: Any, side: str) -> tuple[str, int] | None:
    """(path for annotations, line) of a location on one side."""
    source = result.new if side == "new" else result.old
    name = source.file_for(loc.document)
    if name is None or name not in source.texts:
        return None
    return source.paths[name], line_of(source.texts[name], loc.pointer)


def _anchor(result: GateResult, finding: Finding) -> tuple[str, int] | None:
    if finding.config_line is not None and result.config_path:
        return result.config_path, finding.config_line
    if finding.rule == "stale-acknowledgement" and result.config_path:
        return result.config_path, 1
    for loc, side in ((finding.new, "new"), (finding.old, "old")):
        if loc is not None:
            found = _where(result, loc, side)
            if found is not None:
                return found
    return None


def _value_text(finding: Finding) -> str | None:
    if finding.old is None and finding.new is None and finding.old_value is None and finding.new_value is None:
        return None
    # The engine gives None for the side a keyword or value is absent from.
    old = "(absent)" if finding.old_value is None else _compact(finding.old_value)
    new = "(absent)" if finding.new_value is None else _compact(finding.new_value)
    return f"{old} → {new}"


def _loc_text(finding: Finding) -> str | None:
    old, new = (str(finding.old) if finding.old else None), (str(finding.new) if finding.new else None)
    if old and new:
        return old if old == new else f"{old} → {new}"
    return old or new


def _breaks_text(finding: Finding) -> str:
    if finding.rule in GATE_RULES:
        return "version rule" if finding.rule.startswith("version-") else "config"
    if finding.unknown:
        return "undecided (counts as breaking)"
    if not finding.breaks:
        return "compatible"
    return "breaks " + " and ".join(finding.breaks)


def _ack_text(finding: Finding) -> str | None:
    if finding.acknowledged:
        return f"acknowledged until {finding.acknowledged.expires.isoformat()}: {finding.acknowledged.reason}"
    if finding.expired:
        return f"acknowledgement expired on {finding.expired.expires.isoformat()} (it said: {finding.expired.reason})"
    return None


def _summary(result: GateResult) -> str:
    def n(count: int, word: str) -> str:
        return f"{count} {word}{'' if count == 1 else 's'}"

    verdict = "FAIL" if result.exit_code else "PASS"
    return (f"{verdict}: {n(result.count('error'), 'error')}, {n(result.count('warn'), 'warning')}, "
            f"{n(result.count('info'), 'info')}, {result.count('acknowledged')} acknowledged; "
            f"{n(len(result.compared), 'event')} compared, {len(result.added)} added, {len(result.removed)} removed")


def _version_text(result: GateResult, event: str) -> str:
    if event not in result.versions:
        return ""
    old, new = result.versions[event]
    if event in result.added:
        return f" (added, {new or 'no version'})"
    if event in result.removed:
        return f" (removed, was {old or 'no version'})"
    return f" ({old or 'no version'} → {new or 'no version'})"


def render_text(result: GateResult) -> str:
    lines = [f"access-events compat: {result.old.spec} → {result.new.spec} "
             f"(direction {result.direction}, policy {result.policy})"]
    for group, findings in result.groups:
        lines.append("")
        lines.append(group + _version_text(result, group))
        for f in findings:
            lines.append(f"  {f.status}: {f.rule}: {f.message} [{_breaks_text(f)}]")
            where = _loc_text(f)
            if where:
                lines.append(f"    at: {where}")
            values = _value_text(f)
            if values:
                lines.append(f"    value: {values}")
            if f.instance_path:
                lines.append(f"    payload path: {f.instance_path}")
            if f.witness is not None:
                lines.append(f"    witness ({f.witness.accepted_by} accepts, {f.witness.rejected_by} rejects: "
                             f"{' '.join(str(f.witness.error).split())[:_MAX_VALUE]}): {_compact(f.witness.instance, _MAX_WITNESS)}")
            ack = _ack_text(f)
            if ack:
                lines.append(f"    {ack}")
    if result.notes:
        lines.append("")
        lines.extend(result.notes)
    lines.append("")
    lines.append(_summary(result))
    return "\n".join(lines) + "\n"


def _loc_json(loc: Any) -> dict[str, Any] | None:
    return None if loc is None else {"document": loc.document, "pointer": loc.pointer}


def _finding_json(result: GateResult, f: Finding) -> dict[str, Any]:
    anchor = _anchor(result, f)
    return {
        "rule": f.rule, "severity": f.severity, "status": f.status, "event": f.event, "message": f.message,
        "old": _loc_json(f.old), "new": _loc_json(f.new), "old_value": f.old_value, "new_value": f.new_value,
        "instance_path": f.instance_path, "breaks": list(f.breaks), "unknown": f.unknown, "breaking": f.breaking,
        "file": anchor[0] if anchor else None, "line": anchor[1] if anchor else None,
        "witness": None if f.witness is None else {"instance": f.witness.instance, "accepted_by": f.witness.accepted_by,
                                                   "rejected_by": f.witness.rejected_by, "error": str(f.witness.error)},
        "acknowledgement": f.acknowledged.as_json() if f.acknowledged else None,
        "expired_acknowledgement": f.expired.as_json() if f.expired else None,
    }


def render_json(result: GateResult) -> str:
    report = {
        "old": result.old.spec, "new": result.new.spec, "direction": result.direction, "policy": result.policy,
        "result": "fail" if result.exit_code else "pass", "exit_code": result.exit_code,
        "findings": [_finding_json(result, f) for f in result.findings],
        "events": {"compared": list(result.compared), "added": list(result.added), "removed": list(result.removed)},
        "versions": {e: {"old": o, "new": n} for e, (o, n) in result.versions.items()},
        "notes": list(result.notes),
        "summary": {"errors": result.count("error"), "warnings": result.count("warn"), "infos": result.count("info"),
                    "acknowledged": result.count("acknowledged"), "hidden": result.hidden,
                    "events_compared": len(result.compared), "events_added": len(result.added),
                    "events_removed": len(result.removed)},
    }
    return json.dumps(report, indent=2, sort_keys=True, ensure_ascii=False, default=str) + "\n"


def _md(text: str) -> str:
    return " ".join(text.replace("|", "\\|").split())


def _md_code(text: str) -> str:
    text = " ".join(text.replace("|", "\\|").split())
    if not text:
        return ""
    return f"`` {text} ``" if "`" in text else f"`{text}`"


def render_markdown(result: GateResult) -> str:
    errors = result.count("error")
    head = (f"### Schema compatibility: {'❌ ' + str(errors) + ' error' + ('' if errors == 1 else 's') if errors else '✅ no breaking change'}")
    lines = [head, "", f"{_md_code(result.old.spec)} → {_md_code(result.new.spec)} · direction **{result.direction}** · "
                       f"policy **{result.policy}**", ""]
    rows = [(group, f) for group, findings in result.groups for f in findings]
    if rows:
        lines += ["| severity | event | rule | location | old → new | breaks | message |",
                  "|---|---|---|---|---|---|---|"]
        for group, f in rows:
            message = f.message
            ack = _ack_text(f)
            if ack:
                message += f" ({ack})"
            if f.witness is not None:
                message += f" — witness, {f.witness.accepted_by} accepts, {f.witness.rejected_by} rejects: " \
                           f"{_md_code(_compact(f.witness.instance, _MAX_WITNESS))}"
            lines.append(f"| {f.status} | {_md_code(group)} | {_md_code(f.rule)} "
                         f"| {_md_code(_loc_text(f) or '')} | {_md_code(_value_text(f) or '')} "
                         f"| {_md(_breaks_text(f))} | {_md(message)} |")
        lines.append("")
    for note in result.notes:
        lines += [f"_{_md(note)}_", ""]
    lines.append(f"**{_md(_summary(result))}**")
    return "\n".join(lines) + "\n"


def _gh_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _gh_property(text: str) -> str:
    return _gh_data(text).replace(":", "%3A").replace(",", "%2C")


def render_github(result: GateResult) -> str:
    """GitHub Actions workflow commands: ``::error file=…,line=…,title=rule::message`` per finding."""
    kinds = {"error": "error", "warn": "warning", "acknowledged": "notice"}
    # One change in a shared file (common.schema.json) reaches several events: one
    # annotation on its line, naming them all.
    annotations: dict[tuple[str, str, str], list[str]] = {}
    for group, findings in result.groups:
        for f in findings:
            kind = kinds.get(f.status)
            if kind is None:
                continue  # compatible changes are not worth an annotation
            props = []
            anchor = _anchor(result, f)
            if anchor:
                props += [f"file={_gh_property(anchor[0])}", f"line={anchor[1]}"]
            props.append(f"title={_gh_property(f.rule)}")
            message = f.message
            values = _value_text(f)
            if values and f.rule not in GATE_RULES:  # the version rule's message says it already
                message += f": {values}"
            if f.rule not in GATE_RULES:
                message += f"; {_breaks_text(f)}"
            ack = _ack_text(f)
            if ack:
                message += f"; {ack}"
            annotations.setdefault((kind, ",".join(props), message), []).append(group)
    lines = [f"::{kind} {props}::{_gh_data(', '.join(groups) + ': ' + message)}"
             for (kind, props, message), groups in annotations.items()]
    lines.extend(result.notes)
    lines.append(_summary(result))
    return "\n".join(lines) + "\n"


_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _xml_text(text: str) -> str:
    """Text XML 1.0 can carry: characters it forbids (control characters, lone surrogates) as \\uXXXX."""
    return _XML_ILLEGAL.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def render_junit(result: GateResult) -> str:
    """JUnit XML: one testsuite, a testcase per event, a ``<failure>`` per error."""
    groups = dict(result.groups)
    names = sorted(set(result.compared) | set(result.added) | set(result.removed) | set(groups),
                   key=lambda g: (g in (_CATALOG_GROUP, _CONFIG_GROUP), g == _CONFIG_GROUP, g))
    failing = sum(1 for name in names if any(f.status == "error" for f in groups.get(name, ())))
    suite = ET.Element("testsuite", {"name": "access-events compat", "tests": str(len(names)),
                                     "failures": str(failing), "errors": "0", "skipped": "0"})
    props = ET.SubElement(suite, "properties")
    for key, value in (("old", result.old.spec), ("new", result.new.spec), ("direction", result.direction),
                       ("policy", result.policy)):
        ET.SubElement(props, "property", {"name": key, "value": value})
    for name in names:
        case = ET.SubElement(suite, "testcase", {"classname": "access-events.compat", "name": _xml_text(name)})
        other = []
        errors = []
        for f in groups.get(name, ()):
            detail = [f"{f.rule}: {f.message} [{_breaks_text(f)}]"]
            for label, value in (("at", _loc_text(f)), ("value", _value_text(f)), ("payload path", f.instance_path),
                                 ("", _ack_text(f))):
                if value:
                    detail.append(f"{label}: {value}" if label else value)
            if f.witness is not None:
                detail.append(f"witness ({f.witness.accepted_by} accepts, {f.witness.rejected_by} rejects): "
                              f"{_compact(f.witness.instance, _MAX_WITNESS)}")
            if f.status == "error":
                errors.append((f, "\n".join(detail)))
            else:
                other.append(f"{f.status}: " + "\n  ".join(detail))
        if errors:  # one <failure> per testcase, as strict JUnit consumers expect
            rules = ", ".join(sorted({f.rule for f, _ in errors}))
            message = errors[0][0].message if len(errors) == 1 else f"{len(errors)} breaking changes: {rules}"
            failure = ET.SubElement(case, "failure", {"type": rules, "message": _xml_text(message)})
            failure.text = _xml_text("\n\n".join(text for _, text in errors))
        if other:
            ET.SubElement(case, "system-out").text = _xml_text("\n".join(other))
    ET.indent(suite)
    return ET.tostring(suite, encoding="unicode", xml_declaration=True) + "\n"


RENDERERS = {"text": render_text, "json": render_json, "markdown": render_markdown, "github": render_github,
             "junit": render_junit}


# --- the command -----------------------------------------------------------------------------


def gate(old: str, new: str, *, direction: str | None = None, policy: str | None = None,
         config: str | Path | Config | None = None, today: _dt.date | None = None,
         cwd: str | Path | None = None) -> GateResult:
    """Load both sides and the config, compare, evaluate. Raises GateError for exit 2."""
    from .compat import DIRECTIONS, POLICIES

    cfg = config if isinstance(config, Config) else (load_config(config) if config is not None else Config())
    direction = direction or cfg.direction or DEFAULT_DIRECTION
    policy = policy or cfg.policy or DEFAULT_POLICY
    if direction not in DIRECTIONS:
        raise GateError(f"direction {direction!r} is not one of {', '.join(DIRECTIONS)}")
    if policy not in POLICIES:
        raise GateError(f"policy {policy!r} is not one of {', '.join(POLICIES)}")
    old_source, new_source = load_source(old, cwd=cwd), load_source(new, cwd=cwd)
    report, notes = compare_sources(old_source, new_source, direction=direction, policy=policy)
    result = evaluate(report, old_source, new_source, cfg, today=today)
    return replace(result, notes=(*notes, *result.notes)) if notes else result


def run_compat(old: str, new: str, *, direction: str | None = None, policy: str | None = None, fmt: str = "text",
               config: str | None = None, output: str | None = None, out: TextIO, err: TextIO,
               today: _dt.date | None = None, cwd: str | Path | None = None) -> int:
    """The ``compat`` command: write the report, return the exit code."""
    try:
        result = gate(old, new, direction=direction, policy=policy, config=config, today=today, cwd=cwd)
    except GateError as exc:
        err.write(f"access-events compat: error: {exc}\n")
        return USAGE
    text = RENDERERS[fmt](result)
    if output:
        try:
            with open(output, "w", encoding="utf-8", newline="\n") as fh:
                fh.write(text)
        except OSError as exc:
            err.write(f"access-events compat: error: {output}: cannot write: {exc.strerror or exc}\n")
            return USAGE
        err.write(_summary(result) + "\n")
    else:
        out.write(text)
    return result.exit_code
