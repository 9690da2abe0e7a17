"""``_locate``: JSON pointers to source lines, checked against hand-counted documents."""

from __future__ import annotations

import json

import pytest

from access_events import _locate
from access_events._locate import line_of, pointer_from_path

# Line numbers are written next to each value so the expectations can be read off the text.
DOC = """\
{
  "a": {
    "b": [
      10,
      {
        "c": "x"
      }
    ],
    "tricky": "}{][\\"\\n,:",
    "after": 1
  },
  "t~i/l": {
    "x": true
  },
  "~1": 2,
  "": 3,
  "dup": 1,
  "dup": 2,
  "last": "a\\\\"
}
"""


@pytest.mark.parametrize(
    ("pointer", "line"),
    [
        pytest.param("", 1, id="root"),
        pytest.param("/a", 2, id="object"),
        pytest.param("/a/b", 3, id="array"),
        pytest.param("/a/b/0", 4, id="first-element"),
        pytest.param("/a/b/1", 5, id="second-element"),
        pytest.param("/a/b/1/c", 6, id="nested-member"),
        pytest.param("/a/tricky", 9, id="string-with-brackets-quotes-escapes"),
        pytest.param("/a/after", 10, id="member-after-tricky-string"),
        pytest.param("/t~0i~1l", 12, id="escaped-key"),
        pytest.param("/t~0i~1l/x", 13, id="under-escaped-key"),
        pytest.param("/~01", 15, id="tilde-one-literal-key"),
        pytest.param("/", 16, id="empty-key"),
        pytest.param("/dup", 17, id="duplicate-key-first-wins"),
        pytest.param("/last", 19, id="string-ending-in-backslash"),
    ],
)
def test_line_of(pointer: str, line: int) -> None:
    json.loads(DOC)  # the fixture itself must be valid JSON
    assert line_of(DOC, pointer) == line


@pytest.mark.parametrize(
    ("pointer", "line"),
    [
        pytest.param("/missing", 1, id="missing-top-key"),
        pytest.param("/a/missing/deeper", 2, id="missing-key-under-object"),
        pytest.param("/a/b/2", 3, id="index-past-end"),
        pytest.param("/a/b/-", 3, id="dash-index"),
        pytest.param("/a/b/01", 3, id="leading-zero-index"),
        pytest.param("/a/b/0/x", 4, id="member-of-scalar"),
        pytest.param("/a/tricky/0", 9, id="member-of-string"),
    ],
)
def test_missing_pointer_gives_deepest_ancestor(pointer: str, line: int) -> None:
    assert line_of(DOC, pointer) == line


def test_empty_containers_and_compact_text() -> None:
    text = '{"a":{},"b":[],"c":[[],{}],\n"d":{"e":[1,\n2]}}'
    assert line_of(text, "/a/x") == 1
    assert line_of(text, "/b/0") == 1
    assert line_of(text, "/c/1") == 1
    assert line_of(text, "/d/e/1") == 3


def test_deep_nesting_does_not_crash() -> None:
    depth = 100_000  # far beyond the recursion limit
    text = '{"k":\n' * depth + "0" + "}" * depth
    sibling = '{"skip": ' + "[" * depth + "]" * depth + ',\n"k": 1}'
    assert line_of(text, "/k" * depth) == depth + 1
    assert line_of(text, "/k" * (depth + 5)) == depth + 1
    assert line_of(sibling, "/k") == 2


def test_invalid_json_returns_best_line() -> None:
    assert line_of('{\n"a": {\n"b": [1, 2', "/a/b/5") == 3
    assert line_of("", "/a") == 1


def test_malformed_pointer_is_rejected() -> None:
    with pytest.raises(ValueError):
        line_of("{}", "a")


@pytest.mark.parametrize(
    ("path", "pointer"),
    [
        pytest.param([], "", id="root"),
        pytest.param(["a", 0, "b"], "/a/0/b", id="keys-and-index"),
        pytest.param(["a/b", "c~d", "~1"], "/a~1b/c~0d/~01", id="escapes"),
        pytest.param([""], "/", id="empty-key"),
    ],
)
def test_pointer_from_path(path: list, pointer: str) -> None:
    assert pointer_from_path(path) == pointer


def test_pointer_round_trip() -> None:
    doc = {"x/y": {"~": [{"": "v"}]}}
    text = json.dumps(doc, indent=2)
    assert line_of(text, pointer_from_path(["x/y", "~", 0, ""])) == 5


