"""``access-events drift`` against the real producer: its OpenAPI document from the npm package
``@seamapi/types``, two versions pinned in package.json (installed by ``make install``).

* the current version (1.977.0): no error; the one real difference (our date-time pattern
  refuses year 0000, the producer's bare ``format: date-time`` admits it) is found on every
  date-time field and acknowledged by ``contract_tests/compat.yaml``;
* a version from before access_grant_ids (1.490.0, ``@seamapi/types-pre-2025-08``): exactly
  the drift of that time: ``access_grant_ids`` required by the contract and not by the
  producer, as an error with a witness on each of the five events it published, and the
  three later event types as only-in-contract.

Witnesses are checked here again, independently of the engine: the contract's verdict with
``access_events.validate_event``, the producer's with openapi-schema-validator's OpenAPI 3.0
validator on the producer's own (untranslated) schema.

Without ``node_modules/@seamapi/types`` these tests are skipped locally and FAIL under CI=true.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from access_events import validate_event
from access_events.drift import drift, run_drift

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "contract_tests" / "compat.yaml"
SCRIPT = ROOT / "contract_tests" / "js" / "producer_openapi.mjs"
CURRENT, PRE_2025_08 = "@seamapi/types", "@seamapi/types-pre-2025-08"
FAMILY = ("access_method.card_encoding_required", "access_method.created", "access_method.delay_in_issuing",
          "access_method.deleted", "access_method.failed_to_issue", "access_method.issued",
          "access_method.reissued", "access_method.revoked")
LATER = ("access_method.created", "access_method.delay_in_issuing", "access_method.failed_to_issue")


def _extract(package: str, folder: Path) -> Path:
    missing = not (ROOT / "node_modules" / package / "package.json").is_file() or shutil.which("node") is None
    if missing:
        message = f"node_modules/{package} (or node) is missing: run `make install`"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    result = subprocess.run(["node", str(SCRIPT), package], cwd=ROOT, capture_output=True, timeout=300)
    assert result.returncode == 0, result.stderr.decode()
    path = folder / (package.replace("/", "_").replace("@", "") + ".openapi.json")
    path.write_bytes(result.stdout)
    return path


@pytest.fixture(scope="module")
def current(tmp_path_factory) -> Path:
    return _extract(CURRENT, tmp_path_factory.mktemp("producer"))


@pytest.fixture(scope="module")
def pre_2025_08(tmp_path_factory) -> Path:
    return _extract(PRE_2025_08, tmp_path_factory.mktemp("producer"))


def _producer_accepts(spec_path: Path, event_type: str, instance: dict) -> bool:
    """The producer's own OpenAPI 3.0 schema for the event, with an OpenAPI 3.0 validator."""
    from openapi_schema_validator import OAS30Validator

    from access_events._formats import FORMAT_CHECKER

    spec = json.loads(spec_path.read_text("utf-8"))
    branch = next(b for b in spec["components"]["schemas"]["event"]["oneOf"]
                  if b["properties"]["event_type"]["enum"] == [event_type])
    return OAS30Validator(branch, format_checker=FORMAT_CHECKER).is_valid(instance)


def test_extraction_is_deterministic(current, tmp_path):
    """The extraction script prints the same bytes each run (sorted keys), so reports are stable."""
    again = _extract(CURRENT, tmp_path)
    assert again.read_bytes() == current.read_bytes()


def test_current_producer_no_error(current):
    """Today's contract matches the current producer: no error, every access_method type in
    sync, and the year-0000 difference found (not hidden) on both date-times of all eight
    events, acknowledged with its reason, each with a witness both sides confirm."""
    result = drift(str(current), config=CONFIG)
    assert result.exit_code == 0, [f.message for f in result.findings if f.status == "error"]
    assert result.statuses == {event: "in-sync" for event in FAMILY}
    acknowledged = [f for f in result.findings if f.status == "acknowledged"]
    assert sorted((f.event, f.instance_path) for f in acknowledged) == sorted(
        (event, path) for event in FAMILY for path in ("/created_at", "/occurred_at"))
    for f in acknowledged:
        assert f.rule == "pattern-removed" and f.acknowledged.reason
        value = f.witness.instance[f.instance_path[1:]]
        assert value.startswith("0000-"), value
        assert f.witness.accepted_by == "producer"
        assert validate_event(f.witness.instance), "the contract must refuse the witness"
        assert _producer_accepts(current, f.event, f.witness.instance)
    assert not [f for f in result.findings if f.status not in ("acknowledged",)], "no other finding expected"


def test_current_producer_without_acknowledgement_fails(current):
    """Without the config the year-0000 difference is an error (exit 1): it is found, not hidden."""
    out, err = io.StringIO(), io.StringIO()
    assert run_drift(str(current), out=out, err=err) == 1
    assert "0000-01-01T00:00:00Z" in out.getvalue()


def test_pre_2025_08_producer_real_drift(pre_2025_08):
    """Against 1.490.0 exactly the drift of that time: access_grant_ids required by the contract,
    not by the producer (an error with a witness lacking it, on each of its five events), and
    created, delay_in_issuing and failed_to_issue only in the contract."""
    result = drift(str(pre_2025_08), config=CONFIG)
    assert result.exit_code == 1
    errors = [f for f in result.findings if f.status == "error"]
    published = sorted(set(FAMILY) - set(LATER))
    assert sorted((f.event, f.rule, f.instance_path) for f in errors) == [
        (event, "required-property-removed", "/access_grant_ids") for event in published]
    for f in errors:
        assert f.witness is not None and "access_grant_ids" not in f.witness.instance
        assert f.witness.accepted_by == "producer"
        assert any(p.pointer == "/access_grant_ids" for p in validate_event(f.witness.instance))
        assert _producer_accepts(pre_2025_08, f.event, f.witness.instance)
    warnings = [f for f in result.findings if f.status == "warn"]
    assert sorted((f.event, f.rule) for f in warnings) == [(event, "only-in-contract") for event in LATER]
    assert result.statuses == {**{e: "drifted" for e in published}, **{e: "only-in-contract" for e in LATER}}


def test_json_report_statuses(pre_2025_08):
    """``--format json`` lists every event type with its status and its changes, acknowledged
    ones included and marked."""
    out, err = io.StringIO(), io.StringIO()
    code = run_drift(str(pre_2025_08), config=str(CONFIG), fmt="json", out=out, err=err)
    assert code == 1, err.getvalue()
    report = json.loads(out.getvalue())
    assert {e: v["status"] for e, v in report["events"].items()} == {
        **{e: "drifted" for e in set(FAMILY) - set(LATER)}, **{e: "only-in-contract" for e in LATER}}
    issued = report["events"]["access_method.issued"]["changes"]
    assert {c["status"] for c in issued} >= {"error", "acknowledged", "info"}
    assert all(c["acknowledgement"]["reason"] for c in issued if c["status"] == "acknowledged")
