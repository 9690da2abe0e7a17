"""The schema files as other tools see them: plain jsonschema with the packaged registry, no network."""

from __future__ import annotations

import json

import pytest
import referencing.exceptions
from conftest import ROOT, valid_samples
from jsonschema import Draft202012Validator

import access_events
from access_events import BASE_URI, registry, schema
from access_events._formats import FORMAT_CHECKER


def _validator(uri: str) -> Draft202012Validator:
    return Draft202012Validator({"$ref": uri}, registry=registry(), format_checker=FORMAT_CHECKER)


def test_schema_dir_is_the_source_folder_or_the_packaged_copy():
    files = sorted(p.name for p in access_events.schema_dir().glob("*.schema.json"))
    assert files == sorted(p.name for p in (ROOT / "schemas").glob("*.schema.json"))
    assert len(files) == len(access_events.EVENT_TYPES) + 2  # the events, the union, the common definitions


def test_every_schema_is_draft_2020_12_with_an_id_under_the_one_base():
    ids = set()
    for path in sorted((ROOT / "schemas").glob("*.schema.json")):
        doc = json.loads(path.read_text("utf-8"))
        Draft202012Validator.check_schema(doc)
        assert doc["$schema"] == "https://json-schema.org/draft/2020-12/schema"
        assert doc["$id"] == BASE_URI + path.name
        ids.add(doc["$id"])
    assert len(ids) == len(access_events.EVENT_TYPES) + 2


@pytest.mark.parametrize("path", valid_samples(), ids=lambda p: f"{p.parts[-3]}/{p.stem}")
def test_union_accepts_each_valid_sample_through_exactly_one_branch(path):
    instance = json.loads(path.read_text("utf-8"))
    union = _validator(BASE_URI + "access_method_event.schema.json")
    assert list(union.iter_errors(instance)) == []
    matching = [t for t in access_events.EVENT_TYPES if _validator(BASE_URI + t + ".schema.json").is_valid(instance)]
    assert matching == [instance["event_type"]]


def test_union_discriminator_maps_every_event_to_its_file():
    union = schema("*")
    mapping = union["discriminator"]["mapping"]
    assert list(mapping) == list(access_events.EVENT_TYPES)
    assert [b["$ref"] for b in union["oneOf"]] == list(mapping.values())


@pytest.mark.parametrize("event_type", access_events.EVENT_TYPES)
def test_event_schema_rejects_another_events_type(event_type):
    other = next(t for t in access_events.EVENT_TYPES if t != event_type)
    instance = dict(schema(other)["examples"][0])
    errors = list(_validator(BASE_URI + event_type + ".schema.json").iter_errors(instance))
    assert [e.validator for e in errors] == ["const"]


def test_unknown_event_type_fails_the_union():
    instance = dict(schema("access_method.revoked")["examples"][0], event_type="access_method.code_changed")
    assert not _validator(BASE_URI + "access_method_event.schema.json").is_valid(instance)


def test_registry_never_fetches_a_remote_reference():
    resolver = registry().resolver(BASE_URI + "common.schema.json")
    with pytest.raises(referencing.exceptions.Unresolvable):
        resolver.lookup("https://json-schema.org/draft/2020-12/meta/core")
    with pytest.raises(referencing.exceptions.Unresolvable):
        resolver.lookup("other.schema.json")


@pytest.mark.parametrize("event_type", access_events.EVENT_TYPES)
def test_objects_are_open_and_nothing_is_nullable(event_type):
    text = json.dumps(schema(event_type)) + (ROOT / "schemas" / "common.schema.json").read_text("utf-8")
    assert '"additionalProperties": false' not in text
    assert '"null"' not in text


def test_schema_returns_a_copy():
    doc = schema("access_method.issued")
    doc["title"] = "changed"
    assert schema("access_method.issued")["title"] == "AccessMethodIssuedEvent"
    with pytest.raises(KeyError, match="known"):
        schema("access_method.nope")
