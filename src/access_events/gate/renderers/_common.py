"""Text every renderer shows the same way: a finding's locations, values, effect and
acknowledgement."""

from __future__ import annotations

from ..model import _MAX_VALUE, _MAX_WITNESS, Finding, _compact

__all__ = ["_MAX_VALUE", "_MAX_WITNESS", "_compact", "ack_text", "effect_text", "loc_text", "value_text"]


def value_text(finding: Finding) -> str | None:
    if finding.old is None and finding.new is None and finding.old_value is None and finding.new_value is None:
        return None
    # The engine gives None for the side a keyword or value is absent from.
    old = "(absent)" if finding.old_value is None else _compact(finding.old_value)
    new = "(absent)" if finding.new_value is None else _compact(finding.new_value)
    return f"{old} → {new}"


def loc_text(finding: Finding) -> str | None:
    old, new = (str(finding.old) if finding.old else None), (str(finding.new) if finding.new else None)
    if old and new:
        return old if old == new else f"{old} → {new}"
    return old or new


def effect_text(finding: Finding) -> str:
    if finding.effect is not None:
        return finding.effect
    if finding.unknown:
        return "undecided (counts as breaking)"
    if not finding.breaks:
        return "compatible"
    return "breaks " + " and ".join(finding.breaks)


def ack_text(finding: Finding) -> str | None:
    if finding.acknowledged:
        return f"acknowledged until {finding.acknowledged.expires.isoformat()}: {finding.acknowledged.reason}"
    if finding.expired:
        return f"acknowledgement expired on {finding.expired.expires.isoformat()} (it said: {finding.expired.reason})"
    return None
