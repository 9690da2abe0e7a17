"""The ``access-events`` command line: validate payloads, lint schemas, show the catalog, run
the reference receiver (``serve``, in ``receiving/server.py``), check any receiver against its
contract (``check-receiver``, in ``receiving/campaign.py``) and gate schema changes on
compatibility (``compat``, in the ``gate`` package).

Exit codes are decided in one place (``_exit``): 0 all good, 1 findings (invalid
payloads, lint findings), 2 usage errors or unreadable input.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path
from typing import TextIO

from tqdm import tqdm

from . import _catalog
from ._batch import Tally, check_chunk, check_record
from ._decode import DEFAULT_MAX_BYTES
from ._inputs import FileSlice, LineChunk, Record, read_records

OK, FINDINGS, USAGE = 0, 1, 2


class _Runner:
    """Checks records and line chunks in input order, spreading chunks over worker processes.

    The first chunk of a run is checked in this process, so a small file never starts a
    pool; after that at most ``2 * jobs`` chunks are in flight, which keeps memory flat
    whatever the file size. Rows are emitted in input order as results come back.
    """

    def __init__(self, jobs: int, max_bytes: int, emit: Callable[[dict[str, object]], None], progress):
        self.jobs, self.max_bytes, self.emit, self.progress = jobs, max_bytes, emit, progress
        self.tally = Tally()
        self.pending: deque[tuple[Future[Tally], LineChunk | FileSlice]] = deque()
        self.line_base = 1  # number of the next slice's first line, in the file being read
        self.pool: ProcessPoolExecutor | None = None
        self.chunks_seen = 0

    def chunk(self, chunk: LineChunk | FileSlice) -> None:
        self.chunks_seen += 1
        if self.jobs <= 1 or self.chunks_seen == 1:
            self._take(check_chunk(chunk, self.max_bytes), chunk)
            return
        if self.pool is None:
            self.pool = ProcessPoolExecutor(max_workers=self.jobs)
        self.pending.append((self.pool.submit(check_chunk, chunk, self.max_bytes), chunk))
        while len(self.pending) > 2 * self.jobs:
            self._take(*self._next())

    def record(self, record: Record) -> None:
        self.drain()
        tally = Tally()
        check_record(record, self.max_bytes, tally)
        self._take(tally, None)

    def drain(self) -> None:
        while self.pending:
            self._take(*self._next())

    def close(self) -> None:
        self.drain()
        if self.pool is not None:
            self.pool.shutdown()

    def abort(self) -> None:
        """Stop without emitting what is still in flight (standard output was closed)."""
        for future, _ in self.pending:
            future.cancel()
        self.pending.clear()
        if self.pool is not None:
            self.pool.shutdown(cancel_futures=True)

    def _next(self) -> tuple[Tally, LineChunk | FileSlice]:
        future, chunk = self.pending.popleft()
        return future.result(), chunk

    def _take(self, tally: Tally, chunk: LineChunk | FileSlice | None) -> None:
        self.tally.add(tally)
        shift = 0
        if isinstance(chunk, FileSlice):
            if chunk.first_line:
                self.line_base = chunk.first_line
            shift = self.line_base - (chunk.first_line or 1)
            self.line_base += tally.lines
        for report in tally.reports:
            if shift:
                report["line"] += shift
            self.emit(report)
        if chunk is not None:
            self.progress.update(chunk.size)


#: What ``validate FOLDER`` reads below the folder.
PAYLOAD_SUFFIXES = (".json", ".jsonl", ".ndjson")


def expand_folders(paths: Sequence[str]) -> list[str]:
    """Each folder replaced by every ``*.json``, ``*.jsonl`` and ``*.ndjson`` file below it, sorted
    by path; a folder holding none stays itself, to be reported as an input without payloads.

    A link whose target is gone and a subfolder that cannot be listed are kept, to be reported
    as unreadable rather than dropped unseen (``pathlib``'s ``rglob`` drops both). Links to
    folders are not followed (as ``rglob`` does not)."""
    out: list[str] = []
    for path in paths:
        if path == "-" or not os.path.isdir(path):
            out.append(path)
            continue
        found: list[Path] = []
        unlisted: list[OSError] = []
        for folder, _, names in os.walk(path, onerror=unlisted.append):
            for name in names:
                p = Path(folder, name)
                if name.endswith(PAYLOAD_SUFFIXES) and (p.is_file() or (p.is_symlink() and not p.exists())):
                    found.append(p)
        found += [Path(exc.filename) for exc in unlisted if exc.filename and os.fspath(exc.filename) != path]
        found.sort(key=lambda p: p.relative_to(path).parts)
        out += [str(p) for p in found] or [path]
    return out


def _open_sources(paths: Sequence[str]) -> Iterable[tuple[str, object]]:
    for path in paths:
        if os.path.isdir(path):  # a folder without payload files, or one that cannot be listed (expand_folders kept it)
            try:
                with os.scandir(path):
                    pass
            except OSError as exc:
                yield path, exc
                continue
            yield path, None
            continue
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


def _progress(paths: Sequence[str], err: TextIO, quiet: bool):
    """A progress bar over the bytes to read, on a terminal only, shown once a run passes two seconds."""
    sizes = [os.path.getsize(p) for p in paths if p != "-" and os.path.isfile(p)]
    show = not quiet and hasattr(err, "isatty") and err.isatty()
    return tqdm(total=sum(sizes) if len(sizes) == len(paths) else None, unit="B", unit_scale=True, delay=2,
                file=err, disable=not show, desc="validating", leave=False)


def run_validate(paths: Sequence[str], *, max_bytes: int, fmt: str, strict: bool, out: TextIO, err: TextIO,
                 jobs: int = 1, quiet: bool = False, allow_empty: bool = False) -> int:
    """Check every payload of ``paths`` (files, folders, ``-``) and report; returns the exit code.

    Raises ``BrokenPipeError`` when standard output is closed part-way (``| head``): that is
    the reader's choice, never a problem of the input, so it is not reported as one.
    """
    paths = expand_folders(paths)
    reports: list[dict[str, object]] = []
    unreadable: list[dict[str, str]] = []
    empty: list[str] = []
    sources: list[dict[str, object]] = []  # every input read, with its payload count (--format json)

    def emit(report: dict[str, object]) -> None:
        if fmt == "json":
            reports.append(report)
        else:
            label = "warning: " if report["status"] == "unknown_type" else ""
            element = f"element {report['index']}: " if "index" in report else ""
            out.write(f"{report['source']}:{report['line']}: {element}{report['pointer'] or '/'}: {label}{report['message']}\n")

    def cannot_read(source: str, exc: OSError) -> None:
        unreadable.append({"source": source, "message": exc.strerror or str(exc)})
        err.write(f"{source}: error: cannot read: {exc.strerror or exc}\n")

    def payloads() -> int:
        return runner.tally.valid + runner.tally.invalid + runner.tally.unknown

    with _progress(paths, err, quiet) as progress:
        runner = _Runner(jobs, max_bytes, emit, progress)
        try:
            for source, fh in _open_sources(paths):
                if isinstance(fh, OSError):
                    cannot_read(source, fh)
                    continue
                before = payloads()
                try:
                    if fh is not None:
                        for item in read_records(source, fh):
                            if isinstance(item, (LineChunk, FileSlice)):
                                runner.chunk(item)
                            else:
                                runner.record(item)
                    runner.drain()  # this file's rows before the next file's
                except BrokenPipeError:
                    raise
                except OSError as exc:  # a read error part-way
                    runner.drain()
                    cannot_read(source, exc)
                    continue
                sources.append({"source": source, "payloads": payloads() - before})
                if payloads() == before:  # a capture that broke upstream must not pass CI
                    empty.append(source)
                    if not allow_empty:
                        err.write(f"{source}: error: no payloads in {source} (--allow-empty accepts inputs without any)\n")
        except BaseException:  # BrokenPipeError (`| head`), KeyboardInterrupt: nothing more to emit
            runner.abort()
            raise
        runner.close()
    tally = runner.tally
    if fmt == "json":
        summary = {"inputs": tally.valid + tally.invalid + tally.unknown, "valid": tally.valid, "invalid": tally.invalid,
                   "unknown_type": tally.unknown, "unreadable_files": len(unreadable), "empty_inputs": len(empty)}
        out.write(json.dumps({"problems": reports, "sources": sources, "unreadable": unreadable, "empty": empty, "summary": summary},
                             indent=2, sort_keys=True, ensure_ascii=False) + "\n")
    else:
        line = f"{tally.valid} valid, {tally.invalid} invalid, {tally.unknown} unknown type"
        if unreadable:
            line += f", {len(unreadable)} unreadable file{'s' if len(unreadable) != 1 else ''}"
        if empty:
            line += f", {len(empty)} input{'s' if len(empty) != 1 else ''} without payloads"
        out.write(line + "\n")
    if unreadable:
        return USAGE
    return FINDINGS if tally.invalid or (strict and tally.unknown) or (empty and not allow_empty) else OK


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
    if not any(p.is_file() for p in path.glob("*" + _catalog.SCHEMA_SUFFIX)):
        err.write(f"access-events lint: error: {path}: no *{_catalog.SCHEMA_SUFFIX} files in this folder\n")
        return USAGE
    result = lint.lint(path)
    # Paths as `compat` prints them: the folder as given (relative to the working directory), then the file.
    prefix = Path(os.path.normpath(path)).as_posix()
    if prefix != ".":  # the working directory itself: the bare file names, not ./NAME
        result = dataclasses.replace(result, findings=tuple(dataclasses.replace(f, file=f"{prefix}/{f.file}") for f in result.findings))
    out.write(lint.render_json(result) if fmt == "json" else lint.render_text(result))
    return FINDINGS if result.findings else OK


#: The campaign's names, importable from here as before it moved to receiving/campaign.py.
_CAMPAIGN_NAMES = ("NO_EVENT", "OTHER_TYPES", "CampaignReport", "CampaignUsageError", "Finding", "check_receiver", "contract_path")


def __getattr__(name: str):
    if name in _CAMPAIGN_NAMES:
        from .receiving import campaign

        return getattr(campaign, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def run_check_receiver(url: str, *, secret_env: str, max_examples: int, event_types: Sequence[str] | None,
                       seed: int | None, out: TextIO, err: TextIO) -> int:
    from .receiving.campaign import CampaignUsageError, check_receiver
    from .receiving.signatures import InvalidSecret

    secret = os.environ.get(secret_env)
    if not secret:
        err.write(f"access-events check-receiver: error: the environment variable {secret_env} is not set\n")
        return USAGE
    try:
        report = check_receiver(url, secret, max_examples=max_examples, event_types=event_types, seed=seed,
                                progress=lambda line: (err.write(f"check-receiver: {line}\n"), err.flush()))
    except InvalidSecret as exc:
        err.write(f"access-events check-receiver: error: {secret_env}: {exc}\n")
        return USAGE
    except CampaignUsageError as exc:
        err.write(f"access-events check-receiver: error: {exc}\n")
        return USAGE
    out.write(f"check-receiver: POST {url} against the receiver contract\n")
    report.render(out)
    return OK if report.ok else FINDINGS


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{port} is outside 0 to 65535")
    return port


def _duration(text: str) -> float:
    """Seconds of ``90``, ``90s``, ``30m``, ``72h`` or ``3d``."""
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    number, unit = (text[:-1], text[-1]) if text[-1:] in units else (text, "s")
    try:
        value = float(number) * units[unit]
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: expected a duration such as 90s, 30m, 72h or 3d") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text!r}: must be positive")
    return value


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
    p.add_argument("paths", nargs="+", metavar="PATH",
                   help="files or folders (every *.json, *.jsonl, *.ndjson below) to read; - for standard input")
    p.add_argument("--allow-empty", action="store_true", help="accept inputs without any payload (default: exit 1)")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.add_argument("--max-bytes", type=int, default=DEFAULT_MAX_BYTES, help=f"largest payload accepted (default {DEFAULT_MAX_BYTES})")
    p.add_argument("--strict", action="store_true", help="count event types outside the catalog as failures")
    p.add_argument("--jobs", "-j", type=int, default=os.cpu_count() or 1,
                   help="worker processes for JSON Lines files (default: all cores)")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress bar")

    p = sub.add_parser("lint", help="check the schema files themselves")
    p.add_argument("folder", nargs="?", help="folder of *.schema.json files (default: the packaged schemas)")
    p.add_argument("--format", choices=("text", "json"), default="text")

    p = sub.add_parser("list", help="print the catalog of event types")
    p.add_argument("--format", choices=("text", "json"), default="text")

    p = sub.add_parser("schema", help="print the JSON Schema of one event type ('*' for the union)")
    p.add_argument("event_type")

    p = sub.add_parser("serve", help="run the reference receiver (secret from $ACCESS_EVENTS_WEBHOOK_SECRET; needs uvicorn)",
                       description="Run the reference receiver behind uvicorn. The signing secret comes from "
                                   "$ACCESS_EVENTS_WEBHOOK_SECRET (whsec_...).")
    p.add_argument("--host", default="127.0.0.1", help="interface to listen on (default 127.0.0.1; 0.0.0.0 for all)")
    p.add_argument("--port", type=_port, default=8000, help="TCP port to listen on, 0 to 65535 (default 8000)")
    p.add_argument("--path", default="/webhooks/access-events", help="the endpoint's path (default /webhooks/access-events)")
    p.add_argument("--store", default="memory://", metavar="URL",
                   help="where handled event ids are remembered: memory:// (default; this process only) or "
                        "redis://HOST:PORT/DB (shared by workers and instances; the [redis] extra)")
    p.add_argument("--workers", type=int, default=1, metavar="N", help="worker processes (default 1; more need --store redis://)")
    p.add_argument("--handlers", metavar="MODULE:ATTR",
                   help="a callable run once per event, or a mapping event_type -> callable (sync or async)")
    p.add_argument("--lease-seconds", type=float, default=60.0, metavar="S",
                   help="how long a claim on an event holds without renewal; a crashed worker's events are retried after it (default 60)")
    p.add_argument("--retention", type=_duration, default="3d", metavar="DURATION",
                   help="how long handled event ids are remembered, e.g. 72h or 3d (default 3d; the producer retries for about 28 h)")
    p.add_argument("--read-timeout", type=float, default=10.0, metavar="S",
                   help="a request (head and body) must arrive within S seconds of its first byte, or the connection is closed (default 10)")

    p = sub.add_parser("check-receiver", help="check a running receiver against the receiver contract (schemathesis)")
    p.add_argument("url", metavar="URL", help="the receiver's endpoint, e.g. http://127.0.0.1:8000/webhooks/access-events")
    p.add_argument("--secret-env", required=True, metavar="NAME", help="environment variable holding the signing secret")
    p.add_argument("--max-examples", type=int, default=50, metavar="N", help="valid events generated per event type, and invalid requests (default 50)")
    p.add_argument("--event-type", action="extend", nargs="+", metavar="T", dest="event_types",
                   help="generate valid events of these types only (default: all, and other event types)")
    p.add_argument("--seed", type=int, help="seed for reproducible generation (each run prints the one it used)")

    p = sub.add_parser("compat", help="the contract gate: breaking changes between two versions of the schemas")
    p.add_argument("old", metavar="OLD", help="a schema file, a folder of schemas, or git:REF[:path] (e.g. git:origin/main)")
    p.add_argument("new", metavar="NEW", help="the same, for the new version (e.g. schemas)")
    p.add_argument("--direction", choices=("forward", "backward", "full"), help="what must stay compatible (default full)")
    p.add_argument("--policy", choices=("strict", "lenient"), help="how new or removed optional fields count (default lenient)")
    p.add_argument("--format", choices=("text", "json", "markdown", "github", "junit"), default="text")
    p.add_argument("--config", metavar="FILE", help="YAML: direction, policy, severity per rule, acknowledged changes")
    p.add_argument("--output", metavar="FILE", help="write the report here instead of standard output")
    p.add_argument("--dialect", help="read every schema in this dialect: 2020-12, 2019-09, draft-07, draft-06, draft-04, openapi-3.0, openapi-3.1 (default: each one's $schema, else 2020-12)")
    p = sub.add_parser("drift", help="the contract against the producer's published OpenAPI/AsyncAPI document")
    p.add_argument("spec", metavar="SPEC", help="the producer's document (OpenAPI 3.0/3.1 or AsyncAPI 3.0; JSON or YAML), or - for stdin")
    p.add_argument("--contract", metavar="SOURCE", help="the contract: a folder of schemas or git:REF[:path] (default: the package's own)")
    p.add_argument("--events", metavar="GLOB", nargs="+", action="extend",
                   help="the producer's event types that belong to the contract (default: the contract's own prefixes, e.g. 'access_method.*')")
    p.add_argument("--config", metavar="FILE", help="YAML with a drift: section (severity, acknowledged)")
    p.add_argument("--format", choices=("text", "json", "markdown", "github", "junit"), default="text")
    p.add_argument("--output", metavar="FILE", help="write the report here instead of standard output")
    p.add_argument("--dialect", help="read the producer's schemas in this dialect (default: from the document: OpenAPI 3.0, 3.1, AsyncAPI)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)  # argparse exits with 2 on usage errors
    out, err = sys.stdout, sys.stderr
    try:
        if args.command == "validate":
            if args.max_bytes <= 0:
                err.write("access-events validate: error: --max-bytes must be positive\n")
                return USAGE
            if args.jobs <= 0:
                err.write("access-events validate: error: --jobs must be positive\n")
                return USAGE
            return run_validate(args.paths, max_bytes=args.max_bytes, fmt=args.format, strict=args.strict, out=out, err=err,
                                jobs=args.jobs, quiet=args.quiet, allow_empty=args.allow_empty)
        if args.command == "lint":
            return run_lint(args.folder, args.format, out, err)
        if args.command == "list":
            return run_list(args.format, out)
        if args.command == "serve":
            from .receiving.server import serve

            return serve(args.host, args.port, path=args.path, store=args.store, workers=args.workers,
                         handlers=args.handlers, lease_seconds=args.lease_seconds, retention_seconds=args.retention,
                         read_timeout=args.read_timeout)
        if args.command == "check-receiver":
            if args.max_examples <= 0:
                err.write("access-events check-receiver: error: --max-examples must be positive\n")
                return USAGE
            return run_check_receiver(args.url, secret_env=args.secret_env, max_examples=args.max_examples,
                                      event_types=args.event_types, seed=args.seed, out=out, err=err)
        if args.command == "compat":
            from .gate import run_compat

            return run_compat(args.old, args.new, direction=args.direction, policy=args.policy, fmt=args.format,
                              config=args.config, output=args.output, out=out, err=err, dialect=args.dialect)
        if args.command == "drift":
            from .drift import run_drift

            return run_drift(args.spec, contract=args.contract, events=args.events, fmt=args.format,
                             config=args.config, output=args.output, dialect=args.dialect, out=out, err=err)
        return run_schema(args.event_type, out, err)
    except KeyboardInterrupt:
        err.write("interrupted\n")
        return 130
    except BrokenPipeError:  # `access-events validate big.jsonl | head`: the reader has all it wanted
        return _stdout_closed()


def _stdout_closed() -> int:
    """End quietly when standard output was closed: nothing more to say, and nothing to blame.

    Standard output is pointed at the null device, so the interpreter's final flush cannot
    fail again ("Exception ignored ... BrokenPipeError"), and the exit status is the one a
    shell expects of a command whose reader went away: 128 + SIGPIPE (141), as `pipefail` sees.
    """
    import signal

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):  # no real file descriptor (tests capture output)
        pass
    return 128 + getattr(signal, "SIGPIPE", 13)


if __name__ == "__main__":
    sys.exit(main())
