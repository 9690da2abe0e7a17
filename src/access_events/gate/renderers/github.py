"""``--format github``: GitHub Actions workflow commands, one annotation per finding that
is not compatible (``::error file=…,line=…,title=RULE::message``), then the notes and the
summary line."""

from __future__ import annotations

from ..model import Report
from ._common import ack_text, effect_text, value_text

_KINDS = {"error": "error", "warn": "warning", "acknowledged": "notice"}


def _gh_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _gh_property(text: str) -> str:
    return _gh_data(text).replace(":", "%3A").replace(",", "%2C")


def render_github(result: Report) -> str:
    """GitHub Actions workflow commands: ``::error file=…,line=…,title=rule::message`` per finding."""
    # One change in a shared file (common.schema.json) reaches several events: one
    # annotation on its line, naming them all.
    annotations: dict[tuple[str, str, str], list[str]] = {}
    for group, findings in result.groups:
        for f in findings:
            kind = _KINDS.get(f.status)
            if kind is None:
                continue  # compatible changes are not worth an annotation
            props = []
            anchor = result.anchor(f)
            if anchor:
                props += [f"file={_gh_property(anchor[0])}", f"line={anchor[1]}"]
            props.append(f"title={_gh_property(f.rule)}")
            message = f.message
            values = value_text(f)
            if values and f.change:  # a command's own finding (the version rule) says it already
                message += f": {values}"
            if f.change:
                message += f"; {effect_text(f)}"
            ack = ack_text(f)
            if ack:
                message += f"; {ack}"
            annotations.setdefault((kind, ",".join(props), message), []).append(group)
    lines = [f"::{kind} {props}::{_gh_data(', '.join(groups) + ': ' + message)}"
             for (kind, props, message), groups in annotations.items()]
    lines.extend(result.notes)
    lines.append(result.summary())
    return "\n".join(lines) + "\n"
