"""From the engine's report to the gate's verdict: severities, acknowledgements, and the
version rule (a breaking change to an event needs a MAJOR bump of its ``x-version``).

Severity: a change that breaks in the chosen direction (or that the engine could not
decide) is an ``error``, a compatible one ``info``. The config's ``severity`` map sets a
rule's breaking changes to ``error``, ``warn`` or ``info``; ``off`` hides the rule's
changes altogether. An unexpired acknowledgement takes a breaking change out of the
verdict, and so does a MAJOR version bump of the event it belongs to (the change is
then a warning: a breaking release made on purpose). An error left against an event
present on both sides is also reported as ``version-not-bumped``.
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from .. import _catalog
from .._catalog import SEMVER, VERSION_KEYWORD
from ..compat._model import document_name
from .config import Acknowledgement, Config
from .model import _CATALOG_GROUP, _CONFIG_GROUP, Finding, GateError, GateResult, _compact, group_order, resolve
from .sources import Source

DEFAULT_DIRECTION = "full"
DEFAULT_POLICY = "lenient"

#: Findings the gate itself makes (besides the engine's rules), with what they mean.
GATE_RULES: dict[str, str] = {
    "version-not-bumped": "a breaking change (an error) without a MAJOR version bump",
    "version-decreased": "the event's version went down",
    "version-missing": "the event has a version on one side only",
    "version-invalid": "the event's version is not MAJOR.MINOR.PATCH",
    "version-bump-wanted": "compatible changes without the MINOR (additions) or PATCH (annotations) bump they want",
    "stale-acknowledgement": "an acknowledgement in the config matches no breaking change",
}
_GATE_DEFAULT = {"stale-acknowledgement": "warn", "version-bump-wanted": "info"}  # the others are errors
#: A rule summary's closing parenthesis: what the rule does in general (``a property declared
#: (breaks forward on a closed object; ...)``), which a report about one change leaves out.
_GENERIC = re.compile(r" \([^()]*\)$")


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


def _bump(finding: Finding) -> str | None:
    """The version bump a change that breaks nothing wants: PATCH for an annotation, MINOR
    for anything else (contract_tests/released/README.md); None for the version itself."""
    if finding.rule != "annotation-changed":
        return "MINOR"
    at_version = [loc for loc in (finding.old, finding.new) if loc is not None and loc.pointer == "/" + VERSION_KEYWORD]
    return None if at_version else "PATCH"


def _version_findings(event: str, versions: tuple[Any, Any], errors: list[Finding], old: Source, new: Source,
                      severity: Mapping[str, str], changes: Sequence[Finding] = ()) -> tuple[list[Finding], str | None]:
    """The version rule for one event on both sides; (findings, a note when skipped).
    ``changes``: the event's changes shown in the report, for the bump compatible ones want."""
    from ..compat import Location

    old_v, new_v = versions
    old_file, new_file = _event_doc(event, old), _event_doc(event, new)

    def at(source_file: str | None, present: bool) -> Any:
        if source_file is None:
            return None
        return Location(source_file, "/" + VERSION_KEYWORD if present else "")

    def finding(rule: str, message: str) -> Finding:
        return Finding(rule, severity.get(rule, _GATE_DEFAULT.get(rule, "error")), event, message, at(old_file, old_v is not None),
                       at(new_file, new_v is not None), old_v, new_v, None, (), False, True,
                       effect="version rule", change=False)

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
    wants = [(f.rule, _bump(f)) for f in changes]
    if errors or any(f.breaking for f in changes) or not any(bump for _, bump in wants):
        return [], None
    kind = "MINOR" if any(bump == "MINOR" for _, bump in wants) else "PATCH"
    wanted = (old_sv[0], old_sv[1] + 1, 0) if kind == "MINOR" else (old_sv[0], old_sv[1], old_sv[2] + 1)
    if new_sv < wanted:
        rules = ", ".join(sorted({rule for rule, bump in wants if bump == kind}))
        return [finding("version-bump-wanted", f"compatible changes want a {kind} version bump: {old_v} → {new_v}; "
                                               f"bump to {'.'.join(map(str, wanted))} ({rules})")], None
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
        findings.append(Finding(change.rule, level, event, _message(change, old, new),
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
    # A change that breaks nothing says which bump it wants; the version rule says to what.
    versioned = {e for e in both if all(_semver(v) for v in versions[e])}
    findings = [replace(f, effect=f"compatible ({bump} bump)")
                if f.event in versioned and not f.breaks and not f.unknown and (bump := _bump(f)) else f
                for f in findings]
    for event in both:
        errors = [f for f in findings if f.event == event and f.status == "error"]
        changes = [f for f in findings if f.event == event and f.severity != "off"]
        found, skip = _version_findings(event, versions[event], errors, old, new, severity, changes)
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
                                config_line=ack.line, breaking=True, effect="config", change=False))
    shown = []
    for f in findings:
        if f.severity == "off":
            hidden += 1
        else:
            shown.append(f)
    groups: dict[str, list[Finding]] = {}
    for f in shown:
        groups.setdefault(f.event if f.event is not None else _CATALOG_GROUP, []).append(f)
    order = sorted(groups, key=group_order)
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


