"""Compare two ``pattern`` keywords as regular languages, where that can be decided.

JSON Schema patterns are ECMA-262 regular expressions that *search* (an unanchored
pattern matches anywhere in the string); jsonschema runs them with Python's ``re``, whose
meaning is the one that counts here. ``greenery`` parses the regular subset of the syntax
(no lookaround, no back-references). Two things are adapted because greenery's dialect
differs: it reads ``^``/``$`` as literal characters, so a leading ``^`` and trailing ``$``
are turned into "no implicit ``.*`` on that side" (``$`` also matches before a final
newline, as in Python) and any other anchor makes the pair undecidable; and it refuses a
bare ``-`` at either end of a character class, so that hyphen is escaped.

greenery's own automaton operations are not used: its determinisation and minimisation
are cubic in the number of states, so a counted repetition like ``.{1,255}`` runs for
minutes. Instead the parsed pattern becomes a small nondeterministic automaton (a counted
repetition is ``n`` copies of its operand, linear in ``n``), and every question (is the
difference empty? which strings are in it? which names meet exactly these patterns?) is
one breadth-first walk over the product of the automata, built lazily and bounded in
states and time. At the bound, or on syntax greenery cannot parse, the answer is
``None`` with a reason (:func:`why`): the caller then treats the change as breaking both
ways (fail closed). Every answer is memoised per distinct pattern (pair), so a catalog of
events that repeat the same UUID and date-time patterns compares each pair once.
"""

from __future__ import annotations

import functools
import time
from typing import Callable, Iterable, Iterator, Literal

Relation = Literal["equal", "narrower", "wider", "overlap"]

#: Automata bigger than this are not built (a pattern with more positions is undecidable).
_MAX_STATES = 20_000
#: The work one question may do before it gives up: product states visited and automaton
#: steps taken (deterministic bounds, so a verdict never depends on the machine's load), and
#: a wall-clock bound as a last resort that realistic patterns never reach.
_MAX_PRODUCT_STATES = 30_000
_MAX_STEPS = 1_500_000
_MAX_SECONDS = 5.0
#: The highest code point, and the characters a witness prefers (readable ones first).
_TOP = 0x10FFFF
_PREFERRED = "a0A_-. z9Z:+~!"


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


class Undecidable(Exception):
    """A pattern (pair) the engine does not compare; the message says why."""


def _anchored_form(pattern: str) -> tuple[bool, bool, str]:
    """``(head, tail, core)``: whether the search is anchored at the start and at the end, and
    the rest written for greenery. Raises :class:`Undecidable`."""
    head = pattern.startswith("^")
    tail = pattern.endswith("$") and not pattern.endswith("\\$")
    tokens = _tokens(pattern[1 if head else 0: len(pattern) - 1 if tail else len(pattern)])
    if tokens is None:
        raise Undecidable(f"{pattern!r} is not a complete regular expression")
    if any(token[0] == "char" and token[1] in "^$" for token in tokens):
        raise Undecidable(f"{pattern!r} has an anchor inside it")  # greenery would read it as a character
    if (head or tail) and _has_top_level_alternation(tokens):
        raise Undecidable(f"{pattern!r} anchors only some of its alternatives")
    core = _greenery_form(tokens)
    if core is None:
        raise Undecidable(f"{pattern!r} uses an escape whose characters differ between ECMA-262 and Python")
    return head, tail, core


def _ranges(charclass) -> tuple[tuple[int, int], ...]:
    """A greenery ``Charclass`` as sorted, disjoint code point ranges."""
    ranges = sorted(charclass.ord_ranges)
    if not charclass.negated:
        return tuple(ranges)
    out, low = [], 0
    for first, last in ranges:
        if first > low:
            out.append((low, first - 1))
        low = max(low, last + 1)
    if low <= _TOP:
        out.append((low, _TOP))
    return tuple(out)


_ANY = ((0, _TOP),)
_NEWLINE = ((10, 10),)


