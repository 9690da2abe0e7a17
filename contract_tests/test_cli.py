"""The command line as CI and people use it: outputs, summaries, exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT, SAMPLES, invalid_samples, run_cli_across_hash_seeds, valid_samples

import access_events
from access_events.cli import main

REVOKED = json.dumps(access_events.schema("access_method.revoked")["examples"][0])
ISSUED = access_events.schema("access_method.issued")["examples"][0]


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_all_valid_samples_pass(capsys):
    paths = [str(p) for p in valid_samples()]
    code, out, _ = run(capsys, "validate", *paths)
    assert code == 0
    assert out == f"{len(paths)} valid, 0 invalid, 0 unknown type\n"


def test_all_invalid_samples_fail_and_are_all_counted(capsys):
    cases = invalid_samples()
    code, out, _ = run(capsys, "validate", *(str(p) for p, _, _ in cases))
    assert code == 1
    assert out.splitlines()[-1] == f"0 valid, {len(cases)} invalid, 0 unknown type"
    for path, pointer, _ in cases:
        assert f"{path}:" in out and f": {pointer}: " in out


def test_json_lines_with_every_kind_of_line(tmp_path, capsys):
    lines = [REVOKED, "", json.dumps({"event_type": "device.connected"}), json.dumps(dict(ISSUED, event_id="nope")),
             "not json", "[1]", '{"event_type": "access_method.issued"']
    path = tmp_path / "captured.jsonl"
    path.write_text("\n".join(lines) + "\n")
    code, out, _ = run(capsys, "validate", str(path))
    assert code == 1
    assert out.splitlines() == [
        f"{path}:3: /event_type: warning: unknown event type 'device.connected', not in the catalog",
        f"{path}:4: /event_id: \"nope\" is not a UUID, 8-4-4-4-12 hexadecimal digits",
        f"{path}:5: /: not valid JSON: invalid literal, expected 'null': line 1 column 1 (char 0)",
        f"{path}:6: /: expected a JSON object, got array",
        f"{path}:7: /: not valid JSON: unexpected end of data: line 1 column 38 (char 37)",
        "1 valid, 4 invalid, 1 unknown type",
    ]


def test_unknown_types_fail_only_with_strict(tmp_path, capsys):
    path = tmp_path / "one.json"
    path.write_text(json.dumps(dict(ISSUED, event_type="access_method.code_changed")))
    assert run(capsys, "validate", str(path))[0] == 0
    assert run(capsys, "validate", "--strict", str(path))[0] == 1


def test_array_file_reports_the_line_of_each_problem(tmp_path, capsys):
    events = [ISSUED, dict(ISSUED, code=5), ISSUED]
    path = tmp_path / "batch.json"
    path.write_text(json.dumps(events, indent=2))
    code, out, _ = run(capsys, "validate", str(path))
    text = path.read_text().splitlines()
    bad_line = next(i for i, line in enumerate(text, 1) if '"code": 5' in line)
    assert code == 1
    assert out.splitlines() == [f"{path}:{bad_line}: /code: expected string, got integer 5", "2 valid, 1 invalid, 0 unknown type"]


def test_a_broken_first_line_does_not_hide_the_rest(tmp_path, capsys):
    path = tmp_path / "capture.log"
    path.write_text('{"event_type": \n' + REVOKED + "\n" + REVOKED + "\n")
    code, out, _ = run(capsys, "validate", str(path))
    assert code == 1
    assert out.splitlines()[-1] == "2 valid, 1 invalid, 0 unknown type"


def test_stdin_and_json_format():
    data = (REVOKED + "\n" + json.dumps(dict(ISSUED, created_at="2025-01-01 00:00:00Z")) + "\n").encode()
    proc = subprocess.run([sys.executable, "-m", "access_events", "validate", "--format", "json", "-"],
                          input=data, capture_output=True, cwd=ROOT)
    assert proc.returncode == 1
    report = json.loads(proc.stdout)
    assert report["summary"] == {"inputs": 2, "valid": 1, "invalid": 1, "unknown_type": 0, "unreadable_files": 0}
    assert report["problems"] == [{"source": "<stdin>", "line": 2, "status": "invalid", "pointer": "/created_at", "keyword": "format",
                                   "message": '"2025-01-01 00:00:00Z" is not an RFC 3339 date-time such as 2025-01-01T00:00:00Z'}]


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_output_is_deterministic(fmt):
    """The same report, byte for byte, from processes with different hash seeds.

    Guards against an order that depends on ``hash()``: the mutation "sort problems by
    ``hash(source)``" passes a check run twice in one process, and fails this one.
    """
    paths = [str(p) for p, _, _ in invalid_samples()]
    proc = run_cli_across_hash_seeds("validate", "--format", fmt, *paths)
    assert proc.returncode == 1
    assert len(proc.stdout.splitlines()) > len(paths)  # every invalid sample reported


def test_unreadable_input_is_exit_2_and_still_counts_the_rest(tmp_path, capsys):
    good = tmp_path / "good.json"
    good.write_text(REVOKED)
    code, out, err = run(capsys, "validate", str(tmp_path / "missing.json"), str(tmp_path), str(good))
    assert code == 2
    assert out.splitlines()[-1] == "1 valid, 0 invalid, 0 unknown type, 2 unreadable files"
    assert "missing.json: error: cannot read" in err


def test_size_limit_option(tmp_path, capsys):
    path = tmp_path / "one.json"
    path.write_text(REVOKED)
    code, out, _ = run(capsys, "validate", "--max-bytes", "100", str(path))
    assert code == 1 and "above the limit of 100 bytes" in out
    with pytest.raises(SystemExit) as info:
        main(["validate", "--max-bytes", "many", str(path)])
    assert info.value.code == 2
    assert run(capsys, "validate", "--max-bytes", "0", str(path))[0] == 2


def test_size_limit_applies_to_each_element_of_an_array_file_and_to_a_whole_document(tmp_path, capsys):
    small = dict(ISSUED)
    large = dict(ISSUED, event_description="é" * 300)  # 600 bytes of UTF-8 in 300 characters
    path = tmp_path / "events.json"
    path.write_text(json.dumps([small, large, small], indent=2, ensure_ascii=False), "utf-8")
    limit = len(json.dumps(small, indent=2).encode()) + 200
    code, out, _ = run(capsys, "validate", "--max-bytes", str(limit), str(path))
    assert code == 1
    rows = out.splitlines()
    large_line = path.read_text("utf-8").splitlines().index("  {", 2) + 1  # the second element's first line
    assert rows[0].startswith(f"{path}:{large_line}: /: ") and f"above the limit of {limit} bytes" in rows[0], rows
    assert rows[-1] == "2 valid, 1 invalid, 0 unknown type"
    document = tmp_path / "document.json"
    document.write_text(json.dumps(large, indent=2, ensure_ascii=False), "utf-8")
    code, out, _ = run(capsys, "validate", "--max-bytes", str(limit), str(document))
    assert code == 1 and f"above the limit of {limit} bytes" in out
    assert run(capsys, "validate", str(path), str(document))[0] == 0


def test_usage_errors_exit_2(capsys):
    for argv in ([], ["validate"], ["nope"]):
        with pytest.raises(SystemExit) as info:
            main(argv)
        assert info.value.code == 2


def test_list_and_schema(capsys):
    code, out, _ = run(capsys, "list")
    assert code == 0 and [line.split()[0] for line in out.splitlines()] == list(access_events.EVENT_TYPES)
    code, out, _ = run(capsys, "list", "--format", "json")
    assert [row["event_type"] for row in json.loads(out)] == list(access_events.EVENT_TYPES)
    code, out, _ = run(capsys, "schema", "access_method.issued")
    assert code == 0 and json.loads(out) == access_events.schema("access_method.issued")
    code, _, err = run(capsys, "schema", "access_method.nope")
    assert code == 2 and "known: access_method.issued" in err


def test_lint_exit_codes(tmp_path, capsys):
    assert run(capsys, "lint", str(ROOT / "schemas"))[0] == 0
    assert run(capsys, "lint")[0] == 0
    broken = tmp_path / "schemas"
    broken.mkdir()
    (broken / "access_method.issued.schema.json").write_text("{")
    assert run(capsys, "lint", str(broken))[0] == 1
    assert run(capsys, "lint", str(tmp_path / "missing"))[0] == 2


def test_console_script_is_installed():
    script = Path(sys.executable).with_name("access-events")
    proc = subprocess.run([str(script), "validate", str(SAMPLES / "access_method.issued" / "valid" / "documentation_example.json")],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "1 valid, 0 invalid, 0 unknown type\n"


def test_jobs_give_the_same_report_in_input_order(tmp_path, capsys, monkeypatch):
    from access_events import _inputs

    monkeypatch.setattr(_inputs, "SLICE_BYTES", 1500)  # many slices, so the worker pool really runs
    lines = []
    for i in range(60):
        if i % 9 == 4:
            lines.append(json.dumps(dict(ISSUED, event_id=f"bad-{i}")))
        elif i % 13 == 5:
            lines.append("")
        else:
            lines.append(REVOKED)
    path = tmp_path / "many.jsonl"
    path.write_text("\n".join(lines) + "\n")
    assert len(list(_inputs.read_records(str(path), path.open("rb")))) > 10
    serial = run(capsys, "validate", "--jobs", "1", str(path))
    parallel = run(capsys, "validate", "--jobs", "2", str(path))
    assert serial == parallel
    code, out, err = parallel
    bad_lines = [i + 1 for i, line in enumerate(lines) if "bad-" in line]
    assert [int(row.split(":")[1]) for row in out.splitlines()[:-1]] == bad_lines
    assert out.splitlines()[-1] == f"{60 - len(bad_lines) - lines.count('')} valid, {len(bad_lines)} invalid, 0 unknown type"
    assert code == 1 and err == ""  # no progress bar when stderr is not a terminal


def test_jobs_must_be_positive(tmp_path, capsys):
    path = tmp_path / "one.json"
    path.write_text(REVOKED)
    assert run(capsys, "validate", "--jobs", "0", str(path))[0] == 2


def test_progress_bar_only_on_a_terminal_and_not_with_quiet(tmp_path):
    import io

    from access_events.cli import _progress

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    path = tmp_path / "one.jsonl"
    path.write_text(REVOKED + "\n")
    with _progress([str(path)], Terminal(), quiet=False) as bar:
        assert not bar.disable and bar.total == path.stat().st_size
    with _progress([str(path)], Terminal(), quiet=True) as bar:
        assert bar.disable
    with _progress([str(path)], io.StringIO(), quiet=False) as bar:
        assert bar.disable
    with _progress(["-"], Terminal(), quiet=False) as bar:
        assert bar.total is None  # standard input has no known size
