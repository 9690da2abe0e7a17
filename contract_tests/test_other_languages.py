"""The schemas outside Python's own path: a bundle, API documents, Ajv, TypeScript.

Node.js tools come from package.json / package-lock.json (``make install`` runs ``npm ci``).
Every sample and the edge-case corpus go through three validators — Python ``jsonschema``,
``jsonschema-rs`` and Ajv (draft 2020-12, ajv-formats, strict mode) — and all three must
give each sample its expected verdict.
"""

from __future__ import annotations

import json
import shutil
import subprocess

import jsonschema_rs
import orjson
import pytest
import yaml
from conftest import ROOT, SAMPLES, require_tool
from jsonschema import Draft202012Validator
from test_differential import _edge_cases

import access_events
from access_events import BASE_URI, registry, validate_event
from access_events._catalog import _documents, schema_id
from access_events._formats import FORMAT_CHECKER

GENERATED = ROOT / "generated"
BUNDLE = json.loads((GENERATED / "bundle" / "access_method_events.bundle.schema.json").read_text("utf-8"))
NODE = shutil.which("node")


@pytest.fixture(autouse=True)
def _node_installed() -> None:
    require_tool("Node.js (node)", NODE, "install Node.js and npm (Debian: apt-get install nodejs npm), then `make install`")


def _node(script: str, payload: object) -> subprocess.CompletedProcess:
    if not (ROOT / "node_modules" / "ajv").is_dir():
        pytest.fail("node_modules is missing: run `make install` (it runs `npm ci`)")
    return subprocess.run([NODE, str(ROOT / "contract_tests" / "js" / script)], input=json.dumps(payload),
                          capture_output=True, text=True, cwd=ROOT, timeout=120)


def _cases() -> list[tuple[str, str, object, bool]]:
    """(name, event type, instance, expected verdict) for every sample and edge case."""
    cases = []
    for path in sorted(SAMPLES.glob("*/*/*.json")):
        cases.append((f"{path.parts[-3]}/{path.parts[-2]}/{path.stem}", path.parts[-3], orjson.loads(path.read_bytes()),
                      path.parts[-2] == "valid"))
    for name, instance in _edge_cases():
        cases.append((f"edge/{name}", "access_method.issued", instance, validate_event(instance) == []))
    return cases


CASES = _cases()


@pytest.fixture(scope="module")
def ajv_verdicts() -> dict[str, dict]:
    cases = [{"name": name, "ref": schema_id(event_type), "instance": instance} for name, event_type, instance, _ in CASES]
    cases += [{"name": "bundle:" + name, "ref": BUNDLE["$id"], "instance": instance} for name, _, instance, _ in CASES]
    proc = _node("ajv_validate.mjs", {"schemas": [*_documents().values(), BUNDLE], "cases": cases})
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_three_validators_agree_with_every_expected_verdict(ajv_verdicts):
    validators = {
        "jsonschema": lambda t: Draft202012Validator({"$ref": schema_id(t)}, registry=registry(), format_checker=FORMAT_CHECKER).is_valid,
        "jsonschema-rs": lambda t: jsonschema_rs.Draft202012Validator(
            {"$ref": schema_id(t)}, registry=jsonschema_rs.Registry([(d["$id"], d) for d in _documents().values()]),
            validate_formats=True).is_valid,
    }
    compiled = {(name, t): make(t) for name, make in validators.items() for t in access_events.EVENT_TYPES}
    disagreements = []
    for name, event_type, instance, expected in CASES:
        verdicts = {v: compiled[(v, event_type)](instance) for v in validators}
        verdicts["ajv"] = ajv_verdicts[name]["valid"]
        verdicts["ajv (bundle)"] = ajv_verdicts["bundle:" + name]["valid"]
        wrong = sorted(v for v, verdict in verdicts.items() if verdict != expected)
        if wrong:
            disagreements.append(f"{name}: expected {'valid' if expected else 'invalid'}, {', '.join(wrong)} disagree")
    assert not disagreements, "\n".join(disagreements)
    assert len(CASES) > 300


def test_ajv_reports_where_an_invalid_sample_fails(ajv_verdicts):
    for name, _, _, expected in CASES:
        if name.endswith("/malformed_uuid_event_id"):
            assert {e["pointer"] for e in ajv_verdicts[name]["errors"]} == {"/event_id"}


def test_jsonschema_default_date_time_check_rejects_leap_seconds():
    """Why the package ships its own format checker (README): the library default differs on leap seconds."""
    instance = dict(access_events.schema("access_method.issued")["examples"][0], created_at="2016-12-31T23:59:60Z")
    default = Draft202012Validator({"$ref": schema_id("access_method.issued")}, registry=registry(),
                                   format_checker=Draft202012Validator.FORMAT_CHECKER)
    assert not default.is_valid(instance)
    assert validate_event(instance) == []


def test_bundle_is_self_contained_and_keeps_every_id():
    text = json.dumps(BUNDLE)
    refs = [node for node in _walk(BUNDLE) if isinstance(node, dict) and "$ref" in node]
    assert refs and all(node["$ref"].startswith("#/$defs/") for node in refs)
    for doc in _documents().values():
        assert f"Bundled from {doc['$id']}" in text
    assert BUNDLE["$id"].startswith(BASE_URI)
    validator = Draft202012Validator(BUNDLE, format_checker=FORMAT_CHECKER)  # no registry: nothing outside it
    for name, _, instance, expected in CASES:
        assert validator.is_valid(instance) == expected, name


