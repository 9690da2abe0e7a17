"""The contract gate (``access-events compat``): exit codes, config, acknowledgements, the
version-bump rule, git sources and every output format.

End-to-end tests run the command (``cli.main``, in process) on copies of the real schemas
in ``tmp_path``, changed one way each. The evaluation layer is also tested on hand-built
engine reports, so severities and acknowledgements are pinned down independently of what
the engine finds.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any, Callable

import pytest
from conftest import run_cli_across_hash_seeds

from access_events import compat, gate
from access_events.cli import main
from access_events.compat import Change, Location, Report, Witness

ROOT = Path(__file__).resolve().parents[1]
SCHEMAS = ROOT / "schemas"
RELEASED = ROOT / "contract_tests" / "released"
CONFIG = ROOT / "contract_tests" / "compat.yaml"
ISSUED = "access_method.issued.schema.json"
REVOKED = "access_method.revoked.schema.json"
UNION = "access_method_event.schema.json"
COMMON = "common.schema.json"
EVENT = "access_method.issued"
FAR_FUTURE = "2999-12-31"


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def edit(folder: Path, name: str, change: Callable[[dict], Any]) -> None:
    path = folder / name
    doc = json.loads(path.read_text("utf-8"))
    change(doc)
    path.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", "utf-8")


def catalog(tmp_path: Path, name: str) -> Path:
    target = tmp_path / name
    shutil.copytree(SCHEMAS, target)
    return target


def require_code(doc: dict) -> None:
    doc["required"].append("code")


def set_version(version: str | None) -> Callable[[dict], None]:
    def change(doc: dict) -> None:
        if version is None:
            doc.pop("x-version")
        else:
            doc["x-version"] = version

    return change


@pytest.fixture
def sides(tmp_path: Path) -> tuple[Path, Path]:
    """(old, new): two copies of today's catalog."""
    return catalog(tmp_path, "old"), catalog(tmp_path, "new")


@pytest.fixture
def code_unrequired(sides: tuple[Path, Path]) -> tuple[Path, Path]:
    """The old issued event required ``code``; the new one does not (breaks forward)."""
    old, new = sides
    edit(old, ISSUED, require_code)
    return old, new


def write_config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "compat.yaml"
    path.write_text(text, "utf-8")
    return path


def findings(capsys, *argv) -> tuple[int, dict]:
    code, out, _ = run(capsys, "compat", *argv, "--format", "json")
    return code, json.loads(out)


def required_pointer(capsys, old: Path, new: Path) -> tuple[str, str]:
    """(document, pointer) the engine gives the required-property-removed change."""
    _, report = findings(capsys, old, new)
    (change,) = [f for f in report["findings"] if f["rule"] == "required-property-removed"]
    loc = change["new"] or change["old"]
    return loc["document"], loc["pointer"]


# --- verdicts and exit codes ---------------------------------------------------------------------


def test_identical_catalogs_pass(capsys, sides):
    code, out, err = run(capsys, "compat", *sides)
    assert (code, err) == (0, "")
    assert out.splitlines()[-1] == "PASS: 0 errors, 0 warnings, 0 infos, 0 acknowledged; 8 events compared, 0 added, 0 removed"