def _node(source: Source, loc: Any) -> Any:
    """The schema node at an engine Location on one side, or None."""
    if loc is None:
        return None
    name = source.file_for(loc.document)
    document = source.documents.get(name) if name is not None else None
    if source.kind == "file" and loc.document not in (None, "old", "new", name):
        document = source.context.get(document_name(loc.document))  # a $ref into a neighbouring file
    return resolve(document, loc.pointer)


def _message(change: Any, old: Source, new: Source) -> str:
    """What happened in this change: the engine's message without the rule's general remark,
    and for a property (un)declared, which property and its declaration."""
    summary = _rule_summary(change.rule)
    message = change.message or summary
    if not message.startswith(summary):
        return message  # the engine's own words for this change
    name = change.new_value if change.rule == "property-added" else change.old_value
    where = change.instance_path or "the root"
    plain = f"{summary}: {_compact(name)} at {where}"  # how the engine words it
    if change.rule in ("property-added", "property-removed") and message.startswith(plain):
        tail = message[len(plain):]  # e.g. " (undecided: why)"
        if change.rule == "property-added":
            declared = _node(new, change.new)
            return (f"property {_compact(name)} declared at {where}"
                    + (f": {_compact(declared, 120)}" if declared is not None else "") + tail)
        declared = _node(old, change.old)
        return (f"property {_compact(name)} no longer declared at {where}"
                + (f" (was {_compact(declared, 120)})" if declared is not None else "") + tail)
    return _GENERIC.sub("", summary) + message[len(summary):]


def _rule_summary(rule: str) -> str:
    from ..compat import RULES

    return RULES[rule].summary if rule in RULES else GATE_RULES.get(rule, rule)


def compare_sources(old: Source, new: Source, *, direction: str, policy: str, dialect: str | None = None) -> Any:
    """The engine's report for two sources: single documents or catalogs."""
    from .. import compat

    if (old.kind == "file") != (new.kind == "file"):
        raise GateError(f"cannot compare a single schema file with a catalog ({old.spec} vs {new.spec}): "
                        "give two files, or two folders / git revisions")
    from referencing.exceptions import Unresolvable

    def run(witnesses: bool) -> Any:
        if old.kind == "file":
            (old_doc,), (new_doc,) = old.documents.values(), new.documents.values()
            return compat.compare(old_doc, new_doc, direction=direction, policy=policy, witnesses=witnesses,
                                  old_registry=_registry(old), new_registry=_registry(new), dialect=dialect)
        return compat.compare_catalogs(old.documents, new.documents, direction=direction, policy=policy,
                                       witnesses=witnesses, dialect=dialect)

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

