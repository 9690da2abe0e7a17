"""Find the source line of the value a JSON pointer names, for lint messages.

Hand-written because no library maps JSON pointers to source lines: ``json`` throws
positions away, and the JSON Schema libraries report errors as pointers into the parsed
document. The scanner walks only along the pointer's path, skipping sibling values
without building them, and never recurses, so a huge or deeply nested file costs one
linear pass at most and cannot raise ``RecursionError``.
"""

from __future__ import annotations

import bisect
import functools
import re
from json.decoder import scanstring
from typing import Iterable

_WS = re.compile(r"[ \t\n\r]*")
# Numbers and literals; NaN/Infinity too, because ``json.loads`` accepts them.
_SCALAR = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?|true|false|null|NaN|-?Infinity")
# Inside a container only brackets and string openers matter; the rest is skipped in bulk.
_STRUCTURAL = re.compile(r'["\[\]{}]')
# RFC 6901 array index: no sign, no leading zeros (so "01" names nothing).
_INDEX = re.compile(r"0|[1-9][0-9]*")


def pointer_from_path(path: Iterable[str | int]) -> str:
    """The RFC 6901 pointer for a sequence of keys and indexes (``~`` → ``~0``, ``/`` → ``~1``)."""
    return "".join("/" + str(part).replace("~", "~0").replace("/", "~1") for part in path)


def pointer_tokens(pointer: str) -> list[str]:
    """The reference tokens of an RFC 6901 pointer, unescaped (``~1`` → ``/``, ``~0`` → ``~``):
    the inverse of :func:`pointer_from_path` (indexes stay strings)."""
    if pointer == "":
        return []
    if not pointer.startswith("/"):
        raise ValueError(f"not a JSON pointer: {pointer!r}")
    return [token.replace("~1", "/").replace("~0", "~") for token in pointer[1:].split("/")]


def _skip_ws(text: str, pos: int) -> int:
    return _WS.match(text, pos).end()  # type: ignore[union-attr]  # ``*`` always matches


def _skip_value(text: str, pos: int) -> int:
    """Index just past the value starting at ``pos``, counting brackets instead of recursing."""
    char = text[pos]
    if char == '"':
        return scanstring(text, pos + 1)[1]
    if char not in "[{":
        match = _SCALAR.match(text, pos)
        if match is None:
            raise ValueError(f"no JSON value at index {pos}")
        return match.end()
    depth = 0
    while True:
        match = _STRUCTURAL.search(text, pos)
        if match is None:
            raise ValueError("unterminated JSON container")
        char, pos = match.group(), match.end()
        if char == '"':
            pos = scanstring(text, pos)[1]  # a string may hold brackets and quotes
        elif char in "[{":
            depth += 1
        else:
            depth -= 1
            if depth == 0:
                return pos


def _child(text: str, pos: int, token: str) -> int | None:
    """Start index of member ``token`` of the container at ``pos``, or None when absent."""
    if text[pos] == "{":
        pos = _skip_ws(text, pos + 1)
        if text[pos] == "}":
            return None
        while True:
            key, pos = scanstring(text, pos + 1)
            pos = _skip_ws(text, _skip_ws(text, pos) + 1)  # past the colon
            if key == token:
                # The first of duplicate keys (``json.loads`` keeps the last): looking for a
                # later one would mean skipping this value, at every level, which makes deep
                # documents quadratic. Duplicate keys are a mistake lint need not place exactly.
                return pos
            pos = _skip_ws(text, _skip_value(text, pos))
            if text[pos] == "}":
                return None
            pos = _skip_ws(text, pos + 1)  # past the comma
    if text[pos] == "[" and _INDEX.fullmatch(token):
        wanted = int(token)
        pos = _skip_ws(text, pos + 1)
        if text[pos] == "]":
            return None
        for _ in range(wanted):
            pos = _skip_ws(text, _skip_value(text, pos))
            if text[pos] == "]":
                return None
            pos = _skip_ws(text, pos + 1)
        return pos
    return None  # a scalar has no members; "-" and non-numeric tokens name no array element


def element_spans(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` indexes of each element of the JSON array ``text``, in one pass
    (``text`` must already be known to be a valid JSON array)."""
    spans = []
    pos = _skip_ws(text, _skip_ws(text, 0) + 1)  # past the opening bracket
    if text[pos] == "]":
        return spans
    while True:
        end = _skip_value(text, pos)
        spans.append((pos, end))
        pos = _skip_ws(text, end)
        if text[pos] == "]":
            return spans
        pos = _skip_ws(text, pos + 1)  # past the comma


def line_of(text: str, pointer: str) -> int:
    """1-based line where the value at ``pointer`` starts in the JSON ``text``.

    When the pointer goes further than the document, the line of the deepest value that
    exists is returned, so a "missing key" finding points at the object lacking it.
    """
    tokens = pointer_tokens(pointer)
    pos = _skip_ws(text, 0)
    try:
        for token in tokens:
            child = _child(text, pos, token)
            if child is None:
                break
            pos = child
    except (ValueError, IndexError):
        pass  # malformed after all: the deepest position reached is the best answer
    return text.count("\n", 0, pos) + 1


@functools.lru_cache(maxsize=2)
def _newlines(text: str) -> list[int]:
    """Offsets of every newline of ``text`` (kept for the last two texts: a JSON array file's
    records all share their file's text)."""
    return [match.start() for match in re.finditer("\n", text)]


def _item(text: str, pos: int, wanted: int, resume: dict[int, tuple[int, int]]) -> int | None:
    """Start index of element ``wanted`` of the array at ``pos``, or None when it has fewer.

    ``resume`` keeps, per array, the last element found and where: ascending indexes (sorted
    problems) skip each element of an array once in all, instead of once per pointer.
    """
    index, at = resume.get(pos, (0, -1))
    if at < 0 or index > wanted:
        index, at = 0, _skip_ws(text, pos + 1)
        if text[at] == "]":
            return None
    while index < wanted:
        at = _skip_ws(text, _skip_value(text, at))
        if text[at] == "]":
            return None
        at = _skip_ws(text, at + 1)  # past the comma
        index += 1
        resume[pos] = (index, at)
    return at


def lines_of(text: str, pointers: Iterable[str], start: int = 0) -> list[int]:
    """``line_of`` of each pointer, relative to the JSON value starting at index ``start`` of ``text``.

    One ``line_of`` per problem made ``access-events validate`` quadratic: each walks from the
    document's start, so 60,000 problems in one array of a pretty-printed 420 KB document
    skipped its elements 1.8 billion times (over 5 minutes). Here the walk is shared: every
    member or element reached is kept, an array resumes from its last element found, and a line
    is a bisection in the newlines' offsets. Same answers as ``line_of`` (``test_locate.py``).
    """
    newlines = _newlines(text)
    root = _skip_ws(text, start)
    reached: dict[tuple[str, ...], int | None] = {(): root}
    resume: dict[int, tuple[int, int]] = {}
    lines = []
    for pointer in pointers:
        pos, path = root, ()
        try:
            for token in pointer_tokens(pointer):
                path += (token,)
                if path in reached:
                    child = reached[path]
                elif text[pos] == "[" and _INDEX.fullmatch(token):
                    child = reached[path] = _item(text, pos, int(token), resume)
                else:
                    child = reached[path] = _child(text, pos, token)
                if child is None:
                    break
                pos = child
        except (ValueError, IndexError):
            pass  # malformed after all: the deepest position reached is the best answer
        lines.append(bisect.bisect_left(newlines, pos) + 1)
    return lines
