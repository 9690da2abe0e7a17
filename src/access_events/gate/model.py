"""The finding model every report is made of, and the ``Report`` the renderers read.

A command (``compat``, and any other that checks schemas against each other) turns what it
found into ``Finding``s grouped by event, wraps them in an object with the ``Report``
attributes, and hands it to a renderer in ``access_events.gate.renderers``. The renderers
read nothing else, so one command's rule IDs, groups and headers pass through them unchanged.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from .._catalog import SEMVER
from .._locate import line_of

if TYPE_CHECKING:
    from .config import Acknowledgement
    from .sources import Source

OK, FINDINGS, USAGE = 0, 1, 2
SEVERITIES = ("error", "warn", "info", "off")

_SEVERITY_ORDER = {"error": 0, "warn": 1, "info": 2, "acknowledged": 3}
_CATALOG_GROUP = "(catalog)"
_CONFIG_GROUP = "(config)"
_MAX_VALUE = 200
_MAX_WITNESS = 400


class GateError(Exception):
    """Usage error or unreadable input: exit 2 with this message, never a traceback."""


def _compact(value: Any, limit: int = _MAX_VALUE) -> str:
    text = json.dumps(value, separators=(",", ":"), sort_keys=True, ensure_ascii=False, default=str)
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass(frozen=True)
class Finding:
    rule: str
    #: error, warn or info, after the config's overrides (an acknowledged finding keeps its own).
    severity: str
    event: str | None
    message: str
    old: Any = None  # compat.Location | None
    new: Any = None
    old_value: Any = None
    new_value: Any = None
    instance_path: str | None = None
    #: The directions this change breaks (whatever direction was asked for).
    breaks: tuple[str, ...] = ()
    unknown: bool = False
    #: It breaks in the direction the gate checks (or is unknown).
    breaking: bool = False
    witness: Any = None  # compat.Witness | None
    acknowledged: Acknowledgement | None = None
    expired: Acknowledgement | None = None
    config_line: int | None = None
    #: What the finding does, shown beside its rule ("breaks forward", "version rule"); None
    #: derives it from ``breaks`` and ``unknown``.
    effect: str | None = None
    #: A difference between the two sides, whose values and effect one-line formats add to
    #: the message; False for a command's own findings, whose message says it all.
    change: bool = True

    @property
    def status(self) -> str:
        return "acknowledged" if self.acknowledged else self.severity

    def sort_key(self) -> tuple:
        return (_SEVERITY_ORDER[self.status], self.rule, str(self.new or ""), str(self.old or ""),
                _compact(self.old_value), _compact(self.new_value), self.message)


class Report(Protocol):
    """What a renderer reads. ``GateResult`` is one; another command brings its own."""

    #: The command, as reports name it: ``access-events compat``.
    command: str
    #: What the report is about, as a markdown heading names it: ``Schema compatibility``.
    title: str

    @property
    def groups(self) -> tuple[tuple[str, tuple[Finding, ...]], ...]: ...

    @property
    def notes(self) -> tuple[str, ...]: ...

    @property
    def exit_code(self) -> int: ...

    @property
    def sides(self) -> tuple[tuple[str, str], tuple[str, str]]:
        """The two things compared, as (key, what the user named): ``("old", spec), ("new", spec)``."""

    @property
    def settings(self) -> tuple[tuple[str, str], ...]:
        """The options the verdict depends on, as (name, value)."""

    @property
    def findings(self) -> tuple[Finding, ...]: ...

    def count(self, status: str) -> int: ...

    def heading(self, group: str) -> str:
        """A group's title in text reports (the event, and what else the command knows of it)."""

    def cases(self) -> list[str]:
        """Every group a test report lists, findings or not, in order."""

    def anchor(self, finding: Finding) -> tuple[str, int] | None:
        """(file path for annotations, line) of a finding."""

    def summary(self) -> str: ...

    def headline(self) -> str:
        """The verdict in a few words, after the title in a markdown heading."""

    def json_extra(self) -> Mapping[str, Any]:
        """More top-level keys of the JSON report (a ``summary`` mapping is merged into its own)."""


def resolve(document: Any, pointer: str) -> Any:
    """The node at a JSON pointer in a document, or None."""
    node = document
    for token in pointer.split("/")[1:] if pointer else ():
        token = token.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and token in node:
            node = node[token]
        elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
            node = node[int(token)]
        else:
            return None
    return node


def _same(a: Any, b: Any) -> bool:
    """JSON equality: ``1`` is not ``true``."""
    return type(a) is type(b) and a == b


def _member(node: Any, value: Any, other: Any) -> int | None:
    """Where in the list ``node`` the change sits: ``value`` itself, or the first member of
    ``value`` (a list) that ``other`` lacks."""
    if not isinstance(node, list) or value is None:
        return None
    if isinstance(value, list):
        candidates = [v for v in value if not (isinstance(other, list) and any(_same(v, o) for o in other))]
    else:
        candidates = [value]
    for candidate in candidates:
        for i, member in enumerate(node):
            if _same(member, candidate):
                return i
    return None


def group_order(group: str) -> tuple:
    """Events first, then changes of no one event, then the config's own findings."""
    return (group in (_CATALOG_GROUP, _CONFIG_GROUP), group == _CONFIG_GROUP, group)


def plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


