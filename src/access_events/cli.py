"""The ``access-events`` command line: validate payloads, lint schemas, show the catalog.

Exit codes are decided in one place (``_exit``): 0 all good, 1 findings (invalid
payloads, lint findings), 2 usage errors or unreadable input.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from . import _catalog
from ._api import validated
from ._decode import DEFAULT_MAX_BYTES, decode
from ._inputs import Record, read_records
from .errors import InvalidEvent, UnknownEventType

OK, FINDINGS, USAGE = 0, 1, 2


@dataclass
class ValidateResult:
    """What ``validate`` saw: counts for the summary and every non-valid record's report."""

    valid: int = 0
    invalid: int = 0
    unknown: int = 0
    unreadable: list[dict[str, str]] = field(default_factory=list)
    reports: list[dict[str, object]] = field(default_factory=list)

    @property
    def inputs(self) -> int:
        return self.valid + self.invalid + self.unknown

    def summary(self) -> dict[str, int]:
        return {"inputs": self.inputs, "valid": self.valid, "invalid": self.invalid,
                "unknown_type": self.unknown, "unreadable_files": len(self.unreadable)}


def _check_record(record: Record, max_bytes: int, result: ValidateResult, emit) -> None:
    try:
        validated(decode(record.raw, max_bytes) if record.raw is not None else record.value)
    except InvalidEvent as exc:
        result.invalid += 1
        for problem in exc.problems:
            emit({"source": record.source, "line": record.line_of(problem.pointer), "status": "invalid", **problem.as_dict()})
    except UnknownEventType as exc:
        result.unknown += 1
        emit({"source": record.source, "line": record.line_of("/event_type"), "status": "unknown_type",
              "pointer": "/event_type", "keyword": "event_type",
              "message": f"unknown event type {exc.event_type[:200]!r}, not in the catalog"})
    else:
        result.valid += 1


def _open_sources(paths: Sequence[str]) -> Iterable[tuple[str, object]]:
    for path in paths:
        if path == "-":
            yield "<stdin>", sys.stdin.buffer
            continue
        try:
            fh = open(path, "rb")  # noqa: SIM115 - closed below, after streaming
        except OSError as exc:
            yield path, exc
            continue
        with fh:
            yield path, fh


def run_validate(paths: Sequence[str], *, max_bytes: int, fmt: str, strict: bool, out: TextIO, err: TextIO) -> int:
    result = ValidateResult()

    def emit(report: dict[str, object]) -> None:
        if fmt == "json":
            result.reports.append(report)
        else:
            label = "warning: " if report["status"] == "unknown_type" else ""
            out.write(f"{report['source']}:{report['line']}: {report['pointer'] or '/'}: {label}{report['message']}\n")

    for source, fh in _open_sources(paths):
        if isinstance(fh, OSError):
            result.unreadable.append({"source": source, "message": fh.strerror or str(fh)})
            err.write(f"{source}: error: cannot read: {fh.strerror or fh}\n")
            continue
        try:
            for record in read_records(source, fh):
                _check_record(record, max_bytes, result, emit)
        except OSError as exc:  # a directory, or a read error part-way
            result.unreadable.append({"source": source, "message": exc.strerror or str(exc)})
            err.write(f"{source}: error: cannot read: {exc.strerror or exc}\n")
    if fmt == "json":
        out.write(json.dumps({"problems": result.reports, "unreadable": result.unreadable, "summary": result.summary()},
                             indent=2, sort_keys=True, ensure_ascii=False) + "\n")
    else:
        line = f"{result.valid} valid, {result.invalid} invalid, {result.unknown} unknown type"
        if result.unreadable:
            line += f", {len(result.unreadable)} unreadable file{'s' if len(result.unreadable) != 1 else ''}"
        out.write(line + "\n")
    if result.unreadable:
        return USAGE
    return FINDINGS if result.invalid or (strict and result.unknown) else OK


def run_list(fmt: str, out: TextIO) -> int:
    rows = []
    for event_type in _catalog.event_types():
        doc = _catalog.schema(event_type)
        rows.append({"event_type": event_type, "class": doc["title"], "schema": _catalog.event_file(event_type),
                     "$id": doc["$id"], "description": doc["description"]})
    if fmt == "json":
        out.write(json.dumps(rows, indent=2, ensure_ascii=False) + "\n")
        return OK
    width = max(len(r["event_type"]) for r in rows)
    for r in rows:
        first_sentence = r["description"].split(". ")[0].rstrip(".") + "."
        out.write(f"{r['event_type']:<{width}}  {first_sentence}\n")
    return OK


def run_schema(event_type: str, out: TextIO, err: TextIO) -> int:
    try:
        doc = _catalog.schema(event_type)
    except KeyError as exc:
        err.write(f"access-events schema: error: {exc.args[0]}\n")
        return USAGE
    out.write(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
    return OK


def run_lint(folder: str | None, fmt: str, out: TextIO, err: TextIO) -> int:
    from . import lint  # imported here: only this command needs it

    path = Path(folder) if folder else _catalog.schema_dir()
    if not path.is_dir():
        err.write(f"access-events lint: error: {path}: not a folder of schemas\n")
        return USAGE
    result = lint.lint(path)
    out.write(lint.render_json(result) if fmt == "json" else lint.render_text(result))
    return FINDINGS if result.findings else OK


def _parser() -> argparse.ArgumentParser:
    from importlib.metadata import PackageNotFoundError, version

    try:
        own_version = version("access-events")
    except PackageNotFoundError:  # running from a source tree that is not installed
        own_version = "unknown"
    parser = argparse.ArgumentParser(prog="access-events", description="Contract tools for the access_method.* webhook events.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {own_version}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("validate", help="validate captured payloads (JSON object, JSON array, or JSON Lines)")
    p.add_argument("paths", nargs="+", metavar="PATH", help="files to read; - for standard input")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.add_argument("--max-bytes", type=int, default=DEFAULT_MAX_BYTES, help=f"largest payload accepted (default {DEFAULT_MAX_BYTES})")
    p.add_argument("--strict", action="store_true", help="count event types outside the catalog as failures")

    p = sub.add_parser("lint", help="check the schema files themselves")
    p.add_argument("folder", nargs="?", help="folder of *.schema.json files (default: the packaged schemas)")
    p.add_argument("--format", choices=("text", "json"), default="text")

    p = sub.add_parser("list", help="print the catalog of event types")
    p.add_argument("--format", choices=("text", "json"), default="text")

    p = sub.add_parser("schema", help="print the JSON Schema of one event type ('*' for the union)")
    p.add_argument("event_type")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)  # argparse exits with 2 on usage errors
    out, err = sys.stdout, sys.stderr
    try:
        if args.command == "validate":
            if args.max_bytes <= 0:
                err.write("access-events validate: error: --max-bytes must be positive\n")
                return USAGE
            return run_validate(args.paths, max_bytes=args.max_bytes, fmt=args.format, strict=args.strict, out=out, err=err)
        if args.command == "lint":
            return run_lint(args.folder, args.format, out, err)
        if args.command == "list":
            return run_list(args.format, out)
        return run_schema(args.event_type, out, err)
    except KeyboardInterrupt:
        err.write("interrupted\n")
        return 130
    except BrokenPipeError:  # `access-events validate big.jsonl | head`
        sys.stderr.close()
        return FINDINGS


if __name__ == "__main__":
    sys.exit(main())
