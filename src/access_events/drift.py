"""``access-events drift SPEC``: hold the contract against what the producer publishes.

The producer's document (OpenAPI 3.0/3.1 or AsyncAPI 3.0, JSON or YAML, a file or ``-``)
is read by :mod:`access_events._producer`; its event schemas (those of the contract's
families, or ``--events GLOB``) are compared with the contract's by the compatibility
engine, the contract as the *old* side and the producer as the *new* one:

* **producer ⊆ contract** (the engine's *forward* direction) must hold: a change that
  breaks it is an **error**, with a witness: a payload the producer's schema accepts and
  the contract's refuses, both checked by jsonschema. Receivers would answer 400 to it.
* **contract ⊆ producer** failing is an **info**: the contract accepts what the producer
  never sends.
* ``only-in-producer`` (a type of the family the contract lacks: receivers acknowledge
  it as unknown) and ``only-in-contract`` (a type the producer does not publish) are
  **warnings**.

Severities and acknowledgements come from the ``drift:`` section of the gate's config
file (``contract_tests/compat.yaml``), matched as ``compat`` matches them; the report is
rendered by the gate's renderers. Exit codes as ``compat``: 0 no error, 1 errors, 2 usage
error or unreadable input. Nothing here needs Node: the producer's document is a file
(``contract_tests/js/producer_openapi.mjs`` extracts it from the npm package).
"""

from __future__ import annotations

import datetime as _dt
import fnmatch
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence, TextIO

from ._locate import line_of
from ._producer import SPEC_NAME, Spec, SpecError, _event_type, find_events, parse_spec, producer_catalog
from .gate.command import write_report
from .gate.config import Config, load_config
from .gate.evaluation import _acknowledge, _message
from .gate.model import _CONFIG_GROUP, USAGE, Finding, Findings, GateError, group_order, plural
from .gate.sources import Source, load_source

#: The findings drift makes besides the engine's rules (the ``severity`` keys of ``drift:``).
DRIFT_RULES: dict[str, str] = {
    "only-in-producer": "the producer publishes an event type of the family that the contract lacks",
    "only-in-contract": "the contract has an event type the producer does not publish",
}
#: Descriptions, titles and examples differ between any two authors' schemas: hidden unless
#: the config asks for them (``annotation-changed: info``).
_DEFAULT_SEVERITY = {"only-in-producer": "warn", "only-in-contract": "warn", "stale-acknowledgement": "warn",
                     "annotation-changed": "off"}
STATUSES = ("in-sync", "drifted", "only-in-producer", "only-in-contract")
_SIDE = {"new": "producer", "old": "contract"}


@dataclass(frozen=True)
class DriftWitness:
    """A witness named by side: ``producer`` or ``contract`` accepts it, the other refuses it."""

    instance: Any
    accepted_by: str
    error: str

    @property
    def rejected_by(self) -> str:
        return "contract" if self.accepted_by == "producer" else "producer"


@dataclass(frozen=True)
class DriftResult(Findings):
    spec: Spec
    contract: Source
    globs: tuple[str, ...]
    policy: str
    groups: tuple[tuple[str, tuple[Finding, ...]], ...]
    #: Every event type compared or found on one side only, with its status.
    statuses: dict[str, str]
    notes: tuple[str, ...] = ()
    config_path: str | None = None

    command = "access-events drift"
    title = "Producer drift"

    @property
    def sides(self) -> tuple[tuple[str, str], tuple[str, str]]:
        return ("contract", self.contract.spec), ("producer", self.spec.display)

    @property
    def settings(self) -> tuple[tuple[str, str], ...]:
        return ("events", " ".join(self.globs)), ("dialect", self.spec.dialect), ("policy", self.policy)

    def heading(self, group: str) -> str:
        return f"{group} ({self.statuses[group]})" if group in self.statuses else group

    def cases(self) -> list[str]:
        return sorted(set(self.statuses) | {g for g, _ in self.groups}, key=group_order)

    def anchor(self, finding: Finding) -> tuple[str, int] | None:
        config = self.config_anchor(finding)
        if config is not None:
            return config
        for loc, side in ((finding.old, "contract"), (finding.new, "producer")):
            if loc is None:
                continue
            if side == "contract":
                name = self.contract.file_for(loc.document)
                if name is not None and name in self.contract.texts:
                    return self.contract.paths[name], _line(self.contract.texts[name], loc.pointer)
            elif loc.document == SPEC_NAME:
                return self.spec.display, _line(self.spec.text, loc.pointer)
        return None

    def _counts(self) -> dict[str, int]:
        return {status: sum(1 for s in self.statuses.values() if s == status) for status in STATUSES}

    def summary(self) -> str:
        verdict = "FAIL" if self.exit_code else "PASS"
        counts = self._counts()
        return (f"{verdict}: {plural(self.count('error'), 'error')}, {plural(self.count('warn'), 'warning')}, "
                f"{plural(self.count('info'), 'info')}, {self.count('acknowledged')} acknowledged; "
                f"{plural(len(self.statuses), 'event type')}: {counts['in-sync']} in sync, {counts['drifted']} drifted, "
                f"{counts['only-in-producer']} only in producer, {counts['only-in-contract']} only in contract")

    def headline(self) -> str:
        errors = self.count("error")
        if errors:
            return f"❌ {plural(errors, 'error')}: the producer may send payloads the contract refuses"
        acknowledged = self.count("acknowledged")
        return "✅ the contract accepts everything the producer publishes" + (
            f" ({acknowledged} acknowledged)" if acknowledged else "")

    def json_extra(self) -> dict[str, Any]:
        from .gate.renderers.json import finding_json

        groups = dict(self.groups)
        return {
            "events": {event: {"status": status, "changes": [finding_json(self, f) for f in groups.get(event, ())]}
                       for event, status in sorted(self.statuses.items())},
            "summary": {f"events_{status.replace('-', '_')}": count for status, count in self._counts().items()},
        }