def test_the_repository_passes_its_own_gate(capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    code, out, err = run(capsys, "compat", "contract_tests/released", "schemas", "--config", "contract_tests/compat.yaml")
    assert code == 0, out + err
    assert out.splitlines()[-1].startswith("PASS: 0 errors")


def test_released_baseline_is_versioned_and_complete():
    assert sorted(p.name for p in RELEASED.glob("*.schema.json")) == sorted(p.name for p in SCHEMAS.glob("*.schema.json"))
    for path in RELEASED.glob("access_method.*.schema.json"):
        assert gate._semver(json.loads(path.read_text("utf-8"))["x-version"]), path.name
    assert (RELEASED / "README.md").is_file()


def test_compatible_change_passes(capsys, sides):
    old, new = sides
    edit(new, ISSUED, lambda d: d.update({"description": "An access method was issued to a user."}))
    code, out, _ = run(capsys, "compat", old, new)
    assert code == 0, out
    assert "info: annotation-changed" in out
    assert "compatible" in out


def test_required_property_removed_fails(capsys, code_unrequired):
    code, out, _ = run(capsys, "compat", *code_unrequired)
    assert code == 1
    assert "error: required-property-removed" in out
    assert "breaks forward" in out
    assert f"{ISSUED}#/required" in out
    assert out.splitlines()[-1].startswith("FAIL: ")


def test_direction_decides_what_breaks(capsys, code_unrequired):
    assert run(capsys, "compat", *code_unrequired, "--direction", "backward")[0] == 0
    assert run(capsys, "compat", *code_unrequired, "--direction", "forward")[0] == 1


def test_required_property_added_breaks_backward_with_a_witness(capsys, sides):
    old, new = sides
    edit(new, ISSUED, require_code)
    code, report = findings(capsys, old, new, "--direction", "backward")
    assert code == 1
    (change,) = [f for f in report["findings"] if f["rule"] == "required-property-added"]
    assert change["breaks"] == ["backward"] and change["status"] == "error" and change["event"]
    if change["witness"] is not None:  # a payload the old schema accepts and the new one rejects
        assert change["witness"]["accepted_by"] == "old" and "code" not in change["witness"]["instance"]


def test_added_event_is_a_warning_under_the_repository_config(capsys, sides):
    old, new = sides
    doc = json.loads((new / "access_method.deleted.schema.json").read_text("utf-8"))
    doc["$id"] = doc["$id"].replace("deleted", "archived")
    doc["properties"]["event_type"]["const"] = "access_method.archived"
    for example in doc["examples"]:
        example["event_type"] = "access_method.archived"
    (new / "access_method.archived.schema.json").write_text(json.dumps(doc, indent=2))
    edit(new, UNION, lambda d: (d["oneOf"].append({"$ref": "access_method.archived.schema.json"}),
                                d["discriminator"]["mapping"].update({"access_method.archived": "access_method.archived.schema.json"})))
    assert run(capsys, "compat", old, new)[0] == 1  # without the config: it breaks forward
    code, out, _ = run(capsys, "compat", old, new, "--config", CONFIG)
    assert code == 0, out
    assert "access_method.archived (added, 1.0.0)" in out and "warn: event-added" in out
    assert out.splitlines()[-1].endswith("8 events compared, 1 added, 0 removed")
    code, out, _ = run(capsys, "compat", new, old, "--config", CONFIG)  # and the other way round
    assert code == 1 and "error: event-removed" in out


# --- config: severity ----------------------------------------------------------------------------


def test_severity_warn_passes(capsys, tmp_path, code_unrequired):
    config = write_config(tmp_path, "severity:\n  required-property-removed: warn\n")
    code, out, _ = run(capsys, "compat", *code_unrequired, "--config", config)
    assert code == 0, out
    assert "warn: required-property-removed" in out
    assert "version-not-bumped" not in out  # a warning needs no major bump
    assert "1 warning" in out.splitlines()[-1]


def test_severity_off_hides_the_change(capsys, tmp_path, code_unrequired):
    config = write_config(tmp_path, "severity:\n  required-property-removed: off\n")
    code, out, _ = run(capsys, "compat", *code_unrequired, "--config", config)
    assert code == 0, out
    assert "required-property-removed" not in out
    code, report = findings(capsys, *code_unrequired, "--config", config)
    assert report["summary"]["hidden"] == 1 and report["findings"] == []


def test_severity_does_not_raise_a_compatible_change(capsys, tmp_path, sides):
    old, new = sides
    edit(new, ISSUED, lambda d: d.update({"description": "changed"}))
    config = write_config(tmp_path, "severity:\n  annotation-changed: error\n")
    assert run(capsys, "compat", old, new, "--config", config)[0] == 0


def test_config_sets_defaults_and_flags_override_them(capsys, tmp_path, code_unrequired):
    config = write_config(tmp_path, "direction: backward\npolicy: strict\n")
    code, report = findings(capsys, *code_unrequired, "--config", config)
    assert (code, report["direction"], report["policy"]) == (0, "backward", "strict")
    code, report = findings(capsys, *code_unrequired, "--config", config, "--direction", "full")
    assert (code, report["direction"], report["policy"]) == (1, "full", "strict")


# --- config: acknowledgements ------------------------------------------------------------------


def ack_config(tmp_path: Path, pointer: str, expires: str, *, rule: str = "required-property-removed",
               event: str | None = EVENT) -> Path:
    lines = ["acknowledged:", f"  - rule: {rule}", f"    pointer: '{pointer}'"]
    if event:
        lines.append(f"    event: {event}")
    lines += ["    reason: receivers read code only when present (ACC-1)", f"    expires: {expires}"]
    return write_config(tmp_path, "\n".join(lines) + "\n")


def test_acknowledged_breaking_change_passes(capsys, tmp_path, code_unrequired):
    document, pointer = required_pointer(capsys, *code_unrequired)
    for written in (pointer, f"{ISSUED}#{pointer}"):
        config = ack_config(tmp_path, written, FAR_FUTURE)
        code, out, _ = run(capsys, "compat", *code_unrequired, "--config", config)
        assert code == 0, out
        assert "acknowledged: required-property-removed" in out
        assert f"acknowledged until {FAR_FUTURE}: receivers read code only when present (ACC-1)" in out
        assert "1 acknowledged" in out.splitlines()[-1]
        assert "version-not-bumped" not in out  # acknowledged: no bump asked for


def test_acknowledgement_for_another_event_does_not_apply(capsys, tmp_path, code_unrequired):
    _, pointer = required_pointer(capsys, *code_unrequired)
    config = ack_config(tmp_path, pointer, FAR_FUTURE, event="access_method.revoked")
    code, out, _ = run(capsys, "compat", *code_unrequired, "--config", config)
    assert code == 1
    assert "stale-acknowledgement" in out and "matches no breaking change" in out


def test_expired_acknowledgement_fails_and_says_when(capsys, tmp_path, code_unrequired):
    _, pointer = required_pointer(capsys, *code_unrequired)
    config = ack_config(tmp_path, pointer, "2001-02-03")
    code, out, _ = run(capsys, "compat", *code_unrequired, "--config", config)
    assert code == 1
    assert "error: required-property-removed" in out
    assert "acknowledgement expired on 2001-02-03" in out
    assert "stale-acknowledgement" not in out  # it still names a real change


def test_expiry_date_is_the_last_day_it_applies(capsys, tmp_path, code_unrequired):
    _, pointer = required_pointer(capsys, *code_unrequired)
    config = ack_config(tmp_path, pointer, "2030-06-30")
    old, new = code_unrequired
    on_the_day = gate.gate(str(old), str(new), config=str(config), today=dt.date(2030, 6, 30))
    day_after = gate.gate(str(old), str(new), config=str(config), today=dt.date(2030, 7, 1))
    assert (on_the_day.exit_code, day_after.exit_code) == (0, 1)
    assert "expired on 2030-06-30" in gate.render_text(day_after)


def test_stale_acknowledgement_is_a_warning(capsys, tmp_path, sides):
    config = ack_config(tmp_path, "/properties/nothing", FAR_FUTURE)
    code, report = findings(capsys, *sides, "--config", config)
    assert code == 0
    (stale,) = report["findings"]
    assert (stale["rule"], stale["status"]) == ("stale-acknowledgement", "warn")
    assert stale["file"] == str(config) and stale["line"] == 2  # the list entry in the config file


# --- config: errors are usage errors -----------------------------------------------------------


@pytest.mark.parametrize(("text", "needle"), [
    ("severity:\n  required-field-gone: warn\n", "unknown rule 'required-field-gone'"),
    ("severity:\n  required-property-removed: fatal\n", "'fatal' is not one of"),
    ("direction: sideways\n", "direction: 'sideways'"),
    ("policy: loose\n", "policy: 'loose'"),
    ("polcy: strict\n", "unknown key 'polcy'"),
    ("acknowledged:\n  - rule: required-property-removed\n    pointer: /required\n    expires: 2030-01-01\n",
     "acknowledged[0]: reason is required"),
    ("acknowledged:\n  - rule: required-property-removed\n    pointer: /required\n    reason: why\n",
     "acknowledged[0]: expires is required"),
    ("acknowledged:\n  - rule: required-property-removed\n    pointer: /required\n    reason: why\n    expires: soon\n",
     "expires must be a date YYYY-MM-DD"),
    ("acknowledged:\n  - rule: nope\n    pointer: /required\n    reason: why\n    expires: 2030-01-01\n",
     "unknown rule 'nope'"),
    ("acknowledged:\n  - rule: required-property-removed\n    pointer: required\n    reason: why\n    expires: 2030-01-01\n",
     "is not a JSON pointer"),
    ("severity: [\n", "not valid YAML"),
    ("- just a list\n", "expected a mapping"),
])
def test_bad_config_is_a_usage_error(capsys, tmp_path, sides, text, needle):
    config = write_config(tmp_path, text)
    code, out, err = run(capsys, "compat", *sides, "--config", config)
    assert (code, out) == (2, "")
    assert err.startswith(f"access-events compat: error: {config}") and needle in err, err
    assert "Traceback" not in err


def test_missing_config_is_a_usage_error(capsys, tmp_path, sides):
    code, _, err = run(capsys, "compat", *sides, "--config", tmp_path / "nope.yaml")
    assert code == 2 and "cannot read" in err


def test_config_accepts_every_engine_rule_and_gate_rule(tmp_path):
    rules = sorted(compat.RULES) + sorted(gate.GATE_RULES)
    config = gate.load_config(write_config(tmp_path, "severity:\n" + "".join(f"  {r}: info\n" for r in rules)))
    assert sorted(config.severity) == sorted(rules)
    assert gate.load_config(write_config(tmp_path, "severity:\n  event-added: off\n")).severity == {"event-added": "off"}


def test_repository_config_is_valid():
    config = gate.load_config(CONFIG)
    assert (config.direction, config.policy, config.severity) == ("full", "lenient", {"event-added": "warn"})


# --- the version rule --------------------------------------------------------------------------


def test_breaking_change_without_major_bump_fails(capsys, code_unrequired):
    old, new = code_unrequired
    edit(new, ISSUED, set_version("1.1.0"))
    code, out, _ = run(capsys, "compat", old, new)
    assert code == 1
    assert ("error: version-not-bumped: breaking change without a major version bump: 1.0.0 → 1.1.0; "
            "bump to 2.0.0 (required-property-removed)") in out
    assert "access_method.issued (1.0.0 → 1.1.0)" in out


def test_major_bump_releases_a_breaking_change_as_a_warning(capsys, code_unrequired):
    old, new = code_unrequired
    edit(new, ISSUED, set_version("2.0.0"))
    code, out, _ = run(capsys, "compat", old, new)
    assert "version-not-bumped" not in out
    assert "released as a breaking change: major version 1.0.0 → 2.0.0" in out
    assert code == 0  # a breaking change released on purpose: reported, not failed


def test_bumped_and_acknowledged_passes(capsys, tmp_path, code_unrequired):
    old, new = code_unrequired
    _, pointer = required_pointer(capsys, old, new)
    edit(new, ISSUED, set_version("2.0.0"))
    assert run(capsys, "compat", old, new, "--config", ack_config(tmp_path, pointer, FAR_FUTURE))[0] == 0


def test_bumped_breaking_change_downgraded_to_warning_passes(capsys, tmp_path, code_unrequired):
    old, new = code_unrequired
    edit(new, ISSUED, set_version("2.0.0"))
    config = write_config(tmp_path, "severity:\n  required-property-removed: warn\n")
    assert run(capsys, "compat", old, new, "--config", config)[0] == 0


def test_compatible_change_needs_no_bump(capsys, sides):
    old, new = sides
    edit(new, ISSUED, lambda d: d.update({"description": "Issued."}))
    code, out, _ = run(capsys, "compat", old, new)
    assert code == 0 and "version-not-bumped" not in out
    assert "info: version-bump-wanted: compatible changes want a PATCH version bump" in out  # an info: it passes


def test_version_going_down_fails(capsys, sides):
    old, new = sides
    edit(old, REVOKED, set_version("1.2.0"))
    edit(new, REVOKED, set_version("1.1.9"))
    code, out, _ = run(capsys, "compat", old, new)
    assert code == 1 and "version-decreased: version went down: 1.2.0 → 1.1.9" in out


@pytest.mark.parametrize("side", ["old", "new"])
def test_version_on_one_side_only_fails(capsys, sides, side):
    old, new = sides
    edit(old if side == "old" else new, REVOKED, set_version(None))
    code, out, _ = run(capsys, "compat", old, new)
    assert code == 1 and "version-missing" in out


def test_without_versions_the_check_is_skipped(capsys, sides):
    old, new = sides
    for folder in sides:
        for path in folder.glob("access_method.*.schema.json"):
            edit(folder, path.name, set_version(None))
    edit(old, ISSUED, require_code)
    code, out, _ = run(capsys, "compat", old, new)
    assert code == 1 and "version-not-bumped" not in out
    assert "version check skipped: no x-version on either side" in out


def test_version_keyword_is_the_engines():
    assert gate.VERSION_KEYWORD == compat.VERSION_KEYWORD


# --- sources -------------------------------------------------------------------------------------


def test_two_files_are_compared_as_documents(capsys, code_unrequired):
    old, new = code_unrequired
    code, out, _ = run(capsys, "compat", old / ISSUED, new / ISSUED)
    assert code == 1
    assert "error: required-property-removed" in out
    assert "1 event compared" in out.splitlines()[-1]
    assert run(capsys, "compat", old / REVOKED, new / REVOKED)[0] == 0


def test_file_against_folder_is_a_usage_error(capsys, sides):
    old, new = sides
    code, _, err = run(capsys, "compat", old / ISSUED, new)
    assert code == 2 and "cannot compare a single schema file with a catalog" in err


def test_unreadable_inputs_are_usage_errors(capsys, tmp_path, sides):
    old, new = sides
    code, out, err = run(capsys, "compat", tmp_path / "missing", new)
    assert (code, out) == (2, "") and "missing: no such file or folder" in err
    (new / REVOKED).write_text('{\n  "title": "x",\n  "type": object\n}\n')
    code, _, err = run(capsys, "compat", old, new)
    assert code == 2 and f"{REVOKED}:3: not valid JSON" in err and "Traceback" not in err
    (tmp_path / "empty").mkdir()
    code, _, err = run(capsys, "compat", old, tmp_path / "empty")
    assert code == 2 and "no *.schema.json files" in err
    (new / REVOKED).write_text("[1, 2]\n")
    code, _, err = run(capsys, "compat", old / REVOKED, new / REVOKED)
    assert code == 2 and "not a schema object" in err
    (new / REVOKED).write_text('{\n  "type": "object",\n  "properties": []\n}\n')  # JSON, but no schema
    code, _, err = run(capsys, "compat", old, new)
    assert code == 2 and f"{REVOKED}:3: not a valid JSON Schema (draft 2020-12) at /properties: " in err
    assert "Traceback" not in err


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-c", "user.name=gate test", "-c", "user.email=gate@test.invalid",
                           "-c", "commit.gpgsign=false", "-c", "init.defaultBranch=main", *args],
                          cwd=repo, check=True, capture_output=True, text=True).stdout


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A throwaway git repository: today's schemas committed, then the issued event changed in the work tree."""
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    shutil.copytree(SCHEMAS, repo / "schemas")
    edit(repo / "schemas", ISSUED, require_code)
    (repo / "elsewhere").mkdir()
    for name in (REVOKED, COMMON):  # a second folder: one event and what it refers to
        shutil.copy(SCHEMAS / name, repo / "elsewhere" / name)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "release 1")
    edit(repo / "schemas", ISSUED, lambda d: d["required"].remove("code"))
    return repo


