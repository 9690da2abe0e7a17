"""The command line as CI and people use it: outputs, summaries, exit codes."""

from __future__ import annotations

import json
import os
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
    assert out.splitlines() == [f"{path}:{bad_line}: element 1: /code: expected string, got integer 5", "2 valid, 1 invalid, 0 unknown type"]


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
    assert report["summary"] == {"inputs": 2, "valid": 1, "invalid": 1, "unknown_type": 0, "unreadable_files": 0, "empty_inputs": 0}
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
    code, out, err = run(capsys, "validate", str(tmp_path / "missing.json"), str(good / "inside.json"), str(good))
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
    assert rows[0].startswith(f"{path}:{large_line}: element 1: /: ") and f"above the limit of {limit} bytes" in rows[0], rows
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


# --- the command line tried as a new user would (issue 15) ----------------------------------------


def _make_dry_run(tmp_path, target: str) -> list[str]:
    """The commands ``make TARGET`` would run on a fresh machine (no .venv) whose PATH has no npm."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    make = Path(subprocess.run(["sh", "-c", "command -v make"], capture_output=True, text=True).stdout.strip())
    if not make.is_file():
        pytest.fail("make is not installed")
    (bin_dir / "make").symlink_to(make)
    proc = subprocess.run([str(bin_dir / "make"), "-n", target, f"VENV={tmp_path / 'venv'}"], cwd=ROOT,
                          capture_output=True, text=True, env={"PATH": str(bin_dir), "HOME": str(tmp_path)})
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.splitlines()


@pytest.mark.parametrize("target", ["demo", "install"])
def test_the_python_path_needs_no_npm(tmp_path, target):
    """Guards README's quick start ("Python 3.10+ and make"): `make demo` and `make install`
    ran `npm ci` and failed without npm; npm is only for the JS/TS targets."""
    commands = _make_dry_run(tmp_path, target)
    assert any("pip install" in c for c in commands), commands
    assert not [c for c in commands if c.split()[:2] in (["npm", "ci"], ["npm", "install"])], commands
    if target == "install":
        assert any("npm not found" in c for c in commands), commands


def test_readme_says_how_to_run_the_command_after_make_demo():
    """Guards "access-events list after make demo is command not found": README names the venv's script."""
    readme = (ROOT / "README.md").read_text("utf-8")
    quick_start = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    assert ".venv/bin/access-events" in quick_start and "source .venv/bin/activate" in quick_start
    assert "npm" in quick_start  # which targets need Node.js is stated


def test_validate_reads_every_payload_file_below_a_folder(tmp_path, capsys):
    """Guards "validate takes folders": a folder was an unreadable file (exit 2). Every *.json,
    *.jsonl and *.ndjson below it is read, in the order of their paths."""
    (tmp_path / "b" / "deep").mkdir(parents=True)
    bad = json.dumps(dict(ISSUED, event_id="nope"))
    (tmp_path / "z.json").write_text(bad)
    (tmp_path / "b" / "deep" / "c.ndjson").write_text(REVOKED + "\n" + bad + "\n")
    (tmp_path / "b" / "d.jsonl").write_text(bad + "\n" + REVOKED + "\n")
    (tmp_path / "b" / "notes.txt").write_text("not a payload")
    code, out, err = run(capsys, "validate", str(tmp_path))
    assert (code, err) == (1, "")
    problem = ": /event_id: \"nope\" is not a UUID, 8-4-4-4-12 hexadecimal digits"
    assert out.splitlines() == [f"{tmp_path / 'b' / 'd.jsonl'}:1{problem}", f"{tmp_path / 'b' / 'deep' / 'c.ndjson'}:2{problem}",
                                f"{tmp_path / 'z.json'}:1{problem}", "2 valid, 3 invalid, 0 unknown type"]
    code, out, _ = run(capsys, "validate", "--format", "json", str(tmp_path / "b"))
    assert json.loads(out)["summary"]["inputs"] == 4


@pytest.mark.parametrize(("name", "content"), [("empty.json", ""), ("empty.jsonl", ""), ("blank.json", "\n \n"),
                                             ("blank.jsonl", "\n\n"), ("array.json", "[]")])
def test_an_input_without_payloads_fails_unless_allowed(tmp_path, capsys, name, content):
    """Guards "validate empty.json prints 0 valid and exits 0": a capture that broke must not pass CI."""
    path = tmp_path / name
    path.write_text(content)
    code, out, err = run(capsys, "validate", str(path))
    assert code == 1
    assert f"no payloads in {path}" in err
    assert out == "0 valid, 0 invalid, 0 unknown type, 1 input without payloads\n"
    assert run(capsys, "validate", "--allow-empty", str(path))[0] == 0
    code, out, _ = run(capsys, "validate", "--format", "json", str(path), str(tmp_path / "missing"))
    report = json.loads(out)
    assert report["empty"] == [str(path)] and report["summary"]["empty_inputs"] == 1