class Findings:
    """What ``GateResult`` and drift's result both derive from their ``groups`` and
    ``config_path``: the flat findings, counts by status, the exit code, the config's anchor."""

    groups: tuple[tuple[str, tuple[Finding, ...]], ...]
    config_path: str | None

    @property
    def findings(self) -> tuple[Finding, ...]:
        return tuple(f for _, group in self.groups for f in group)

    def count(self, status: str) -> int:
        return sum(1 for f in self.findings if f.status == status)

    @property
    def exit_code(self) -> int:
        return FINDINGS if self.count("error") else OK

    def config_anchor(self, finding: Finding) -> tuple[str, int] | None:
        """(config path, line) of a finding about the config itself, else None."""
        if finding.config_line is not None and self.config_path:
            return self.config_path, finding.config_line
        if finding.rule == "stale-acknowledgement" and self.config_path:
            return self.config_path, 1
        return None


@dataclass(frozen=True)
class GateResult(Findings):
    old: Source
    new: Source
    direction: str
    policy: str
    #: Every finding shown, grouped by event (``(catalog)`` for changes of no one event,
    #: ``(config)`` for stale acknowledgements), groups and findings sorted.
    groups: tuple[tuple[str, tuple[Finding, ...]], ...]
    versions: dict[str, tuple[str | None, str | None]]
    compared: tuple[str, ...]
    added: tuple[str, ...]
    removed: tuple[str, ...]
    notes: tuple[str, ...]
    hidden: int
    config_path: str | None = None

    command = "access-events compat"
    title = "Schema compatibility"

    @property
    def sides(self) -> tuple[tuple[str, str], tuple[str, str]]:
        return ("old", self.old.spec), ("new", self.new.spec)

    @property
    def settings(self) -> tuple[tuple[str, str], ...]:
        return ("direction", self.direction), ("policy", self.policy)

    def heading(self, group: str) -> str:
        if group not in self.versions:
            return group
        old, new = self.versions[group]
        if group in self.added:
            return f"{group} (added, {new or 'no version'})"
        if group in self.removed:
            return f"{group} (removed, was {old or 'no version'})"
        return f"{group} ({old or 'no version'} → {new or 'no version'})"

    def cases(self) -> list[str]:
        return sorted(set(self.compared) | set(self.added) | set(self.removed) | {g for g, _ in self.groups},
                      key=group_order)

    def _where(self, loc: Any, side: str, finding: Finding) -> tuple[str, int] | None:
        """(path for annotations, line) of a location on one side: the changed member's own
        line when the location is a list (``required``, ``enum``, ``type``) holding it."""
        source = self.new if side == "new" else self.old
        name = source.file_for(loc.document)
        if name is None or name not in source.texts:
            return None
        pointer = loc.pointer
        value, other = (finding.new_value, finding.old_value) if side == "new" else (finding.old_value, finding.new_value)
        index = _member(resolve(source.documents.get(name), pointer), value, other)
        if index is not None:
            pointer = f"{pointer}/{index}"
        return source.paths[name], line_of(source.texts[name], pointer)

    def anchor(self, finding: Finding) -> tuple[str, int] | None:
        config = self.config_anchor(finding)
        if config is not None:
            return config
        for loc, side in ((finding.new, "new"), (finding.old, "old")):
            if loc is not None:
                found = self._where(loc, side, finding)
                if found is not None:
                    return found
        return None

    def summary(self) -> str:
        verdict = "FAIL" if self.exit_code else "PASS"
        return (f"{verdict}: {plural(self.count('error'), 'error')}, {plural(self.count('warn'), 'warning')}, "
                f"{plural(self.count('info'), 'info')}, {self.count('acknowledged')} acknowledged; "
                f"{plural(len(self.compared), 'event')} compared, {len(self.added)} added, "
                f"{len(self.removed)} removed")

    def released(self, event: str | None) -> str | None:
        """The new version of an event whose MAJOR version went up (a breaking release), else None."""
        if event not in self.compared:
            return None
        old, new = (SEMVER.fullmatch(v) if isinstance(v, str) else None for v in self.versions.get(event, (None, None)))
        if old is None or new is None or int(new.group(1)) <= int(old.group(1)):
            return None
        return self.versions[event][1]

    def headline(self) -> str:
        """``❌ N errors``, or what lets the breaking changes shown pass: a MAJOR release, an
        acknowledgement, or the config's severity; ``✅ no breaking change`` only without any."""
        errors = self.count("error")
        if errors:
            return f"❌ {plural(errors, 'error')}"
        breaking = [f for f in self.findings if f.change and f.breaking]
        releases = sorted({f"{f.event} {self.released(f.event)}" for f in breaking if self.released(f.event)})
        released = [f for f in breaking if self.released(f.event)]
        acknowledged = [f for f in breaking if f not in released and f.acknowledged]
        allowed = [f for f in breaking if f not in released and not f.acknowledged]
        parts = []
        if released:
            parts.append(f"breaking change{'' if len(released) == 1 else 's'} released as {', '.join(releases)}")
        if acknowledged:
            parts.append(f"{plural(len(acknowledged), 'breaking change')} acknowledged")
        if allowed:
            parts.append(f"{plural(len(allowed), 'breaking change')} allowed by the config's severity")
        return "✅ " + ("; ".join(parts) if parts else "no breaking change")

    def json_extra(self) -> dict[str, Any]:
        return {
            "events": {"compared": list(self.compared), "added": list(self.added), "removed": list(self.removed)},
            "versions": {e: {"old": o, "new": n} for e, (o, n) in self.versions.items()},
            "summary": {"hidden": self.hidden, "events_compared": len(self.compared),
                        "events_added": len(self.added), "events_removed": len(self.removed)},
        }