def test_git_ref_against_the_work_tree(capsys, monkeypatch, repo):
    monkeypatch.chdir(repo)
    code, out, _ = run(capsys, "compat", "git:HEAD", "schemas")
    assert code == 1 and "error: required-property-removed" in out
    assert out.startswith("access-events compat: git:HEAD → schemas ")
    git(repo, "commit", "-q", "-am", "release 2")
    assert run(capsys, "compat", "git:HEAD", "schemas")[0] == 0
    assert run(capsys, "compat", "git:HEAD~1", "git:HEAD")[0] == 1
    code, out, _ = run(capsys, "compat", "git:HEAD~1", "git:HEAD", "--format", "github")
    assert f"file=schemas/{ISSUED}," in out


def test_git_ref_with_a_path(capsys, monkeypatch, repo):
    monkeypatch.chdir(repo / "schemas")  # any folder of the repository: paths are from its top
    assert run(capsys, "compat", "git:HEAD:schemas", ".")[0] == 1
    assert run(capsys, "compat", f"git:HEAD:schemas/{ISSUED}", ISSUED)[0] == 1
    assert run(capsys, "compat", f"git:HEAD:elsewhere/{REVOKED}", REVOKED)[0] == 0  # its $refs resolve beside it


@pytest.mark.parametrize(("spec", "needle"), [
    ("git:no-such-branch", "unknown git revision 'no-such-branch'"),
    ("git:HEAD:nowhere", "'nowhere' does not exist at HEAD"),
    ("git:HEAD:elsewhere", "no *.schema.json files"),
    ("git:", "expected git:REF"),
    ("git:--output=x", "expected git:REF"),
])
def test_bad_git_sources_are_usage_errors(capsys, monkeypatch, repo, spec, needle):
    for name in (REVOKED, COMMON):
        (repo / "elsewhere" / name).rename(repo / "elsewhere" / name.replace(".schema.json", ".json"))
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "no schemas elsewhere")
    monkeypatch.chdir(repo)
    code, _, err = run(capsys, "compat", spec, "schemas")
    assert code == 2 and needle in err, err


