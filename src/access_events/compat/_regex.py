"""Compare two ``pattern`` keywords as regular languages, where that can be decided.

JSON Schema patterns are ECMA-262 regular expressions that *search* (an unanchored
pattern matches anywhere in the string). The inclusion test is done with ``greenery``,
which builds finite automata from the regular subset of the syntax (no lookaround, no
back-references). Two things are adapted here because greenery's dialect differs: it
reads ``^``/``$`` as literal characters, so a leading ``^`` and trailing ``$`` are
turned into "no implicit ``.*`` on that side" and any other anchor makes the pair
undecidable; and it refuses a bare ``-`` at either end of a character class, so that
hyphen is escaped. Anything greenery cannot parse returns ``None``: the caller then
treats the change as breaking both ways (fail closed).
"""

from __future__ import annotations

import functools
import itertools
from typing import Iterator, Literal

Relation = Literal["equal", "narrower", "wider", "overlap"]

#: Automata bigger than this are not compared (the pair is then undecidable).
_MAX_STATES = 20_000


#: Escapes whose meaning differs between greenery (ASCII) and Python's ``re``, which
#: jsonschema uses (Unicode): a pattern using them is not compared.
_UNICODE_ESCAPES = frozenset("dDwWsSbB")

Token = tuple  # ("escape", "\\x") | ("char", "x") | ("class", "[" or "[^", [items])


def _tokens(pattern: str) -> list[Token] | None:
    """The pattern as escapes, single characters and whole character classes (whose items are
    escapes or characters), read by Python ``re``'s rules: a ``]`` first in a class is
    literal. ``None`` for an unterminated class or a trailing backslash.

    The one scanner every rewrite below works from, so escapes and classes are recognised
    the same way everywhere.
    """
    tokens: list[Token] = []
    i, n = 0, len(pattern)
    while i < n:
        char = pattern[i]
        if char == "\\":
            if i + 1 >= n:
                return None
            tokens.append(("escape", pattern[i:i + 2]))
            i += 2
        elif char == "[":
            j = i + 2 if pattern[i + 1:i + 2] == "^" else i + 1
            opener, items = pattern[i:j], []
            if pattern[j:j + 1] == "]":
                items.append("]")
                j += 1
            while j < n and pattern[j] != "]":
                step = 2 if pattern[j] == "\\" else 1
                items.append(pattern[j:j + step])
                j += step
            if j >= n:
                return None
            tokens.append(("class", opener, items))
            i = j + 1
        else:
            tokens.append(("char", char))
            i += 1
    return tokens


def _greenery_form(tokens: list[Token]) -> str | None:
    """The tokens written for greenery, with Python's meaning: ``.`` becomes ``[^\\n]``
    (greenery's dot matches newlines), and a ``-`` at either end of a class or a ``]``
    first in it is escaped (greenery refuses the one and misreads the other). ``None`` for an escape whose character set differs between
    the two (``\\d``, ``\\w``... are Unicode in Python)."""
    out: list[str] = []
    for token in tokens:
        if token[0] == "class":
            items = list(token[2])
            if any(item[0] == "\\" and item[1:] in _UNICODE_ESCAPES for item in items):
                return None
            if items and items[0] in ("-", "]"):  # greenery reads `[]` as an empty class
                items[0] = "\\" + items[0]
            if len(items) > 1 and items[-1] == "-":
                items[-1] = "\\-"
            out.append(token[1] + "".join(items) + "]")
        elif token[0] == "escape":
            if token[1][1:] in _UNICODE_ESCAPES:
                return None
            out.append(token[1])
        else:
            out.append("[^\\n]" if token[1] == "." else token[1])
    return "".join(out)


def _has_top_level_alternation(tokens: list[Token]) -> bool:
    depth = 0
    for token in tokens:
        if token[0] == "char":
            depth += {"(": 1, ")": -1}.get(token[1], 0)
            if token[1] == "|" and depth == 0:
                return True
    return False


