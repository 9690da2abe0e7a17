"""``access_events.lint``: the real schemas lint clean, and each rule catches its mistake.

Each rule test copies the real schemas to ``tmp_path``, breaks one thing, and asserts the
complete set of findings, so a rule that stays silent, fires twice, or drags other rules
along fails. Expected lines are found by searching the broken file's text, not through
``_locate``, so a wrong line number fails too.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any, Callable

import pytest
from conftest import run_cli_across_hash_seeds

from access_events import _catalog
from access_events.lint import Finding, LintResult, lint, render_json, render_text

ROOT = Path(__file__).resolve().parents[1]
SCHEMAS = ROOT / "schemas"
BASE = _catalog.BASE_URI

ISSUED = "access_method.issued.schema.json"
REISSUED = "access_method.reissued.schema.json"
DELETED = "access_method.deleted.schema.json"
REVOKED = "access_method.revoked.schema.json"
COPY = "access_method.copy.schema.json"
UNION = _catalog.UNION_FILE
COMMON = _catalog.COMMON_FILE

Mutation = Callable[[Path], None]


def edit(name: str, change: Callable[[dict], Any]) -> Mutation:
    """Load a schema, change it, and write it back pretty-printed."""

    def mutate(folder: Path) -> None:
        path = folder / name
        doc = json.loads(path.read_text("utf-8"))
        change(doc)
        path.write_text(json.dumps(doc, indent=2) + "\n", "utf-8")

    return mutate


def write_text(name: str, make: Callable[[str], str]) -> Mutation:
    def mutate(folder: Path) -> None:
        path = folder / name
        path.write_text(make(path.read_text("utf-8")), "utf-8")

    return mutate


def copy_file(source: str, target: str) -> Mutation:
    return lambda folder: shutil.copy(folder / source, folder / target)


def at(doc: dict, *path: str | int) -> Any:
    for part in path:
        doc = doc[part]
    return doc


def both(*mutations: Mutation) -> Mutation:
    def mutate(folder: Path) -> None:
        for mutation in mutations:
            mutation(folder)

    return mutate


def line_containing(text: str, needle: str) -> int:
    hits = [number for number, line in enumerate(text.splitlines(), 1) if needle in line]
    assert len(hits) == 1, f"needle {needle!r} must occur on exactly one line, found {hits}"
    return hits[0]


def root_example(index: int) -> Callable[[str], int]:
    """The line opening root example ``index`` in a file written by ``json.dumps(indent=2)``."""

    def find(text: str) -> int:
        lines = text.splitlines()
        start = lines.index('  "examples": [')
        openers = [n for n, line in enumerate(lines[start:], start + 1) if line == "    {"]
        return openers[index]

    return find


def expected_line(folder: Path, name: str, where: Any) -> int:
    """A line number given as such, as a unique needle, (needle, lines below it), or a finder."""
    if isinstance(where, int):
        return where
    if callable(where):
        return where((folder / name).read_text("utf-8"))
    needle, below = (where, 0) if isinstance(where, str) else where
    return line_containing((folder / name).read_text("utf-8"), needle) + below


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    target = tmp_path / "schemas"
    shutil.copytree(SCHEMAS, target)
    return target


def keys(findings: tuple[Finding, ...]) -> set[tuple[str, str, str, int]]:
    return {(f.rule, f.file, f.pointer, f.line) for f in findings}


# --- the real catalog --------------------------------------------------------------------


def test_real_schemas_lint_clean() -> None:
    result = lint(SCHEMAS)
    assert result.findings == (), render_text(result)
    assert result.files == tuple(sorted(p.name for p in SCHEMAS.glob("*.schema.json")))
    assert len(result.files) >= 3


def test_default_folder_is_the_catalog() -> None:
    assert lint().files == lint(SCHEMAS).files


def test_copied_schemas_lint_clean(folder: Path) -> None:
    # The baseline every rule test starts from: lint must not depend on where the folder is.
    assert lint(folder).findings == ()


# --- one case per rule -------------------------------------------------------------------

CASES = [
    # invalid-json
    pytest.param(write_text(UNION, lambda t: t.replace('"oneOf": [', '"oneOf": [,')),
                 [("invalid-json", UNION, "", '"oneOf": [,')], id="invalid-json-syntax"),
    pytest.param(write_text(UNION, lambda t: "[\n]\n"), [("invalid-json", UNION, "", 1)], id="invalid-json-not-object"),
    # dialect
    pytest.param(edit(DELETED, lambda d: d.pop("$schema")), [("dialect", DELETED, "", 1)], id="dialect-missing"),
    pytest.param(edit(DELETED, lambda d: d.update({"$schema": "http://json-schema.org/draft-07/schema#"})),
                 [("dialect", DELETED, "/$schema", '"$schema"')], id="dialect-wrong"),
    # metaschema
    pytest.param(edit(REVOKED, lambda d: d.update({"type": "objekt"})),
                 [("metaschema", REVOKED, "/type", '"type": "objekt"')], id="metaschema"),
    pytest.param(edit(COMMON, lambda d: at(d, "$defs", "code").update({"minLength": -1})),
                 [("metaschema", COMMON, "/$defs/code/minLength", '"minLength": -1')], id="metaschema-nested"),
    # $id
    pytest.param(edit(UNION, lambda d: d.pop("$id")), [("missing-id", UNION, "", 1)], id="missing-id"),
    pytest.param(edit(UNION, lambda d: d.update({"$id": BASE + "union.schema.json"})),
                 [("id-mismatch", UNION, "/$id", '"$id"')], id="id-mismatch"),
    pytest.param(edit(COMMON, lambda d: (at(d, "$defs", "code").update({"$id": "shared.json"}),
                                         at(d, "$defs", "is_backup_code").update({"$id": "./shared.json"}))),
                 [("duplicate-id", COMMON, "/$defs/code/$id", '"$id": "shared.json"'),
                  ("duplicate-id", COMMON, "/$defs/is_backup_code/$id", '"$id": "./shared.json"')],
                 id="duplicate-id-embedded"),
    pytest.param(copy_file(DELETED, COPY),
                 [("duplicate-id", COPY, "/$id", '"$id"'), ("duplicate-id", DELETED, "/$id", '"$id"'),
                  ("id-mismatch", COPY, "/$id", '"$id"'),
                  ("event-type-mismatch", COPY, "/properties/event_type/const", '"const"')],
                 id="duplicate-id-files"),
    # $ref
    pytest.param(edit(ISSUED, lambda d: at(d, "properties", "code").update({"$ref": "common.schema.json#/$defs/kode"})),
                 [("unresolved-ref", ISSUED, "/properties/code/$ref", "#/$defs/kode")], id="unresolved-ref-pointer"),
    pytest.param(edit(UNION, lambda d: at(d, "oneOf", 0).update({"$ref": "access_method.missing.schema.json"})),
                 [("unresolved-ref", UNION, "/oneOf/0/$ref", "access_method.missing.schema.json"),
                  ("discriminator", UNION, "/discriminator/mapping/access_method.issued", '"access_method.issued": "access_method.issued.schema.json"'),
                  ("discriminator", UNION, "/oneOf/0", ("access_method.missing.schema.json", -1))], id="unresolved-ref-file"),
    pytest.param(edit(ISSUED, lambda d: at(d, "properties", "code").update({"$ref": "https://example.com/code.json"})),
                 [("remote-ref", ISSUED, "/properties/code/$ref", "https://example.com/code.json")], id="remote-ref-absolute"),
    pytest.param(edit(ISSUED, lambda d: at(d, "properties", "code").update({"$ref": "../common.schema.json#/$defs/code"})),
                 [("remote-ref", ISSUED, "/properties/code/$ref", "../common.schema.json")], id="remote-ref-parent"),
    pytest.param(edit(ISSUED, lambda d: at(d, "properties", "code").update({"$ref": BASE + "../x/common.schema.json"})),
                 [("remote-ref", ISSUED, "/properties/code/$ref", "../x/common")], id="remote-ref-dot-segments"),
    # descriptions, titles, examples
    pytest.param(edit(COMMON, lambda d: at(d, "$defs", "access_method_event", "properties", "event_description").pop("description")),
                 [("missing-description", COMMON, "/$defs/access_method_event/properties/event_description",
                   '"event_description": {')], id="missing-description-property"),
    pytest.param(edit(COMMON, lambda d: at(d, "$defs", "code").pop("description")),
                 [("missing-description", ISSUED, "/properties/code", '"code": {'),
                  ("missing-description", REISSUED, "/properties/code", '"code": {')], id="missing-description-ref-target"),
    pytest.param(edit(DELETED, lambda d: d.pop("description")), [("missing-description", DELETED, "", 1)],
                 id="missing-description-root"),
    pytest.param(edit(DELETED, lambda d: d.update({"title": " "})), [("missing-title", DELETED, "/title", '"title"')],
                 id="missing-title-empty"),
    pytest.param(edit(DELETED, lambda d: d.pop("title")), [("missing-title", DELETED, "", 1)], id="missing-title"),
    pytest.param(edit(REVOKED, lambda d: d.pop("examples")), [("missing-examples", REVOKED, "", 1)], id="missing-examples"),
    pytest.param(edit(REVOKED, lambda d: d.update({"examples": []})),
                 [("missing-examples", REVOKED, "/examples", '"examples": []')], id="missing-examples-empty"),
    pytest.param(edit(ISSUED, lambda d: at(d, "examples", 0).update({"created_at": "2025-13-01T00:00:00Z"})),
                 [("invalid-example", ISSUED, "/examples/0", root_example(0))], id="invalid-example-date-time"),
    pytest.param(edit(ISSUED, lambda d: at(d, "examples", 0).update({"event_id": "{00000000-0000-0000-0000-000000000000}"})),
                 [("invalid-example", ISSUED, "/examples/0", root_example(0))], id="invalid-example-uuid"),
    pytest.param(edit(COMMON, lambda d: at(d, "$defs", "uuid", "examples").__setitem__(0, "zzz")),
                 [("invalid-example", COMMON, "/$defs/uuid/examples/0", '"zzz"')], id="invalid-example-nested"),
    pytest.param(edit(UNION, lambda d: at(d, "examples", 1).update({"event_type": "access_method.unknown"})),
                 [("invalid-example", UNION, "/examples/1", root_example(1))], id="invalid-example-union"),
    # required
    pytest.param(edit(DELETED, lambda d: (d["required"].append("nonexistent"), at(d, "examples", 0).update({"nonexistent": 1}))),
                 [("required-undeclared", DELETED, "/required/1", lambda t: t.splitlines().index('    "nonexistent"') + 1)], id="required-undeclared"),
    pytest.param(edit(COMMON, lambda d: at(d, "$defs").update({"pair": {
                     "description": "d", "type": "object", "properties": {"a": {"description": "d"}}, "required": ["a", "b"]}})),
                 [("required-undeclared", COMMON, "/$defs/pair/required/1", '"b"')], id="required-undeclared-nested"),
    # event_type
    pytest.param(edit(DELETED, lambda d: (at(d, "properties", "event_type").update({"const": "access_method.removed"}),
                                          at(d, "examples", 0).update({"event_type": "access_method.removed"}))),
                 [("event-type-mismatch", DELETED, "/properties/event_type/const", '"const"'),
                  ("discriminator", UNION, "/discriminator/mapping/access_method.deleted", '"access_method.deleted": "access_method.deleted.schema.json"')],
                 id="event-type-mismatch"),
    # Without its const the deleted schema accepts every event, so the union's oneOf
    # matches twice for each of its examples: those findings are right too.
    pytest.param(edit(DELETED, lambda d: at(d, "properties", "event_type").pop("const")),
                 [("event-type-mismatch", DELETED, "/properties/event_type/const", '"event_type": {'),
                  ("invalid-example", UNION, "/examples/0", root_example(0)),
                  ("invalid-example", UNION, "/examples/1", root_example(1)),
                  ("discriminator", UNION, "/discriminator/mapping/access_method.deleted", '"access_method.deleted": "access_method.deleted.schema.json"')],
                 id="event-type-missing-const"),
    pytest.param(edit(COMMON, lambda d: d.update({"properties": {"event_type": {"const": "access_method.x", "description": "d"}}})),
                 [("event-type-mismatch", COMMON, "/properties/event_type/const", '"const": "access_method.x"')],
                 id="event-type-in-undotted-file"),
    # open objects, formats, null
    pytest.param(edit(COMMON, lambda d: at(d, "$defs", "code").update({"additionalProperties": False})),
                 [("closed-object", COMMON, "/$defs/code/additionalProperties", '"additionalProperties": false')],
                 id="closed-object-additional"),
    pytest.param(edit(REVOKED, lambda d: d.update({"unevaluatedProperties": False})),
                 [("closed-object", REVOKED, "/unevaluatedProperties", '"unevaluatedProperties": false')],
                 id="closed-object-unevaluated"),
    pytest.param(edit(COMMON, lambda d: at(d, "$defs", "code").update({"format": "pin"})),
                 [("unknown-format", COMMON, "/$defs/code/format", '"format": "pin"')], id="unknown-format"),
    pytest.param(edit(COMMON, lambda d: at(d, "$defs", "code").update({"type": ["string", "null"]})),
                 [("nullable", COMMON, "/$defs/code/type", '"type": [')], id="nullable-type-list"),
    pytest.param(edit(COMMON, lambda d: at(d, "$defs").update({"nothing": {"type": "null", "description": "d"}})),
                 [("nullable", COMMON, "/$defs/nothing/type", '"type": "null"')], id="nullable-type-null"),
    pytest.param(edit(COMMON, lambda d: at(d, "$defs", "code").update({"nullable": True})),
                 [("nullable", COMMON, "/$defs/code/nullable", '"nullable": true')], id="nullable-flag"),
    # discriminator: tags, mapping and oneOf agree (generators of tagged unions rely on it)
    pytest.param(edit(UNION, lambda d: d["discriminator"]["mapping"].pop("access_method.deleted")),
                 [("discriminator", UNION, "/oneOf/3", ('"$ref": "access_method.deleted.schema.json"', -1))], id="discriminator-branch-unmapped"),
    pytest.param(edit(UNION, lambda d: d["discriminator"]["mapping"].update({"access_method.deleted": "access_method.revoked.schema.json"})),
                 [("discriminator", UNION, "/discriminator/mapping/access_method.deleted", '"access_method.deleted": "access_method.revoked'),
                  ("discriminator", UNION, "/oneOf/3", ('"$ref": "access_method.deleted.schema.json"', -1))], id="discriminator-wrong-target"),
    pytest.param(edit(UNION, lambda d: d["discriminator"]["mapping"].update({"access_method.gone": "access_method.gone.schema.json"})),
                 [("discriminator", UNION, "/discriminator/mapping/access_method.gone", '"access_method.gone"')], id="discriminator-not-a-branch"),
    # a const behind a $ref: lint's event-type rule wants it in place; the mapping still resolves it
    pytest.param(edit(DELETED, lambda d: (d.update({"$defs": {"et": {"const": "access_method.deleted"}}}),
                                          d["properties"].update({"event_type": {"$ref": "#/$defs/et", "description": "d"}}))),
                 [("event-type-mismatch", DELETED, "/properties/event_type/const", '"event_type": {')], id="discriminator-const-behind-ref"),
    pytest.param(edit(UNION, lambda d: d["discriminator"].pop("propertyName")),
                 [("discriminator", UNION, "/discriminator", '"discriminator"')], id="discriminator-no-property-name"),
    # x-version: every event schema states a semantic version (the compat gate's bump rule reads it)
    pytest.param(edit(REVOKED, lambda d: d.pop("x-version")), [("version", REVOKED, "", 1)], id="version-missing"),
    pytest.param(edit(REVOKED, lambda d: d.update({"x-version": "1.0"})),
                 [("version", REVOKED, "/x-version", '"x-version": "1.0"')], id="version-malformed"),
    pytest.param(edit(REVOKED, lambda d: d.update({"x-version": "v1.0.0"})),
                 [("version", REVOKED, "/x-version", '"x-version"')], id="version-prefixed"),
    pytest.param(edit(REVOKED, lambda d: d.update({"x-version": "1.02.0"})),
                 [("version", REVOKED, "/x-version", '"x-version"')], id="version-leading-zero"),
    pytest.param(edit(REVOKED, lambda d: d.update({"x-version": "2.0.0-rc.1"})),
                 [("version", REVOKED, "/x-version", '"x-version"')], id="version-pre-release"),
    pytest.param(edit(REVOKED, lambda d: d.update({"x-version": 1})),
                 [("version", REVOKED, "/x-version", '"x-version": 1')], id="version-not-a-string"),
    # common and the union are not events: no version needed, but one they carry must be well-formed
    pytest.param(edit(UNION, lambda d: d.update({"x-version": "one"})),
                 [("version", UNION, "/x-version", '"x-version"')], id="version-malformed-outside-events"),
]


@pytest.mark.parametrize(("mutate", "expected"), CASES)
def test_rule(folder: Path, mutate: Mutation, expected: list[tuple[str, str, str, Any]]) -> None:
    mutate(folder)
    result = lint(folder)
    want = {(rule, name, pointer, expected_line(folder, name, where)) for rule, name, pointer, where in expected}
    assert keys(result.findings) == want, render_text(result)


def test_version_is_required_on_event_schemas_only(folder: Path) -> None:
    for name in (COMMON, UNION):
        assert "x-version" not in json.loads((SCHEMAS / name).read_text("utf-8"))
    for path in SCHEMAS.glob("access_method.*.schema.json"):
        assert list(json.loads(path.read_text("utf-8")))[:3] == ["$schema", "$id", "x-version"], path.name
    edit(UNION, lambda d: d.update({"x-version": "10.20.30"}))(folder)
    assert lint(folder).findings == ()


def test_version_messages(folder: Path) -> None:
    edit(REVOKED, lambda d: d.pop("x-version"))(folder)
    edit(DELETED, lambda d: d.update({"x-version": "1.0"}))(folder)
    messages = {f.file: f.message for f in lint(folder).findings}
    assert messages == {REVOKED: 'no x-version; an event schema states its semantic version, e.g. "x-version": "1.0.0"',
                        DELETED: 'x-version is "1.0"; expected a semantic version MAJOR.MINOR.PATCH, e.g. "1.0.0"'}


def test_version_keyword_is_the_compat_engines() -> None:
    from access_events import compat, lint as lint_module

    assert lint_module.VERSION_KEYWORD == compat.VERSION_KEYWORD == "x-version"


def test_invalid_example_message_names_the_inner_error(folder: Path) -> None:
    edit(ISSUED, lambda d: at(d, "examples", 0).update({"created_at": "2025-13-01T00:00:00Z"}))(folder)
    (finding,) = lint(folder).findings
    assert "/created_at" in finding.message and "date-time" in finding.message


def test_union_example_message_says_why_oneof_failed(folder: Path) -> None:
    edit(UNION, lambda d: at(d, "examples", 1).update({"event_type": "access_method.unknown"}))(folder)
    (finding,) = lint(folder).findings
    assert finding.message == "example 1 is invalid at /: fails oneOf at schema path /oneOf (matches no branch)"


def test_anchor_and_embedded_id_refs_resolve(folder: Path) -> None:
    # "#text" names an $anchor; "inner.json#/$defs/word" is relative to an embedded $id.
    edit(COMMON, lambda d: at(d, "$defs").update({
        "text": {"$anchor": "text", "type": "string", "description": "d"},
        "nest": {"$id": "nest/outer.json", "description": "d", "$defs": {
            "inner": {"$id": "inner.json", "$defs": {"word": {"type": "string", "description": "d"}}}},
            "properties": {"w": {"$ref": "inner.json#/$defs/word"}, "t": {"$ref": "../common.schema.json#text"}},
            "examples": [{"w": "x", "t": "y"}]},
    }))(folder)
    assert lint(folder).findings == ()
    edit(COMMON, lambda d: at(d, "$defs", "nest", "properties", "t").update({"$ref": "../common.schema.json#txet"}))(folder)
    assert keys(lint(folder).findings) == {("unresolved-ref", COMMON, "/$defs/nest/properties/t/$ref",
                                            expected_line(folder, COMMON, "#txet"))}


def test_data_keywords_are_not_walked(folder: Path) -> None:
    # Schema-looking values under default/enum/const/examples are data, never schemas.
    schema_like = {"type": "null", "format": "pin", "additionalProperties": False, "nullable": True,
                   "$ref": "https://example.com/x", "properties": {"x": {}}, "required": ["y"]}
    edit(COMMON, lambda d: (
        at(d, "$defs", "code").update({"default": schema_like, "enum": ["1234", schema_like], "examples": ["1234"]}),
        at(d, "$defs").update({"fixed": {"description": "d", "const": schema_like, "examples": [schema_like]}}),
    ))(folder)
    assert lint(folder).findings == ()


def test_pattern_properties_declare_required_names(folder: Path) -> None:
    edit(DELETED, lambda d: (d.update({"patternProperties": {"^x_": {"description": "d"}}}),
                             d["required"].append("x_extra"), at(d, "examples", 0).update({"x_extra": 1})))(folder)
    assert lint(folder).findings == ()


def test_ref_cycle_terminates(folder: Path) -> None:
    edit(COMMON, lambda d: at(d, "$defs").update({
        "a": {"description": "d", "allOf": [{"$ref": "#/$defs/b"}], "required": ["z"]},
        "b": {"description": "d", "allOf": [{"$ref": "#/$defs/a"}]},
    }))(folder)
    assert keys(lint(folder).findings) == {
        ("required-undeclared", COMMON, "/$defs/a/required/0", expected_line(folder, COMMON, '"z"'))}


# --- results and rendering ---------------------------------------------------------------


def broken(folder: Path) -> LintResult:
    both(edit(COMMON, lambda d: at(d, "$defs", "code").update({"format": "pin", "nullable": True})),
         edit(DELETED, lambda d: d.pop("title")))(folder)
    return lint(folder)


def test_findings_are_sorted_and_rendered(folder: Path) -> None:
    result = broken(folder)
    assert list(result.findings) == sorted(result.findings)
    assert [(f.file, f.rule) for f in result.findings] == [
        (DELETED, "missing-title"), (COMMON, "unknown-format"), (COMMON, "nullable")]
    text = render_text(result)
    first = result.findings[1]
    assert text.splitlines()[1] == f"{COMMON}:{first.line}: /$defs/code/format: {first.message} [unknown-format]"
    assert text.splitlines()[-1] == f"3 finding(s) in {len(result.files)} file(s)"
    assert f"{DELETED}:1: /: " in text  # the root pointer renders as "/"


def test_render_json(folder: Path) -> None:
    result = broken(folder)
    report = json.loads(render_json(result))
    assert report["summary"] == {"files": len(result.files), "findings": 3}
    assert report["findings"][1] == {"file": COMMON, "line": result.findings[1].line, "pointer": "/$defs/code/format",
                                     "rule": "unknown-format", "message": result.findings[1].message}
    assert render_json(result) == json.dumps(report, indent=2, sort_keys=True) + "\n"


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_lint_output_is_deterministic_across_hash_seeds(folder: Path, fmt: str) -> None:
    """``access-events lint`` prints the same bytes in processes with different hash seeds (running it
    twice in one process cannot see a finding order that depends on ``hash()``).

    Mutation it fails on: ``lint()`` sorting its findings by ``hash(finding.file)``.
    """
    result = broken(folder)
    # run from inside the folder: lint prints paths from the working directory, here the bare names
    proc = run_cli_across_hash_seeds("lint", ".", "--format", fmt, cwd=folder)
    assert proc.returncode == 1
    assert proc.stdout.decode("utf-8") == (render_json(result) if fmt == "json" else render_text(result))


def test_missing_folder_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        lint(tmp_path / "nope")
    (tmp_path / "file").write_text("{}")
    with pytest.raises(NotADirectoryError):
        lint(tmp_path / "file")


def test_empty_folder_has_no_files(tmp_path: Path) -> None:
    assert lint(tmp_path) == LintResult(files=(), findings=())
