"""``access-events drift`` on small producer documents written here (no Node needed): how event
schemas are found in OpenAPI 3.0/3.1 and AsyncAPI 3.0, statuses, exit codes, the config's
``drift:`` section, the dialect translation the engine reads other producers through, and
the format languages the comparison rests on (checked against the package's own checkers).
"""

from __future__ import annotations

import copy
import io
import json
import re
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from access_events import schema
from access_events._formats import is_uuid
from access_events._rfc3339 import is_rfc3339
from access_events.cli import main
from access_events.compat import compare_catalogs
from access_events.compat._languages import LANGUAGES
from access_events.drift import default_globs, drift, run_drift

UUID_FIELD = {"type": "string", "format": "uuid"}
DATE_TIME = {"type": "string", "format": "date-time"}
BASE_FIELDS = {"event_id": UUID_FIELD, "workspace_id": UUID_FIELD, "created_at": DATE_TIME, "occurred_at": DATE_TIME,
               "access_method_id": UUID_FIELD, "access_grant_ids": {"type": "array", "items": UUID_FIELD},
               "access_grant_keys": {"type": "array", "items": {"type": "string"}},
               "event_description": {"type": "string"}}
REQUIRED = ["event_id", "workspace_id", "created_at", "occurred_at", "access_method_id", "access_grant_ids",
            "event_type"]
FAMILY = ("access_method.card_encoding_required", "access_method.created", "access_method.delay_in_issuing",
          "access_method.deleted", "access_method.failed_to_issue", "access_method.issued",
          "access_method.reissued", "access_method.revoked")
CODE_EVENTS = ("access_method.issued", "access_method.reissued")
ACK_CONFIG = """\
drift:
  acknowledged:
    - rule: pattern-removed
      pointer: common.schema.json#/$defs/date_time/pattern
      reason: year 0000 refused on purpose
      expires: 2999-12-31
"""


def branch(event_type: str, *, nullable_code: bool = False, required: list[str] | None = None) -> dict:
    """One event as this producer publishes it: an OpenAPI 3.0 Schema Object, enum of one value."""
    properties = {**copy.deepcopy(BASE_FIELDS), "event_type": {"type": "string", "enum": [event_type]}}
    if event_type in CODE_EVENTS:
        properties["code"] = {"type": "string", **({"nullable": True} if nullable_code else {})}
        properties["is_backup_code"] = {"type": "boolean"}
    return {"type": "object", "properties": properties, "required": list(required or REQUIRED),
            "x-route-path": "/access_methods", "example": None}


def openapi30(events=FAMILY, **kwargs) -> dict:
    return {"openapi": "3.0.0", "info": {"title": "producer", "version": "1"}, "paths": {},
            "components": {"schemas": {"event": {"oneOf": [branch(e, **kwargs) for e in events]},
                                       "device": {"type": "object", "properties": {"device_id": UUID_FIELD}}}}}


