"""Checking payloads in bulk for ``access-events validate``: one record, or a chunk of lines in a worker.

Results are data (counts and report rows), never printed here, so a chunk can be checked
in another process and its rows emitted by the parent in input order.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ._api import validated
from ._decode import decode, too_large
from ._fast import sift
from ._inputs import FileSlice, LineChunk, Record
from .errors import InvalidEvent, UnknownEventType


@dataclass
class Tally:
    """Counts of one batch, and a report row for every payload that was not valid."""

    valid: int = 0
    invalid: int = 0
    unknown: int = 0
    lines: int = 0  # lines read, blank ones included: to number the lines of the next slice
    reports: list[dict[str, object]] = field(default_factory=list)

    def add(self, other: Tally) -> None:
        self.valid += other.valid
        self.invalid += other.invalid
        self.unknown += other.unknown


def _element(record: Record) -> dict[str, int]:
    """``{"index": i}`` for the i-th element (from 0) of a JSON array file, else nothing."""
    return {"index": int(record.base_pointer[1:])} if record.base_pointer else {}


def check_record(record: Record, max_bytes: int, tally: Tally) -> None:
    try:
        if record.raw is not None:
            instance = decode(record.raw, max_bytes)
        elif record.size is not None and record.size > max_bytes:
            raise too_large(record.size, max_bytes)  # an element of a JSON array file, or a whole document
        else:
            instance = record.value
        validated(instance)
    except InvalidEvent as exc:
        tally.invalid += 1
        lines = record.lines_of([problem.pointer for problem in exc.problems])
        for problem, line in zip(exc.problems, lines):
            row = {"source": record.source, "line": line, **_element(record), "status": "invalid",
                   **problem.as_dict()}
            if problem.keyword == "size":
                row["message"] += " (raise it with --max-bytes)"
            tally.reports.append(row)
    except UnknownEventType as exc:
        tally.unknown += 1
        tally.reports.append({"source": record.source, "line": record.line_of("/event_type"), **_element(record),
                              "status": "unknown_type", "pointer": "/event_type", "keyword": "event_type",
                              "message": f"unknown event type {exc.event_type[:200]!r}, not in the catalog"})
    else:
        tally.valid += 1


def check_chunk(chunk: LineChunk | FileSlice, max_bytes: int) -> Tally:
    """Every non-blank line of ``chunk``; valid lines cost one fast-path call each."""
    tally = Tally()
    lines = chunk.read_lines()
    rest = sift(lines, max_bytes)  # blank lines are among the rest: no payload, not counted
    tally.lines = len(lines)
    tally.valid = len(lines) - len(rest)
    first = chunk.first_line or 1
    for index in rest:
        line = lines[index]
        if line.strip():
            check_record(Record(chunk.source, first + index, raw=line.rstrip(b"\r\n")), max_bytes, tally)
    return tally
