"""The samples on disk against the schemas: valid ones parse, invalid ones fail exactly where they say."""

from __future__ import annotations

import json

import pytest
import yaml
from conftest import SAMPLES, invalid_samples, sample_id, valid_samples

import access_events
from access_events import InvalidEvent, parse_event, to_dict, validate_event


def test_every_event_type_has_samples_of_both_kinds():
    for event_type in access_events.EVENT_TYPES:
        assert list((SAMPLES / event_type / "valid").glob("*.json")), event_type
        assert list((SAMPLES / event_type / "invalid").glob("*.json")), event_type
    assert sorted(p.name for p in SAMPLES.iterdir()) == sorted(access_events.EVENT_TYPES)


def test_every_invalid_sample_is_in_its_manifest_and_back():
    for manifest in SAMPLES.glob("*/invalid/expected.yaml"):
        listed = set(yaml.safe_load(manifest.read_text("utf-8")))
        on_disk = {p.name for p in manifest.parent.glob("*.json")}
        assert listed == on_disk, manifest


@pytest.mark.parametrize("event_type", access_events.EVENT_TYPES)
def test_documentation_example_is_the_schema_example(event_type):
    sample = json.loads((SAMPLES / event_type / "valid" / "documentation_example.json").read_text("utf-8"))
    assert sample == access_events.schema(event_type)["examples"][0]


@pytest.mark.parametrize("path", valid_samples(), ids=sample_id)
def test_valid_sample_parses(path):
    raw = path.read_bytes()
    assert validate_event(raw) == []
    event = parse_event(raw)
    assert event.event_type == path.parts[-3]
    assert isinstance(event, access_events.EVENT_CLASSES[event.event_type])
    assert validate_event(to_dict(event)) == []


@pytest.mark.parametrize(("path", "pointer", "keyword"), invalid_samples(), ids=lambda v: sample_id(v) if hasattr(v, "parts") else "")
def test_invalid_sample_fails_where_it_says(path, pointer, keyword):
    problems = validate_event(path.read_bytes())
    assert problems, f"{path.name} is accepted"
    assert {p.pointer for p in problems} == {pointer}, f"{path.name} fails elsewhere too: {problems}"
    assert keyword in {p.keyword for p in problems}, problems
    with pytest.raises(InvalidEvent) as info:
        parse_event(path.read_bytes())
    assert tuple(problems) == info.value.problems