def write(tmp_path: Path, document: dict, name: str = "producer.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(document, indent=1) if name.endswith(".json") else yaml.safe_dump(document), "utf-8")
    return path


def config(tmp_path: Path, text: str = ACK_CONFIG) -> Path:
    path = tmp_path / "compat.yaml"
    path.write_text(text, "utf-8")
    return path


def errors(result) -> list[tuple[str, str, str]]:
    return sorted((f.event, f.rule, f.instance_path) for f in result.findings if f.status == "error")


def test_openapi30_in_sync(tmp_path):
    """A producer publishing exactly our events (bare formats, enum of one value, x-*, example)
    is in sync: the UUID patterns restate their format, the event_type pattern is decided by
    the constant, and only the year-0000 difference is found (acknowledged)."""
    result = drift(str(write(tmp_path, openapi30())), config=config(tmp_path))
    assert result.exit_code == 0, errors(result)
    assert result.statuses == {e: "in-sync" for e in FAMILY}
    assert {f.rule for f in result.findings} == {"pattern-removed"}


def test_nullable_code_is_an_error_with_witness(tmp_path):
    """OpenAPI 3.0 ``nullable: true`` read as a type list with null: the producer may send
    ``code: null``, which the contract refuses (nothing is nullable): an error, witnessed."""
    result = drift(str(write(tmp_path, openapi30(nullable_code=True))), config=config(tmp_path))
    assert errors(result) == [(e, "type-widened", "/code") for e in CODE_EVENTS]
    for f in result.findings:
        if f.status == "error":
            assert f.witness.instance["code"] is None and f.witness.accepted_by == "producer"


def test_only_in_producer_and_contract(tmp_path):
    """A type of the family the contract lacks is only-in-producer, one the producer lacks
    only-in-contract; both warnings (exit 0); another family is not compared by default."""
    events = [e for e in FAMILY if e != "access_method.created"] + ["access_method.teleported"]
    document = openapi30(events)
    document["components"]["schemas"]["event"]["oneOf"].append(
        {**branch("device.connected"), "properties": {"event_type": {"type": "string", "enum": ["device.connected"]}}})
    result = drift(str(write(tmp_path, document)), config=config(tmp_path))
    assert result.exit_code == 0
    assert result.statuses["access_method.teleported"] == "only-in-producer"
    assert result.statuses["access_method.created"] == "only-in-contract"
    assert "device.connected" not in result.statuses
    assert sorted((f.event, f.rule, f.status) for f in result.findings if f.status == "warn") == [
        ("access_method.created", "only-in-contract", "warn"), ("access_method.teleported", "only-in-producer", "warn")]
    everything = drift(str(write(tmp_path, document)), config=config(tmp_path), events=["*"])
    assert everything.statuses["device.connected"] == "only-in-producer"


def test_required_missing_is_an_error(tmp_path):
    """access_grant_ids required by the contract and not by the producer: producer ⊄ contract,
    an error whose witness lacks the field (the 2025-08 history)."""
    required = [r for r in REQUIRED if r != "access_grant_ids"]
    result = drift(str(write(tmp_path, openapi30(required=required))), config=config(tmp_path))
    assert errors(result) == [(e, "required-property-removed", "/access_grant_ids") for e in FAMILY]
    assert all("access_grant_ids" not in f.witness.instance for f in result.findings if f.status == "error")


def test_contract_wider_is_info(tmp_path):
    """The producer requiring ``code`` (narrower than the contract): contract ⊄ producer, an info."""
    document = openapi30()
    for b in document["components"]["schemas"]["event"]["oneOf"]:
        if b["properties"]["event_type"]["enum"][0] in CODE_EVENTS:
            b["required"].append("code")
    result = drift(str(write(tmp_path, document)), config=config(tmp_path))
    assert result.exit_code == 0
    infos = sorted((f.event, f.rule) for f in result.findings if f.status == "info")
    assert infos == [(e, "required-property-added") for e in CODE_EVENTS]


def test_openapi31_webhooks_yaml_on_stdin(tmp_path):
    """OpenAPI 3.1: events as webhook request bodies (with a $ref), YAML, read from ``-``."""
    schemas = {e.replace(".", "_"): branch(e) for e in FAMILY}
    for s in schemas.values():
        s["properties"]["event_type"] = {"const": s["properties"]["event_type"]["enum"][0]}
        del s["example"]
    document = {"openapi": "3.1.0", "info": {"title": "p", "version": "1"},
                "webhooks": {e: {"post": {"requestBody": {"content": {"application/json": {
                    "schema": {"$ref": f"#/components/schemas/{e.replace('.', '_')}"}}}}}} for e in FAMILY},
                "components": {"schemas": schemas}}
    out, err = io.StringIO(), io.StringIO()
    code = run_drift("-", config=str(config(tmp_path)), fmt="json", out=out, err=err,
                     stdin=io.StringIO(yaml.safe_dump(document)))
    assert code == 0, err.getvalue() + out.getvalue()
    report = json.loads(out.getvalue())
    assert {e: v["status"] for e, v in report["events"].items()} == {e: "in-sync" for e in FAMILY}


def test_asyncapi30_payloads(tmp_path):
    """AsyncAPI 3.0: events as message payloads (draft-07 superset), through channel messages."""
    messages = {e.replace(".", "_"): {"payload": {k: v for k, v in branch(e).items() if k != "example"}}
                for e in FAMILY}
    document = {"asyncapi": "3.0.0", "info": {"title": "p", "version": "1"},
                "channels": {"hooks": {"messages": {k: {"$ref": f"#/components/messages/{k}"} for k in messages}}},
                "components": {"messages": messages}}
    result = drift(str(write(tmp_path, document, "asyncapi.yaml")), config=config(tmp_path))
    assert result.spec.kind == "asyncapi-3.0" and result.spec.dialect == "draft-07"
    assert result.statuses == {e: "in-sync" for e in FAMILY}


@pytest.mark.parametrize("content, expected", [
    (None, "no such file"),
    ("openapi: [3.0\n  bad", "producer.yaml:"),
    ("{\"swagger\": \"2.0\"}", "not OpenAPI 3.0/3.1 or AsyncAPI 3.0"),
    ("[1, 2]", "expected an OpenAPI or AsyncAPI document"),
])
def test_bad_spec_exit_2(tmp_path, capsys, content, expected):
    """Unreadable or foreign input: exit 2 with the file (and line) named, never a traceback."""
    path = tmp_path / "producer.yaml"
    if content is not None:
        path.write_text(content, "utf-8")
    assert main(["drift", str(path)]) == 2
    err = capsys.readouterr().err
    assert expected in err and "Traceback" not in err


def test_two_schemas_for_one_type_exit_2(tmp_path, capsys):
    document = openapi30()
    other = branch("access_method.issued")
    other["required"] = ["event_id"]
    document["components"]["schemas"]["issued_again"] = other
    assert main(["drift", str(write(tmp_path, document))]) == 2
    assert "access_method.issued has two different schemas" in capsys.readouterr().err


def test_config_drift_section_checked(tmp_path, capsys):
    """The ``drift:`` section is checked like the rest: an unknown key or rule is a usage error."""
    spec = write(tmp_path, openapi30())
    bad = config(tmp_path, "drift:\n  severity:\n    only-in-producr: info\n")
    assert main(["drift", str(spec), "--config", str(bad)]) == 2
    assert "did you mean 'only-in-producer'" in capsys.readouterr().err
    bad = config(tmp_path, "drift:\n  ignore: []\n")
    assert main(["drift", str(spec), "--config", str(bad)]) == 2
    assert "drift: unknown key 'ignore'" in capsys.readouterr().err


def test_stale_drift_acknowledgement_warns(tmp_path):
    text = ACK_CONFIG + """\
    - rule: required-property-removed
      pointer: /required
      reason: nothing matches this
      expires: 2999-12-31
"""
    result = drift(str(write(tmp_path, openapi30())), config=config(tmp_path, text))
    stale = [f for f in result.findings if f.rule == "stale-acknowledgement"]
    assert len(stale) == 1 and stale[0].status == "warn" and result.exit_code == 0


@pytest.mark.parametrize("fmt", ["text", "json", "markdown", "github", "junit"])
def test_every_format_deterministic(tmp_path, fmt):
    """Every format renders, twice the same; the exit code is the verdict's."""
    spec = write(tmp_path, openapi30(nullable_code=True))
    outputs = []
    for _ in range(2):
        out, err = io.StringIO(), io.StringIO()
        assert run_drift(str(spec), config=str(config(tmp_path)), fmt=fmt, out=out, err=err) == 1
        outputs.append(out.getvalue())
    assert outputs[0] == outputs[1] and "access_method.issued" in outputs[0]


def test_default_globs_are_the_contract_prefixes():
    assert default_globs(["access_method.issued", "access_method.revoked", "device.x"]) == (
        "access_method.*", "device.*")


# --- dialects --------------------------------------------------------------------------------


def test_draft07_tuple_items_catalog_compared():
    """A draft-07 catalog with tuple ``items`` was refused as "not a set of JSON Schema
    documents"; it is now read in its own dialect."""
    old = {"a.schema.json": {"$schema": "http://json-schema.org/draft-07/schema#", "$id": "https://x.invalid/a.schema.json",
                             "type": "object", "properties": {"pair": {"type": "array", "items": [{"type": "string"}]}}}}
    new = copy.deepcopy(old)
    new["a.schema.json"]["properties"]["pair"]["additionalItems"] = False
    report = compare_catalogs(old, new)
    assert [c.rule for c in report.changes] == ["additional-items-forbidden"]


def test_compat_dialect_option(tmp_path, capsys):
    """``compat --dialect openapi-3.0`` reads schemas without ``$schema`` as OpenAPI 3.0."""
    old = tmp_path / "old.json"
    new = tmp_path / "new.json"
    old.write_text(json.dumps({"type": "object", "properties": {"n": {"type": "integer", "minimum": 0}}}))
    new.write_text(json.dumps({"type": "object", "properties": {"n": {"type": "integer", "minimum": 0,
                                                                     "exclusiveMinimum": True}}}))
    assert main(["compat", str(old), str(new), "--dialect", "openapi-3.0", "--direction", "forward"]) == 0
    assert main(["compat", str(old), str(new), "--dialect", "openapi-3.0", "--direction", "backward"]) == 1
    capsys.readouterr()
    assert main(["compat", str(old), str(new), "--dialect", "draft-99"]) == 2
    assert "draft-99" in capsys.readouterr().err


# --- formats as languages: the bounds against the package's own checkers ----------------------

DATE_TIME_LO, DATE_TIME_HI = (re.compile(p) for p in LANGUAGES["date-time"])
UUID = re.compile(LANGUAGES["uuid"][0])
_DIGITS = st.text("0123456789", min_size=2, max_size=2)


@st.composite
def near_date_times(draw) -> str:
    """Strings in RFC 3339's shape with every field drawn across and beyond its range."""
    year = draw(st.sampled_from(["0000", "1900", "2000", "2024", "2023", "2100", "9999", "0004"]))
    month, day, hour, minute = draw(_DIGITS), draw(_DIGITS), draw(_DIGITS), draw(_DIGITS)
    second = draw(st.sampled_from(["00", "59", "60", "61"]))
    fraction = draw(st.sampled_from(["", ".0", ".123456789"]))
    offset = draw(st.one_of(st.sampled_from(["Z", "z", "+00:00", "-00:00"]),
                            st.builds(lambda s, h, m: f"{s}{h}:{m}", st.sampled_from("+-"), _DIGITS, _DIGITS)))
    return f"{year}-{month}-{day}{draw(st.sampled_from('Tt'))}{hour}:{minute}:{second}{fraction}{offset}"


def dfa_accepts(pattern: str, value: str) -> bool:
    """Run the engine's own automaton for a format language (``_languages._format_dfa``)."""
    from access_events.compat._languages import _format_dfa

    dfa = _format_dfa(pattern)
    state = dfa.initial
    for char in value:
        charclass = next((c for c in dfa.alphabet if c.accepts(char)), None)
        state = dfa.map.get(state, {}).get(charclass)
        if state is None:
            return False
    return state in dfa.finals


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(near_date_times())
def test_date_time_language_bounds(value):
    """lo ⊆ date-time ⊆ hi, the claim the comparison's soundness rests on; and the engine's
    automata accept exactly what the bounds' regular expressions match."""
    for pattern, compiled in zip(LANGUAGES["date-time"], (DATE_TIME_LO, DATE_TIME_HI)):
        assert dfa_accepts(pattern, value) == bool(compiled.fullmatch(value)), (pattern, value)
    if DATE_TIME_LO.fullmatch(value):
        assert is_rfc3339(value), value
    if is_rfc3339(value):
        assert DATE_TIME_HI.fullmatch(value), value
        if not value[17:19] == "60":
            assert DATE_TIME_LO.fullmatch(value), value  # only leap seconds fall between the bounds


_LOOSE = r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}:[0-9.]{1,6}(?:[Zz]|[+-][0-9]{2}:?[0-9]{2})?"


