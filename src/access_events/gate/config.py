"""The gate's config file (``contract_tests/compat.yaml``): direction, policy, a severity per
rule, and acknowledgements of breaking changes accepted on purpose. Every mistake is a
``GateError`` naming the file and the key.
"""

from __future__ import annotations

import datetime as _dt
import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .model import SEVERITIES, GateError

_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


@dataclass(frozen=True)
class Acknowledgement:
    rule: str
    pointer: str  # a JSON pointer
    file: str | None  # the document, when written as file#/pointer
    event: str | None
    reason: str
    expires: _dt.date
    line: int | None = None  # in the config file

    @property
    def where(self) -> str:
        return f"{self.file or ''}#{self.pointer}" if self.file is not None else self.pointer

    def expired(self, today: _dt.date) -> bool:
        return today > self.expires  # the expiry date itself is the last day it applies

    def as_json(self) -> dict[str, Any]:
        return {"rule": self.rule, "pointer": self.where, "event": self.event, "reason": self.reason,
                "expires": self.expires.isoformat()}


@dataclass(frozen=True)
class Config:
    direction: str | None = None
    policy: str | None = None
    severity: dict[str, str] = field(default_factory=dict)
    acknowledged: tuple[Acknowledgement, ...] = ()
    path: str | None = None
    #: The ``drift:`` section (``access-events drift``): its own severity and acknowledged.
    drift: Config | None = None


def _known_rules() -> dict[str, Any]:
    from ..compat import RULES
    from .evaluation import GATE_RULES

    return {**RULES, **GATE_RULES}


def _suggest(name: Any, rules: Mapping[str, Any]) -> str:
    """``; did you mean 'x'?`` for the known rule nearest a misspelt one (difflib's ratio),
    else where the rules are listed."""
    nearest = difflib.get_close_matches(name, sorted(rules), n=1) if isinstance(name, str) else []
    return f"; did you mean {nearest[0]!r}?" if nearest else " (see access_events.compat.RULES)"


def _parse_date(value: Any, where: str) -> _dt.date:
    if isinstance(value, _dt.datetime):
        raise GateError(f"{where}: expires must be a date YYYY-MM-DD, not a date and time")
    if isinstance(value, _dt.date):
        return value
    if isinstance(value, str) and _DATE.fullmatch(value.strip()):
        try:
            return _dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise GateError(f"{where}: expires must be a date YYYY-MM-DD, got {value!r}")


def _parse_pointer(value: Any, where: str) -> tuple[str | None, str]:
    if not isinstance(value, str):
        raise GateError(f"{where}: pointer must be a string (a JSON pointer, or file#/pointer)")
    file, hash_, pointer = value.rpartition("#") if "#" in value else (None, "", value)
    if pointer and not pointer.startswith("/"):
        raise GateError(f"{where}: pointer {value!r} is not a JSON pointer (/a/b) or file#/a/b")
    return (file or None) if hash_ else None, pointer


def _ack_lines(text: str, section: str | None = None) -> list[int]:
    """Line of each entry of ``acknowledged`` (for annotations), best effort; ``section``:
    of that top-level key's own ``acknowledged`` (``drift``)."""
    import yaml

    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except (yaml.YAMLError, ValueError, TypeError, RecursionError):
        return []
    if not isinstance(root, yaml.MappingNode):
        return []
    if section is not None:
        root = next((value for key, value in root.value if getattr(key, "value", None) == section), None)
        if not isinstance(root, yaml.MappingNode):
            return []
    for key, value in root.value:
        if getattr(key, "value", None) == "acknowledged" and isinstance(value, yaml.SequenceNode):
            return [item.start_mark.line + 1 for item in value.value]
    return []


