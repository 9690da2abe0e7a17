"""``--format junit``: JUnit XML, one testsuite, a testcase per group (event), one
``<failure>`` per testcase with errors; other findings in its ``<system-out>``."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from ..model import Report
from ._common import _MAX_WITNESS, _compact, ack_text, effect_text, loc_text, value_text

_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _xml_text(text: str) -> str:
    """Text XML 1.0 can carry: characters it forbids (control characters, lone surrogates) as \\uXXXX."""
    return _XML_ILLEGAL.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def render_junit(result: Report) -> str:
    """JUnit XML: one testsuite, a testcase per event, a ``<failure>`` per error."""
    groups = dict(result.groups)
    names = result.cases()
    failing = sum(1 for name in names if any(f.status == "error" for f in groups.get(name, ())))
    suite = ET.Element("testsuite", {"name": result.command, "tests": str(len(names)),
                                     "failures": str(failing), "errors": "0", "skipped": "0"})
    props = ET.SubElement(suite, "properties")
    for key, value in (*result.sides, *result.settings):
        ET.SubElement(props, "property", {"name": key, "value": value})
    classname = result.command.replace(" ", ".")
    for name in names:
        case = ET.SubElement(suite, "testcase", {"classname": classname, "name": _xml_text(name)})
        other = []
        errors = []
        for f in groups.get(name, ()):
            detail = [f"{f.rule}: {f.message} [{effect_text(f)}]"]
            for label, value in (("at", loc_text(f)), ("value", value_text(f)), ("payload path", f.instance_path),
                                 ("", ack_text(f))):
                if value:
                    detail.append(f"{label}: {value}" if label else value)
            if f.witness is not None:
                detail.append(f"witness ({f.witness.accepted_by} accepts, {f.witness.rejected_by} rejects): "
                              f"{_compact(f.witness.instance, _MAX_WITNESS)}")
            if f.status == "error":
                errors.append((f, "\n".join(detail)))
            else:
                other.append(f"{f.status}: " + "\n  ".join(detail))
        if errors:  # one <failure> per testcase, as strict JUnit consumers expect
            rules = ", ".join(sorted({f.rule for f, _ in errors}))
            message = errors[0][0].message if len(errors) == 1 else f"{len(errors)} breaking changes: {rules}"
            failure = ET.SubElement(case, "failure", {"type": rules, "message": _xml_text(message)})
            failure.text = _xml_text("\n\n".join(text for _, text in errors))
        if other:
            ET.SubElement(case, "system-out").text = _xml_text("\n".join(other))
    ET.indent(suite)
    return ET.tostring(suite, encoding="unicode", xml_declaration=True) + "\n"
