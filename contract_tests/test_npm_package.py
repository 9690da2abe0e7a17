"""The npm package (generated/npm/) as a consumer gets it.

``npm pack`` makes the tarball, which is installed into a fresh project in a temporary folder
outside the repository (it has no runtime dependency). From there the package is imported
as an ES module and as CommonJS, under ``--disallow-code-generation-from-strings`` (no ``new Function``, no eval: the validators
are precompiled), and every case of ``test_differential.py`` must get the Python
reference's verdict: each sample, the edge-case corpus, the raw texts (BOM, invalid UTF-8,
lone surrogates, deep nesting, duplicates...) and the UUID and date-time mutation corpora;
for schema problems the same pointers and keywords, and the same messages. A consumer
narrowing on ``event_type`` compiles with ``tsc --strict``; a wrong field access does not.

Under CI (CI=true) a missing node, npm or tsc fails these tests instead of skipping them.
"""

from __future__ import annotations

import base64
import functools
from importlib.metadata import version
import json
import os
import re
import shutil
import subprocess

import pytest
from conftest import ROOT, SAMPLES
from test_differential import BASE, DATE_TIME_SEEDS, UUID_SEEDS, _edge_cases, _mutations, _raw_cases, _uuid_variants

import access_events
from access_events import InvalidEvent, UnknownEventType
from access_events._decode import decode
from access_events._validate import check

PACKAGE = ROOT / "generated" / "npm"
TSC = ROOT / "node_modules" / "typescript" / "bin" / "tsc"


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    if os.environ.get("CI") == "true":
        pytest.fail(f"{name} is not installed, and CI=true: the npm package must be tested")
    pytest.skip(f"{name} is not installed")


def _run(cmd: list[str], cwd, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=600, **kwargs)


@pytest.fixture(scope="module")
def consumer(tmp_path_factory):
    """A fresh project outside the repository with the packed tarball installed."""
    node, npm = _tool("node"), _tool("npm")
    if not TSC.is_file():
        if os.environ.get("CI") == "true":
            pytest.fail("typescript is not in node_modules: run `make install`")
        pytest.skip("typescript is not in node_modules: run `make install`")
    tmp = tmp_path_factory.mktemp("npm")
    assert not tmp.resolve().is_relative_to(ROOT.resolve())
    packed = _run([npm, "pack", str(PACKAGE), "--pack-destination", str(tmp), "--json"], cwd=tmp)
    assert packed.returncode == 0, packed.stderr
    info = json.loads(packed.stdout)[0]
    files = {f["path"] for f in info["files"]}
    assert {"package.json", "index.mjs", "index.cjs", "index.d.ts", "index.d.mts", "validators.mjs", "validators.cjs",
            "schemas/access_method.issued.schema.json"} <= files, files
    project = tmp / "consumer"
    project.mkdir()
    (project / "package.json").write_text(json.dumps({"name": "consumer", "private": True, "version": "1.0.0"}))
    installed = _run([npm, "install", "--no-audit", "--no-fund", "--prefer-offline", "--loglevel=error",
                      str(tmp / info["filename"])], cwd=project)
    assert installed.returncode == 0, installed.stderr
    return node, project


# --- the differential cases -------------------------------------------------------------------


@functools.lru_cache(maxsize=1)
def _cases() -> list[tuple[str, bytes | str]]:
    """Every case of test_differential.py that is JSON text or becomes it, as raw text."""
    cases: list[tuple[str, bytes | str]] = []
    for path in sorted(SAMPLES.glob("*/*/*.json")):
        cases.append((f"sample {path.parts[-3]}/{path.parts[-2]}/{path.stem}", path.read_bytes()))
    for name, instance in _edge_cases():
        cases.append((f"edge {name}", json.dumps(instance).encode()))
    for name, raw in _raw_cases():
        cases.append((f"raw {name}", raw))
        try:
            cases.append((f"raw as text {name}", raw.decode("utf-8")))
        except UnicodeDecodeError:
            pass
    for field, seeds, alphabet in [("occurred_at", DATE_TIME_SEEDS, "0123456789-:.TtZz+ Ww,_/\u0660\uff10\n"),
                                   ("event_id", UUID_SEEDS, "0aAfFgG-{}: \u0663\uff46\n"),
                                   ("access_grant_ids", UUID_SEEDS, "0aAfFgG-{}: \u0663\uff46\n")]:
        for value in _mutations(seeds, alphabet, 1500, seed=len(field)):
            instance = dict(BASE, **{field: [value] if field == "access_grant_ids" else value})
            cases.append((f"mutation {field}={value!r}", json.dumps(instance).encode()))
    for value in _uuid_variants():
        cases.append((f"uuid variant {value!r}", json.dumps(dict(BASE, event_id=value)).encode()))
    cases.append(("unknown event type", json.dumps(dict(BASE, event_type="device.connected")).encode()))
    cases.append(("unknown event type __proto__", json.dumps(dict(BASE, event_type="__proto__")).encode()))
    cases.append(("too large", json.dumps(dict(BASE, event_description="x" * (1024 * 1024))).encode()))
    return cases


