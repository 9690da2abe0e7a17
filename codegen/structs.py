"""``_structs.py``: one-pass decoders for ``parse_event``, msgspec Structs exactly as strict as the schemas.

msgspec decodes raw JSON straight into a ``Struct``, checking types, required members and
the event-type tag as it goes, and parses UUIDs and date-times in C: about half the time
of decoding to a dict, validating it with jsonschema-rs and converting it. It can only be
the validator where it accepts nothing the schema rejects, so each event's members are
translated keyword by keyword, and an event using any keyword without an exact msgspec
counterpart gets no Struct (``NOT_EXACT`` says why; it stays on the jsonschema-rs path).

Where msgspec's own parsers are laxer than the schema, a second, cheap decode of the
same text reads those members as strings and holds them to the schema:

- msgspec's UUID also takes 32 hex digits without hyphens: the text must be 36 characters
  long (msgspec takes no other 36-character spelling, so with the type that is the
  schema's 8-4-4-4-12 pattern);
- msgspec's date-time also takes a space for ``T`` and an offset without its colon:
  ``access_events._rfc3339.rfc3339_spelling`` rejects both.

Those claims about msgspec are held by ``contract_tests/test_differential.py`` (a
mutation corpus of UUIDs and date-times run through both paths).

Members a schema does not declare are accepted (the objects are open: ``properties`` only
admits object schemas without ``additionalProperties`` and the like), but not by msgspec's
decode: skipping them checks JSON's grammar, escapes, escaped surrogates and control
characters, not everything the reference decoder (orjson) checks: invalid UTF-8, numbers
beyond a double's range, and (on Pythons whose C recursion limit is above orjson's) nesting
deeper than 1024. So ``access_events._fast`` has simdjson parse the text first (it refuses
all three, exactly at orjson's limits, and more: big integers orjson takes send a payload to
the dict route); ``Members`` (the members of every event, so that no union's tag has to be
found first; ``MembersOpen``) then skips members no event declares; ``Members`` itself forbids
them, for payloads without any (no simdjson pass needed). Each event also gets ``<Event>Struct``
(its members, undeclared ones ignored) and ``<event>_from_dict``: ``orjson.loads`` decodes the
payload, with every check the reference makes, and ``convert`` puts its dict into that
Struct; the lax members are then held to the schema on the dict's strings (a UUID's text 36
characters long, the date-time spelling). Optional members default to None with types that
refuse ``null``, so the dataclass takes them as they are. The hostile and fuzzed undeclared
members of ``contract_tests/test_differential.py`` hold these claims, on each route.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: Keywords that only annotate; everything else must be translated or the event is not exact.
ANNOTATIONS = frozenset({"title", "description", "examples", "$comment", "deprecated", "readOnly", "writeOnly", "default"})
#: Document-level keywords of an event schema that say nothing about the payload.
DOCUMENT = frozenset({"$schema", "$id", "$defs", "x-version"})
#: The UUID pattern a 36-character msgspec ``UUID`` already satisfies.
UUID_SHAPE = "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
#: The catalog's date-time pattern (RFC 3339's syntax without year 0000), which msgspec's
#: datetime parser plus ``rfc3339_spelling`` already satisfies; any other pattern is checked
#: as a pattern.
DATE_TIME_SHAPE = (
    "^(?:[1-9][0-9]{3}|0[1-9][0-9]{2}|00[1-9][0-9]|000[1-9])-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}"
    "(?:\\.[0-9]+)?(?:[Zz]|[+-][0-9]{2}:[0-9]{2})$"
)


class NotExact(Exception):
    """A schema construct without an exact msgspec counterpart here."""


@dataclass(frozen=True)
class Member:
    typed: str  # annotation in the decoding Struct
    text: str | None = None  # annotation in the text Struct, None when the typed decode is exact alone
    date_time: bool = False  # the text needs ``rfc3339_spelling`` (on each item, for arrays)
    array: bool = False


def _meta(**constraints: object) -> str:
    given = {k: v for k, v in constraints.items() if v is not None}
    return ", ".join(f"{k}={v!r}" for k, v in sorted(given.items()))


def _annotated(base: str, **constraints: object) -> str:
    meta = _meta(**constraints)
    return f"Annotated[{base}, Meta({meta})]" if meta else base


def _only(node: dict, allowed: set[str], where: str) -> None:
    extra = sorted(set(node) - ANNOTATIONS - allowed)
    if extra:
        raise NotExact(f"{where}: {', '.join(extra)} has no exact msgspec counterpart")


def _target(resolve, file: str, node: object, where: str) -> tuple[str, dict]:
    """The schema a property's ``$ref`` chain ends at, with its file; a ``$ref`` must stand
    alone (in 2020-12 its siblings apply too, and they are not translated here)."""
    while isinstance(node, dict) and "$ref" in node:
        _only(node, {"$ref"}, where)
        file, node = resolve(file, node["$ref"])
    if not isinstance(node, dict):
        raise NotExact(f"{where}: a boolean schema is not translated")
    return file, node


def member(resolve, file: str, node: dict, where: str) -> Member:
    """The exact msgspec types of one property schema; ``resolve(file, ref)`` follows a ``$ref``."""
    file, node = _target(resolve, file, node, where)
    if "const" in node or "enum" in node:
        values = [node["const"]] if "const" in node else node["enum"]
        if "const" in node and "enum" in node:
            raise NotExact(f"{where}: const beside enum is not translated")
        _only(node, {"const", "enum", "type"}, where)
        if not values or not all(isinstance(v, str) for v in values) or node.get("type", "string") != "string":
            raise NotExact(f"{where}: only string constants and enums are translated")
        return Member("Literal[" + ", ".join(repr(v) for v in values) + "]")
    kind = node.get("type")
    if kind == "string":
        _only(node, {"type", "format", "pattern", "minLength", "maxLength"}, where)
        pattern, fmt = node.get("pattern"), node.get("format")
        if fmt is None:
            return Member(_annotated("str", pattern=pattern, min_length=node.get("minLength"), max_length=node.get("maxLength")))
        if "minLength" in node or "maxLength" in node:
            raise NotExact(f"{where}: lengths beside format {fmt!r}")
        if fmt == "uuid":
            return Member("UUID", "Uuid36" if pattern in (None, UUID_SHAPE) else _annotated("str", pattern=pattern, min_length=36, max_length=36))
        if fmt == "date-time":
            return Member("AwareDateTime", "str" if pattern in (None, DATE_TIME_SHAPE) else _annotated("str", pattern=pattern), date_time=True)
        raise NotExact(f"{where}: format {fmt!r} has no exact msgspec counterpart")
    if kind == "boolean":
        _only(node, {"type"}, where)
        return Member("bool")
    if kind == "array":
        _only(node, {"type", "items", "minItems", "maxItems"}, where)
        if not isinstance(node.get("items"), dict):
            raise NotExact(f"{where}: arrays need an items schema")
        item = member(resolve, file, node["items"], where + "/items")
        if item.array:
            raise NotExact(f"{where}: arrays of arrays are not translated")
        bounds = {"min_length": node.get("minItems"), "max_length": node.get("maxItems")}
        text = _annotated(f"list[{item.text}]", **bounds) if item.text else None
        return Member(_annotated(f"list[{item.typed}]", **bounds), text, item.date_time, array=True)
    raise NotExact(f"{where}: type {kind!r} is not translated")


def properties(resolve, file: str, node: dict, event_type: str, found: dict, required: set, where: str = "") -> None:
    """Members and required names of an event object schema, through ``allOf`` and ``$ref``."""
    if "$ref" in node:
        _only(node, {"$ref"}, where or "/")
        file, node = resolve(file, node["$ref"])
    _only(node, {"type", "allOf", "properties", "required"} | DOCUMENT, f"{file}#{where or '/'}")
    if node.get("type", "object") != "object":
        raise NotExact(f"{file}#{where}: not an object schema")
    for number, part in enumerate(node.get("allOf", [])):
        properties(resolve, file, part, event_type, found, required, f"{where}/allOf/{number}")
    for name, sub in node.get("properties", {}).items():
        here = f"{file}#{where}/properties/{name}"
        if name == "event_type":
            # the Struct's tag: the constant must also meet every other declaration of the member
            _, resolved = _target(resolve, file, sub, here)
            _only(resolved, {"const", "type", "pattern"}, here)
            if (resolved.get("const", event_type) != event_type or resolved.get("type", "string") != "string"
                    or ("pattern" in resolved and not re.search(resolved["pattern"], event_type))):
                raise NotExact(f"{here}: the event type {event_type!r} does not meet this declaration")
            continue
        translated = member(resolve, file, sub, here)
        if found.setdefault(name, translated) != translated:
            raise NotExact(f"{here}: declared twice, differently")
    required.update(node.get("required", []))


HEADER_DOC = '''"""One-pass decoders for ``parse_event``: msgspec Structs exactly as strict as the schemas.

