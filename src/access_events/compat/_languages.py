"""Formats as regular languages, so a ``pattern`` that only restates its ``format`` is no change.

The engine asserts two formats (the package's ``FORMAT_CHECKER``): ``uuid`` (the 8-4-4-4-12
hexadecimal shape, any case) and ``date-time`` (RFC 3339 §5.6 with the calendar: month
lengths, leap years, and a leap second only at 23:59:60 UTC, in whatever offset). Both are
regular languages over the strings they accept, so a string schema with formats *F* and
patterns *P* accepts the language ``⋂F ∩ ⋂P``, and two versions are compared by those
languages rather than keyword by keyword: ``format: uuid`` and ``format: uuid`` plus the
UUID's shape as a ``pattern`` are equal; a pattern narrower or wider than its format is
still found.

``uuid`` is written exactly. ``date-time`` is written as two regular bounds, because the
leap-second rule in other offsets (``00:29:60+00:30`` is a leap second, ``23:59:60+00:30``
is not) would need an automaton of thousands of states: *lo* (every date-time, leap
seconds only in UTC spelling) and *hi* (every date-time, plus ``:60`` at any minute of any
offset), with ``lo ⊆ date-time ⊆ hi`` (a test checks both against the checker). An
inclusion is proven with *hi* on the including side's complement and refuted (with a
witness string) with *lo*; when neither settles it, the answer is ``None`` and the caller
falls back to its keyword-by-keyword comparison, which fails closed.

Written on ``_regex``'s automata (greenery), the library the engine already compares patterns with.
"""

from __future__ import annotations

import functools
from typing import Any, Iterable

from . import _regex

_UUID = "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
_LEAP_YEAR = "(?:[0-9]{2}(?:0[48]|[2468][048]|[13579][26])|(?:[02468][048]|[13579][26])00)"
_DATE = ("(?:[0-9]{4}-(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)"
         "|02-(?:0[1-9]|1[0-9]|2[0-8]))|" + _LEAP_YEAR + "-02-29)")
_FRACTION = "(?:\\.[0-9]+)?"
_OFFSET = "(?:[Zz]|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])"
_CLOCK = "(?:[01][0-9]|2[0-3]):[0-5][0-9]"
_DATE_TIME_LO = ("^" + _DATE + "[Tt](?:" + _CLOCK + ":[0-5][0-9]" + _FRACTION + _OFFSET
                 + "|23:59:60" + _FRACTION + "(?:[Zz]|[+-]00:00))$")
_DATE_TIME_HI = "^" + _DATE + "[Tt]" + _CLOCK + ":(?:[0-5][0-9]|60)" + _FRACTION + _OFFSET + "$"

#: Each asserted format's language as (lo, hi) anchored patterns, ``lo ⊆ format ⊆ hi``.
LANGUAGES: dict[str, tuple[str, str]] = {
    "uuid": (_UUID, _UUID),
    "date-time": (_DATE_TIME_LO, _DATE_TIME_HI),
}

_ANY = ".*"


#: Product states visited before a question is left undecided (the caller then fails closed).
_MAX_VISITS = 200_000
_PREFERRED = "0aA_-. z9Z:+~!T"


@functools.lru_cache(maxsize=256)
def _fsms(formats: frozenset, patterns: frozenset, bound: int) -> tuple | None:
    """The automata whose intersection is ``⋂ formats[bound] ∩ ⋂ patterns`` (bound 0: lo, 1: hi);
    None when a pattern is not regular here. The formats' own languages are compiled by
    :func:`_compile` (greenery takes seconds over the calendar's alternations), the
    schemas' patterns by ``_regex`` (greenery), and :func:`_search` runs over both."""
    found = [_format_dfa(LANGUAGES[name][bound]) for name in sorted(formats)]
    for pattern in sorted(patterns):
        fsm = _pattern_fsm(pattern)
        if fsm is None:
            return None
        found.append(fsm)
    return tuple(found)


#: Deterministic states (and subset moves) one pattern's automaton may take here before the
#: question is left undecided (the caller then compares keyword by keyword, as without formats).
_MAX_DFA_STATES = 2_000
_MAX_DFA_WORK = 400_000


