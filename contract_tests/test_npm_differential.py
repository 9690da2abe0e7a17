"""A seeded, bounded counterexample search: the npm package (generated/npm/) against the Python package.

test_npm_package.py holds the packed tarball to the Python reference over test_differential's
fixed cases. This file searches beyond them with a fixed budget and a fixed seed (the same
cases on every run, a few seconds): events with near-miss UUIDs and date-times (calendar,
leap seconds at every offset, year 0000, lower-case t/z, fraction digits, offsets out of
range), undeclared members of every JSON type, wrong types in declared members, wrong and
unknown event types, non-object JSON, and raw texts that only JSON.parse and orjson can
disagree on (duplicate members whose overwritten value is not JSON to Python: a lone
escaped surrogate, a number beyond a double, nesting deeper than 1024; BOMs, whitespace).

Each case goes through ``parseEvent`` and ``validateEvent`` (as ES module and as CommonJS,
under ``--disallow-code-generation-from-strings``) and through Python's ``parse_event``,
``validate_event`` and the ``jsonschema`` reference: same verdicts, the same event type, the
same pointers and keywords, and the same messages except where JSON.parse cannot keep what
the message shows (a number's spelling, the order of integer-like member names).

Under CI (CI=true) a missing node fails these tests instead of skipping them.
"""

from __future__ import annotations

import base64
import json
import os
import random
import re
import shutil
import subprocess

import pytest
from conftest import ROOT

import access_events
from access_events import InvalidEvent, UnknownEventType
from access_events._decode import decode
from access_events._validate import check

PACKAGE = ROOT / "generated" / "npm"
BASE = access_events.schema("access_method.issued")["examples"][0]
BASE_TEXT = json.dumps(BASE)
SEED = 20261130
BUDGET = 1500  # random events per run; the raw-text corpus comes on top

FIELDS = ["event_id", "workspace_id", "created_at", "occurred_at", "event_type", "event_description",
          "access_method_id", "access_grant_ids", "access_grant_keys", "code", "is_backup_code"]
UNDECLARED = ["extra", "acs_system_id", "0", "__proto__", "constructor", "toString", "hasOwnProperty", "~/a"]


def _node() -> str:
    found = shutil.which("node")
    if found:
        return found
    if os.environ.get("CI") == "true":
        pytest.fail("node is not installed, and CI=true: the npm package must be tested")
    pytest.skip("node is not installed")


# --- generators ---------------------------------------------------------------------------------


def _date_time(rng: random.Random) -> str:
    year = rng.choice(["0000", "0001", "0400", "1900", "1972", "2000", "2016", "2024", "2025", "2100", "9999"])
    month = rng.choice(["00", "01", "02", "04", "06", "09", "11", "12", "13"])
    day = rng.choice(["00", "01", "28", "29", "30", "31", "32"])
    hour = rng.choice(["00", "01", "12", "22", "23", "24"])
    minute = rng.choice(["00", "01", "29", "30", "45", "59", "60"])
    second = rng.choice(["00", "30", "59", "60", "61"])
    fraction = rng.choice(["", "", ".", "." + "0" * rng.randint(1, 12),
                           "." + "".join(rng.choice("0123456789") for _ in range(rng.randint(1, 12)))])
    offset = rng.choice(["Z", "z", "+00:00", "-00:00", "+05:30", "-05:30", "+23:59", "-23:59", "+24:00", "+00:60",
                         "+01:00", "-01:00", "+0100", "", "+00:01", "-00:01", "+14:00", "-12:00", "+5:30"])
    sep = rng.choice("TTTTt ")
    return f"{year}-{month}-{day}{sep}{hour}:{minute}:{second}{fraction}{offset}"


def _leap_second(rng: random.Random) -> str:
    """23:59:60 UTC written at an offset, or a minute either side of it."""
    off_hour, off_minute = rng.randint(0, 23), rng.choice([0, 15, 30, 45, rng.randint(0, 59)])
    sign = rng.choice("+-")
    offset = (off_hour * 60 + off_minute) * (1 if sign == "+" else -1)
    local = (23 * 60 + 59 + offset + rng.choice([0, 0, 0, 1, -1, 60])) % 1440
    day = rng.choice(["2016-12-31", "2016-12-30", "2017-01-01", "2015-06-30"])
    return f"{day}T{local // 60:02d}:{local % 60:02d}:60{rng.choice(['', '.5', '.999999999'])}{sign}{off_hour:02d}:{off_minute:02d}"


