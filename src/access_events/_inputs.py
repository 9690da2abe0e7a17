"""Files of captured payloads → one record per payload, each with where it came from.

A file is read as one of three layouts, decided from its content (or forced by a
``.jsonl``/``.ndjson`` name): a JSON array of events, JSON Lines (one event per line,
streamed so a file of millions of lines stays in constant memory), or one JSON document.
A record that cannot be decoded is still a record (its error travels with it), so
nothing read is ever dropped from the summary.
"""

from __future__ import annotations

import io
import os
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
    size: int | None = None  # bytes of a decoded payload in its file, for the size limit
    offset: int = 0  # where the payload starts in ``text``: pointers are located from there

    @property
    def decoded(self) -> bool:
        return self.value is not _NO_VALUE

    def line_of(self, pointer: str) -> int:
        """The line of ``pointer`` (relative to this payload) in the source file."""
        return self.lines_of([pointer])[0]

    def lines_of(self, pointers: list[str]) -> list[int]:
        """The line of each of ``pointers`` (relative to this payload), in one walk (``_locate.lines_of``)."""
        if self.text is None:
            return [self.line] * len(pointers)
        return _locate.lines_of(self.text, pointers, self.offset)


#: Lines per chunk of a JSON Lines file: big enough to amortise handing it to a worker,
#: small enough (about 10 MB of typical events) that a few in flight keep memory flat.
CHUNK_LINES = 20_000


@dataclass(frozen=True)
class LineChunk:
    """Consecutive lines of a JSON Lines file, blank ones included, the first being ``first_line``."""

    source: str
    first_line: int
    lines: list[bytes]

    @property
    def size(self) -> int:
        return sum(map(len, self.lines))

    def read_lines(self) -> list[bytes]:
        return self.lines


#: Bytes per slice of a JSON Lines file on disk (about 16,000 typical events).
SLICE_BYTES = 8 * 1024 * 1024


@dataclass(frozen=True)
class FileSlice:
    """Whole lines ``[start, end)`` of a file on disk.

    A worker reads the bytes itself, so only these few fields cross the process boundary,
    and the parent never reads the file at all. ``first_line`` is the first line's number
    for a file's first slice; 0 for the others, whose line numbers the worker counts from
    1 and the parent shifts once the slices before them are counted (``Tally.lines``).
    """

    source: str
    path: str
    start: int
    end: int
    first_line: int

    @property
    def size(self) -> int:
        return self.end - self.start

    def read_lines(self) -> list[bytes]:
        with open(self.path, "rb") as fh:
            fh.seek(self.start)
            data = fh.read(self.end - self.start)
        lines = data.split(b"\n")
        if lines[-1] == b"":
            lines.pop()
        return lines


def _slices(source: str, first: bytes, first_no: int, fh: io.BufferedReader) -> Iterator[FileSlice]:
    size = os.fstat(fh.fileno()).st_size
    start = fh.tell() - len(first)
    first_line = first_no
    while start < size:
        end = start + SLICE_BYTES
        if end >= size:
            end = size
        else:
            fh.seek(end - 1)
            fh.readline()  # to the end of the line the cut falls in
            end = fh.tell()
        yield FileSlice(source, fh.name, start, end, first_line)
        start, first_line = end, 0


def _lines(source: str, first: bytes, first_no: int, fh: BinaryIO) -> Iterator[LineChunk | FileSlice]:
    if isinstance(fh, io.BufferedReader) and isinstance(getattr(fh, "name", None), str) and fh.seekable():
        yield from _slices(source, first, first_no, fh)
        return
    lines = [first] if first else []
    start = first_no
    for line in fh:
        lines.append(line)
        if len(lines) >= CHUNK_LINES:
            yield LineChunk(source, start, lines)
            start += len(lines)
            lines = []
    if lines:
        yield LineChunk(source, start, lines)


def _array(source: str, data: bytes) -> Iterator[Record]:
    try:
        items = orjson.loads(data)
    except orjson.JSONDecodeError:
        yield Record(source, 1, raw=data)  # decoding it again yields the error with its position
        return
    text = data.decode("utf-8")
    ascii_only = text.isascii()
    line, counted = 1, 0
    for index, (item, (start, end)) in enumerate(zip(items, _locate.element_spans(text))):
        line += text.count("\n", counted, start)
        counted = start
        size = end - start if ascii_only else len(text[start:end].encode("utf-8"))
        yield Record(source, line, value=item, text=text, base_pointer=f"/{index}", size=size, offset=start)


def _document(source: str, data: bytes, first_line: int) -> Iterator[Record | LineChunk | FileSlice]:
    try:
        value = orjson.loads(data)
    except orjson.JSONDecodeError:
        lines = [ln for ln in data.splitlines() if ln.strip()]
        if len(lines) > 1 and all(ln.lstrip().startswith(b"{") for ln in lines):
            # not one document but JSON Lines whose first line is broken: keep every line apart
            reader = io.BytesIO(data)
            yield from _lines(source, reader.readline(), first_line, reader)
            return
        yield Record(source, first_line, raw=data)
        return
    yield Record(source, first_line, value=value, text=data.decode("utf-8"), size=len(data.strip()))


def read_records(source: str, fh: BinaryIO) -> Iterator[Record | LineChunk | FileSlice]:
    """Every payload of one open binary file, in input order: records, or chunks of JSON Lines."""
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


__all__ = ["CHUNK_LINES", "SLICE_BYTES", "FileSlice", "LineChunk", "Record", "read_records"]