@functools.lru_cache(maxsize=512)
def _pattern_fsm(pattern: str) -> "_Dfa | None":
    """A schema's ``pattern`` as a deterministic automaton over whole strings, with the search's
    meaning ``_regex`` gives it (an unanchored side spans anything; ``$`` also matches before
    a final newline, as in Python). None when ``_regex`` would not compare it either, or when
    determinising it outgrows :data:`_MAX_DFA_STATES`/:data:`_MAX_DFA_WORK`.

    The subset construction runs here, bounded, on ``_regex``'s Thompson automaton: greenery's
    ``to_fsm`` minimises after every step with no bound (``^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$``
    took 5 s, a base64 pattern with ``{1,500}`` minutes), the hang issue 12 names."""
    nfa = _regex._compile(pattern)
    if isinstance(nfa, str):
        return None
    cuts = _regex._cuts([nfa])
    runs = list(zip(cuts, cuts[1:]))
    # per run, the NFA class indices containing it
    members = [_regex._members(nfa, low) for low, _end in runs]
    classes = [_Class(((low, end - 1),)) for low, end in runs]
    start = _regex._closure(nfa, [nfa.start])
    numbers, transitions, finals, todo = {start: 0}, {}, set(), [start]
    work = 0
    while todo:
        current = todo.pop()
        number = numbers[current]
        if nfa.final in current:
            finals.add(number)
        moves = transitions.setdefault(number, {})
        for charclass, allowed in zip(classes, members):
            targets = _regex._moves(nfa, current, allowed)
            work += len(current) + len(targets)
            if work > _MAX_DFA_WORK:
                return None
            if targets:
                following = _regex._closure(nfa, targets)
                if following not in numbers:
                    if len(numbers) >= _MAX_DFA_STATES:
                        return None
                    numbers[following] = len(numbers)
                    todo.append(following)
                moves[charclass] = numbers[following]
    return _Dfa(classes, 0, finals, transitions)


class _Class:
    """A character class as greenery's ``Charclass`` answers for it (``ord_ranges``, ``accepts``)."""

    __slots__ = ("ord_ranges",)

    def __init__(self, ranges: tuple) -> None:
        self.ord_ranges = ranges

    def accepts(self, char: str) -> bool:
        code = ord(char)
        return any(low <= code <= high for low, high in self.ord_ranges)


class _Dfa:
    """A deterministic automaton with greenery ``Fsm``'s attributes that :func:`_search` reads."""

    def __init__(self, alphabet: list, initial: int, finals: set, transitions: dict) -> None:
        self.alphabet, self.initial, self.finals, self.map = alphabet, initial, finals, transitions


def _parse_regex(pattern: str):
    """The anchored patterns of ``LANGUAGES`` as a tree: ("set", ranges), ("cat", [...]),
    ("alt", [...]), ("opt", x), ("plus", x). Only the syntax those patterns use: literals,
    ``\\.``, classes with ranges, ``(?:...)``, ``|``, ``?``, ``+``, ``{n}``."""
    assert pattern.startswith("^") and pattern.endswith("$")
    text, pos = pattern[1:-1], 0

    def alternation():
        nonlocal pos
        branches = [sequence()]
        while pos < len(text) and text[pos] == "|":
            pos += 1
            branches.append(sequence())
        return branches[0] if len(branches) == 1 else ("alt", branches)

    def sequence():
        nonlocal pos
        items = []
        while pos < len(text) and text[pos] not in "|)":
            item = atom()
            while pos < len(text) and text[pos] in "?+{":
                if text[pos] == "{":
                    end = text.index("}", pos)
                    item = ("cat", [item] * int(text[pos + 1:end]))
                    pos = end + 1
                else:
                    item = ("opt" if text[pos] == "?" else "plus", item)
                    pos += 1
            items.append(item)
        return ("cat", items)

    def atom():
        nonlocal pos
        char = text[pos]
        if text.startswith("(?:", pos):
            pos += 3
            inner = alternation()
            pos += 1  # ")"
            return inner
        if char == "[":
            end = text.index("]", pos)
            body, ranges, i = text[pos + 1:end], [], 0
            while i < len(body):
                if i + 2 < len(body) and body[i + 1] == "-":
                    ranges.append((ord(body[i]), ord(body[i + 2])))
                    i += 3
                else:
                    ranges.append((ord(body[i]), ord(body[i])))
                    i += 1
            pos = end + 1
            return ("set", tuple(ranges))
        if char == "\\":
            pos += 2
            return ("set", ((ord(text[pos - 1]),) * 2,))
        pos += 1
        return ("set", ((ord(char),) * 2,))

    return alternation()