class _Nfa:
    """A nondeterministic automaton: ``edges[s]`` lists ``(class index, target)``, ``eps[s]``
    the targets reached without a character; ``classes`` are code point range tuples."""

    def __init__(self) -> None:
        self.classes: list[tuple[tuple[int, int], ...]] = []
        self._class_ids: dict = {}
        self.edges: list[list[tuple[int, int]]] = []
        self.eps: list[list[int]] = []
        self.start = self.final = 0

    def state(self) -> int:
        if len(self.edges) >= _MAX_STATES:
            raise Undecidable(f"its automaton would exceed {_MAX_STATES} states")
        self.edges.append([])
        self.eps.append([])
        return len(self.edges) - 1

    def edge(self, source: int, ranges: tuple, target: int) -> None:
        if ranges not in self._class_ids:
            self._class_ids[ranges] = len(self.classes)
            self.classes.append(ranges)
        self.edges[source].append((self._class_ids[ranges], target))

    def build(self, element) -> tuple[int, int]:
        """A fragment for a greenery element: ``(entry, exit)`` states."""
        from greenery.rxelems import Conc, Mult, Pattern

        if isinstance(element, Pattern):
            entry, exit_ = self.state(), self.state()
            for conc in sorted(element.concs, key=str):
                a, b = self.build(conc)
                self.eps[entry].append(a)
                self.eps[b].append(exit_)
            return entry, exit_
        if isinstance(element, Conc):
            entry = current = self.state()
            for mult in element.mults:
                a, b = self.build(mult)
                self.eps[current].append(a)
                current = b
            return entry, current
        if isinstance(element, Mult):
            low, high = element.multiplier.min.v, element.multiplier.max.v
            entry = current = self.state()
            for _ in range(low or 0):
                a, b = self._unit(element.multiplicand)
                self.eps[current].append(a)
                current = b
            if high is None:  # a loop: zero or more further copies
                a, b = self._unit(element.multiplicand)
                self.eps[current].append(a)
                self.eps[b].append(current)
                return entry, current
            exit_ = self.state()
            self.eps[current].append(exit_)
            for _ in range(high - (low or 0)):
                a, b = self._unit(element.multiplicand)
                self.eps[current].append(a)
                self.eps[b].append(exit_)
                current = b
            return entry, exit_
        return self._unit(element)

    def _unit(self, element) -> tuple[int, int]:
        from greenery.charclass import Charclass

        if isinstance(element, Charclass):
            entry, exit_ = self.state(), self.state()
            self.edge(entry, _ranges(element), exit_)
            return entry, exit_
        return self.build(element)


@functools.lru_cache(maxsize=1024)
def _compile(pattern: str) -> _Nfa | str:
    """The search ``pattern`` as an automaton over whole strings, or why it cannot be built."""
    try:
        import greenery
    except ImportError:  # pragma: no cover - a declared dependency
        return "greenery is not installed"
    try:
        head, tail, core = _anchored_form(pattern)
        try:
            parsed = greenery.parse(core)
        except Exception:  # greenery raises its own NoMatch and others on syntax it lacks
            raise Undecidable(f"{pattern!r} uses syntax outside the regular subset greenery reads") from None
        nfa = _Nfa()
        start = nfa.state()
        if not head:  # the implicit `.*` of a search spans any character, newlines included
            nfa.edge(start, _ANY, start)
        entry, exit_ = nfa.build(parsed)
        nfa.eps[start].append(entry)
        final = nfa.state()
        nfa.eps[exit_].append(final)
        if tail:  # Python's `$` also matches before a newline that ends the string
            nfa.edge(exit_, _NEWLINE, final)
        else:
            nfa.edge(final, _ANY, final)
        nfa.start, nfa.final = start, final
        return nfa
    except Undecidable as error:
        return str(error)
    except RecursionError:
        return f"{pattern!r} nests too deeply to compare"


def _closure(nfa: _Nfa, states: Iterable[int]) -> frozenset[int]:
    seen = set(states)
    stack = list(seen)
    while stack:
        for target in nfa.eps[stack.pop()]:
            if target not in seen:
                seen.add(target)
                stack.append(target)
    return frozenset(seen)


def _moves(nfa: _Nfa, subset: Iterable[int], allowed: frozenset[int]) -> list[int]:
    """The states ``nfa`` reaches from ``subset`` on a character in the classes ``allowed``
    (before the epsilon closure)."""
    return [t for s in subset for c, t in nfa.edges[s] if c in allowed]