Written by ``codegen/structs.py``, which says why each type is exact.
``DECODER`` decodes a payload of any event type below, with only members some event declares,
into ``Members``; ``OPEN_DECODER`` skips the others (``access_events._fast`` has their JSON
checked by simdjson first); ``PARSERS[struct.event_type](struct, raw)`` holds the members of that event
msgspec parses more laxly than the schema to the schema, with a second decode of the same text
as strings (raising ``msgspec.ValidationError`` or returning None when they fail), and makes
the event's dataclass. ``FROM_DICT[event_type](d)`` does the same from orjson's dict of a
payload (undeclared members ignored), checking the lax members on the dict's strings.
Events missing here are in ``NOT_EXACT``, with the reason.
"""
'''


def _optional(annotation: str) -> str:
    """An optional member: absent is None. The type itself refuses ``null`` (msgspec does not
    check defaults), so None can only mean absent, and the dataclass takes the value as it is."""
    return f"{annotation} = None"


def _spelling_check(name: str, m: Member, required: bool) -> str:
    if m.array:
        check = f"all(map(rfc3339_spelling, {name}))"
    else:  # rfc3339_spelling inlined: a call is a tenth of the check's time
        check = f"{name}[10] != \" \" and ({name}[-3] == \":\" or {name}[-1] in \"Zz\")"
    return f"({check})" if required else f"({name} is None or {check})"


def _plain_text(m: Member) -> bool:
    """The text of ``m`` is a plain UUID (``Uuid36``) or date-time (``str``), or a list of them:
    held to the schema by the Python checks below, without a text Struct."""
    inner = m.text.removeprefix("Annotated[") if m.array and m.text else m.text
    return inner in ("Uuid36", "str") or (m.array and (inner.startswith("list[Uuid36]") or inner.startswith("list[str]")))


def _get(name: str, required: bool) -> str:
    return f"d[{name!r}]" if required else f"d.get({name!r})"


def _length_check(name: str, m: Member, required: bool) -> str:
    """A UUID member's text in orjson's dict is 36 characters (each item's, for arrays): with the
    convert to ``UUID`` done, every item is 32 or 36 long, so the joined length tells."""
    value = f"d[{name!r}]"
    check = f"len(\"\".join({value})) == 36 * len({value})" if m.array else f"len({value}) == 36"
    return f"({check})" if required else f"(s.{name} is None or {check})"


def _event_source(ev, order: list[str]) -> str:
    """The statements making ``ev``'s dataclass from a Struct ``s`` holding its members
    (absent optional ones None), ``__dict__`` filled in the dataclass's field ``order`` (as its
    constructor fills it)."""
    lines = [f"    event = _new({ev.class_name})\n    _set(event, \"__dict__\", {{\n"]
    for name in order:
        value = repr(ev.event_type) if name == "event_type" else f"s.{name}"
        lines.append(f"        {name!r}: {value},\n")
    lines.append("    })\n    return event\n")
    return "".join(lines)


def _translated(resolve, events: list, docs: dict, orders: dict[str, list[str]]) -> tuple[list, dict[str, str]]:
    """``(event, members, required)`` of each event with an exact translation; the others' reasons."""
    exact, not_exact = [], {}
    for ev in events:
        found: dict[str, Member] = {}
        required: set[str] = set()
        try:
            properties(resolve, ev.file, docs[ev.file], ev.event_type, found, required)
            declared = {f.name for f in ev.fields} - {"event_type"}
            if set(found) != declared:
                raise NotExact(f"{ev.file}: members {sorted(set(found) ^ declared)} differ from the dataclass fields")
            if sorted(orders.get(ev.class_name, ())) != sorted(f.name for f in ev.fields):  # e.g. a name datamodel-codegen renamed
                raise NotExact(f"{ev.file}: the dataclass {ev.class_name} has the fields {orders.get(ev.class_name)}, the schema {[f.name for f in ev.fields]}")
            if required - set(found) - {"event_type"}:  # lint's required-undeclared; no Struct field would hold it
                raise NotExact(f"{ev.file}: required {sorted(required - set(found) - {'event_type'})} not declared in properties")
        except NotExact as exc:
            not_exact[ev.event_type] = str(exc)
            continue
        exact.append((ev, found, required - {"event_type"}))
    return exact, not_exact