def test_empty_standard_input_and_an_empty_folder_fail(tmp_path, capsys):
    """Guards `validate - < /dev/null` exiting 0, and a folder without payload files passing."""
    with open(os.devnull, "rb") as devnull:
        proc = subprocess.run([sys.executable, "-m", "access_events", "validate", "-"], stdin=devnull,
                              capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 1 and "no payloads in <stdin>" in proc.stderr, proc
    (tmp_path / "empty").mkdir()
    code, _, err = run(capsys, "validate", str(tmp_path / "empty"))
    assert code == 1 and f"no payloads in {tmp_path / 'empty'}" in err


def test_problems_of_an_array_file_name_the_element(tmp_path, capsys):
    """Guards `arr.json:1: /: expected a JSON object` three times, without saying which element."""
    path = tmp_path / "arr.json"
    path.write_text("[1, 2, " + REVOKED + ", 3]")
    code, out, _ = run(capsys, "validate", str(path))
    assert code == 1
    assert out.splitlines() == [f"{path}:1: element {i}: /: expected a JSON object, got integer" for i in (0, 1, 3)] + [
        "1 valid, 3 invalid, 0 unknown type"]
    code, out, _ = run(capsys, "validate", "--format", "json", str(path))
    assert [p["index"] for p in json.loads(out)["problems"]] == [0, 1, 3]
    single = tmp_path / "one.json"
    single.write_text("1")
    code, out, _ = run(capsys, "validate", "--format", "json", str(single))
    assert "index" not in json.loads(out)["problems"][0]  # not an array element


def test_a_closed_standard_output_ends_quietly(tmp_path):
    """Guards `validate big.jsonl | head -1` reporting `big.jsonl: error: cannot read: Broken pipe`:
    the reader going away is no problem of the input; the exit is 141 (128 + SIGPIPE), as for any
    command whose pipe reader went away."""
    path = tmp_path / "big.jsonl"
    path.write_text((json.dumps(dict(ISSUED, event_id="nope")) + "\n") * 20_000)
    proc = subprocess.Popen([sys.executable, "-m", "access_events", "validate", "--jobs", "1", str(path)], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    first = proc.stdout.readline()
    proc.stdout.close()
    err = proc.stderr.read()
    proc.stderr.close()
    assert proc.wait(timeout=120) == 141
    assert first.startswith(f"{path}:1: /event_id: ".encode())
    assert err == b""


def test_lint_of_a_folder_without_schema_files_is_a_usage_error(tmp_path, capsys):
    """Guards `lint emptydir` (or a folder of payloads) passing with `0 finding(s) in 0 file(s)`."""
    (tmp_path / "empty").mkdir()
    (tmp_path / "payloads").mkdir()
    (tmp_path / "payloads" / "one.json").write_text(REVOKED)
    for folder in ("empty", "payloads"):
        code, out, err = run(capsys, "lint", str(tmp_path / folder))
        assert (code, out) == (2, ""), (folder, out)
        assert "no *.schema.json files" in err


@pytest.mark.parametrize("suffix", [".bin", ".jsonl"])
def test_binary_input_is_not_utf8_text_at_a_byte_offset(tmp_path, capsys, suffix):
    """Guards random bytes reported as `str is not valid UTF-8: surrogates not allowed`."""
    path = tmp_path / ("random" + suffix)
    path.write_bytes(b'{"event_type": "ab\x9c\xff\x00\x01')
    code, out, _ = run(capsys, "validate", str(path))
    assert code == 1
    assert out.splitlines()[0] == f"{path}:1: /: not valid JSON: not UTF-8 text: byte 0x9c at byte offset 18"
    assert "surrogates" not in out


def test_lint_prints_paths_as_compat_does_relative_to_the_working_directory(tmp_path, monkeypatch, capsys):
    """Guards lint printing file names relative to the folder while compat prints them from the
    working directory: a user clicks either the same way."""
    folder = tmp_path / "contracts" / "schemas"
    folder.mkdir(parents=True)
    (folder / "access_method.issued.schema.json").write_text('{"type": 5}')
    monkeypatch.chdir(tmp_path)
    code, out, _ = run(capsys, "lint", "contracts/schemas")
    assert code == 1
    assert {line.split(":")[0] for line in out.splitlines()[:-1]} == {"contracts/schemas/access_method.issued.schema.json"}
    code, out, _ = run(capsys, "lint", "--format", "json", "contracts/schemas")
    assert {f["file"] for f in json.loads(out)["findings"]} == {"contracts/schemas/access_method.issued.schema.json"}
    (folder / "access_method.issued.schema.json").write_text("{")
    code, out, err = run(capsys, "compat", "contracts/schemas", "contracts/schemas")
    assert code == 2 and "contracts/schemas/access_method.issued.schema.json:1: not valid JSON" in err + out
    code, out, _ = run(capsys, "lint", "contracts/schemas")
    assert out.startswith("contracts/schemas/access_method.issued.schema.json:1: ")


def test_size_limit_message_names_the_option(tmp_path, capsys):
    """Guards a size refusal that did not say how to raise the limit."""
    path = tmp_path / "one.jsonl"
    path.write_text(REVOKED + "\n")
    code, out, _ = run(capsys, "validate", "--max-bytes", "100", str(path))
    assert code == 1 and "above the limit of 100 bytes (raise it with --max-bytes)" in out


def test_validate_folder_reports_a_payload_file_it_cannot_read(tmp_path, capsys):
    """Guards the folder walk: a *.json entry that is not a regular file (a symbolic link whose
    target is gone) was dropped without a word, so a capture folder whose files moved away
    passed with the rest; it is an input that cannot be read (exit 2). A link to a file is read."""
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "a.json").write_text(REVOKED)
    (tmp_path / "linked.json").symlink_to(tmp_path / "sub" / "a.json")
    (tmp_path / "gone.json").symlink_to(tmp_path / "moved-away.json")
    code, out, err = run(capsys, "validate", str(tmp_path))
    assert code == 2
    assert err == f"{tmp_path / 'gone.json'}: error: cannot read: No such file or directory\n"
    assert out == "2 valid, 0 invalid, 0 unknown type, 1 unreadable file\n"
    code, out, _ = run(capsys, "validate", "--format", "json", str(tmp_path))
    report = json.loads(out)
    assert code == 2 and report["unreadable"] == [{"source": str(tmp_path / "gone.json"), "message": "No such file or directory"}]


def test_validate_json_report_accounts_for_every_input(tmp_path, capsys):
    """Guards --format json for machines: a file whose payloads were all valid appeared nowhere
    in the report, so a CI job could not tell which files of a folder were checked. Every input
    is listed, in the order read, with its payload count (0 for an empty one); an unreadable
    one is listed under "unreadable"."""
    (tmp_path / "sub").mkdir()
    (tmp_path / "a.json").write_text(REVOKED)
    (tmp_path / "sub" / "b.jsonl").write_text(REVOKED + "\n" + json.dumps(dict(ISSUED, event_id="nope")) + "\n")
    (tmp_path / "sub" / "c.json").write_text("")
    code, out, _ = run(capsys, "validate", "--format", "json", str(tmp_path), str(tmp_path / "missing.json"))
    report = json.loads(out)
    assert code == 2
    assert report["sources"] == [{"source": str(tmp_path / "a.json"), "payloads": 1},
                                 {"source": str(tmp_path / "sub" / "b.jsonl"), "payloads": 2},
                                 {"source": str(tmp_path / "sub" / "c.json"), "payloads": 0}]
    assert [u["source"] for u in report["unreadable"]] == [str(tmp_path / "missing.json")]
    assert report["summary"]["inputs"] == 3 and report["empty"] == [str(tmp_path / "sub" / "c.json")]


def test_validate_folder_reports_a_subfolder_it_cannot_read(tmp_path, capsys, monkeypatch):
    """Guards the folder walk: a subfolder that cannot be listed (no permission) was skipped
    without a word, with every payload file in it, and the run passed; it is reported as
    unreadable (exit 2), the rest still checked. (The permission error is simulated: tests may
    run as root, whom chmod does not stop.)"""
    (tmp_path / "locked").mkdir()
    (tmp_path / "locked" / "a.json").write_text(REVOKED)
    (tmp_path / "b.json").write_text(REVOKED)
    scandir = os.scandir

    def locked_out(path="."):
        if os.fspath(path) == str(tmp_path / "locked"):
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return scandir(path)

    monkeypatch.setattr(os, "scandir", locked_out)
    code, out, err = run(capsys, "validate", str(tmp_path))
    assert code == 2
    assert err == f"{tmp_path / 'locked'}: error: cannot read: Permission denied\n"
    assert out == "1 valid, 0 invalid, 0 unknown type, 1 unreadable file\n"
