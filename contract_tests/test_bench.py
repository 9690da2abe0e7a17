"""The benchmark runs and reports every figure; it never judges timings here (make bench does, by ratios)."""

from __future__ import annotations

import json

from access_events.bench import TARGETS, main


def test_quick_benchmark_writes_its_report(tmp_path, capsys):
    output = tmp_path / "bench.json"
    assert main(["--quick", "--output", str(output)]) == 0
    report = json.loads(output.read_text())
    assert set(report["operations"]) == {"orjson_loads", "naive_pipeline", "parse_event", "validate_event"}
    assert all(op["median_us"] > 0 and op["calls_per_second"] > 0 for op in report["operations"].values())
    assert [(r["operation"], r["baseline"]) for r in report["ratios"]] == [(op, base) for op, base, _ in TARGETS]
    assert report["machine"]["cores"] >= 1 and "jsonschema-rs" in report["versions"]
    assert "parse_event is" in capsys.readouterr().out