def test_git_outside_a_repository_is_a_usage_error(capsys, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    shutil.copytree(SCHEMAS, tmp_path / "schemas")
    code, _, err = run(capsys, "compat", "git:HEAD", "schemas")
    assert code == 2 and "not inside a git repository" in err


def test_git_source_reads_the_committed_bytes(tmp_path, repo):
    source = gate.load_source("git:HEAD", cwd=repo)
    assert source.kind == "catalog" and sorted(source.documents) == sorted(p.name for p in SCHEMAS.glob("*.schema.json"))
    assert "code" in source.documents[ISSUED]["required"]
    assert source.paths[ISSUED] == f"schemas/{ISSUED}"
    assert source.texts[ISSUED] == subprocess.run(["git", "show", f"HEAD:schemas/{ISSUED}"], cwd=repo, check=True,
                                                  capture_output=True, text=True).stdout


# --- formats -------------------------------------------------------------------------------------


FORMATS = ["text", "json", "markdown", "github", "junit"]


@pytest.fixture
def busy(tmp_path: Path, sides: tuple[Path, Path]) -> tuple[Path, Path, Path]:
    """A report with an error, a warning, an info, an acknowledged change and a stale acknowledgement."""
    old, new = sides
    edit(old, ISSUED, require_code)  # error (and version-not-bumped)
    edit(new, REVOKED, lambda d: d["required"].append("event_description"))  # acknowledged
    edit(new, "access_method.deleted.schema.json", lambda d: d.update({"description": "Gone."}))  # info (and version-bump-wanted)
    config = write_config(tmp_path, f"""\
severity:
  version-not-bumped: warn
acknowledged:
  - rule: required-property-added
    pointer: {REVOKED}#/required
    reason: every producer sends it
    expires: {FAR_FUTURE}
  - rule: type-narrowed
    pointer: /nowhere
    reason: left over
    expires: 2001-01-01
""")
    return old, new, config


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_is_deterministic(busy, fmt):
    """Every format, byte for byte, from processes with different hash seeds (a check run twice in one
    process shares one seed, and cannot see a finding order that depends on ``hash()``).

    Mutation it fails on: ``Finding.sort_key`` ordering by ``hash(self.rule)`` instead of the rule.
    """
    old, new, config = busy

    def many_rules(doc: dict) -> None:  # one event with findings under many rules: enough to order
        doc["description"] = "Issued."                                        # annotation-changed
        doc["required"].append("is_backup_code")                              # required-property-added
        doc["properties"]["code"] = {"type": "integer", "description": "A number now."}  # type-changed
        doc["properties"]["reason"] = {"type": "string", "maxLength": 40, "pattern": "^[a-z]+$",
                                       "description": "Why."}                # property-added
        doc["minProperties"] = 3                                              # min-properties-added
        doc["properties"]["event_type"]["description"] = "The type."         # annotation-changed

    edit(new, ISSUED, many_rules)
    proc = run_cli_across_hash_seeds("compat", old, new, "--config", config, "--format", fmt)
    assert proc.returncode == 1 and proc.stdout


def test_json_format(capsys, busy):
    old, new, config = busy
    code, report = findings(capsys, old, new, "--config", config)
    assert code == report["exit_code"] == 1 and report["result"] == "fail"
    statuses = sorted(f["status"] for f in report["findings"])
    assert statuses.count("error") == 1 and "acknowledged" in statuses and "info" in statuses and "warn" in statuses
    assert report["summary"]["errors"] == 1 and report["summary"]["events_compared"] == 8
    assert {f["rule"] for f in report["findings"]} >= {"required-property-removed", "version-not-bumped",
                                                       "stale-acknowledgement", "annotation-changed"}
    stale = next(f for f in report["findings"] if f["rule"] == "stale-acknowledgement")
    assert "expired on 2001-01-01" in stale["message"]
    assert report["versions"][EVENT] == {"old": "1.0.0", "new": "1.0.0"}


def test_text_format_groups_by_event(capsys, busy):
    old, new, config = busy
    code, out, _ = run(capsys, "compat", old, new, "--config", config)
    lines = out.splitlines()
    assert lines[0] == f"access-events compat: {old} → {new} (direction full, policy lenient)"
    assert "access_method.issued (1.0.0 → 1.0.0)" in lines
    assert "(config)" in lines
    assert lines[-1] == "FAIL: 1 error, 2 warnings, 2 infos, 1 acknowledged; 8 events compared, 0 added, 0 removed"
    assert any(line.startswith("    value: ") and "→" in line for line in lines)


def test_markdown_format(capsys, busy):
    old, new, config = busy
    _, out, _ = run(capsys, "compat", old, new, "--config", config, "--format", "markdown")
    assert out.startswith("### Schema compatibility: ❌ 1 error\n")
    assert "| severity | event | rule | location | old → new | breaks | message |" in out
    rows = [line for line in out.splitlines() if line.startswith("| ") and not line.startswith("| severity")]
    assert len(rows) == 6
    assert all(row.count(" | ") - row.count("\\|") >= 6 for row in rows)
    assert out.rstrip().endswith("**")


def test_github_format_points_at_the_line(capsys, busy):
    old, new, config = busy
    _, out, _ = run(capsys, "compat", old, new, "--config", config, "--format", "github")
    commands = [line for line in out.splitlines() if line.startswith("::")]
    shape = re.compile(r"::(error|warning|notice) file=([^,]+),line=(\d+),title=([a-z-]+)::(.+)")
    assert all(shape.fullmatch(line) for line in commands), commands
    parsed = [shape.fullmatch(line).groups() for line in commands]
    (error,) = [p for p in parsed if p[0] == "error"]
    _, file, line, rule, message = error
    assert (file, rule) == (f"{new}/{ISSUED}", "required-property-removed")
    text = (new / ISSUED).read_text("utf-8").splitlines()
    assert text[int(line) - 1].strip() == '"required": ['
    assert message.startswith(f"{EVENT}: ")
    warnings = {p[3]: p for p in parsed if p[0] == "warning"}
    version_line = int(warnings["version-not-bumped"][2])
    assert text[version_line - 1].strip().startswith('"x-version"')
    assert warnings["stale-acknowledgement"][1] == str(config)
    assert out.splitlines()[-1].startswith("FAIL: 1 error")


def test_github_format_uses_the_path_as_given(capsys, monkeypatch, tmp_path, code_unrequired):
    monkeypatch.chdir(tmp_path)
    _, out, _ = run(capsys, "compat", "old", "new/", "--format", "github")
    assert f"::error file=new/{ISSUED},line=" in out


def test_junit_format(capsys, busy):
    old, new, config = busy
    _, out, _ = run(capsys, "compat", old, new, "--config", config, "--format", "junit")
    suite = ET.fromstring(out)
    assert suite.tag == "testsuite" and suite.get("failures") == "1"
    cases = {case.get("name"): case for case in suite.iter("testcase")}
    assert set(cases) == {p.name.removesuffix(".schema.json") for p in SCHEMAS.glob("access_method.*.schema.json")} | {"(config)"}
    assert suite.get("tests") == str(len(cases))
    (failure,) = cases[EVENT].findall("failure")
    assert failure.get("type") == "required-property-removed"
    assert cases["access_method.revoked"].findall("failure") == []
    assert "acknowledged" in cases["access_method.revoked"].find("system-out").text


def test_github_format_annotates_a_shared_change_once(capsys, sides):
    old, new = sides
    edit(new, COMMON, lambda d: d["$defs"]["code"].update({"maxLength": 8}))  # code: issued and reissued
    _, out, _ = run(capsys, "compat", old, new, "--format", "github")
    (shared,) = [line for line in out.splitlines() if "title=max-length-added" in line]
    line = int(re.search(r",line=(\d+),", shared).group(1))
    assert shared.startswith(f"::error file={new}/{COMMON},")
    assert (new / COMMON).read_text("utf-8").splitlines()[line - 1].strip() == '"maxLength": 8'
    assert "::access_method.issued, access_method.reissued: " in shared


def test_output_file(capsys, tmp_path, code_unrequired):
    target = tmp_path / "report.xml"
    code, out, err = run(capsys, "compat", *code_unrequired, "--format", "junit", "--output", target)
    assert (code, out) == (1, "")
    assert err.startswith("FAIL: ")
    ET.parse(target)


# --- the evaluation layer, on hand-built engine reports ----------------------------------------


def source(kind: str, docs: dict[str, dict]) -> gate.Source:
    texts = {name: json.dumps(doc, indent=2) for name, doc in docs.items()}
    return gate.Source(f"<{kind}>", "catalog", docs, texts, {name: f"schemas/{name}" for name in docs})


def event_doc(name: str, version: str | None = "1.0.0") -> dict:
    doc = {"$id": f"https://access-events.example/schemas/{name}.schema.json",
           "properties": {"event_type": {"const": name}, "code": {"type": "string"}}, "required": ["event_type"]}
    if version:
        doc["x-version"] = version
    return doc


def change(rule: str, *, forward: bool = False, backward: bool = False, unknown: bool = False,
           event: str = "access_method.a", pointer: str = "/required") -> Change:
    loc = Location("access_method.a.schema.json", pointer)
    return Change(rule, loc, loc, ["event_type", "code"], ["event_type"], "/code", forward, backward, unknown,
                  "a message", Witness({"event_type": "access_method.a"}, "new", "'code' is a required property"), event)


def evaluate(changes, config=None, *, old_version="1.0.0", new_version="1.0.0", direction="full", today=None):
    old = source("old", {"access_method.a.schema.json": event_doc("access_method.a", old_version)})
    new = source("new", {"access_method.a.schema.json": event_doc("access_method.a", new_version)})
    report = Report(direction, "lenient", tuple(changes), {"access_method.a": (old_version, new_version)})
    return gate.evaluate(report, old, new, config, today=today or dt.date(2030, 1, 1))


def ack(rule="required-property-removed", pointer="/required", file=None, event=None, expires=dt.date(2030, 1, 1)):
    return gate.Acknowledgement(rule, pointer, file, event, "because", expires)


def test_unit_default_severities():
    result = evaluate([change("required-property-removed", forward=True), change("annotation-changed", pointer="/title"),
                       change("undecidable", unknown=True, pointer="/oneOf")])
    assert {f.rule: f.status for f in result.findings} == {
        "required-property-removed": "error", "annotation-changed": "info", "undecidable": "error",
        "version-not-bumped": "error"}
    assert result.exit_code == 1


def test_unit_major_bump_turns_the_event_errors_into_warnings():
    result = evaluate([change("required-property-removed", forward=True), change("annotation-changed", pointer="/title"),
                       change("undecidable", unknown=True, pointer="/oneOf")], new_version="2.0.0")
    assert {f.rule: f.status for f in result.findings} == {
        "required-property-removed": "warn", "annotation-changed": "info", "undecidable": "warn"}
    assert result.exit_code == 0


def test_unit_direction_decides_breaking():
    result = evaluate([change("required-property-removed", forward=True)], direction="backward")
    assert [(f.rule, f.status) for f in result.findings] == [("required-property-removed", "info"),
                                                             ("version-bump-wanted", "info")] and result.exit_code == 0


def test_unit_acknowledgement_matching():
    breaking = change("required-property-removed", forward=True)
    for good in (ack(), ack(file="access_method.a.schema.json"), ack(event="access_method.a")):
        result = evaluate([breaking], gate.Config(acknowledged=(good,)))
        assert [f.status for f in result.findings] == ["acknowledged"], good
    for bad in (ack(pointer="/required/0"), ack(file="other.schema.json"), ack(event="access_method.b"),
                ack(rule="type-narrowed")):
        result = evaluate([breaking], gate.Config(acknowledged=(bad,)))
        assert sorted(f.rule for f in result.findings) == ["required-property-removed", "stale-acknowledgement",
                                                           "version-not-bumped"], bad


def test_unit_acknowledgement_matches_the_old_pointer_too():
    moved = Change("required-property-removed", Location("access_method.a.schema.json", "/allOf/0/required"),
                   Location("access_method.a.schema.json", "/required"), [], [], "/code", True, False, event="access_method.a")
    result = evaluate([moved], gate.Config(acknowledged=(ack(pointer="/allOf/0/required"),)))
    assert [f.status for f in result.findings] == ["acknowledged"]


def test_unit_acknowledging_a_compatible_change_is_stale():
    result = evaluate([change("annotation-changed", pointer="/required")],
                      gate.Config(acknowledged=(ack(rule="annotation-changed"),)))
    assert sorted((f.rule, f.status) for f in result.findings) == [("annotation-changed", "info"),
                                                                    ("stale-acknowledgement", "warn"),
                                                                    ("version-bump-wanted", "info")]


def test_unit_expiry_uses_the_injected_date():
    breaking = [change("required-property-removed", forward=True)]
    config = gate.Config(acknowledged=(ack(expires=dt.date(2030, 1, 1)),))
    assert evaluate(breaking, config, today=dt.date(2030, 1, 1)).exit_code == 0
    late = evaluate(breaking, config, today=dt.date(2030, 1, 2))
    assert late.exit_code == 1
    assert [f.expired.expires for f in late.findings if f.rule == "required-property-removed"] == [dt.date(2030, 1, 1)]


def test_unit_version_rule():
    breaking = [change("required-property-removed", forward=True)]
    messages = [f.message for f in evaluate(breaking, new_version="1.4.2").findings if f.rule == "version-not-bumped"]
    assert messages == ["breaking change without a major version bump: 1.0.0 → 1.4.2; bump to 2.0.0 (required-property-removed)"]
    assert not [f for f in evaluate(breaking, new_version="2.0.0").findings if f.rule.startswith("version-")]
    assert [f.rule for f in evaluate([], old_version="2.0.0", new_version="1.9.9").findings] == ["version-decreased"]
    assert [f.rule for f in evaluate([], old_version="1.0", new_version="1.0.0").findings] == ["version-invalid"]
    assert [f.rule for f in evaluate([], old_version=None).findings] == ["version-missing"]
    skipped = evaluate(breaking, old_version=None, new_version=None)
    assert [f.rule for f in skipped.findings] == ["required-property-removed"]
    assert skipped.notes == ("version check skipped: no x-version on either side",)


def test_unit_gate_rules_take_severity_and_acknowledgements():
    breaking = [change("required-property-removed", forward=True)]
    config = gate.Config(severity={"version-not-bumped": "off"})
    result = evaluate(breaking, config)
    assert [f.rule for f in result.findings] == ["required-property-removed"] and result.hidden == 1
    config = gate.Config(acknowledged=(ack(), ack(rule="version-not-bumped", pointer="/x-version")))
    assert evaluate(breaking, config).exit_code == 0


def test_unit_added_and_removed_events_need_no_version():
    changes = [change("event-added", forward=True, event="access_method.b", pointer=""),
               change("event-removed", backward=True, event="access_method.c", pointer="")]
    old = source("old", {"access_method.a.schema.json": event_doc("access_method.a"),
                         "access_method.c.schema.json": event_doc("access_method.c", "3.0.0")})
    new = source("new", {"access_method.a.schema.json": event_doc("access_method.a"),
                         "access_method.b.schema.json": event_doc("access_method.b", None)})
    versions = {"access_method.a": ("1.0.0", "1.0.0"), "access_method.b": (None, None), "access_method.c": ("3.0.0", None)}
    result = gate.evaluate(Report("full", "lenient", tuple(changes), versions), old, new,
                           gate.Config(severity={"event-added": "warn"}))
    assert (result.compared, result.added, result.removed) == (("access_method.a",), ("access_method.b",), ("access_method.c",))
    assert sorted((f.rule, f.status) for f in result.findings) == [("event-added", "warn"), ("event-removed", "error")]
    assert gate.render_text(result).splitlines()[-1].endswith("1 event compared, 1 added, 1 removed")


# --- regressions from a review of the gate as a CI user ----------------------------------------

ACK = "acknowledged:\n  - rule: {rule}\n    pointer: /required\n    reason: why\n    expires: {expires}\n"


@pytest.mark.parametrize(("text", "needle"), [
    (ACK.format(rule="required-property-removed", expires="2026-02-30"), "not a valid config value"),
    (ACK.format(rule="required-property-removed", expires="2026-13-01"), "not a valid config value"),
    ("direction: !!int x\n", "not a valid config value"),
    (ACK.format(rule="[x]", expires="2030-01-01"), "unknown rule ['x']"),
    ("severity:\n  1: warn\n", "unknown rule 1"),
    ("a: " + "[" * 2000 + "]" * 2000 + "\n", "nested too deeply"),
])
def test_config_values_yaml_refuses_are_usage_errors(capsys, tmp_path, sides, text, needle):
    config = write_config(tmp_path, text)
    code, out, err = run(capsys, "compat", *sides, "--config", config)
    assert (code, out) == (2, ""), err
    assert needle in err and "Traceback" not in err, err


def test_a_symbolic_link_in_a_git_source_is_a_usage_error(capsys, monkeypatch, repo):
    monkeypatch.chdir(repo)
    (repo / "link").symlink_to("schemas")
    git(repo, "add", "link")
    git(repo, "commit", "-q", "-m", "a link")
    code, _, err = run(capsys, "compat", "git:HEAD:link", "schemas")
    assert code == 2 and "symbolic link" in err and "Traceback" not in err, err


def test_github_paths_are_from_the_repository_top_wherever_the_gate_runs(capsys, monkeypatch, repo):
    (repo / "sub").mkdir()
    monkeypatch.chdir(repo / "sub")
    for new in ("../schemas", str(repo / "schemas")):
        _, out, _ = run(capsys, "compat", "git:HEAD", new, "--format", "github")
        assert f"::error file=schemas/{ISSUED},line=" in out, out


def test_only_the_engines_events_are_versioned(capsys, sides):
    old, new = sides
    draft = json.loads((new / ISSUED).read_text())
    draft["properties"]["event_type"]["const"] = "access_method.draft"
    (new / "access_method.draft.schema.json").write_text(json.dumps(draft))  # not in the union: not an event
    code, out, _ = run(capsys, "compat", old, new)
    assert code == 0 and "version-missing" not in out, out


def test_a_version_that_is_not_a_string_is_invalid_in_catalogs_too(capsys, sides):
    old, new = sides
    edit(new, ISSUED, lambda d: d.update({"x-version": 2}))
    code, out, _ = run(capsys, "compat", old, new)
    assert code == 1 and "version-invalid" in out and "version-missing" not in out, out


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity", "1e999"])
def test_numbers_json_does_not_have_are_refused(capsys, tmp_path, number):
    old, new = tmp_path / "old.schema.json", tmp_path / "new.schema.json"
    old.write_text('{"minimum": 5}')
    new.write_text('{"minimum": %s}' % number)
    code, out, err = run(capsys, "compat", old, new, "--format", "json")
    assert (code, out) == (2, "") and "not valid JSON" in err, err


def test_junit_counts_failing_testcases_and_stays_well_formed(capsys, tmp_path):
    old, new = tmp_path / "old.schema.json", tmp_path / "new.schema.json"
    old.write_text(json.dumps({"type": "object", "properties": {"a\u0001": {"type": "string"}}, "required": ["b"]}))
    new.write_text(json.dumps({"type": "object", "properties": {"a\u0001": {"type": "integer"}}, "required": ["c"]}))
    _, out, _ = run(capsys, "compat", old, new, "--format", "junit")
    suite = ET.fromstring(out)  # raises on characters XML 1.0 forbids
    cases = list(suite.iter("testcase"))
    assert suite.get("failures") == str(sum(1 for case in cases if case.findall("failure")))
    assert all(len(case.findall("failure")) <= 1 for case in cases)


def test_acknowledgement_may_name_the_file_with_its_folder(capsys, tmp_path, code_unrequired):
    old, new = code_unrequired
    file, pointer = required_pointer(capsys, old, new)
    config = ack_config(tmp_path, f"schemas/{file}#{pointer}", FAR_FUTURE)
    assert run(capsys, "compat", old, new, "--config", config)[0] == 0


# --- the report, tried as a CI user would (issue 12) --------------------------------------------

CODE_PATTERN = "^[0-9]{4,8}$"


def annotations(out: str) -> list[dict[str, str]]:
    """The ``::kind file=…,line=…,title=…::message`` lines of a github report, parsed."""
    found = []
    for line in out.splitlines():
        match = re.fullmatch(r"::(\w+) (.*?)::(.*)", line)
        if match:
            props = dict(part.split("=", 1) for part in match.group(2).split(","))
            found.append({"kind": match.group(1), **props, "message": match.group(3)})
    return found


def line_number(text: str, needle: str, after: str) -> int:
    """The 1-based line of the first line equal to ``needle`` (stripped) after the line holding ``after``."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if after in line)
    return next(i for i in range(start + 1, len(lines)) if lines[i].strip() == needle) + 1


def test_a_pattern_witness_shows_a_payload_value_not_the_pattern(capsys, sides):
    """Guards the witness of a `pattern` added to `code`: its value at /code was the pattern's own
    text, so the report read `at /code: '^[0-9]{4,8}$' does not match '^[0-9]{4,8}$'`, which looks
    like the pattern printed where the payload's value belongs."""
    old, new = sides
    edit(new, ISSUED, lambda d: d["properties"]["code"].update({"pattern": CODE_PATTERN}))
    code, report = findings(capsys, old, new)
    (change,) = [f for f in report["findings"] if f["rule"] == "pattern-added"]
    value = change["witness"]["instance"]["code"]
    assert value != CODE_PATTERN and not re.search(CODE_PATTERN, value), change["witness"]
    assert change["witness"]["error"] == f"at /code: {value!r} does not match {CODE_PATTERN!r}"
    _, out, _ = run(capsys, "compat", old, new)
    assert f"{CODE_PATTERN!r} does not match {CODE_PATTERN!r}" not in out
    assert f"witness (old accepts, new rejects: at /code: {value!r} does not match" in out


def test_github_annotation_points_at_the_added_required_name(capsys, sides):
    """Guards README's promise of the changed line: a name added to `required` was annotated on
    the `"required": [` line, not on the line of the name."""
    old, new = sides
    edit(new, ISSUED, require_code)
    _, out, _ = run(capsys, "compat", old, new, "--format", "github")
    (note,) = [a for a in annotations(out) if a["title"] == "required-property-added"]
    text = (new / ISSUED).read_text("utf-8")
    assert int(note["line"]) == line_number(text, '"code"', '"required": [') != line_number(text, '"required": [', "{") - 1
    _, report = findings(capsys, old, new)
    (change,) = [f for f in report["findings"] if f["rule"] == "required-property-added"]
    assert change["line"] == int(note["line"])


def test_github_annotation_points_at_the_added_enum_value(capsys, tmp_path):
    """The same for a value added to an `enum` (two single files): the line of the value."""
    old, new = tmp_path / "old.schema.json", tmp_path / "new.schema.json"
    old.write_text(json.dumps({"enum": ["a", "b"]}, indent=2))
    new.write_text(json.dumps({"enum": ["a", "b", "c"]}, indent=2))
    _, out, _ = run(capsys, "compat", old, new, "--format", "github")
    (note,) = annotations(out)
    assert note["title"] == "enum-value-added" and int(note["line"]) == line_number(new.read_text(), '"c"', '"enum"')


def test_markdown_heading_after_a_major_bump_names_the_release(capsys, sides):
    """Guards the markdown heading after a MAJOR bump: it said `✅ no breaking change` above a
    table listing a `breaks backward` warning."""
    old, new = sides
    edit(new, ISSUED, lambda d: (require_code(d), d.update({"x-version": "2.0.0"})))
    code, out, _ = run(capsys, "compat", old, new, "--format", "markdown")
    head = out.splitlines()[0]
    assert code == 0 and "breaks backward" in out, out
    assert head == "### Schema compatibility: ✅ breaking change released as access_method.issued 2.0.0", head


def test_markdown_heading_names_breaking_changes_the_config_lets_pass():
    """A breaking change passed by an acknowledgement or a lowered severity is no `no breaking change` either."""
    breaking = [change("required-property-removed", forward=True)]
    acked = evaluate(breaking, gate.Config(acknowledged=(ack(), ack(rule="version-not-bumped", pointer="/x-version"))))
    assert gate.render_markdown(acked).splitlines()[0] == "### Schema compatibility: ✅ 1 breaking change acknowledged"
    warned = evaluate(breaking, gate.Config(severity={"required-property-removed": "warn"}))
    assert gate.render_markdown(warned).splitlines()[0] == \
        "### Schema compatibility: ✅ 1 breaking change allowed by the config's severity"
    assert gate.render_markdown(evaluate([])).splitlines()[0] == "### Schema compatibility: ✅ no breaking change"


def test_an_info_says_what_happened_not_the_rules_generic_text(capsys, sides):
    """Guards an info's message: a newly declared optional property printed the rule's generic
    text (`a property declared (breaks forward on a closed object; ...)`), not which property
    and what it declares."""
    old, new = sides
    edit(new, ISSUED, lambda d: d["properties"].update({"note": {"type": "string", "description": "a note"}}))
    _, out, _ = run(capsys, "compat", old, new)
    (line,) = [line for line in out.splitlines() if "info: property-added" in line]
    assert "closed object" not in line and "strict policy" not in line, line
    assert 'property "note" declared at /note: {"description":"a note","type":"string"}' in line, line
    edit(old, ISSUED, lambda d: d["properties"].update({"gone": {"type": "integer"}}))
    _, out, _ = run(capsys, "compat", old, new)
    (line,) = [line for line in out.splitlines() if "info: property-removed" in line]
    assert 'property "gone" no longer declared at /gone (was {"type":"integer"})' in line, line


def test_compatible_changes_say_which_version_bump_they_want(capsys, sides):
    """Guards contract_tests/released/README.md's MINOR/PATCH rule: compatible changes did not
    say which bump they want, nor to which version."""
    old, new = sides
    edit(new, REVOKED, lambda d: d.update({"description": "Revoked, said better."}))
    edit(new, ISSUED, lambda d: d["properties"].update({"note": {"type": "string", "description": "a note"}}))
    code, out, _ = run(capsys, "compat", old, new)
    assert code == 0, out
    assert re.search(r"info: property-added: .* \[compatible \(MINOR bump\)\]", out), out
    assert re.search(r"info: annotation-changed: `description` changed \[compatible \(PATCH bump\)\]", out), out
    assert ("info: version-bump-wanted: compatible changes want a MINOR version bump: 1.0.0 → 1.0.0; "
            "bump to 1.1.0 (property-added)") in out
    assert ("info: version-bump-wanted: compatible changes want a PATCH version bump: 1.0.0 → 1.0.0; "
            "bump to 1.0.1 (annotation-changed)") in out
    for event, version in ((ISSUED, "1.1.0"), (REVOKED, "1.0.1")):  # bumped as wanted: nothing more to say
        edit(new, event, set_version(version))
    code, out, _ = run(capsys, "compat", old, new)
    assert code == 0 and "version-bump-wanted" not in out and "`x-version` changed [compatible]" in out, out
    config = write_config(new.parent, "severity:\n  version-bump-wanted: error\n")  # a team that wants bumps enforced
    edit(new, REVOKED, set_version("1.0.0"))
    assert run(capsys, "compat", old, new, "--config", config)[0] == 1


@pytest.mark.parametrize(("text", "needle"), [
    ("severity:\n  required-property-remove: warn\n",
     "severity: unknown rule 'required-property-remove'; did you mean 'required-property-removed'?"),
    (ACK.format(rule="requried-property-added", expires="2030-01-01"),
     "acknowledged[0]: unknown rule 'requried-property-added'; did you mean 'required-property-added'?"),
    ("severity:\n  version-not-bumpd: off\n", "did you mean 'version-not-bumped'?"),
])
def test_an_unknown_rule_in_the_config_suggests_the_nearest(capsys, tmp_path, sides, text, needle):
    """Issue 15: a misspelt rule name said only `unknown rule`; it names the nearest known rule."""
    config = write_config(tmp_path, text)
    code, out, err = run(capsys, "compat", *sides, "--config", config)
    assert (code, out) == (2, "") and needle in err, err


class OtherReport:
    """A report of another command, built only from what ``gate.model.Report`` names."""

    command, title = "access-events other", "Something else"
    sides = (("spec", "producer.yaml"), ("contract", "schemas"))
    settings = (("events", "access_method.*"),)
    notes = ("a note",)

    def __init__(self, findings: tuple[gate.Finding, ...]):
        self.groups = (("access_method.issued", findings),)

    @property
    def findings(self):
        return tuple(f for _, group in self.groups for f in group)

    def count(self, status):
        return sum(1 for f in self.findings if f.status == status)

    @property
    def exit_code(self):
        return 1 if self.count("error") else 0

    def heading(self, group):
        return f"{group} (drifted)"

    def cases(self):
        return ["access_method.issued", "access_method.revoked"]

    def anchor(self, finding):
        return ("schemas/x.schema.json", 7)

    def summary(self):
        return f"FAIL: {self.count('error')} error"

    def headline(self):
        return "❌ drifted"

    def json_extra(self):
        return {"events": [{"event": "access_method.issued", "status": "drifted"}], "summary": {"drifted": 1}}


@pytest.mark.parametrize("fmt", FORMATS)
def test_renderers_take_any_report(fmt):
    """The renderers read only the Report protocol, so another command (drift) renders its own
    rule IDs, sides, settings and per-event keys through them."""
    finding = gate.Finding("producer-wider", "error", "access_method.issued", "the producer sends more",
                           old_value=1, new_value=2, effect="producer ⊄ contract")
    text = gate.RENDERERS[fmt](OtherReport((finding,)))
    assert "producer-wider" in text and "compat" not in text, text
    if fmt == "json":
        report = json.loads(text)
        assert (report["spec"], report["contract"], report["events"][0]["status"]) == ("producer.yaml", "schemas", "drifted")
        assert report["summary"] == {"errors": 1, "warnings": 0, "infos": 0, "acknowledged": 0, "drifted": 1}
    elif fmt == "github":
        assert text.startswith("::error file=schemas/x.schema.json,line=7,title=producer-wider::access_method.issued: "
                               "the producer sends more: 1 → 2; producer ⊄ contract\n"), text
    elif fmt == "junit":
        suite = ET.fromstring(text)
        assert (suite.get("name"), suite.get("tests"), suite.get("failures")) == ("access-events other", "2", "1")
    elif fmt == "markdown":
        assert text.startswith("### Something else: ❌ drifted\n\n`producer.yaml` → `schemas` · events **access_method.***\n")
    else:
        assert text.startswith("access-events other: producer.yaml → schemas (events access_method.*)\n\n"
                               "access_method.issued (drifted)\n  error: producer-wider: the producer sends more "
                               "[producer ⊄ contract]\n"), text