def _full_match_form(pattern: str) -> str | None:
    """The pattern rewritten so that matching the *whole* string means what the search meant."""
    head = pattern.startswith("^")
    tail = pattern.endswith("$") and not pattern.endswith("\\$")
    tokens = _tokens(pattern[1 if head else 0: len(pattern) - 1 if tail else len(pattern)])
    if tokens is None or any(token[0] == "char" and token[1] in "^$" for token in tokens):
        return None  # an anchor inside the pattern: greenery would read it as a character
    if (head or tail) and _has_top_level_alternation(tokens):
        return None
    core = _greenery_form(tokens)
    if core is None:
        return None
    # The implicit `.*` of an unanchored search spans any character, newlines included.
    return ("" if head else ".*") + "(" + core + ")" + ("" if tail else ".*")


@functools.lru_cache(maxsize=512)
def _parse(pattern: str):  # -> greenery.Fsm | None
    try:
        import greenery
    except ImportError:  # pragma: no cover - a declared dependency
        return None
    form = _full_match_form(pattern)
    if form is None:
        return None
    try:
        # Work on the automaton: greenery's Pattern-level difference converts back to a
        # regular expression, which takes seconds on counted repetitions like a UUID's.
        fsm = greenery.parse(form).to_fsm()
    except Exception:  # greenery raises its own NoMatch and others on syntax it lacks
        return None
    return fsm if len(fsm.states) <= _MAX_STATES else None


@functools.lru_cache(maxsize=1024)
def overlap(a: str, b: str) -> bool | None:
    """Some string matches both patterns; ``None``: undecidable."""
    fa, fb = _parse(a), _parse(b)
    if fa is None or fb is None:
        return None
    try:
        return not (fa & fb).empty()
    except Exception:
        return None


def relation(old: str, new: str) -> Relation | None:
    """How the strings ``new`` matches relate to those ``old`` matches; ``None``: undecidable."""
    if old == new:
        return "equal"
    a, b = _parse(old), _parse(new)
    if a is None or b is None:
        return None
    try:
        new_only = not (b - a).empty()
        old_only = not (a - b).empty()
    except Exception:
        return None
    if new_only and old_only:
        return "overlap"
    if new_only:
        return "wider"
    if old_only:
        return "narrower"
    return "equal"


_PREFERRED = "a0A_-. z9Z:+~!"


def _representative(charclass) -> str | None:
    for char in _PREFERRED:
        if charclass.accepts(char):
            return char
    if not charclass.negated and charclass.ord_ranges:
        return chr(charclass.ord_ranges[0][0])
    for code in range(0x20, 0x3000):
        if charclass.accepts(chr(code)):
            return chr(code)
    return None


def _shortest(parsed, limit: int) -> list[str]:
    """Shortest accepted strings by breadth-first search over the automaton's states.

    greenery's own ``strings()`` enumerates every string of each length in turn, which
    explodes on counted repetitions such as a UUID's ``{12}``; a witness needs one.
    """
    fsm = parsed
    found: list[str] = []
    frontier = [(fsm.initial, "")]
    seen = {fsm.initial}
    while frontier and len(found) < limit:
        following = []
        for state, text in frontier:
            if state in fsm.finals:
                found.append(text)
                if len(found) >= limit:
                    break
            for charclass in sorted(fsm.alphabet, key=str):
                target = fsm.map[state][charclass]
                if target in seen or not fsm.islive(target):
                    continue
                char = _representative(charclass)
                if char is not None:
                    seen.add(target)
                    following.append((target, text + char))
        frontier = following
    return found


def sample_strings(pattern: str, limit: int = 3) -> list[str]:
    """A few strings the pattern matches (shortest first), for building witnesses."""
    return sample_difference(pattern, None, limit)


def sample_difference(a_pattern: str | None, b_pattern: str | None, limit: int = 3) -> list[str]:
    """Strings ``a`` matches and ``b`` does not (``a`` may be ``None``: matches everything)."""
    a = _parse(a_pattern if a_pattern is not None else ".*")
    if a is None:
        return []
    try:
        if b_pattern is not None:
            b = _parse(b_pattern)
            if b is None:
                return []
            a = a - b
        return _shortest(a, limit)
    except Exception:  # greenery's errors on constructs it cannot build
        return []
