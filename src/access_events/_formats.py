"""The two string formats of the catalog, asserted identically wherever the package validates.

jsonschema's own ``uuid`` checker accepts ``urn:uuid:`` and brace forms through
``uuid.UUID``, and its ``date-time`` checker depends on an optional package; the catalog
decides both itself (README, "Format decisions") so every path means the same thing.
"""

from __future__ import annotations

import re

from jsonschema import FormatChecker

from ._rfc3339 import is_rfc3339

#: The formats the catalog uses; ``access-events lint`` rejects any other.
KNOWN_FORMATS = ("date-time", "uuid")

# Shape only (8-4-4-4-12 hex, either case): the producer sends UUIDs without RFC 4122 version bits.
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}", re.ASCII)


def is_uuid(value: str) -> bool:
    return _UUID.fullmatch(value) is not None


FORMAT_CHECKER = FormatChecker(formats=())
FORMAT_CHECKER.checks("uuid")(lambda value: not isinstance(value, str) or is_uuid(value))
FORMAT_CHECKER.checks("date-time")(lambda value: not isinstance(value, str) or is_rfc3339(value))
