"""``--format text``: per group, each finding's rule, status, location, values, payload path,
witness and acknowledgement, then the notes and the summary line."""

from __future__ import annotations

from ..model import Report
from ._common import _MAX_VALUE, _MAX_WITNESS, _compact, ack_text, effect_text, loc_text, value_text


def render_text(result: Report) -> str:
    (_, old), (_, new) = result.sides
    settings = ", ".join(f"{name} {value}" for name, value in result.settings)
    lines = [f"{result.command}: {old} → {new} ({settings})"]
    for group, findings in result.groups:
        lines.append("")
        lines.append(result.heading(group))
        for f in findings:
            lines.append(f"  {f.status}: {f.rule}: {f.message} [{effect_text(f)}]")
            where = loc_text(f)
            if where:
                lines.append(f"    at: {where}")
            values = value_text(f)
            if values:
                lines.append(f"    value: {values}")
            if f.instance_path:
                lines.append(f"    payload path: {f.instance_path}")
            if f.witness is not None:
                lines.append(f"    witness ({f.witness.accepted_by} accepts, {f.witness.rejected_by} rejects: "
                             f"{' '.join(str(f.witness.error).split())[:_MAX_VALUE]}): {_compact(f.witness.instance, _MAX_WITNESS)}")
            ack = ack_text(f)
            if ack:
                lines.append(f"    {ack}")
    if result.notes:
        lines.append("")
        lines.extend(result.notes)
    lines.append("")
    lines.append(result.summary())
    return "\n".join(lines) + "\n"