def _line(text: str, pointer: str) -> int:
    try:
        return line_of(text, pointer)
    except Exception:  # YAML text, or a pointer the scanner cannot follow: the top of the file
        return 1


def _read_spec(spec: str, stdin: TextIO | None, cwd: Path) -> tuple[str, str]:
    if spec == "-":
        stream = stdin if stdin is not None else sys.stdin
        try:
            return stream.read(), "-"
        except UnicodeDecodeError as exc:
            raise GateError(f"-: not UTF-8 text: {exc}") from None
    path = Path(spec) if Path(spec).is_absolute() else cwd / spec
    try:
        return path.read_text("utf-8"), spec
    except FileNotFoundError:
        raise GateError(f"{spec}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise GateError(f"{spec}: cannot read: {getattr(exc, 'strerror', None) or exc}") from None


def _contract_events(source: Source) -> dict[str, str]:
    """``{event_type: file name}`` of the contract's event documents."""
    found = {}
    for name, document in sorted(source.documents.items()):
        event_type = _event_type(document, document) if isinstance(document, dict) else None
        if event_type is not None:
            found.setdefault(event_type, name)
    return found


def default_globs(event_types: Sequence[str]) -> tuple[str, ...]:
    """The contract's own type prefixes: ``access_method.*`` for ``access_method.issued``."""
    return tuple(sorted({(e.rsplit(".", 1)[0] + ".*") if "." in e else e for e in event_types}))


def _selected(event_type: str, globs: Sequence[str]) -> bool:
    return any(fnmatch.fnmatchcase(event_type, glob) for glob in globs)


def _effect(change: Any) -> str:
    if change.unknown:
        return "undecided (counts as an error)"
    if change.breaks_forward:
        return "the producer may send what the contract refuses"
    if change.breaks_backward:
        return "the contract accepts what the producer does not send"
    return "no effect on payloads"


def drift(spec: str, *, contract: str | None = None, events: Sequence[str] | None = None,
          config: str | Path | Config | None = None, dialect: str | None = None, stdin: TextIO | None = None,
          today: _dt.date | None = None, cwd: str | Path | None = None) -> DriftResult:
    """Compare the producer's document with the contract. Raises GateError for exit 2."""
    from . import compat
    from ._catalog import schema_dir

    cwd = Path(cwd) if cwd is not None else Path.cwd()
    cfg = config if isinstance(config, Config) else (load_config(config) if config is not None else Config())
    section = cfg.drift or Config(path=cfg.path)
    policy = cfg.policy or "lenient"
    text, display = _read_spec(spec, stdin, cwd)
    try:
        producer = parse_spec(text, display, dialect=dialect)
        found = find_events(producer)
    except SpecError as exc:
        raise GateError(str(exc)) from None
    if not found:  # nothing to hold the contract against: not a pass
        raise GateError(f"{display}: no event schemas found (a schema with properties.event_type const or "
                        f"one-value enum, in webhooks, components.schemas or AsyncAPI message payloads)")
    if contract is None:  # the package's own schemas, named relative to here when they are below it
        contract = os.path.relpath(schema_dir(), cwd) if schema_dir().resolve().is_relative_to(cwd.resolve()) \
            else str(schema_dir())
    source = load_source(contract, cwd=cwd)
    if source.kind != "catalog":
        raise GateError(f"--contract {source.spec}: give a folder of schema files or git:REF, not one file")
    own = _contract_events(source)
    globs = tuple(events) if events else default_globs(list(own))
    theirs = {e: p for e, p in found.items() if _selected(e, globs)}
    dropped = {name for e, name in own.items() if not _selected(e, globs)}
    contract_docs = {name: doc for name, doc in source.documents.items() if name not in dropped}
    notes: list[str] = []
    try:
        try:
            catalog = producer_catalog(producer, theirs)
        except RecursionError:  # a deeply nested schema: again on the engine's deep stack (it refuses > MAX_NESTING)
            from .compat._engine import MAX_NESTING, _deep

            catalog = _deep(lambda: producer_catalog(producer, theirs), MAX_NESTING)
        report = compat.compare_catalogs(contract_docs, catalog, direction="forward", policy=policy)
    except (compat.CompatInputError, SpecError) as exc:
        raise GateError(str(exc)) from None
    # The producer's document as a gate Source, for messages naming what it declares.
    producer_source = Source(display, "catalog", {SPEC_NAME: producer.document}, {SPEC_NAME: text}, {SPEC_NAME: display})
    today = today or _dt.date.today()
    severity = {**_DEFAULT_SEVERITY, **section.severity}
    findings: list[Finding] = []
    for change in report.changes:
        witness = change.witness
        if witness is not None:
            witness = DriftWitness(witness.instance, _SIDE[witness.accepted_by], witness.error)
        if change.rule in ("event-added", "event-removed"):
            rule = "only-in-producer" if change.rule == "event-added" else "only-in-contract"
            message = (f"{change.event} is published by the producer and missing from the contract: receivers "
                       "acknowledge it as an unknown type" if rule == "only-in-producer" else
                       f"{change.event} is in the contract and not in the producer's document")
            findings.append(Finding(rule, severity[rule], change.event, message, change.old, change.new,
                                    breaking=True, witness=witness, effect="event type on one side only",
                                    change=False))
            continue
        breaking = change.unknown or change.breaks_forward
        level = severity.get(change.rule, "error") if breaking else "info"
        if severity.get(change.rule) == "off":
            continue
        message = _message(change, source, producer_source)
        findings.append(Finding(change.rule, level, change.event, message,
                                change.old, change.new, change.old_value, change.new_value, change.instance_path,
                                (), change.unknown, breaking, witness, effect=_effect(change)))
    used: set[int] = set()
    findings = _acknowledge(findings, section.acknowledged, used, today)
    findings = [f for f in findings if f.severity != "off"]
    for i, ack in enumerate(section.acknowledged):
        if i not in used:
            note = f" (it expired on {ack.expires.isoformat()})" if ack.expired(today) else ""
            findings.append(Finding("stale-acknowledgement", severity["stale-acknowledgement"], _CONFIG_GROUP,
                                    f"drift acknowledgement of {ack.rule} at {ack.where}"
                                    f"{' for ' + ack.event if ack.event else ''} matches no finding{note}; remove it",
                                    config_line=ack.line, breaking=True, change=False))
    groups: dict[str, list[Finding]] = {}
    for f in findings:
        groups.setdefault(f.event or _CONFIG_GROUP, []).append(f)
    statuses = {}
    for event in sorted((set(own) - dropped) | set(theirs)):
        if event not in theirs:
            statuses[event] = "only-in-contract"
        elif event not in own:
            statuses[event] = "only-in-producer"
        else:
            drifted = any(f.status in ("error", "warn") for f in groups.get(event, ()))
            statuses[event] = "drifted" if drifted else "in-sync"
    ordered = tuple((g, tuple(sorted(groups[g], key=Finding.sort_key))) for g in sorted(groups, key=group_order))
    return DriftResult(producer, source, globs, policy, ordered, statuses, tuple(notes), section.path)


def run_drift(spec: str, *, contract: str | None = None, events: Sequence[str] | None = None, fmt: str = "text",
              config: str | None = None, output: str | None = None, dialect: str | None = None, out: TextIO,
              err: TextIO, stdin: TextIO | None = None, today: _dt.date | None = None,
              cwd: str | Path | None = None) -> int:
    """The ``drift`` command: write the report, return the exit code."""
    try:
        result = drift(spec, contract=contract, events=events, config=config, dialect=dialect, stdin=stdin,
                       today=today, cwd=cwd)
    except GateError as exc:
        err.write(f"access-events drift: error: {exc}\n")
        return USAGE
    return write_report(result, fmt=fmt, output=output, out=out, err=err)


__all__ = ["DRIFT_RULES", "STATUSES", "DriftResult", "DriftWitness", "default_globs", "drift", "run_drift"]