@functools.lru_cache(maxsize=None)
def _reference(raw: bytes | str) -> dict:
    """The Python reference: decoding, then the ``jsonschema`` reference validator."""
    try:
        event_type = check(decode(raw))
    except UnknownEventType as exc:
        return {"verdict": "unknown", "event_type": exc.event_type}
    except InvalidEvent as exc:
        return {"verdict": "invalid", "problems": [p.as_dict() for p in exc.problems]}
    return {"verdict": "valid", "event_type": event_type}


def _same_problems(want: list[dict], got: list[dict]) -> bool:
    """Equal, but for a number's spelling: JSON.parse reads `1.0` as 1, so Python's "got number 1.0"
    is "got integer 1" in JavaScript."""
    if len(want) != len(got):
        return False
    spelled = re.compile(r"got number (-?[0-9]+)\.0$")
    return all(w == g or (w["pointer"], w["keyword"]) == (g["pointer"], g["keyword"])
               and spelled.sub(r"got integer \1", w["message"]) == g["message"] for w, g in zip(want, got))


CHECK = """
const cases = JSON.parse(readFileSync(0, "utf8"));
const results = {};
for (const c of cases) {
  const body = c.text !== undefined ? c.text : new Uint8Array(Buffer.from(c.b64, "base64"));
  try {
    const event = pkg.parseEvent(body);
    if (!pkg.isEvent(event)) throw new Error(`isEvent refuses what parseEvent took: ${c.name}`);
    if (pkg.validateEvent(event).length) throw new Error(`validateEvent refuses what parseEvent took: ${c.name}`);
    results[c.name] = { verdict: "valid", event_type: event.event_type };
  } catch (error) {
    if (error instanceof pkg.UnknownEventType) {
      if (!(error instanceof pkg.EventError) || error instanceof pkg.InvalidEvent) throw new Error("error classes");
      results[c.name] = { verdict: "unknown", event_type: error.eventType };
    } else if (error instanceof pkg.InvalidEvent) {
      results[c.name] = { verdict: "invalid", problems: error.problems.map((p) => ({ ...p })) };
    } else throw error;
  }
}
const guards = Object.keys(pkg).filter((k) => /^isAccessMethod/.test(k)).sort();
process.stdout.write(JSON.stringify({ results, exports: Object.keys(pkg).sort(), guards, eventTypes: pkg.EVENT_TYPES,
  schemaId: schema.$id, codeGeneration: (() => { try { new Function("return 1"); return "allowed"; } catch { return "disallowed"; } })() }));
"""
ESM = ('import * as pkg from "access-events";\nimport { readFileSync } from "node:fs";\n'
       'import schema from "access-events/schemas/access_method.issued.schema.json" with { type: "json" };\n' + CHECK)
CJS = ('"use strict";\nconst pkg = require("access-events");\nconst { readFileSync } = require("node:fs");\n'
       'const schema = require("access-events/schemas/access_method.issued.schema.json");\n'
       'const loaded = Object.keys(require.cache).filter((p) => /[\\\\/]ajv[\\\\/]dist[\\\\/](compile|core)/.test(p));\n'
       'if (loaded.length) throw new Error(`the package compiles schemas at import: ${loaded}`);\n' + CHECK)