def _cuts(nfas: list[_Nfa], names: Iterable[str] = ()) -> list[int]:
    """The code points where some class of ``nfas`` (or a character of ``names``) starts or
    ends, with 0 and one past the last code point: consecutive points bound runs of
    characters every class treats alike."""
    cuts = {0, _TOP + 1}
    for nfa in nfas:
        for ranges in nfa.classes:
            for first, last in ranges:
                cuts.update((first, last + 1))
    for name in names:
        for char in name:
            cuts.update((ord(char), ord(char) + 1))
    return sorted(cuts)


def _members(nfa: _Nfa, point: int) -> frozenset[int]:
    """The indices of ``nfa``'s classes that contain the code point ``point``."""
    return frozenset(i for i, ranges in enumerate(nfa.classes) if any(a <= point <= b for a, b in ranges))


def _atoms(nfas: list[_Nfa], names: Iterable[str]) -> list[tuple[str, list[frozenset[int]]]]:
    """The coarsest partition of the characters that every class (and every character of
    ``names``) respects: for each part, a representative character and, per automaton,
    the class indices containing it."""
    points = _cuts(nfas, names)
    groups: dict[tuple, list[tuple[int, int]]] = {}
    for first, end in zip(points, points[1:]):
        signature = tuple(_members(nfa, first) for nfa in nfas)
        # a character of a declared name stays its own part, so the names can be tracked
        single = first if end - first == 1 and any(chr(first) in name for name in names) else None
        groups.setdefault((signature, single), []).append((first, end - 1))
    atoms = []
    for (signature, _single), intervals in sorted(groups.items(), key=lambda item: item[1][0]):
        atoms.append((_pick(intervals), list(signature)))
    return atoms


def _pick(intervals: list[tuple[int, int]]) -> str:
    for char in _PREFERRED:
        if any(a <= ord(char) <= b for a, b in intervals):
            return char
    for first, last in intervals:
        for code in (first, last):
            if not 0xD800 <= code <= 0xDFFF and code >= 0x20:
                return chr(code)
    return chr(intervals[0][0])


def _walk(patterns: tuple[str, ...], names: frozenset[str] = frozenset()) -> Iterator[tuple[Callable[[], str], tuple[bool, ...], bool]]:
    """Breadth-first over the product of the patterns' automata (and a trie of ``names``):
    for each product state reached, the shortest string reaching it (a function that spells
    it: spelling costs the string's length, so spelling every state of a deep walk, as for
    ``{1,500}``, was quadratic), which patterns match that string, and whether it is one of
    ``names``. Shortest strings first.

    Raises :class:`Undecidable` for a pattern that cannot be compiled, and at the bound.
    """
    nfas = []
    for pattern in patterns:
        compiled = _compile(pattern)
        if isinstance(compiled, str):
            raise Undecidable(compiled)
        nfas.append(compiled)
    atoms = _atoms(nfas, names)
    trie: dict[tuple[str, str], str] = {}
    for name in names:
        for i in range(len(name)):
            trie[(name[:i], name[i])] = name[:i + 1]
    memo: list[dict] = [dict() for _ in nfas]
    start = (tuple(_closure(nfa, [nfa.start]) for nfa in nfas), "")
    parents: dict = {start: None}
    frontier = [start]
    deadline = time.monotonic() + _MAX_SECONDS
    steps = 0

    def spell(state) -> str:
        chars = []
        while parents[state] is not None:
            state, char = parents[state]
            chars.append(char)
        return "".join(reversed(chars))

    while frontier:
        following = []
        for state in frontier:
            subsets, prefix = state
            yield (functools.partial(spell, state), tuple(nfa.final in subset for nfa, subset in zip(nfas, subsets)),
                   prefix is not None and prefix in names)
            for char, classes in atoms:
                step = []
                for k, (nfa, subset) in enumerate(zip(nfas, subsets)):
                    key = (subset, char)
                    if key not in memo[k]:
                        allowed = classes[k]
                        memo[k][key] = _closure(nfa, _moves(nfa, subset, allowed))
                        steps += len(subset) + len(memo[k][key])
                    step.append(memo[k][key])
                following_prefix = trie.get((prefix, char)) if prefix is not None else None
                target = (tuple(step), following_prefix)
                if target in parents or not any(step):
                    continue  # already reached, or no pattern can match any longer
                parents[target] = (state, char)
                following.append(target)
            if len(parents) > _MAX_PRODUCT_STATES or steps > _MAX_STEPS:
                raise Undecidable(f"comparing them would take more than {_MAX_PRODUCT_STATES} automaton states "
                                  f"or {_MAX_STEPS} steps")
            if time.monotonic() > deadline:
                raise Undecidable(f"comparing them took longer than {_MAX_SECONDS} s")
        frontier = following


