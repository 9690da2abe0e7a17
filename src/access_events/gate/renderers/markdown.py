"""``--format markdown``: a heading with the verdict, a table of findings (for a pull-request
comment or a job summary), the notes and the summary line."""

from __future__ import annotations

from ..model import Report
from ._common import _MAX_WITNESS, _compact, ack_text, effect_text, loc_text, value_text


def _md(text: str) -> str:
    return " ".join(text.replace("|", "\\|").split())


def _md_code(text: str) -> str:
    text = " ".join(text.replace("|", "\\|").split())
    if not text:
        return ""
    return f"`` {text} ``" if "`" in text else f"`{text}`"


def render_markdown(result: Report) -> str:
    (_, old), (_, new) = result.sides
    settings = "".join(f" · {name} **{value}**" for name, value in result.settings)
    lines = [f"### {result.title}: {result.headline()}", "", f"{_md_code(old)} → {_md_code(new)}{settings}", ""]
    rows = [(group, f) for group, findings in result.groups for f in findings]
    if rows:
        lines += ["| severity | event | rule | location | old → new | breaks | message |",
                  "|---|---|---|---|---|---|---|"]
        for group, f in rows:
            message = f.message
            ack = ack_text(f)
            if ack:
                message += f" ({ack})"
            if f.witness is not None:
                message += f" — witness, {f.witness.accepted_by} accepts, {f.witness.rejected_by} rejects: " \
                           f"{_md_code(_compact(f.witness.instance, _MAX_WITNESS))}"
            lines.append(f"| {f.status} | {_md_code(group)} | {_md_code(f.rule)} "
                         f"| {_md_code(loc_text(f) or '')} | {_md_code(value_text(f) or '')} "
                         f"| {_md(effect_text(f))} | {_md(message)} |")
        lines.append("")
    for note in result.notes:
        lines += [f"_{_md(note)}_", ""]
    lines.append(f"**{_md(result.summary())}**")
    return "\n".join(lines) + "\n"