def _uuid(rng: random.Random) -> str:
    value = "-".join("".join(rng.choice("0123456789abcdefABCDEF") for _ in range(n)) for n in (8, 4, 4, 4, 12))
    if rng.random() < 0.3:
        return value
    chars, i = list(value), rng.randrange(len(value))
    ch = rng.choice(["g", "G", "-", "{", "}", " ", ":", "\u0663", "\uff46", "\n", "\t", "0", "Z", "\u00e9"])
    op = rng.randrange(5)
    if op == 0:
        chars[i] = ch
    elif op == 1:
        chars.insert(i, ch)
    elif op == 2:
        del chars[i]
    elif op == 3:
        chars = list("urn:uuid:") + chars
    else:
        chars = ["{", *chars, "}"]
    return "".join(chars)


def _any(rng: random.Random, depth: int = 0):
    kind = rng.randrange(12 if depth < 3 else 7)
    if kind == 0:
        return None
    if kind == 1:
        return rng.choice([True, False])
    if kind == 2:
        return rng.choice([0, -1, 1.5, 1e300, 12345678901234567890, 2**63, -(2**63), 1e-7, 0.1, 123456789.123, 7])
    if kind in (3, 4):
        return rng.choice(["", "x", "\u2028", "\x00", "\u00e9", "\U0001f600", 'a"b', "\\", "\x00\x1f", "long" * 30, "1234"])
    if kind == 5:
        return rng.choice(access_events.EVENT_TYPES)
    if kind == 6:
        return _uuid(rng)
    if kind in (7, 8):
        return [_any(rng, depth + 1) for _ in range(rng.randint(0, 3))]
    return {rng.choice(["a", "b", "", "~/x", "__proto__", "constructor"]): _any(rng, depth + 1) for _ in range(rng.randint(0, 3))}


def _event(rng: random.Random) -> dict:
    event = dict(BASE, event_type=rng.choice(access_events.EVENT_TYPES))
    if event["event_type"] not in ("access_method.issued", "access_method.reissued"):
        event.pop("code", None)
        event.pop("is_backup_code", None)
    for _ in range(rng.randint(0, 3)):
        field = rng.choice(FIELDS + UNDECLARED)
        r = rng.random()
        if field in ("created_at", "occurred_at") and r < 0.7:
            event[field] = _date_time(rng) if rng.random() < 0.7 else _leap_second(rng)
        elif field in ("event_id", "workspace_id", "access_method_id") and r < 0.7:
            event[field] = _uuid(rng)
        elif field == "access_grant_ids" and r < 0.7:
            event[field] = [_uuid(rng) for _ in range(rng.randint(0, 3))]
        elif field == "event_type" and r < 0.5:
            event[field] = rng.choice(["access_method.Issued", "access_method.issued ", "access_method.unknown", "",
                                       "device.connected", "__proto__", "constructor", 1, None, ["access_method.issued"], {}])
        elif r < 0.85:
            event[field] = _any(rng)
        else:
            event.pop(field, None)
    return event


def _random_cases(seed: int, count: int) -> list[tuple[str, bytes | str]]:
    rng = random.Random(seed)
    cases: list[tuple[str, bytes | str]] = []
    for i in range(count):
        text = json.dumps(_event(rng), ensure_ascii=rng.random() < 0.3)
        cases.append((f"random {i}", text.encode() if rng.random() < 0.5 else text))
    return cases


# Values JSON.parse takes and the Python package refuses as JSON text, and their neighbours
# (the cases with a comma inside a string make the npm package read the text itself).
NOT_JSON_TO_PYTHON = ['"\\ud800"', '"\\udc00"', '"a\\ud800b"', '"\\udc00\\ud800"', "1e400", "-1e400",
                      "1.7976931348623159e308", "1" * 250 + "e99", "1" * 400, "[" * 1024 + "]" * 1024, '{"a":' * 1024 + "1" + "}" * 1024]
NEIGHBOURS = ['"\\ud800\\udc00"', '"\\\\ud800"', '"\\\\\\ud83d\\ude00"', "1e308", "1.7976931348623157e308", "1e-400", "-0",
              "123456789012345678901234567890", "1" * 200 + "e99", "1" * 300, "[" * 1022 + "]" * 1022, '{"a":' * 1022 + "1" + "}" * 1022]