@functools.lru_cache(maxsize=16)
def _format_dfa(pattern: str) -> _Dfa:
    """Thompson's construction, then the subset construction, over the code-point runs the
    pattern's classes cut (written here because greenery minimises after every step and
    spends seconds on the date-time calendar; these patterns are fixed and small)."""
    edges: list[list] = []  # per NFA state: [(ranges or None for epsilon, target)]

    def state() -> int:
        edges.append([])
        return len(edges) - 1

    def build(node, start: int) -> int:
        kind = node[0]
        if kind == "set":
            end = state()
            edges[start].append((node[1], end))
            return end
        if kind == "cat":
            for item in node[1]:
                start = build(item, start)
            return start
        if kind == "alt":
            end = state()
            for branch in node[1]:
                entry = state()
                edges[start].append((None, entry))
                edges[build(branch, entry)].append((None, end))
            return end
        # Fresh entry and exit states around `?` and `+`, so a loop's back edge and an
        # optional's skip never meet (sharing them would let `(?:\.[0-9]+)?` read digits without the dot).
        entry, out = state(), state()
        edges[start].append((None, entry))
        end = build(node[1], entry)
        edges[end].append((None, out))
        if kind == "opt":
            edges[entry].append((None, out))
        else:  # plus
            edges[end].append((None, entry))
        return out

    initial = state()
    final = build(_parse_regex(pattern), initial)
    cuts = sorted({point for items in edges for ranges, _ in items if ranges
                   for low, high in ranges for point in (low, high + 1)} | {0, 0x110000})
    runs = list(zip(cuts, cuts[1:]))

    def closure(states) -> frozenset:
        seen, stack = set(states), list(states)
        while stack:
            for ranges, target in edges[stack.pop()]:
                if ranges is None and target not in seen:
                    seen.add(target)
                    stack.append(target)
        return frozenset(seen)

    classes = [_Class(((low, high - 1),)) for low, high in runs]
    start = closure([initial])
    numbers, transitions, finals, todo = {start: 0}, {}, set(), [start]
    while todo:
        current = todo.pop()
        number = numbers[current]
        if final in current:
            finals.add(number)
        moves = transitions.setdefault(number, {})
        for charclass, (low, _high) in zip(classes, runs):
            targets = {target for s in current for ranges, target in edges[s]
                       if ranges and any(a <= low <= b for a, b in ranges)}
            if targets:
                following = closure(targets)
                if following not in numbers:
                    numbers[following] = len(numbers)
                    todo.append(following)
                moves[charclass] = numbers[following]
    return _Dfa(classes, 0, finals, transitions)


def _letters(fsms: tuple) -> list[str]:
    """One character for each run of code points every automaton treats alike (the coarsest
    partition refining all their alphabets), a readable one where the run has it."""
    cuts = {0, 0x110000}
    for fsm in fsms:
        for charclass in fsm.alphabet:
            for low, high in charclass.ord_ranges:
                cuts.update((low, high + 1))
    points = sorted(cuts)
    letters = []
    for low, high in zip(points, points[1:]):
        letters.append(next((c for c in _PREFERRED if low <= ord(c) < high), chr(low)))
    return letters


def _search(accept: tuple, reject: tuple, limit: int) -> list[str] | None:
    """Shortest strings every automaton of ``accept`` matches and some automaton of ``reject``
    does not (``reject`` empty: no condition), breadth first over the product's reachable
    states; None when the search outgrows ``_MAX_VISITS``.

    Written here rather than with greenery's ``&``/``-``: those build and minimise the whole
    product automaton (seconds for a date-time against a pattern), where deciding emptiness
    and finding a witness need only the reachable part of the product.
    """
    fsms = accept + reject
    letters = _letters(fsms)
    # For each automaton, the class of its alphabet each letter falls in (a partition: one).
    classes = [[next(c for c in fsm.alphabet if c.accepts(letter)) for letter in letters] for fsm in fsms]
    live = [_live(fsm) for fsm in fsms]
    n_accept = len(accept)
    start = tuple(fsm.initial for fsm in fsms)
    seen = {start}
    frontier = [(start, "")]
    found: list[str] = []
    while frontier:
        following = []
        for states, text in frontier:
            if all(states[i] in fsms[i].finals for i in range(n_accept)) and (
                    not reject or any(states[i] is None or states[i] not in fsms[i].finals
                                      for i in range(n_accept, len(fsms)))):
                found.append(text)
                if len(found) >= limit:
                    return found
            for index, letter in enumerate(letters):
                step = []
                for i, fsm in enumerate(fsms):
                    state = states[i]
                    target = None if state is None else fsm.map.get(state, {}).get(classes[i][index])
                    if target is not None and target not in live[i]:
                        target = None
                    if target is None and i < n_accept:
                        break  # an accepting automaton died: nothing down this letter
                    step.append(target)
                else:
                    following_states = tuple(step)
                    if following_states not in seen:
                        seen.add(following_states)
                        if len(seen) > _MAX_VISITS:
                            return None
                        following.append((following_states, text + letter))
        frontier = following
    return found


_LIVE: dict[int, tuple[Any, frozenset]] = {}