@pytest.mark.parametrize("text", [
    "[]", " [ ] ", '[1, "a]", {"b": [2, "}"]}, [], null, -1.5e3, "\\"[", true]',
    '[\n  {"x": "y\\u005d"},\n\n  [[[]]]\n]',
])
def test_element_spans_cut_an_array_into_its_elements(text):
    spans = _locate.element_spans(text)
    assert [json.loads(text[start:end]) for start, end in spans] == json.loads(text)
    for index, (start, _) in enumerate(spans):
        assert text.count("\n", 0, start) + 1 == _locate.line_of(text, f"/{index}")


LINE_CASES = ["", "/a", "/a/b", "/a/b/0", "/a/b/1", "/a/b/1/c", "/a/tricky", "/a/after", "/t~0i~1l", "/t~0i~1l/x",
              "/~01", "/", "/dup", "/last", "/missing", "/a/missing/deeper", "/a/b/2", "/a/b/-", "/a/b/01", "/a/b/0/x",
              "/a/tricky/0"]


@pytest.mark.parametrize("text", [DOC, '{"a":{},"b":[],"c":[[],{}],\n"d":{"e":[1,\n2]}}', '{\n"a": {\n"b": [1, 2', "",
                                  '{"a": [\n1,\n2,\n[3,\n4]], "b": {"a": [5,\n6]}}'])
def test_lines_of_gives_line_of_for_each_pointer_in_any_order(text):
    """``lines_of`` shares one walk between pointers (an array resumes from its last element found):
    in document order, reversed, shuffled and repeated, each line is ``line_of``'s."""
    import random

    pointers = LINE_CASES + ["/a/0", "/a/2", "/a/3/1", "/b/a/1", "/d/e/1", "/c/1", "/a/b/5"]
    for order in (pointers, pointers[::-1], random.Random(1).sample(pointers * 2, len(pointers) * 2)):
        assert _locate.lines_of(text, order) == [line_of(text, p) for p in order]


def test_lines_of_starts_at_an_element_of_an_array_file():
    text = '[\n{"a": 1},\n{"a": [\n1,\n2]}\n]'
    (_, _), (start, _) = _locate.element_spans(text)
    assert _locate.lines_of(text, ["", "/a", "/a/1", "/a/5"], start) == [line_of(text, "/1" + p) for p in ("", "/a", "/a/1", "/a/5")]


def _skips(monkeypatch) -> dict:
    calls = {"n": 0}
    skip = _locate._skip_value

    def counting(*args):
        calls["n"] += 1
        return skip(*args)

    monkeypatch.setattr(_locate, "_skip_value", counting)
    return calls


def test_validate_locates_thousands_of_problems_in_one_walk(tmp_path, monkeypatch):
    """Issue 13 (hostile bodies, the locate step): ``access-events validate`` looked up each problem's
    line from the document's start, so the N problems of one long array skipped N²/2 elements: a
    pretty-printed 420 KB document with 60,000 invalid items ran over 5 minutes (3 s now). Counted,
    not timed: elements skipped for 2,000 problems (2 million before), and for a JSON array file of
    500 invalid events (each record walked from the file's start: 125,000 before)."""
    from access_events._batch import Tally, check_record
    from access_events._inputs import read_records

    base = json.loads(json.dumps(__import__("access_events").schema("access_method.issued")["examples"][0]))
    document = tmp_path / "one.json"
    document.write_text(json.dumps({**base, "access_grant_ids": [1] * 2000}, indent=2))
    array = tmp_path / "many.json"
    array.write_text(json.dumps([{**base, "code": 1}] * 500, indent=2))
    for path, rows in ((document, 2000), (array, 500)):
        calls = _skips(monkeypatch)
        tally = Tally()
        with path.open("rb") as fh:
            for record in read_records(path.name, fh):
                check_record(record, 1 << 20, tally)
        text = path.read_text()
        assert len(tally.reports) == rows
        assert [r["line"] for r in tally.reports[:3]] == [line_of(text, ("/" + str(r["index"]) if "index" in r else "") + r["pointer"])
                                                          for r in tally.reports[:3]]
        assert calls["n"] <= 5 * rows, (path.name, calls["n"])
        monkeypatch.undo()
