"""Raw payload → decoded JSON value, with every failure turned into a ``Problem``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson

from .errors import InvalidEvent, Problem

#: Largest payload accepted by default, in bytes (1 MiB).
DEFAULT_MAX_BYTES = 1024 * 1024

_BOM = b"\xef\xbb\xbf"


def _fail(keyword: str, message: str) -> InvalidEvent:
    return InvalidEvent([Problem("", keyword, message)])


def too_large(size: int, max_bytes: int) -> InvalidEvent:
    """The refusal of a payload of ``size`` bytes above ``max_bytes`` (also for elements of a JSON array file)."""
    return _fail("size", f"payload is {size} bytes, above the limit of {max_bytes} bytes")


def decode(data: Any, max_bytes: int = DEFAULT_MAX_BYTES) -> Any:
    """Decode ``bytes``/``str`` JSON text, or pass a mapping through as a ``dict``.

    Duplicate object keys: the last one wins, as in JavaScript's ``JSON.parse`` (the
    producer's language) and every mainstream decoder; see README.
    """
    if isinstance(data, (bytes, bytearray, memoryview)):
        size = data.nbytes if isinstance(data, memoryview) else len(data)
        if size > max_bytes:
            raise too_large(size, max_bytes)
        if bytes(data[:3]) == _BOM:
            raise _fail("json", "payload starts with a UTF-8 byte order mark; JSON text must not (RFC 8259 §8.1)")
        text: bytes | str = data if type(data) is bytes or type(data) is bytearray else bytes(data)  # orjson takes no subclass
    elif isinstance(data, str):
        if len(data) * 4 > max_bytes:  # a character is at most 4 UTF-8 bytes: only measure when it could matter
            size = len(data.encode("utf-8", "surrogatepass"))
            if size > max_bytes:
                raise too_large(size, max_bytes)
        if data.startswith("\ufeff"):
            raise _fail("json", "payload starts with a byte order mark (U+FEFF); JSON text must not (RFC 8259 §8.1)")
        text = data if type(data) is str else str.__str__(data)  # orjson takes no subclass
    elif isinstance(data, Mapping):
        return data if isinstance(data, dict) else dict(data)
    else:
        raise TypeError(f"expected bytes, str or a mapping, not {type(data).__name__}")
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise _fail("json", f"not valid JSON: {_not_utf8(text) or exc}") from None


def _not_utf8(text: bytes | str) -> str | None:
    """Where ``text`` stops being UTF-8 (orjson only says "str is not valid UTF-8: surrogates
    not allowed"), or None when it is UTF-8. Only called once decoding has failed."""
    try:
        if isinstance(text, str):
            text.encode("utf-8")
        else:
            text.decode("utf-8")
    except UnicodeError as exc:
        if isinstance(text, str):  # a lone surrogate in a str: its offset in characters
            return f"not UTF-8 text: lone surrogate U+{ord(text[exc.start]):04X} at character offset {exc.start}"
        return f"not UTF-8 text: byte 0x{text[exc.start]:02x} at byte offset {exc.start}"
    return None