def _live(fsm) -> frozenset:
    """The states from which a final state can be reached (greenery's ``islive`` recomputes
    this for every call)."""
    cached = _LIVE.get(id(fsm))
    if cached is not None and cached[0] is fsm:
        return cached[1]
    reverse: dict[Any, set] = {}
    for state, moves in fsm.map.items():
        for target in moves.values():
            reverse.setdefault(target, set()).add(state)
    live = set(fsm.finals)
    stack = list(live)
    while stack:
        for before in reverse.get(stack.pop(), ()):
            if before not in live:
                live.add(before)
                stack.append(before)
    if len(_LIVE) > 1024:
        _LIVE.clear()
    _LIVE[id(fsm)] = (fsm, frozenset(live))
    return _LIVE[id(fsm)][1]


def _applies(formats: Iterable[str]) -> bool:
    return all(name in LANGUAGES for name in formats)


def _empty(accept: tuple, reject: tuple) -> bool | None:
    found = _search(accept, reject, 1)
    return None if found is None else not found


@functools.lru_cache(maxsize=1024)
def _subset(small_f: frozenset, small_p: frozenset, big_f: frozenset, big_p: frozenset) -> bool | None:
    """Every string the ``small`` side accepts, the ``big`` side accepts; ``None``: undecided."""
    small_hi, small_lo = _fsms(small_f, small_p, 1), _fsms(small_f, small_p, 0)
    big_hi, big_lo = _fsms(big_f, big_p, 1), _fsms(big_f, big_p, 0)
    big_patterns, big_formats = _fsms(frozenset(), big_p, 1), _fsms(big_f, frozenset(), 0)
    if None in (small_hi, small_lo, big_hi, big_lo, big_patterns, big_formats):
        return None
    if _empty(small_hi, big_lo):
        return True
    # The patterns (exact on both bounds) and the formats taken apart, so equal formats on
    # both sides cancel exactly instead of meeting as lo against hi.
    patterns_ok = not big_patterns or _empty(small_hi, big_patterns)
    formats_ok = big_f <= small_f or _empty(small_hi, big_formats)
    if patterns_ok and formats_ok:
        return True
    refuted = _empty(small_lo, big_hi)
    return False if refuted is False else None


def relation(old_formats: Iterable[str], old_patterns: Iterable[str], new_formats: Iterable[str],
             new_patterns: Iterable[str]) -> str | None:
    """How the strings the new version accepts relate to the old version's ("equal",
    "narrower", "wider", "overlap"), with formats read as languages; ``None`` when a format
    has no language here, no format is involved, or the automata cannot settle it."""
    old_f, new_f = frozenset(old_formats), frozenset(new_formats)
    if not (old_f or new_f) or not (_applies(old_f) and _applies(new_f)):
        return None
    old_p, new_p = frozenset(old_patterns), frozenset(new_patterns)
    forward = _subset(new_f, new_p, old_f, old_p)  # new ⊆ old
    backward = _subset(old_f, old_p, new_f, new_p)  # old ⊆ new
    if forward is None or backward is None:
        return None
    return {(True, True): "equal", (True, False): "narrower", (False, True): "wider"}.get((forward, backward), "overlap")


@functools.lru_cache(maxsize=1024)
def _samples(acc_f: frozenset, acc_p: frozenset, rej_f: frozenset, rej_p: frozenset, limit: int) -> tuple[str, ...]:
    accepting, rejecting = _fsms(acc_f, acc_p, 0), _fsms(rej_f, rej_p, 1)
    if accepting is None or rejecting is None or not rejecting:
        return ()
    return tuple(_search(accepting, rejecting, limit) or ())


def sample_difference(accepting_formats: Iterable[str], accepting_patterns: Iterable[str],
                      rejecting_formats: Iterable[str], rejecting_patterns: Iterable[str], limit: int = 2) -> list[str]:
    """Strings the accepting side's formats and patterns admit and the rejecting side's refuse
    (empty when a format has no language here)."""
    acc_f, rej_f = frozenset(accepting_formats), frozenset(rejecting_formats)
    if not (acc_f or rej_f) or not (_applies(acc_f) and _applies(rej_f)):
        return []
    return list(_samples(acc_f, frozenset(accepting_patterns), rej_f, frozenset(rejecting_patterns), limit))


def sample_language(formats: Iterable[str], patterns: Iterable[str], limit: int = 2) -> list[str]:
    """Strings every asserted format (its ``lo`` language: strings the checker accepts) and
    every pattern accepts, found by ``_regex``'s bounded walk (no greenery automaton, so a
    counted repetition costs what it costs there); empty when it cannot be decided. Formats
    the package does not assert are annotations and left out."""
    languages = sorted(LANGUAGES[name][0] for name in formats if name in LANGUAGES)
    return list(_regex._strings(tuple(sorted(patterns)) + tuple(languages), (), limit) or ())