def _raw_cases() -> list[tuple[str, str]]:
    body = BASE_TEXT[1:-1]
    cases: list[tuple[str, str]] = []
    for value in NOT_JSON_TO_PYTHON + NEIGHBOURS:
        name = value[:24]
        cases += [
            (f"undeclared {name}", "{" + body + ', "x": ' + value + "}"),
            (f"undeclared, overwritten by a duplicate {name}", "{" + body + ', "x": ' + value + ', "x": 1}'),
            (f"declared, overwritten by a duplicate {name}", "{" + body + ', "event_description": ' + value + ', "event_description": "ok"}'),
            (f"overwritten before an invalid member {name}", "{" + body.replace('"1234"', "5") + ', "x": ' + value + ', "x": 1}'),
            (f"overwritten in a nested object {name}", "{" + body + ', "x": {"y": ' + value + ', "y": 2}}'),
            (f"kept, beside a comma in a string {name}", "{" + body + ', "event_description": "a, b", "x": ' + value + "}"),
            (f"overwritten event type {name}", "{" + body + ', "event_type": ' + value + ', "event_type": "access_method.issued"}'),
            (f"member name {name}", "{" + body + ', "\\ud800": ' + value + ', "\\ud800": 1}'),
            (f"at the top {name}", value),
            (f"in an array {name}", "[" + value + "]"),
        ]
    for ws in ["", " ", "\n", "\t", "\r", "\u00a0", "\u2028", "\ufeff", "\x00", "\x0b"]:
        cases += [(f"before {ws!r}", ws + BASE_TEXT), (f"after {ws!r}", BASE_TEXT + ws)]
    for top in ["null", "true", "1", '"x"', "[]", "{}", "", "[{}]", "1.5", "-0", "1e999", BASE_TEXT + BASE_TEXT]:
        cases.append((f"top {top[:20]}", top))
    for value in ['"access_method.ISSUED"', '"access_method.issued\\u0000"', '"access_method.issued\\n"', '"access_method.issue\\u0064"',
                  '"__proto__"', '"hasOwnProperty"', '"toString"', '""', "null", "1", "[]", "{}", "true", '"\\ud800"',
                  # the message writes the type as Python's repr does, cut at 200 code points
                  '"a\\\\b"', '"it\'s"', '"it\'s \\"quoted\\""', '"\\u007f\\u00a0\\u00ad\\u2028\\u3000 \\t\\r\\n"',
                  '"\\ue000\\ufdd0\\uffff"', '"\\ud83d\\ude00\\udb40\\udc01"', json.dumps("\U0001f600" * 300), json.dumps("\u00e9" * 250)]:
        cases.append((f"event type {value}", BASE_TEXT.replace('"access_method.issued"', value)))
    for field, value in [("event_id", "\\u0030" + BASE["event_id"][1:]), ("created_at", BASE["created_at"][:-1] + "\\u005a"),
                         ("created_at", BASE["created_at"] + "\\n"), ("event_id", BASE["event_id"] + "\\n")]:
        cases.append((f"escaped {field} {value}", BASE_TEXT.replace(f'"{field}": "{BASE[field]}"', f'"{field}": "{value}"')))
    return cases


# --- the comparison -------------------------------------------------------------------------------


def _python(raw: bytes | str) -> dict:
    """The reference (decode + jsonschema), and the public calls, which must agree with it."""
    try:
        event_type = check(decode(raw))
        want = {"verdict": "valid", "event_type": event_type}
    except UnknownEventType as exc:
        want = {"verdict": "unknown", "event_type": exc.event_type}
    except InvalidEvent as exc:
        want = {"verdict": "invalid", "problems": [p.as_dict() for p in exc.problems]}
    try:
        public = access_events.parse_event(raw).event_type
        assert want["verdict"] == "valid" and public == want["event_type"], raw[:300]
    except UnknownEventType:
        assert want["verdict"] == "unknown", raw[:300]
    except InvalidEvent:
        assert want["verdict"] == "invalid", raw[:300]
    want["validate"] = [p.as_dict() for p in access_events.validate_event(raw)]
    return want


# What a message may show that JSON.parse does not keep: a number's spelling (1.0, 1e3,
# 2**64 are numbers to Python, integers to JavaScript) and the order of an object's members
# (JavaScript puts integer-like names first).
_UNKEPT = re.compile(r"got (?:number|integer|object|array)")


def _same_problems(want: list[dict], got: list[dict]) -> bool:
    if [(p["pointer"], p["keyword"]) for p in want] != [(p["pointer"], p["keyword"]) for p in got]:
        return False
    if want and want[0]["keyword"] == "json":  # the decoders' own words
        return True
    return all(w["message"] == g["message"] or _UNKEPT.search(w["message"]) for w, g in zip(want, got))


CHECK = """
const cases = JSON.parse(readFileSync(0, "utf8"));
const out = [];
for (const c of cases) {
  const body = c.text !== undefined ? c.text : new Uint8Array(Buffer.from(c.b64, "base64"));
  let r;
  try {
    r = { verdict: "valid", event_type: pkg.parseEvent(body).event_type };
  } catch (error) {
    if (error instanceof pkg.UnknownEventType) r = { verdict: "unknown", event_type: error.eventType };
    else if (error instanceof pkg.InvalidEvent) r = { verdict: "invalid", problems: error.problems.map((p) => ({ ...p })) };
    else r = { verdict: `threw ${error}` };
  }
  try {
    r.validate = pkg.validateEvent(body).map((p) => ({ ...p }));
  } catch (error) {
    r.validate = `threw ${error}`;
  }
  out.push(r);
}
process.stdout.write(JSON.stringify(out));
"""


