"""Checking payloads in bulk for ``access-events validate``: one record, or a chunk of lines in a worker.

Results are data (counts and report rows), never printed here, so a chunk can be checked
in another process and its rows emitted by the parent in input order.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ._api import validated
from ._decode import decode
from ._fast import valid_raw
from ._inputs import LineChunk, Record
from .errors import InvalidEvent, UnknownEventType


@dataclass
class Tally:
    """Counts of one batch, and a report row for every payload that was not valid."""

    valid: int = 0
    invalid: int = 0
    unknown: int = 0
    reports: list[dict[str, object]] = field(default_factory=list)

    def add(self, other: Tally) -> None:
        self.valid += other.valid
        self.invalid += other.invalid
        self.unknown += other.unknown


def check_record(record: Record, max_bytes: int, tally: Tally) -> None:
    try:
        validated(decode(record.raw, max_bytes) if record.raw is not None else record.value)
    except InvalidEvent as exc:
        tally.invalid += 1
        for problem in exc.problems:
            tally.reports.append({"source": record.source, "line": record.line_of(problem.pointer), "status": "invalid",
                                  **problem.as_dict()})
    except UnknownEventType as exc:
        tally.unknown += 1
        tally.reports.append({"source": record.source, "line": record.line_of("/event_type"), "status": "unknown_type",
                              "pointer": "/event_type", "keyword": "event_type",
                              "message": f"unknown event type {exc.event_type[:200]!r}, not in the catalog"})
    else:
        tally.valid += 1


def check_chunk(chunk: LineChunk, max_bytes: int) -> Tally:
    """Every non-blank line of ``chunk``; valid lines cost one fast-path call each."""
    tally = Tally()
    number = chunk.first_line
    for line in chunk.lines:
        if valid_raw(line, max_bytes):
            tally.valid += 1
        elif line.strip():
            check_record(Record(chunk.source, number, raw=line.rstrip(b"\r\n")), max_bytes, tally)
        number += 1
    return tally