def load_config(path: str | Path) -> Config:
    """Read and check a gate config file; every mistake is a GateError naming the key."""
    try:
        import yaml
    except ImportError:
        raise GateError("--config needs PyYAML (pip install pyyaml)") from None
    shown = str(path)
    try:
        text = Path(path).read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise GateError(f"{shown}: cannot read: {getattr(exc, 'strerror', None) or exc}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        raise GateError(f"{shown}{line}: not valid YAML: {getattr(exc, 'problem', None) or exc}") from None
    except (ValueError, TypeError) as exc:  # PyYAML's own constructors: `2026-02-30`, `!!int x`
        raise GateError(f"{shown}: not a valid config value: {exc} (dates are YYYY-MM-DD)") from None
    except RecursionError:
        raise GateError(f"{shown}: nested too deeply") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise GateError(f"{shown}: expected a mapping with direction, policy, severity, acknowledged")
    from ..compat import DIRECTIONS, POLICIES

    unknown = sorted(set(map(str, data)) - {"direction", "policy", "severity", "acknowledged", "drift"})
    if unknown:
        raise GateError(f"{shown}: unknown key {unknown[0]!r}; expected direction, policy, severity, acknowledged, drift")
    for key, allowed in (("direction", DIRECTIONS), ("policy", POLICIES)):
        if key in data and data[key] not in allowed:
            raise GateError(f"{shown}: {key}: {data[key]!r} is not one of {', '.join(allowed)}")
    drift = None
    if data.get("drift") is not None:
        from ..drift import DRIFT_RULES

        section = data["drift"]
        if not isinstance(section, dict):
            raise GateError(f"{shown}: drift: expected a mapping with severity, acknowledged")
        extra = sorted(set(map(str, section)) - {"severity", "acknowledged"})
        if extra:
            raise GateError(f"{shown}: drift: unknown key {extra[0]!r}; expected severity, acknowledged")
        severity, acks = _rules_section(section, text, shown, f"{shown}: drift: ", "drift",
                                        {**_known_rules(), **DRIFT_RULES})
        drift = Config(None, None, severity, acks, shown)
    severity, acks = _rules_section(data, text, shown, f"{shown}: ", None, _known_rules())
    return Config(data.get("direction"), data.get("policy"), severity, acks, shown, drift)


def _rules_section(data: dict, text: str, shown: str, prefix: str, section: str | None,
                   rules: Mapping[str, Any]) -> tuple[dict[str, str], tuple[Acknowledgement, ...]]:
    """A ``severity`` map and an ``acknowledged`` list, checked against ``rules``."""
    severity = data.get("severity") or {}
    if not isinstance(severity, dict):
        raise GateError(f"{prefix}severity: expected a mapping of rule ID to {'|'.join(SEVERITIES)}")
    checked: dict[str, str] = {}
    for rule, level in severity.items():
        if not isinstance(rule, str) or rule not in rules:
            raise GateError(f"{prefix}severity: unknown rule {rule!r}{_suggest(rule, rules)}")
        if level is False:  # YAML 1.1 reads a bare `off` as false
            level = "off"
        if level not in SEVERITIES:
            raise GateError(f"{prefix}severity: {rule}: {level!r} is not one of {', '.join(SEVERITIES)}")
        checked[rule] = level
    entries = data.get("acknowledged") or []
    if not isinstance(entries, list):
        raise GateError(f"{prefix}acknowledged: expected a list of {{rule, pointer, event, reason, expires}}")
    lines = _ack_lines(text, section)
    acks = []
    for i, entry in enumerate(entries):
        where = f"{prefix}acknowledged[{i}]"
        if not isinstance(entry, dict):
            raise GateError(f"{where}: expected a mapping with rule, pointer, reason, expires (and optionally event)")
        extra = sorted(set(map(str, entry)) - {"rule", "pointer", "event", "reason", "expires"})
        if extra:
            raise GateError(f"{where}: unknown key {extra[0]!r}")
        for key in ("rule", "pointer", "reason", "expires"):
            if key not in entry or entry[key] is None or (isinstance(entry[key], str) and not entry[key].strip()):
                raise GateError(f"{where}: {key} is required")
        if not isinstance(entry["rule"], str) or entry["rule"] not in rules:
            raise GateError(f"{where}: unknown rule {entry['rule']!r}{_suggest(entry['rule'], rules)}")
        if not isinstance(entry["reason"], str):
            raise GateError(f"{where}: reason must be text")
        event = entry.get("event")
        if event is not None and not isinstance(event, str):
            raise GateError(f"{where}: event must be text")
        file, pointer = _parse_pointer(entry["pointer"], where)
        acks.append(Acknowledgement(entry["rule"], pointer, file, event, entry["reason"].strip(),
                                    _parse_date(entry["expires"], where), lines[i] if i < len(lines) else None))
    return checked, tuple(acks)
