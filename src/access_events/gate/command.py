"""The ``compat`` command: load both sides and the config, compare, evaluate, render."""

from __future__ import annotations

import datetime as _dt
from dataclasses import replace
from pathlib import Path
from typing import TextIO

from .config import Config, load_config
from .evaluation import DEFAULT_DIRECTION, DEFAULT_POLICY, compare_sources, evaluate
from .model import USAGE, GateError, GateResult, Report
from .renderers import RENDERERS
from .sources import DIALECT, load_source


def gate(old: str, new: str, *, direction: str | None = None, policy: str | None = None,
         config: str | Path | Config | None = None, today: _dt.date | None = None,
         cwd: str | Path | None = None, dialect: str | None = None) -> GateResult:
    """Load both sides and the config, compare, evaluate. Raises GateError for exit 2.
    ``dialect`` reads every document in that dialect (``compat.DIALECTS``) instead of its ``$schema``."""
    from ..compat import DIALECTS, DIRECTIONS, POLICIES

    cfg = config if isinstance(config, Config) else (load_config(config) if config is not None else Config())
    direction = direction or cfg.direction or DEFAULT_DIRECTION
    policy = policy or cfg.policy or DEFAULT_POLICY
    if direction not in DIRECTIONS:
        raise GateError(f"direction {direction!r} is not one of {', '.join(DIRECTIONS)}")
    if policy not in POLICIES:
        raise GateError(f"policy {policy!r} is not one of {', '.join(POLICIES)}")
    if dialect is not None and dialect not in DIALECTS:
        raise GateError(f"dialect {dialect!r} is not one of {', '.join(DIALECTS)}")
    token = DIALECT.set(dialect)
    try:
        old_source, new_source = load_source(old, cwd=cwd), load_source(new, cwd=cwd)
    finally:
        DIALECT.reset(token)
    report, notes = compare_sources(old_source, new_source, direction=direction, policy=policy, dialect=dialect)
    result = evaluate(report, old_source, new_source, cfg, today=today)
    return replace(result, notes=(*notes, *result.notes)) if notes else result


def run_compat(old: str, new: str, *, direction: str | None = None, policy: str | None = None, fmt: str = "text",
               config: str | None = None, output: str | None = None, out: TextIO, err: TextIO,
               today: _dt.date | None = None, cwd: str | Path | None = None, dialect: str | None = None) -> int:
    """The ``compat`` command: write the report, return the exit code."""
    try:
        result = gate(old, new, direction=direction, policy=policy, config=config, today=today, cwd=cwd,
                      dialect=dialect)
    except GateError as exc:
        err.write(f"access-events compat: error: {exc}\n")
        return USAGE
    return write_report(result, fmt=fmt, output=output, out=out, err=err)


def write_report(result: Report, *, fmt: str, output: str | None, out: TextIO, err: TextIO) -> int:
    """Render ``result`` as ``fmt`` to ``output`` (its summary then goes to ``err``) or to ``out``;
    return its exit code, or USAGE when ``output`` cannot be written."""
    text = RENDERERS[fmt](result)
    if output:
        try:
            with open(output, "w", encoding="utf-8", newline="\n") as fh:
                fh.write(text)
        except OSError as exc:
            err.write(f"{result.command}: error: {output}: cannot write: {exc.strerror or exc}\n")
            return USAGE
        err.write(result.summary() + "\n")
    else:
        out.write(text)
    return result.exit_code