def _walk(node):
    yield node
    if isinstance(node, dict):
        for key, value in node.items():
            if key not in ("examples", "const"):
                yield from _walk(value)
    elif isinstance(node, list):
        for item in node:
            yield from _walk(item)


def test_asyncapi_document_is_valid_against_the_official_schema():
    doc = yaml.safe_load((GENERATED / "asyncapi" / "asyncapi.yaml").read_text("utf-8"))
    proc = _node("asyncapi_validate.mjs", doc)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert set(doc["components"]["messages"]) == set(access_events.EVENT_TYPES)
    broken = json.loads(json.dumps(doc))
    broken["operations"]["receiveAccessMethodEvent"]["action"] = "listen"
    proc = _node("asyncapi_validate.mjs", broken)
    assert proc.returncode == 1 and "/operations/receiveAccessMethodEvent/action" in proc.stdout


def test_api_documents_reference_the_schema_files_that_exist():
    for path in (GENERATED / "asyncapi" / "asyncapi.yaml", GENERATED / "openapi" / "webhooks.yaml"):
        doc = yaml.safe_load(path.read_text("utf-8"))
        files = {node["$ref"] for node in _walk(doc) if isinstance(node, dict) and "$ref" in node and not node["$ref"].startswith("#")}
        assert files == {f"../../schemas/{t}.schema.json" for t in access_events.EVENT_TYPES}, path
        assert all((path.parent / ref).resolve().is_file() for ref in files)


def test_openapi_document_is_valid():
    from openapi_spec_validator import validate
    from openapi_spec_validator.readers import read_from_filename

    path = GENERATED / "openapi" / "webhooks.yaml"
    spec, base_uri = read_from_filename(str(path))
    validate(spec, base_uri=base_uri)
    assert list(spec["webhooks"]) == list(access_events.EVENT_TYPES)
    broken = json.loads(json.dumps(spec))
    broken["webhooks"]["access_method.issued"]["post"]["responses"] = "none"
    with pytest.raises(Exception, match="responses|not of type"):
        validate(broken, base_uri=base_uri)


def _tsc(*args: str) -> subprocess.CompletedProcess:
    tsc = ROOT / "node_modules" / ".bin" / "tsc"
    if not tsc.is_file():
        pytest.fail("TypeScript is missing: run `make install` (it runs `npm ci`)")
    return subprocess.run([str(tsc), *args], capture_output=True, text=True, cwd=ROOT, timeout=120)


def test_typescript_types_accept_every_documentation_example():
    proc = _tsc("-p", "contract_tests/ts/tsconfig.json")
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_typescript_types_refuse_a_wrong_event(tmp_path):
    wrong = tmp_path / "wrong.ts"
    declarations = (GENERATED / "typescript" / "access_method_events").as_posix()
    wrong.write_text(
        f'import type {{ AccessMethodIssuedEvent }} from "{declarations}";\n'
        'export const missing: AccessMethodIssuedEvent = { event_type: "access_method.issued", event_id: "x" };\n'
        'export const other: AccessMethodIssuedEvent = { ...({} as AccessMethodIssuedEvent), event_type: "access_method.revoked" };\n'
        'export const typed: AccessMethodIssuedEvent = { ...({} as AccessMethodIssuedEvent), is_backup_code: "yes" };\n'
    )
    config = json.loads((ROOT / "contract_tests" / "ts" / "tsconfig.json").read_text("utf-8"))
    config["files"] = [str(wrong)]
    (tmp_path / "tsconfig.json").write_text(json.dumps(config))
    proc = _tsc("-p", str(tmp_path / "tsconfig.json"))
    assert proc.returncode != 0
    errors = [line for line in proc.stdout.splitlines() if "error TS" in line]
    assert {line.split("(")[1].split(",")[0] for line in errors} == {"2", "3", "4"}, proc.stdout


def test_java_classes_from_the_bundle_compile(tmp_path):
    require_tool("a Java compiler (javac)", shutil.which("javac"),
                 "install a JDK (Debian: apt-get install default-jdk-headless; .ci/run does)")
    quicktype = ROOT / "node_modules" / ".bin" / "quicktype"
    if not quicktype.is_file():
        pytest.fail("quicktype is missing: run `make install` (it runs `npm ci`)")
    source = tmp_path / "src" / "events"
    source.mkdir(parents=True)
    proc = subprocess.run([str(quicktype), "--src-lang", "schema", "--lang", "java", "--just-types", "--package", "events",
                           "--out", str(source / "AccessMethodEvent.java"),
                           str(GENERATED / "bundle" / "access_method_events.bundle.schema.json")],
                          capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stderr
    java = (source / "AccessMethodEvent.java").read_text()
    assert "private UUID accessMethodID;" in java and "private OffsetDateTime occurredAt;" in java
    assert all(f'"{t}"' in (source / "EventType.java").read_text() for t in access_events.EVENT_TYPES)
    proc = subprocess.run(["javac", "-d", str(tmp_path / "classes"), *map(str, sorted(source.glob("*.java")))],
                          capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "classes" / "events" / "AccessMethodEvent.class").is_file()