@settings(max_examples=1500, deadline=None)
@given(st.from_regex(_LOOSE, fullmatch=True))
def test_date_time_automata_match_their_regexes(value):
    """The compiled automata against the regexes on strings near RFC 3339's shape (a missing
    dot before the fraction, a space, no offset...): found a shared state in the
    construction of ``(?:\\.[0-9]+)?`` that let digits follow the seconds without the dot."""
    for pattern, compiled in zip(LANGUAGES["date-time"], (DATE_TIME_LO, DATE_TIME_HI)):
        assert dfa_accepts(pattern, value) == bool(compiled.fullmatch(value)), (pattern, value)
    assert not dfa_accepts(LANGUAGES["date-time"][1], "2025-01-01T00:00:000Z")


@settings(max_examples=2000, deadline=None)
@given(st.one_of(st.from_regex(UUID, fullmatch=True), st.text("0123456789abcdefABCDEFg-{}:", max_size=40)))
def test_uuid_language_is_exact(value):
    assert bool(UUID.fullmatch(value)) == is_uuid(value) == dfa_accepts(LANGUAGES["uuid"][0], value)


def test_packaged_schema_patterns_restate_nothing_more():
    """Our uuid pattern is exactly the uuid language (so it compares equal to the bare format)."""
    common = json.loads((Path(__file__).resolve().parents[1] / "schemas" / "common.schema.json").read_text())
    assert common["$defs"]["uuid"]["pattern"] == LANGUAGES["uuid"][0]
    assert schema("access_method.issued")["properties"]["event_type"]["const"] == "access_method.issued"
