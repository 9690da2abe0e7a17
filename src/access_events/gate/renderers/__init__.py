"""One renderer per ``--format``, each a function of a ``Report`` (``access_events.gate.model``)
returning the whole report as text. Every format is deterministic."""

from __future__ import annotations

from .github import render_github
from .json import render_json
from .junit import render_junit
from .markdown import render_markdown
from .text import render_text

RENDERERS = {"text": render_text, "json": render_json, "markdown": render_markdown, "github": render_github,
             "junit": render_junit}
FORMATS = tuple(RENDERERS)

__all__ = ["FORMATS", "RENDERERS", "render_github", "render_json", "render_junit", "render_markdown", "render_text"]