def members_struct(exact: list) -> tuple[dict[str, Member], set[str], list[str]]:
    """The one Struct every event's payload decodes into: the members of the events in ``exact``,
    each with its one translation; an event declaring a name an earlier one declared differently
    stays out (its payloads take the dict route). Required: the names every event in it requires.

    One Struct rather than a tagged union of one per event: msgspec finds a union's tag before it
    decodes, and in payloads whose ``event_type`` is not the first member that is a second scan,
    a quarter of the decode. A member another event declares is, in this event's payload, an
    undeclared one that msgspec decoded with a declared type: a complete, checked JSON value, ignored.
    """
    members: dict[str, Member] = {}
    required: set[str] | None = None
    included: list[str] = []
    for ev, found, needed in exact:
        if any(members.get(name, m) != m for name, m in found.items()):
            continue
        members.update(found)
        required = set(needed) if required is None else required & needed
        included.append(ev.event_type)
    return members, required or set(), included


def structs_module(header: str, events: list, docs: dict, resolve, orders: dict[str, list[str]]) -> str:
    """The source of ``_structs.py`` for ``events`` (``generate.Event``s) of the catalog ``docs``;
    ``orders`` maps each dataclass name to its fields in ``dataclasses.fields`` order."""
    exact, not_exact = _translated(resolve, events, docs, orders)
    members, members_required, included = members_struct(exact)
    body: list[str] = []
    plans: list[str] = []
    from_dict: list[str] = []
    text_structs: dict[tuple[str, ...], str] = {}
    if included:
        body.append("\n\nclass Members(Struct, forbid_unknown_fields=True, kw_only=True, gc=False):\n")
        # the event types as a Literal: msgspec hands back the Literal's own string (no new one, its
        # hash cached for the ``PARSERS`` lookup) and refuses any other type (the dict route's then)
        tags = ", ".join(repr(t) for t in included)
        body.append("    \"\"\"The members of every event in ``PARSERS`` (see ``DECODER``).\"\"\"\n\n"
                    f"    event_type: Literal[{tags}]\n")
        body += [f"    {n}: {members[n].typed if n in members_required else _optional(members[n].typed)}\n" for n in sorted(members)]
        body.append("\n\nclass MembersOpen(Members, forbid_unknown_fields=False):\n"
                    "    \"\"\"The same members, members no event declares skipped (see ``OPEN_DECODER``).\"\"\"\n")
        optional = [n for n in sorted(members) if n not in members_required]
        absent = " + ".join(f"(s.{n} is None)" for n in optional) or "0"
        body.append("\n\n#: How many members ``Members`` has, ``event_type`` included.\n"
                    f"MEMBER_COUNT = {len(members) + 1}\n\n\n"
                    "def absent(s: Members) -> int:\n"
                    "    \"\"\"How many of its optional members ``s`` lacks (the payload's count, with only declared members, each once,\n"
                    "    is ``MEMBER_COUNT - absent(s)``).\"\"\"\n"
                    f"    return {absent}\n")
    for ev, found, required in exact:
        base = ev.module.removesuffix("_schema")
        names = sorted(found)
        body.append(f"\n\nclass {ev.class_name}Struct(Struct, tag_field=\"event_type\", tag={ev.event_type!r}, kw_only=True, gc=False):\n")
        body.append("    \"\"\"The event's members, undeclared ones ignored: for ``convert`` of orjson's dict.\"\"\"\n\n")
        body += [f"    {n}: {found[n].typed if n in required else _optional(found[n].typed)}\n" for n in names]
        texts = [n for n in names if found[n].text]
        text_members = tuple(f"    {n}: {found[n].text if n in required else _optional(found[n].text)}\n" for n in texts)
        if texts and text_members not in text_structs:  # events with the same members share one
            text_structs[text_members] = f"Text{len(text_structs) + 1}"
            name = text_structs[text_members]
            body.append(f"\n\nclass {name}(Struct, kw_only=True, gc=False):\n")
            body.append(f"    \"\"\"The members of {ev.event_type} (and of any later event with the same) that msgspec parses laxly.\"\"\"\n\n")
            body += text_members
            body.append(f"\n\n_{name.lower()} = Decoder({name}).decode\n")
        spelled = [n for n in texts if found[n].date_time]
        assign = "text = " if spelled else ""
        event = _event_source(ev, orders[ev.class_name])

        def text_checks(call: str) -> None:
            """The lax members read again as text by ``call``, then held to RFC 3339's spelling."""
            body.append(f"    {assign}{call}  # raises ValidationError for a lax UUID\n")
            if spelled:
                checks = "\n            and ".join(_spelling_check(n, found[n], n in required) for n in spelled)
                body.append(f"    {', '.join(spelled)} = {', '.join('text.' + n for n in spelled)}\n")
                body.append(f"    if not ({checks}):\n        return None\n")

        if ev.event_type in included:
            body.append(f"\n\ndef {base}_parse(s: Members, raw: bytes | str) -> {ev.class_name} | None:\n")
            missing = sorted(required - members_required)
            if missing:  # required here, optional in Members
                body.append(f"    if {' or '.join(f's.{n} is None' for n in missing)}:\n        return None\n")
            if texts:
                text_checks(f"_{text_structs[text_members].lower()}(raw)")
            body.append(event)
            plans.append(f"    {ev.event_type!r}: {base}_parse,\n")
        body.append(f"\n\ndef {base}_from_dict(d: dict[str, Any]) -> {ev.class_name} | None:\n")
        body.append(f"    s = _convert(d, {ev.class_name}Struct, strict=True)\n")
        if texts and all(_plain_text(found[n]) for n in texts):
            checks = [_length_check(n, found[n], n in required) for n in texts if not found[n].date_time]
            if spelled:
                body.append(f"    {', '.join(spelled)} = {', '.join(_get(n, n in required) for n in spelled)}\n")
                checks += [_spelling_check(n, found[n], n in required) for n in spelled]
            joined = "\n            and ".join(checks)
            body.append(f"    if not ({joined}):\n        return None\n")
        elif texts:
            text_checks(f"_convert(d, {text_structs[text_members]}, strict=True)")
        body.append(event)
        from_dict.append(f"    {ev.event_type!r}: {base}_from_dict,\n")
    source = "".join(body)
    out = [header, HEADER_DOC, "\nfrom __future__ import annotations\n\n",
           "from datetime import datetime\n",
           f"from typing import Annotated, Any, Callable{', Literal' if 'Literal[' in source else ''}\n",
           "from uuid import UUID\n\n",
           "from msgspec import Meta, Struct\nfrom msgspec import convert as _convert\n"
           "from msgspec.json import Decoder\n\n",
           "from access_events._rfc3339 import rfc3339_spelling\n\n" if "rfc3339_spelling(" in source else ""]
    out += [f"from .{ev.module} import {ev.class_name}\n" for ev, _, _ in exact]
    out.append("\n#: A UUID's text: with msgspec's UUID type, exactly the 8-4-4-4-12 spelling.\n"
               "Uuid36 = Annotated[str, Meta(min_length=36, max_length=36)]\n"
               "#: RFC 3339 requires an offset.\nAwareDateTime = Annotated[datetime, Meta(tz=True)]\n"
               "_new = object.__new__\n"
               "#: The dataclasses are frozen, without __post_init__: their instance dict is set whole, as msgspec\n"
               "#: fills dataclasses without calling __init__ (test_differential compares with the converters).\n"
               "_set = object.__setattr__\n"
               )
    out.append(source)
    out.append("\n\n#: Decodes a payload of any event type in ``PARSERS`` with only members some event declares into ``Members``.\n")
    out.append(f"DECODER: Decoder[Any] | None = {'Decoder(Members)' if included else 'None'}\n")
    out.append("#: The same, members no event declares skipped (unchecked: the caller has their JSON checked).\n")
    out.append(f"OPEN_DECODER: Decoder[Any] | None = {'Decoder(MembersOpen)' if included else 'None'}\n")
    out.append("\n#: Event type -> parse(members, raw): the event, None when a member is spelled as RFC 3339 forbids\n"
               "#: (or a member it requires is absent).\n")
    out.append("PARSERS: dict[str, Callable[[Any, bytes | str], Any]] = {\n")
    out += plans
    out.append("}\n\n#: Event type -> from_dict(d): the event of orjson's dict ``d``, or None when a member is spelled as\n"
               "#: RFC 3339 forbids.\n")
    out.append("FROM_DICT: dict[str, Callable[[dict[str, Any]], Any]] = {\n")
    out += from_dict
    out.append("}\n\n#: Event types without a Struct, and why: they are validated by jsonschema-rs.\nNOT_EXACT: dict[str, str] = {")
    out += [f"\n    {k!r}: {v!r}," for k, v in sorted(not_exact.items())]
    out.append("\n}\n" if not_exact else "}\n")
    return "".join(out)