#: Why the last undecidable question about a pattern (pair) was undecidable.
_REASONS: dict[tuple, str] = {}


@functools.lru_cache(maxsize=4096)
def _strings(accept: tuple[str, ...], reject: tuple[str, ...], limit: int,
             avoid: frozenset[str] = frozenset()) -> tuple[str, ...] | None:
    """Up to ``limit`` shortest strings every ``accept`` pattern matches and no ``reject``
    pattern does (none of them in ``avoid``); ``None``: undecidable."""
    patterns = accept + reject
    found: list[str] = []
    try:
        for text, matched, named in _walk(patterns, avoid):
            if named or not all(matched[:len(accept)]) or any(matched[len(accept):]):
                continue
            found.append(text())
            if len(found) >= limit:
                break
    except Undecidable as error:
        _REASONS[patterns] = str(error)
        return None
    return tuple(found)


def why(*patterns: str) -> str:
    """Why a question about these patterns was undecidable (for a report's message)."""
    for pattern in patterns:
        compiled = _compile(pattern)
        if isinstance(compiled, str):
            return compiled
    wanted = set(patterns)
    for key, reason in sorted(_REASONS.items()):
        if set(key) == wanted:
            return reason
    return "the patterns could not be compared as regular languages"


def overlap(a: str, b: str) -> bool | None:
    """Some string matches both patterns; ``None``: undecidable."""
    found = _strings(tuple(sorted((a, b))), (), 1)
    return None if found is None else bool(found)


@functools.lru_cache(maxsize=4096)
def relation(old: str, new: str) -> Relation | None:
    """How the strings ``new`` matches relate to those ``old`` matches; ``None``: undecidable."""
    if old == new:
        return "equal"
    new_only = _strings((new,), (old,), 1)
    old_only = _strings((old,), (new,), 1) if new_only is not None else None
    if new_only is None or old_only is None:
        return None
    if new_only and old_only:
        return "overlap"
    if new_only:
        return "wider"
    if old_only:
        return "narrower"
    return "equal"


def sample_strings(pattern: str, limit: int = 3) -> list[str]:
    """A few strings the pattern matches (shortest first), for building witnesses."""
    return sample_difference(pattern, None, limit)


def sample_difference(a_pattern: str | None, b_pattern: str | None, limit: int = 3) -> list[str]:
    """Strings ``a`` matches and ``b`` does not (``a`` may be ``None``: matches everything)."""
    found = _strings((a_pattern if a_pattern is not None else "",), (b_pattern,) if b_pattern is not None else (),
                     limit)
    return list(found or ())


@functools.lru_cache(maxsize=1024)
def regions(patterns: tuple[str, ...], avoid: frozenset[str] = frozenset()) -> dict[frozenset[str], str] | None:
    """For every non-empty set of the patterns that some string (not in ``avoid``) matches
    exactly, one such string (the shortest): ``{matched patterns: string}``. ``None``: undecidable.

    This is what a ``patternProperties`` comparison needs: every name in one region meets the
    same schemas, so one name per region stands for all of them, overlaps included.
    """
    found: dict[frozenset[str], str] = {}
    try:
        for text, matched, named in _walk(patterns, avoid):
            key = frozenset(p for p, hit in zip(patterns, matched) if hit)
            if key and not named and key not in found:
                found[key] = text()
    except Undecidable as error:
        _REASONS[patterns] = str(error)
        return None
    return found
