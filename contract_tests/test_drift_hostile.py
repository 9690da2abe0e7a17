"""``access-events drift`` on hostile producer documents: each a clear error naming the file and
why, exit 2, never a traceback (audit of issue 11)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from access_events.cli import main

CYCLE = {"openapi": "3.0.0", "components": {"schemas": {"a": {"$ref": "#/components/schemas/b"},
                                                        "b": {"$ref": "#/components/schemas/a"}}}}
NON_OBJECT = {"openapi": "3.0.0", "components": {"schemas": {"e": True, "f": [1, 2],
                                                             "g": {"type": "object", "properties": []}}}}
SELF_REF = {"openapi": "3.0.0", "components": {"schemas": {"e": {"allOf": [{"$ref": "#/components/schemas/e"}]}}}}


@pytest.mark.parametrize("document", [
    {"openapi": "3.0.0", "info": {"title": "t", "version": "1"}, "paths": {}},
    CYCLE, NON_OBJECT, SELF_REF,
    {"asyncapi": "3.0.0", "channels": {"c": {"messages": {"m": {"payload": {"type": "object"}}}}}},
], ids=["empty", "ref-cycle", "non-object-schemas", "allof-self-ref", "asyncapi-no-event"])
def test_spec_without_events_is_exit_2(tmp_path: Path, capsys, document):
    """A document in which no event schema is found is not "in sync" with anything: before the fix,
    drift exited 0 (PASS) with every contract event merely warned about as only-in-contract."""
    path = tmp_path / "producer.json"
    path.write_text(json.dumps(document), "utf-8")
    assert main(["drift", str(path)]) == 2
    err = capsys.readouterr().err
    assert "producer.json" in err and "no event schemas found" in err and "Traceback" not in err


# -- drift soundness: the producer allows what the contract refuses, in subtle ways ---------------

from openapi_schema_validator import OAS30Validator  # noqa: E402

from access_events import validate_event  # noqa: E402
from access_events.drift import drift  # noqa: E402

from test_drift import FAMILY, branch, config, openapi30, write  # noqa: E402,F401


def _producer_accepts(document: dict, event_type: str, instance: dict) -> bool:
    """The producer's own OpenAPI 3.0 validator on the untranslated branch of ``event_type``."""
    branches = document["components"]["schemas"]["event"]["oneOf"]
    schema = next(b for b in branches if b["properties"]["event_type"]["enum"] == [event_type])
    return OAS30Validator({**schema, "components": document["components"]}).is_valid(instance)


def _errors_confirmed(result, document: dict) -> list[tuple[str, str, str]]:
    """Every error's witness: accepted by the producer's validator, refused by the contract's."""
    found = []
    for f in result.findings:
        if f.status != "error":
            continue
        assert f.witness is not None, f
        assert f.witness.accepted_by == "producer"
        assert _producer_accepts(document, f.event, f.witness.instance), (f.event, f.witness.instance)
        assert validate_event(f.witness.instance), (f.event, f.witness.instance)
        found.append((f.event, f.rule, f.instance_path))
    return sorted(found)


def _edit(document: dict, event_type: str) -> dict:
    return next(b for b in document["components"]["schemas"]["event"]["oneOf"]
                if b["properties"]["event_type"]["enum"] == [event_type])


def test_read_only_required_property_is_not_required(tmp_path):
    """OpenAPI 3.0: ``event_id`` required but ``readOnly`` is required in responses only; the
    producer's validator accepts an event without it. Before the fix drift said in-sync."""
    document = openapi30(events=("access_method.revoked",))
    _edit(document, "access_method.revoked")["properties"]["event_id"]["readOnly"] = True
    result = drift(str(write(tmp_path, document)), config=config(tmp_path), events=["access_method.revoked"])
    assert result.statuses["access_method.revoked"] == "drifted"
    assert ("access_method.revoked", "required-property-removed", "/event_id") in _errors_confirmed(result, document)


def test_const_in_openapi30_constrains_nothing(tmp_path):
    """OpenAPI 3.0 has no ``const``: the producer's validator accepts any ``code``. Before the fix
    the translation kept ``const`` and drift said in-sync."""
    document = openapi30(events=("access_method.issued",))
    _edit(document, "access_method.issued")["properties"]["is_backup_code"] = {"const": False}
    result = drift(str(write(tmp_path, document)), config=config(tmp_path), events=["access_method.issued"])
    assert result.statuses["access_method.issued"] == "drifted"
    assert any(path == "/is_backup_code" for _, _, path in _errors_confirmed(result, document))


