"""The CI contract gate: ``access-events compat OLD NEW`` turns the compatibility engine's
report into a verdict, with a config file, acknowledgements, a version-bump rule and
renderers for people and for CI systems.

Its concerns, one module each (as check-jsonschema separates loading, checking and reporting):

* ``sources``: each side, a schema file, a folder of ``*.schema.json`` files, or ``git:REF``
  (this repository's ``schemas/`` at that revision, read with ``git ls-tree``/``git
  cat-file``, never checked out), optionally ``git:REF:path``. Two files are compared as
  single documents (their folders' other schema files resolve their ``$ref``s); anything
  else is compared as a catalog.
* ``config``: the YAML config, severities and acknowledgements.
* ``evaluation``: severities, acknowledgements and the version rule applied to the
  engine's report (see its docstring).
* ``model``: ``Finding``, ``GateResult`` and the ``Report`` protocol the renderers read,
  so another command can produce findings of its own and render them the same ways.
* ``renderers``: one module per ``--format``.
* ``command``: ``gate()`` and ``run_compat()``.

Exit codes: 0 no error, 1 errors, 2 usage error or unreadable input. Every name this
package had as a single module is importable from ``access_events.gate``.
"""

from __future__ import annotations

from .._catalog import SEMVER, VERSION_KEYWORD
from .command import gate, run_compat
from .config import Acknowledgement, Config, load_config
from .evaluation import DEFAULT_DIRECTION, DEFAULT_POLICY, GATE_RULES, _semver, compare_sources, evaluate
from .model import FINDINGS, OK, SEVERITIES, USAGE, Finding, GateError, GateResult, Report, _compact
from .renderers import (FORMATS, RENDERERS, render_github, render_json, render_junit, render_markdown,
                        render_text)
from .sources import Source, load_source

__all__ = [
    "DEFAULT_DIRECTION", "DEFAULT_POLICY", "FINDINGS", "FORMATS", "GATE_RULES", "OK", "RENDERERS", "SEMVER",
    "SEVERITIES", "USAGE", "VERSION_KEYWORD", "Acknowledgement", "Config", "Finding", "GateError", "GateResult",
    "Report", "Source", "compare_sources", "evaluate", "gate", "load_config", "load_source", "render_github",
    "render_json", "render_junit", "render_markdown", "render_text", "run_compat",
]
