"""The benchmark runs and reports every figure; it never judges timings here (make bench does, by ratios)."""

from __future__ import annotations

import json
import os
import shutil

import pytest

from access_events.bench import COMPAT_EDITS, KIND_TARGETS, KINDS, TARGETS, main


def test_quick_benchmark_writes_its_report(tmp_path, capsys):
    output = tmp_path / "bench.json"
    assert main(["--quick", "--output", str(output)]) == 0
    report = json.loads(output.read_text())
    assert set(report["operations"]) == {"orjson_loads", "naive_pipeline", "parse_event", "validate_event"}
    assert all(op["median_us"] > 0 and op["calls_per_second"] > 0 for op in report["operations"].values())
    assert [(r["operation"], r["baseline"]) for r in report["ratios"]] == [(op, base) for op, base, _ in TARGETS]
    assert report["machine"]["cores"] >= 1 and "jsonschema-rs" in report["versions"]
    side = report["undeclared"]  # declared-only, +1 and +20 undeclared members, side by side (issue 14)
    assert set(side["kinds"]) == set(KINDS) == {"declared", "+1 undeclared", "+20 undeclared"}
    for row in side["kinds"].values():
        assert row["payload_bytes"] > 0 and row["orjson_loads"]["median_us"] > 0
        assert all(row[op]["median_us"] > 0 for op in ("parse_event", "validate_event", "validate_lines"))
    assert [(r["operation"], r["kind"], r["baseline"], r["baseline_kind"]) for r in side["ratios"]] == [t[:4] for t in KIND_TARGETS]
    bulk = report["throughput"]
    assert bulk["lines"] == 20_000
    for run in bulk["runs"].values():
        assert run["all_invalid_reported_in_order"], run
        assert run["summary"] == "19600 valid, 400 invalid, 0 unknown type"
    tools = report["tooling"]
    assert tools["lint_findings"] == 0 and tools["lint_files"] == tools["synthetic_events"] + 2
    # compat over the synthetic catalog and its modified copy: every planned edit found, each breaking one witnessed
    assert tools["compat_seconds"] > 0
    assert (tools["compat_direction"], tools["compat_policy"]) == ("full", "lenient")
    edits, rules = tools["compat_edits"], tools["compat_rules"]
    assert set(edits) == {name for name, _ in COMPAT_EDITS} and all(count >= 1 for count in edits.values())
    assert rules == {
        "property-added": edits["optional-field-added"] + edits["required-field-added"],
        "required-property-added": edits["required-field-added"],
        "enum-value-added": edits["enum-value-added"],
        "event-removed": edits["event-removed"],
        "event-added": edits["event-added"],
    }
    assert tools["compat_changes"] == sum(rules.values())
    # lenient: a declared optional field breaks nothing; the rest each break one direction
    assert tools["compat_breaking"] == tools["compat_witnesses"] == sum(edits.values()) - edits["optional-field-added"]
    assert tools["generate_seconds"] > 0
    # drift over the producer's whole catalog: run when node_modules has it, else said why
    if tools["drift_seconds"] is None:
        assert tools["drift_skipped"]
    else:
        assert tools["drift_errors"] == 0 and tools["drift_event_types"] >= 100
    out = capsys.readouterr().out
    assert "parse_event is" in out and "parse_event (+1 undeclared) is" in out and "compat over the same catalog and a modified copy" in out
    # issue 12's hostile inputs are timed, each to completion
    from access_events.bench import COMPAT_HOSTILE
    assert set(tools["compat_hostile_seconds"]) == set(COMPAT_HOSTILE) and "compat on hostile inputs" in out
    node = report["node"]
    if "skipped" in node and shutil.which("node") is None and os.environ.get("CI") != "true":
        pytest.skip("node is not installed: the npm scenario did not run")
    assert [(r["operation"], r["baseline"]) for r in node["ratios"]] == [("parse_event", "json_parse"),
                                                                       ("parse_event_bytes", "json_parse_bytes")], node
    assert all(op["median_ns"] > 0 for op in node["operations"].values())
    assert "parse_event is" in out and "the time of json_parse" in out


def test_quick_receiver_load_reports_its_ratios():
    """The receiver scenario of make bench: a bare ASGI app and the receiver under the same uvicorn settings,
    every answer a 204 (signed valid events), the ratio and the in-process breakdown reported."""
    from access_events.bench import PAYLOAD
    from access_events.receiving._bench import receiver_load, render

    report = receiver_load(PAYLOAD, quick=True)
    assert {"bare", "receiver, memory store"} <= set(report["runs"])
    assert all(set(run["statuses"]) == {204} and run["answered"] > 0 for run in report["runs"].values()), report["runs"]
    assert 0 < report["ratios"]["receiver, memory store"]
    assert report["in_process_us"]["parse_event"] > 0
    assert any("of the bare app" in line for line in render(report))


def test_hostile_payloads_are_measured_capped_and_uncapped():
    """Issue 13: the bench row for payloads with thousands of invalid items (CPU, not asserted: speed is
    measured, never a timed test): the capped parse lists the full list's first problems and says more."""
    from access_events import bench

    report = bench.hostile(quick=True)
    assert report["max_problems"] == bench.HOSTILE_MAX_PROBLEMS
    assert set(report["rows"]) == {"plain items", "object items"}
    for row in report["rows"].values():
        assert row["items"] == bench.HOSTILE_ITEMS // 10 and row["capped_ms"] > 0 and row["every_problem_ms"] > 0
        assert row["more_problems"] >= 1 and row["all_counted"] is False
    assert "parse_event on hostile payloads" in bench.render({"payload_bytes": 1, "machine": {"cores": 2, "python": "3"},
                                                              "operations": {}, "ratios": [], "hostile": report})
