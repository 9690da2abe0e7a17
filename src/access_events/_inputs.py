"""Files of captured payloads → one record per payload, each with where it came from.

A file is read as one of three layouts, decided from its content (or forced by a
``.jsonl``/``.ndjson`` name): a JSON array of events, JSON Lines (one event per line,
streamed so a file of millions of lines stays in constant memory), or one JSON document.
A record that cannot be decoded is still a record (its error travels with it), so
nothing read is ever dropped from the summary.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO

import orjson

from . import _locate

_NO_VALUE = object()
_JSONL_SUFFIXES = (".jsonl", ".ndjson")


@dataclass(frozen=True)
class Record:
    """One payload: its source name, 1-based line, and either raw bytes or a decoded value."""

    source: str
    line: int
    raw: bytes | None = None
    value: Any = _NO_VALUE
    text: str | None = None  # the document's text, to locate a pointer's line when it spans lines
    base_pointer: str = ""  # where the payload sits inside that document ("/3" in an array)

    @property
    def decoded(self) -> bool:
        return self.value is not _NO_VALUE

    def line_of(self, pointer: str) -> int:
        """The line of ``pointer`` (relative to this payload) in the source file."""
        if self.text is None:
            return self.line
        return _locate.line_of(self.text, self.base_pointer + pointer)


def _lines(source: str, first: bytes, first_no: int, fh: BinaryIO) -> Iterator[Record]:
    number = first_no
    line = first
    while line:
        if line.strip():
            yield Record(source, number, raw=line.rstrip(b"\r\n"))
        number += 1
        line = fh.readline()


def _array(source: str, data: bytes) -> Iterator[Record]:
    try:
        items = orjson.loads(data)
    except orjson.JSONDecodeError:
        yield Record(source, 1, raw=data)  # decoding it again yields the error with its position
        return
    text = data.decode("utf-8")
    for index, item in enumerate(items):
        pointer = f"/{index}"
        yield Record(source, _locate.line_of(text, pointer), value=item, text=text, base_pointer=pointer)


def _document(source: str, data: bytes, first_line: int) -> Iterator[Record]:
    try:
        value = orjson.loads(data)
    except orjson.JSONDecodeError:
        lines = [ln for ln in data.splitlines() if ln.strip()]
        if len(lines) > 1 and all(ln.lstrip().startswith(b"{") for ln in lines):
            # not one document but JSON Lines whose first line is broken: keep every line apart
            reader = _LineReader(data)
            yield from _lines(source, reader.readline(), first_line, reader)
            return
        yield Record(source, first_line, raw=data)
        return
    yield Record(source, first_line, value=value, text=data.decode("utf-8"))


class _LineReader:
    """``readline`` over bytes already in memory."""

    def __init__(self, data: bytes):
        self._lines = iter(data.splitlines(keepends=True))

    def readline(self) -> bytes:
        return next(self._lines, b"")


def read_records(source: str, fh: BinaryIO) -> Iterator[Record]:
    """Every payload of one open binary file, in input order."""
    first_no = 1
    first = fh.readline()
    while first and not first.strip():
        first_no += 1
        first = fh.readline()
    if not first:
        return
    head = first.lstrip()
    if source.endswith(_JSONL_SUFFIXES):
        yield from _lines(source, first, first_no, fh)
    elif head.startswith(b"["):
        yield from _array(source, first + fh.read())
    elif head.startswith(b"{") and _is_object(first):
        yield from _lines(source, first, first_no, fh)
    else:
        yield from _document(source, first + fh.read(), first_no)


def _is_object(line: bytes) -> bool:
    try:
        return isinstance(orjson.loads(line), dict)
    except orjson.JSONDecodeError:
        return False


__all__ = ["Record", "read_records"]
