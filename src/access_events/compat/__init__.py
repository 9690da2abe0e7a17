"""Breaking-change detection between two versions of a JSON Schema or of a whole catalog.

``compare(old, new)`` decides by meaning, not by text: ``$ref``s are followed (inside a
document and across the files of a catalog), ``allOf`` parts are merged, boolean schemas,
type lists and ``integer ⊂ number`` are normalised, ``enum``/``required`` are sets. So a
refactor that validates the same payloads (reordering, moving a field into ``$defs`` or
between ``allOf`` parts, ``anyOf`` → ``oneOf`` over disjoint branches) reports nothing.

Every difference is a :class:`Change` with a stable rule ID (see :data:`RULES`), the
keyword's location in both documents, its old and new values, and which directions it
breaks. What the engine cannot decide is reported as ``unknown`` and counts as breaking:
it never calls compatible what it did not understand. Breaking changes carry a
:class:`Witness` when one is found: a payload one side accepts and the other rejects,
checked with jsonschema.
"""

from __future__ import annotations

from ._model import (
    DIRECTIONS,
    POLICIES,
    RULES,
    VERSION_KEYWORD,
    Change,
    Location,
    Report,
    Rule,
    Witness,
)
from ._dialect import DIALECTS
from ._engine import CompatInputError, compare, compare_catalogs, load_catalog

__all__ = [
    "DIALECTS",
    "DIRECTIONS",
    "POLICIES",
    "RULES",
    "VERSION_KEYWORD",
    "Change",
    "CompatInputError",
    "Location",
    "Report",
    "Rule",
    "Witness",
    "compare",
    "compare_catalogs",
    "load_catalog",
]