@pytest.mark.parametrize("value", [
    {"$ref": "https://producer.example/remote.json#/code"},
    {"type": "string", "frobnicate": 3},
])
def test_what_drift_does_not_understand_is_not_in_sync(tmp_path, monkeypatch, value):
    """A remote ``$ref`` (never fetched) or an unknown keyword where the contract constrains the
    payload: undecided (an error), never in-sync."""
    import urllib.request

    def no_network(*args, **kwargs):
        raise AssertionError("drift tried to fetch a remote reference")

    monkeypatch.setattr(urllib.request, "urlopen", no_network)
    document = openapi30(events=("access_method.issued",))
    _edit(document, "access_method.issued")["properties"]["code"] = value
    result = drift(str(write(tmp_path, document)), config=config(tmp_path), events=["access_method.issued"])
    assert result.statuses["access_method.issued"] == "drifted"
    assert result.exit_code == 1
    assert any(f.status == "error" for f in result.findings)


@pytest.mark.parametrize("levels, code", [(3000, 2), (300, None)])
def test_deeply_nested_spec_no_traceback(tmp_path, capsys, levels, code):
    """A schema nested ``levels`` deep: past the JSON decoder's depth a clear exit 2 (before the fix:
    a RecursionError traceback from json.loads); at 300 levels a report (before: a RecursionError
    traceback from the translation)."""
    deep = '{"type": "string"}'
    for _ in range(levels):
        deep = '{"allOf": [' + deep + "]}"
    text = json.dumps(openapi30(events=("access_method.revoked",)))
    text = text.replace('"event_description": {"type": "string"}', '"event_description": ' + deep, 1)
    path = tmp_path / "producer.json"
    path.write_text(text, "utf-8")
    result = main(["drift", str(path), "--events", "access_method.revoked"])
    err = capsys.readouterr().err
    assert "Traceback" not in err
    if code is not None:
        assert result == code and "producer.json" in err and "nested too deeply" in err
    else:
        assert result in (0, 1)


def test_enum_with_null_without_type_has_a_witness(tmp_path):
    """``code: {enum: ["a", null]}`` (OpenAPI 3.0, no type: the validator accepts null): drift reports
    type-widened as an error, which must carry a payload both validators confirm. Before the fix it had
    none: the branch's ``example: null`` was taken as the root's minimal instance unchecked, so no base
    payload was valid and every candidate was placed into ``null`` (compat/_witness.minimal)."""
    document = openapi30(events=("access_method.issued",))
    _edit(document, "access_method.issued")["properties"]["code"] = {"enum": ["a", None]}
    result = drift(str(write(tmp_path, document)), config=config(tmp_path), events=["access_method.issued"])
    assert ("access_method.issued", "type-widened", "/code") in _errors_confirmed(result, document)


def _asyncapi(schema_format: str, payload: dict) -> dict:
    return {"asyncapi": "3.0.0", "info": {"title": "p", "version": "1"},
            "components": {"messages": {"issued": {"payload": {"schemaFormat": schema_format, "schema": payload}}}}}


def test_asyncapi_openapi30_schema_format_is_read_as_openapi30(tmp_path):
    """An AsyncAPI multi-format payload declared OpenAPI 3.0 (``schemaFormat``): ``nullable: true`` is
    meaningful there. Read as draft-07 (before the fix) it was ignored and drift said in-sync while the
    producer may send ``code: null``."""
    payload = branch("access_method.issued", nullable_code=True)
    payload.pop("example")
    document = _asyncapi("application/vnd.oai.openapi+json;version=3.0.0", payload)
    result = drift(str(write(tmp_path, document)), config=config(tmp_path), events=["access_method.issued"])
    assert result.statuses["access_method.issued"] == "drifted"
    assert any(f.status == "error" and f.instance_path == "/code" and f.witness.instance["code"] is None
               for f in result.findings)


def test_asyncapi_unknown_schema_format_is_exit_2(tmp_path, capsys):
    """An Avro (or any non-JSON-Schema) payload is not read as JSON Schema: exit 2 naming where."""
    payload = branch("access_method.issued")
    document = _asyncapi("application/vnd.apache.avro;version=1.9.0", payload)
    path = write(tmp_path, document)
    assert main(["drift", str(path), "--events", "access_method.issued"]) == 2
    err = capsys.readouterr().err
    assert "schemaFormat" in err and "/components/messages/issued/payload" in err and "Traceback" not in err