@pytest.mark.parametrize("flavour", ["esm", "cjs"])
def test_same_verdicts_as_the_python_reference(consumer, flavour):
    """Guards the npm package against drifting from the Python package: every differential case,
    imported as ESM and as CommonJS, with code generation from strings disallowed."""
    node, project = consumer
    cases = _cases()
    script = project / ("check.mjs" if flavour == "esm" else "check.cjs")
    script.write_text(ESM if flavour == "esm" else CJS)
    payload = [{"name": name, **({"text": raw} if isinstance(raw, str) else {"b64": base64.b64encode(raw).decode()})}
               for name, raw in cases]
    proc = _run([node, "--disallow-code-generation-from-strings", script.name], cwd=project, input=json.dumps(payload))
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["codeGeneration"] == "disallowed"  # the flag is in force: nothing in the package needs it
    assert report["eventTypes"] == list(access_events.EVENT_TYPES)
    assert report["schemaId"] == access_events.schema("access_method.issued")["$id"]
    assert len(report["guards"]) == len(access_events.EVENT_TYPES)
    differences = []
    for name, raw in cases:
        want, got = _reference(raw), report["results"][name]
        if want["verdict"] != got["verdict"]:
            differences.append(f"{name}: Python {want}, npm {got}")
        elif want["verdict"] == "invalid" and want["problems"][0]["keyword"] != "json" and not _same_problems(want["problems"], got["problems"]):
            differences.append(f"{name}: problems differ\n  Python {want['problems']}\n  npm    {got['problems']}")
        elif want["verdict"] != "invalid" and want["event_type"] != got["event_type"]:
            differences.append(f"{name}: event type {want['event_type']!r} != {got['event_type']!r}")
    assert not differences, f"{len(differences)} of {len(cases)} cases differ:\n" + "\n".join(differences[:30])
    verdicts = [report["results"][name]["verdict"] for name, _ in cases]
    assert {"valid", "invalid", "unknown"} <= set(verdicts) and verdicts.count("valid") > 100


CONSUMER_TS = """
import { parseEvent, validateEvent, isAccessMethodIssuedEvent, EVENT_TYPES, InvalidEvent, type Event, type EventType } from "access-events";

export function describe(body: string | Uint8Array): string {
  let event: Event;
  try {
    event = parseEvent(body);
  } catch (error) {
    if (error instanceof InvalidEvent) return error.problems.map((p) => `${p.pointer} ${p.keyword}: ${p.message}`).join("\\n");
    throw error;
  }
  switch (event.event_type) {
    case "access_method.issued":
    case "access_method.reissued": {
      const code: string | undefined = event.code;
      const backup: boolean | undefined = event.is_backup_code;
      return `${event.event_type} ${code ?? "-"} ${backup ?? false} ${event.access_method_id}`;
    }
    default: {
      const grants: string[] = event.access_grant_ids;
      return `${event.event_type} ${grants.length}`;
    }
  }
}

const first: EventType = EVENT_TYPES[0];
const value: unknown = JSON.parse("{}");
if (isAccessMethodIssuedEvent(value)) {
  const code: string | undefined = value.code;
  console.log(first, code, validateEvent(value).length);
}
"""
WRONG_TS = """
import { parseEvent } from "access-events";

const event = parseEvent("{}");
if (event.event_type === "access_method.revoked") {
  const code: string | undefined = event.code;  // revoked events have no code: must not compile
  console.log(code);
}
"""


@pytest.mark.parametrize("ext", ["mts", "cts"])
def test_typescript_consumer_narrows_on_event_type(consumer, ext):
    """Guards the types: a consumer narrowing on event_type compiles under tsc --strict (as an ES
    module and as CommonJS); reading a field its event type does not have does not."""
    node, project = consumer
    good, wrong = project / f"consumer.{ext}", project / f"wrong.{ext}"
    good.write_text(CONSUMER_TS)
    wrong.write_text(WRONG_TS)
    proc = _run([node, str(TSC), "--strict", "--noEmit", "--module", "nodenext", "--moduleResolution", "nodenext",
                 "--target", "es2022", "--exactOptionalPropertyTypes", "--pretty", "false", good.name, wrong.name], cwd=project)
    errors = [line for line in proc.stdout.splitlines() if ": error TS" in line]
    assert proc.returncode != 0 and errors, proc.stdout + proc.stderr
    assert all(line.startswith(f"wrong.{ext}(6,") for line in errors), proc.stdout  # the consumer itself compiles
    assert "TS2322" in errors[0] and "unknown" in errors[0], errors


def test_generated_package_is_deterministic_and_precompiled():
    """The validators are Ajv standalone code: no compilation at import, no `new Function`, no eval."""
    for name in ("validators.mjs", "validators.cjs", "fast.mjs", "fast.cjs", "formats.mjs", "formats.cjs", "index.mjs", "index.cjs"):
        text = (PACKAGE / name).read_text("utf-8")
        assert "new Function" not in text and "eval(" not in text, name
    assert "require(" not in (PACKAGE / "validators.mjs").read_text("utf-8") + (PACKAGE / "fast.mjs").read_text("utf-8")
    package = json.loads((PACKAGE / "package.json").read_text("utf-8"))
    assert package["version"] == version("access-events")
    assert "dependencies" not in package  # the formats are the package's own (codegen/npm_formats.mjs)
    assert sorted(p.name for p in (PACKAGE / "schemas").iterdir()) == sorted(p.name for p in access_events.schema_dir().glob("*.schema.json"))

