"""Reading one side of a comparison: a schema file, a folder of schema files, or ``git:REF``
(this repository's ``schemas/`` at that revision, read with ``git ls-tree``/``git cat-file``,
never checked out), optionally ``git:REF:path`` (a folder or a file, relative to the
repository's top). Every document is checked against the draft 2020-12 metaschema, and any
problem is a ``GateError`` naming the file and line.
"""

from __future__ import annotations

import contextvars
import functools
import json
import os
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import _catalog
from .._locate import line_of
from ..compat._model import document_name
from .model import GateError

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


#: The dialect every document is read in (``compat --dialect``); None: each one's ``$schema``.
DIALECT: contextvars.ContextVar[str | None] = contextvars.ContextVar("DIALECT", default=None)


@functools.lru_cache(maxsize=1)
def _metaschema_validator() -> Any:
    from jsonschema import Draft202012Validator

    return Draft202012Validator(Draft202012Validator.META_SCHEMA)


def _check_schema(where: str, text: str, doc: dict) -> None:
    """A document the metaschema refuses cannot be compared: say where, instead of failing inside."""
    from jsonschema.exceptions import best_match

    from .._locate import pointer_from_path

    from ..compat import _dialect

    try:  # read in its own dialect ($schema, or compat's --dialect): the engine translates it so
        doc = _dialect.translate(doc, DIALECT.get())
    except _dialect.DialectError as exc:
        raise GateError(f"{where}: {exc}") from None
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

