"""``--format json``: every finding with its anchor, the command's own keys, a summary;
stable keys, deterministic."""

from __future__ import annotations

import json
from typing import Any

from ..model import Finding, Report


def _loc_json(loc: Any) -> dict[str, Any] | None:
    return None if loc is None else {"document": loc.document, "pointer": loc.pointer}


def finding_json(result: Report, f: Finding) -> dict[str, Any]:
    anchor = result.anchor(f)
    return {
        "rule": f.rule, "severity": f.severity, "status": f.status, "event": f.event, "message": f.message,
        "old": _loc_json(f.old), "new": _loc_json(f.new), "old_value": f.old_value, "new_value": f.new_value,
        "instance_path": f.instance_path, "breaks": list(f.breaks), "unknown": f.unknown, "breaking": f.breaking,
        "file": anchor[0] if anchor else None, "line": anchor[1] if anchor else None,
        "witness": None if f.witness is None else {"instance": f.witness.instance, "accepted_by": f.witness.accepted_by,
                                                   "rejected_by": f.witness.rejected_by, "error": str(f.witness.error)},
        "acknowledgement": f.acknowledged.as_json() if f.acknowledged else None,
        "expired_acknowledgement": f.expired.as_json() if f.expired else None,
    }


def render_json(result: Report) -> str:
    extra = dict(result.json_extra())
    summary = {"errors": result.count("error"), "warnings": result.count("warn"), "infos": result.count("info"),
               "acknowledged": result.count("acknowledged"), **extra.pop("summary", {})}
    report = {
        **dict(result.sides), **dict(result.settings),
        "result": "fail" if result.exit_code else "pass", "exit_code": result.exit_code,
        "findings": [finding_json(result, f) for f in result.findings],
        "notes": list(result.notes),
        "summary": summary,
        **extra,
    }
    return json.dumps(report, indent=2, sort_keys=True, ensure_ascii=False, default=str) + "\n"
