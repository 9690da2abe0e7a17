"""Every error the package raises, each a precise type a caller can catch."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Problem:
    """One reason a payload is not a valid event.

    ``pointer`` is an RFC 6901 JSON pointer into the payload (``""`` is the whole payload;
    for a missing required property it names the property that is missing), ``keyword``
    the JSON Schema keyword that failed (or ``json``, ``size``, ``event_type`` for problems
    found before schema validation), ``message`` a sentence for a person.
    """

    pointer: str
    keyword: str
    message: str

    def __str__(self) -> str:
        return f"{self.pointer or '/'}: {self.message}"

    def as_dict(self) -> dict[str, str]:
        return {"pointer": self.pointer, "keyword": self.keyword, "message": self.message}


class EventError(ValueError):
    """Base of the errors about a payload; catch it to handle both kinds below alike."""


class InvalidEvent(EventError):
    """The payload is not a valid event: bad JSON, too large, or against its schema.

    ``problems`` lists every problem found (never empty), sorted by pointer; when the caller
    asked for at most ``max_problems``, the first ones of that sorted list, and
    ``more_problems`` says how many more were found (0: ``problems`` is complete).
    ``all_counted`` is False when validation stopped looking (a long array of invalid items):
    the payload then has *at least* ``more_problems`` more.
    ``event_type`` is the payload's event type when it had a known one, else None.
    """

    def __init__(self, problems: list[Problem] | tuple[Problem, ...], event_type: str | None = None, *,
                 more_problems: int = 0, all_counted: bool = True):
        self.problems: tuple[Problem, ...] = tuple(problems)
        self.event_type = event_type
        self.more_problems = more_problems
        self.all_counted = all_counted
        what = f"invalid {event_type} event" if event_type else "invalid event"
        count = len(self.problems) + more_problems
        least = "" if all_counted else "at least "
        shown = "; ".join(str(p) for p in self.problems[:5])
        more = f"; and {least}{count - 5} more" if count > 5 else ""
        super().__init__(f"{what} ({least}{count} problem{'s' if count != 1 else ''}): {shown}{more}")


class UnknownEventType(EventError):
    """A well-formed event (a JSON object with a string ``event_type``) of a type not in the catalog.

    Producers add event types over time; a receiver usually acknowledges and ignores these.
    """

    def __init__(self, event_type: str, known: tuple[str, ...]):
        self.event_type = event_type
        self.known = known
        super().__init__(f"unknown event type {event_type[:200]!r}; this package knows {len(known)}: {', '.join(known)}")
