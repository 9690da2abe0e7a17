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
