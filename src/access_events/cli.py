"""The ``access-events`` command line: validate payloads, lint schemas, show the catalog, run
the reference receiver (``serve``), check any receiver against its contract (``check-receiver``)
and gate schema changes on compatibility (``compat``, in the ``gate`` package).

Exit codes are decided in one place (``_exit``): 0 all good, 1 findings (invalid
payloads, lint findings), 2 usage errors or unreadable input.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
from collections import Counter, deque
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
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
    result = dataclasses.replace(result, findings=tuple(dataclasses.replace(f, file=f"{prefix}/{f.file}") for f in result.findings))
    out.write(lint.render_json(result) if fmt == "json" else lint.render_text(result))
    return FINDINGS if result.findings else OK


# --- check-receiver: the receiver contract as a schemathesis campaign -----------------------------
#
# The contract is generated/openapi/receiver.yaml (shipped in the wheel as
# access_events/contract/openapi/receiver.yaml, where its ../../schemas/ refs still reach the
# packaged schemas). Every request is signed over the exact bytes sent, so verification is
# exercised rather than bypassed; cases whose signature headers schemathesis itself
# deliberately broke (missing, malformed) are sent as generated, unsigned.

#: Buckets of the per-event-type summary besides the catalog's types.
OTHER_TYPES = "(other event types)"
NO_EVENT = "(no event)"
_RECEIVER_PATH = "/webhooks/access-events"
_PLACEHOLDER_HEADERS = {"webhook-id": "placeholder", "webhook-timestamp": "0", "webhook-signature": "placeholder"}


class CampaignUsageError(Exception):
    """The campaign cannot start: bad URL, unknown event type, unreachable endpoint, missing tools."""


@dataclass
class Finding:
    """One kind of failure (the first case that showed it, and how many cases did)."""

    title: str
    message: str
    phase: str
    mode: str
    event_type: str
    status: int | None
    curl: str
    count: int = 1


@dataclass
class CampaignReport:
    target: str
    event_types: tuple[str, ...]
    seed: int
    #: (phase, mode, event type bucket) -> cases sent
    cases: Counter = field(default_factory=Counter)
    #: event type bucket -> cases with at least one failure
    failed_cases: Counter = field(default_factory=Counter)
    #: (mode, status code) -> answers
    statuses: Counter = field(default_factory=Counter)
    findings: dict[tuple[str, str], Finding] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.findings

    def sent(self, *, phase: str | None = None, mode: str | None = None, event_type: str | None = None) -> int:
        return sum(n for (p, m, e), n in self.cases.items()
                   if phase in (None, p) and mode in (None, m) and event_type in (None, e))

    def render(self, out: TextIO) -> None:
        rows = [t for t in _catalog.event_types() if t in self.event_types or self.sent(event_type=t)]
        rows += [OTHER_TYPES, NO_EVENT]
        width = max(len(r) for r in rows)
        out.write(f"{'event type':<{width}}  {'positive':>8}  {'negative':>8}  {'failed':>6}\n")
        for row in rows:
            out.write(f"{row:<{width}}  {self.sent(mode='positive', event_type=row):>8}  "
                      f"{self.sent(mode='negative', event_type=row):>8}  {self.failed_cases[row]:>6}\n")
        phases = ", ".join(f"{p} {self.sent(phase=p)}" for p in ("examples", "coverage", "fuzzing"))
        out.write(f"{self.sent()} requests ({phases}), seed {self.seed}\n")
        if self.ok:
            out.write("PASS: every answer conforms to the receiver contract\n")
            return
        failed = sum(self.failed_cases.values())
        out.write(f"FAIL: {len(self.findings)} kind{'s' if len(self.findings) != 1 else ''} of failure "
                  f"in {failed} request{'s' if failed != 1 else ''}\n")
        for number, f in enumerate(self.findings.values(), 1):
            out.write(f"\n{number}. {f.title} ({f.count} case{'s' if f.count != 1 else ''}; first: {f.mode} "
                      f"{f.event_type}, {f.phase} phase, answered {f.status if f.status is not None else 'nothing'})\n")
            for line in f.message.strip().splitlines()[:12]:
                out.write(f"   {line}\n".rstrip(" ") if line.strip() else "\n")
            out.write("   reproduce (signatures expire 5 minutes after the run):\n")
            out.write(f"   {f.curl}\n")


def contract_path() -> Path:
    """The receiver contract: packaged in the wheel, or generated/ in a source checkout."""
    packaged = Path(__file__).with_name("contract") / "openapi" / "receiver.yaml"
    if packaged.is_file():
        return packaged
    return Path(__file__).resolve().parents[2] / "generated" / "openapi" / "receiver.yaml"


def _bucket(body: object, known: Sequence[str]) -> str:
    event_type = body.get("event_type") if isinstance(body, dict) else None
    if not isinstance(event_type, str):
        return NO_EVENT
    return event_type if event_type in known else OTHER_TYPES


def _curl(method: str, url: str, headers: dict[str, str], body: bytes | None) -> str:
    import shlex

    parts = ["curl", "-sS", "-i", "-X", method, shlex.quote(url)]
    for name, value in headers.items():
        if name.lower() not in ("content-length", "accept-encoding", "connection", "user-agent", "accept"):
            parts += ["-H", shlex.quote(f"{name}: {value}")]
    if body:
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            text = None
        if text is not None and "\x00" not in text:
            parts += ["--data-binary", shlex.quote(text)]
        else:  # bytes a shell string cannot hold: let printf write them
            parts += ["--data-binary", "@<(printf " + shlex.quote("".join(f"\\x{b:02x}" for b in body)) + ")"]
    return " ".join(parts)


def check_receiver(target: str | Callable, secret: str | bytes, *, max_examples: int = 50,
                   event_types: Sequence[str] | None = None, seed: int | None = None, timeout: float = 10.0,
                   contract: Path | None = None) -> CampaignReport:
    """Run the receiver contract against ``target``: a URL (exactly as given) or an ASGI app, in process.

    Phases: the contract's examples, schemathesis's coverage cases (positive ones limited to
    ``event_types``; negative ones from the whole contract), then ``max_examples`` generated
    valid events of each event type (and of other types, unless ``event_types`` limits them),
    as many invalid bodies (signed), and half as many with broken signature headers. Each
    answer goes through schemathesis's default checks, with valid requests required to get
    a 2xx and invalid ones one of the contract's 4xx (400, 401, 413, 415).
    Raises ``CampaignUsageError`` when it cannot start, ``InvalidSecret`` for a bad secret.
    """
    import base64
    import copy
    import hashlib
    import hmac
    import time
    from urllib.parse import urlsplit

    try:
        import requests
        import schemathesis
        import yaml
        from hypothesis import HealthCheck, Phase, Verbosity, given, settings
        from hypothesis import seed as hypothesis_seed
        from schemathesis.config import SchemathesisConfig
        from schemathesis.core.failures import Failure, FailureGroup
        from schemathesis.core.parameters import ParameterLocation
        from schemathesis.generation import GenerationMode
    except ImportError as exc:
        raise CampaignUsageError(f"check-receiver needs schemathesis ({exc.name} is missing): "
                                 "pip install 'schemathesis>=4' pyyaml") from None

    from .webhooks import Verifier

    verifier = Verifier(secret)  # InvalidSecret for a bad one
    key = secret if isinstance(secret, bytes) else base64.b64decode(secret.removeprefix("whsec_"))
    known = _catalog.event_types()
    selected = tuple(event_types) if event_types else known
    unknown = [t for t in selected if t not in known]
    if unknown:
        raise CampaignUsageError(f"unknown event type {unknown[0]!r}; known: {', '.join(known)}")
    contract = contract or contract_path()
    if not contract.is_file():
        raise CampaignUsageError(f"the receiver contract is missing: {contract}")
    doc = yaml.safe_load(contract.read_text("utf-8"))

    call_kwargs: dict[str, object] = {"timeout": timeout}
    if isinstance(target, str):
        url = urlsplit(target)
        if url.scheme not in ("http", "https") or not url.hostname or url.query or url.fragment:
            raise CampaignUsageError(f"{target!r}: expected an http(s) URL without query or fragment, "
                                     "such as http://127.0.0.1:8000/webhooks/access-events")
        path = url.path or "/"
        call_kwargs["base_url"] = f"{url.scheme}://{url.netloc}"
        try:
            requests.request("OPTIONS", target, timeout=timeout)
        except requests.RequestException as exc:
            raise CampaignUsageError(f"{target}: unreachable: {exc.__class__.__name__}: {exc}") from None
    else:
        path = _RECEIVER_PATH
        call_kwargs["app"] = target
    doc["paths"] = {path: doc["paths"][_RECEIVER_PATH]}

    def branch_type(ref: str) -> str:
        name = ref.rsplit("/", 1)[-1]
        return name.removesuffix(_catalog.SCHEMA_SUFFIX) if name.endswith(_catalog.SCHEMA_SUFFIX) else OTHER_TYPES

    def limited_to(keep: set[str]) -> dict:
        """The contract with only these branches of the body's oneOf (valid requests of these types only)."""
        limited = copy.deepcopy(doc)
        body = limited["paths"][path]["post"]["requestBody"]["content"]["application/json"]
        body["schema"]["oneOf"] = [b for b in body["schema"]["oneOf"] if branch_type(b["$ref"]) in keep]
        body["examples"] = {name: ex for name, ex in body.get("examples", {}).items()
                            if _bucket(ex.get("value"), known) in keep}
        return limited

    buckets = [*selected, *([] if event_types else [OTHER_TYPES])]

    config = SchemathesisConfig.from_dict({"checks": {
        "positive_data_acceptance": {"expected-statuses": ["2xx"]},
        "negative_data_rejection": {"expected-statuses": ["400", "401", "413", "415"]},
    }})

    def operation(document: dict):
        schema = schemathesis.openapi.from_dict(copy.deepcopy(document), config=config)
        schema.location = contract.resolve().as_uri()  # where the ../../schemas/ refs are resolved from
        return schema[path]["POST"]

    full, positive = operation(doc), operation(limited_to(set(buckets)))
    if seed is None:
        import random

        seed = random.getrandbits(32)
    report = CampaignReport(target=target if isinstance(target, str) else "(in-process app)", event_types=selected, seed=seed)

    def signed_headers(case) -> dict[str, str]:
        wire = case.as_transport_kwargs(base_url=call_kwargs.get("base_url"))
        prepared = requests.Request(method=wire["method"], url=wire["url"], headers=wire["headers"],
                                    data=wire.get("data"), json=wire.get("json"), params=wire.get("params")).prepare()
        raw = prepared.body or b""
        raw = raw.encode("utf-8") if isinstance(raw, str) else raw
        msg_id, now = f"msg_{case.id}", int(time.time())
        try:
            signature = verifier.sign(raw, msg_id, now)
        except UnicodeDecodeError:  # the same HMAC over bytes that are not text: receivers refuse those (401)
            digest = hmac.new(key, f"{msg_id}.{now}.".encode() + raw, hashlib.sha256).digest()
            signature = "v1," + base64.b64encode(digest).decode()
        return {"webhook-id": msg_id, "webhook-timestamp": str(now), "webhook-signature": signature}

    def run(case, phase: str) -> None:
        meta = case.meta
        mode = meta.generation.mode.value if meta is not None else "positive"
        header_info = meta.components.get(ParameterLocation.HEADER) if meta is not None else None
        headers = None if header_info is not None and header_info.mode.is_negative else signed_headers(case)
        bucket = _bucket(case.body, known)
        report.cases[(phase, mode, bucket)] += 1
        failures: list[tuple[str, str]] = []
        response = None
        try:
            response = case.call(headers=headers, **call_kwargs)
        except Exception as exc:  # noqa: BLE001 - a network error, or the in-process app raised
            failures.append((f"No answer: {exc.__class__.__name__}", str(exc)))
        else:
            report.statuses[(mode, response.status_code)] += 1
            transport_kwargs = dict(call_kwargs)
            if headers is not None:
                transport_kwargs["headers"] = dict(headers)
            try:
                case.validate_response(response, headers=headers, transport_kwargs=transport_kwargs)
            except FailureGroup as group:
                failures += [(f.title, f.message) for f in group.exceptions]
            except Failure as failure:
                failures.append((failure.title, failure.message))
        if not failures:
            return
        report.failed_cases[bucket] += 1
        request = getattr(response, "request", None)
        if request is not None:
            raw = request.body or b""
            curl = _curl(request.method, request.url, dict(request.headers), raw.encode() if isinstance(raw, str) else raw)
        else:
            wire = case.as_transport_kwargs(base_url=call_kwargs.get("base_url"), headers=headers)
            prepared = requests.Request(method=wire["method"], url=wire["url"], headers=wire["headers"],
                                        data=wire.get("data"), json=wire.get("json"), params=wire.get("params")).prepare()
            raw = prepared.body or b""
            curl = _curl(prepared.method, prepared.url, dict(prepared.headers), raw.encode() if isinstance(raw, str) else raw)
        for title, message in failures:
            found = report.findings.get((title, mode))
            if found is not None:
                found.count += 1
                continue
            if response is not None:
                answer = response.content[:300].decode("utf-8", "replace")
                message = f"{message}\n\nAnswer: {response.status_code} {answer}".strip()
            report.findings[(title, mode)] = Finding(title, message, phase, mode, bucket,
                                                     response.status_code if response is not None else None, curl)

    _run_explicit_phases(full, positive, run)

    def fuzz(op, mode, fixed_headers, count: int) -> None:
        @settings(max_examples=count, deadline=None, database=None, suppress_health_check=list(HealthCheck),
                  phases=(Phase.explicit, Phase.generate), verbosity=Verbosity.quiet)
        @given(op.as_strategy(generation_mode=mode, headers=fixed_headers))
        def test(case) -> None:
            run(case, "fuzzing")

        hypothesis_seed(seed)(test)()

    for bucket in buckets:  # one run per event type: a oneOf of nine leaves some types unreached by chance
        fuzz(operation(limited_to({bucket})), GenerationMode.POSITIVE, None, max_examples)
    fuzz(full, GenerationMode.NEGATIVE, dict(_PLACEHOLDER_HEADERS), max_examples)  # invalid bodies, signed
    fuzz(full, GenerationMode.NEGATIVE, None, max(1, max_examples // 2))  # broken headers too, unsigned
    return report


def _run_explicit_phases(full, positive, run: Callable) -> None:
    """The contract's examples and schemathesis's coverage cases (its deterministic phases), when available."""
    try:  # schemathesis 4's case generators; an older or newer layout just skips these phases
        from schemathesis.generation import GenerationMode
        from schemathesis.generation.drivers import CoverageGenerator, ExamplesGenerator
        from schemathesis.generation.feedback import FeedbackSources
        from schemathesis.generation.overrides import Override
    except ImportError:
        return
    for case in ExamplesGenerator(operation=positive, override=Override(), feedback=FeedbackSources(), fill_missing=False):
        run(case, "examples")
    for op, mode in ((positive, GenerationMode.POSITIVE), (full, GenerationMode.NEGATIVE)):
        generation = op.schema.config.generation_for(operation=op, phase="coverage")
        for case in CoverageGenerator(operation=op, generation_modes=[mode], generation_config=generation,
                                      auth_storage=None, override=Override(), feedback=FeedbackSources()):
            run(case, "coverage")


def run_check_receiver(url: str, *, secret_env: str, max_examples: int, event_types: Sequence[str] | None,
                       seed: int | None, out: TextIO, err: TextIO) -> int:
    from .webhooks import InvalidSecret

    secret = os.environ.get(secret_env)
    if not secret:
        err.write(f"access-events check-receiver: error: the environment variable {secret_env} is not set\n")
        return USAGE
    try:
        report = check_receiver(url, secret, max_examples=max_examples, event_types=event_types, seed=seed)
    except InvalidSecret as exc:
        err.write(f"access-events check-receiver: error: {secret_env}: {exc}\n")
        return USAGE
    except CampaignUsageError as exc:
        err.write(f"access-events check-receiver: error: {exc}\n")
        return USAGE
    out.write(f"check-receiver: POST {url} against the receiver contract\n")
    report.render(out)
    return OK if report.ok else FINDINGS


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

    p = sub.add_parser("serve", help="run the reference receiver (secret from $ACCESS_EVENTS_WEBHOOK_SECRET; needs uvicorn)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)

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
            from .receiver import serve

            return serve(args.host, args.port)
        if args.command == "check-receiver":
            if args.max_examples <= 0:
                err.write("access-events check-receiver: error: --max-examples must be positive\n")
                return USAGE
            return run_check_receiver(args.url, secret_env=args.secret_env, max_examples=args.max_examples,
                                      event_types=args.event_types, seed=args.seed, out=out, err=err)
        if args.command == "compat":
            from .gate import run_compat

            return run_compat(args.old, args.new, direction=args.direction, policy=args.policy, fmt=args.format,
                              config=args.config, output=args.output, out=out, err=err)
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