def _npm(cases: list[tuple[str, bytes | str]], flavour: str, tmp_path) -> list[dict]:
    index = (PACKAGE / ("index.mjs" if flavour == "esm" else "index.cjs")).as_uri()
    if flavour == "esm":
        script = f'import * as pkg from "{index}";\nimport {{ readFileSync }} from "node:fs";\n' + CHECK
    else:
        script = f'"use strict";\nconst pkg = require({json.dumps(str(PACKAGE / "index.cjs"))});\nconst {{ readFileSync }} = require("node:fs");\n' + CHECK
    path = tmp_path / ("check.mjs" if flavour == "esm" else "check.cjs")
    path.write_text(script)
    payload = [{"text": raw} if isinstance(raw, str) else {"b64": base64.b64encode(raw).decode()} for _, raw in cases]
    proc = subprocess.run([_node(), "--disallow-code-generation-from-strings", str(path)], input=json.dumps(payload),
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout)


def _differences(cases: list[tuple[str, bytes | str]], results: list[dict]) -> list[str]:
    out = []
    for (name, raw), got in zip(cases, results, strict=True):
        want = _python(raw)
        where = f"{name}: {raw[:160]!r}"
        if got["verdict"] != want["verdict"]:
            out.append(f"{where}\n  Python {want['verdict']} {want.get('problems', want.get('event_type'))}\n  npm    {got}")
        elif want["verdict"] == "invalid" and not _same_problems(want["problems"], got["problems"]):
            out.append(f"{where}\n  Python {want['problems']}\n  npm    {got['problems']}")
        elif want["verdict"] != "invalid" and want["event_type"] != got["event_type"]:
            out.append(f"{where}\n  event type {want['event_type']!r} != {got['event_type']!r}")
        elif not isinstance(got["validate"], list) or not _same_problems(want["validate"], got["validate"]):
            out.append(f"{where}\n  validate_event {want['validate']}\n  validateEvent  {got['validate']}")
    return out


@pytest.mark.parametrize("flavour", ["esm", "cjs"])
def test_raw_texts_that_json_parse_and_orjson_read_differently(flavour, tmp_path):
    """Guards the decoding: JSON.parse keeps only the last of duplicate members, so a value
    Python refuses as JSON (a lone escaped surrogate, a number beyond a double, nesting
    deeper than 1024) that a later duplicate overwrote was accepted by the npm package."""
    cases = [(name, raw) for name, text in _raw_cases() for raw in (text, text.encode("utf-8", "surrogatepass"))]
    differences = _differences(cases, _npm(cases, flavour, tmp_path))
    assert not differences, f"{len(differences)} of {len(cases)} cases differ:\n" + "\n".join(differences[:20])


@pytest.mark.parametrize("flavour", ["esm", "cjs"])
def test_seeded_random_events(flavour, tmp_path):
    """Guards the formats and the problems: BUDGET random events (fixed seed) with near-miss
    UUIDs and date-times, wrong types, undeclared members of every type, wrong event types."""
    cases = _random_cases(SEED, BUDGET)
    results = _npm(cases, flavour, tmp_path)
    differences = _differences(cases, results)
    assert not differences, f"{len(differences)} of {len(cases)} cases differ:\n" + "\n".join(differences[:20])
    verdicts = [r["verdict"] for r in results]
    assert min(verdicts.count(v) for v in ("valid", "invalid", "unknown")) > 30, {v: verdicts.count(v) for v in set(verdicts)}


@pytest.mark.parametrize("flavour", ["esm", "cjs"])
def test_integral_numbers_python_holds_as_floats_are_written_as_floats(flavour, tmp_path):
    """Guards the messages' numbers: orjson holds an integer beyond 64 bits (and any number
    from 2**64 up, however spelled) as a float, so Python says "got number 1e+20"; the npm
    package said "got integer 100000000000000000000". Compared word for word here."""
    cases = []
    for value in ["1e20", "100000000000000000000", "18446744073709551616", "-10000000000000000000", "-1e300",
                  "1.7976931348623157e308", "[1e20, 2e30]", '{"a": 1e25}', "123456789012345678901234567890"]:
        text = BASE_TEXT.replace('"1234"', value)
        cases += [(f"code {value}", text), (f"top {value}", value)]
    results = _npm(cases, flavour, tmp_path)
    differences = [f"{name}: {_python(raw)['problems']} != {got['problems']}"
                   for (name, raw), got in zip(cases, results, strict=True) if _python(raw)["problems"] != got["problems"]]
    assert not differences, "\n".join(differences)
