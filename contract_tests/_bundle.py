"""Test support: one event schema with every ``$ref`` inlined, for generators that want one document.

schemathesis generates from an OpenAPI document; handing it the inlined schema keeps the
test independent of how refs are laid out across files.
"""

from __future__ import annotations

from typing import Any

from access_events import BASE_URI, registry

_KEEP_AS_IS = frozenset({"examples", "const", "enum", "discriminator", "default"})
_DROP = frozenset({"$id", "$schema", "$defs", "$comment"})


def inlined(event_type: str) -> dict[str, Any]:
    resolved = registry().resolver().lookup(BASE_URI + event_type + ".schema.json")

    def walk(node: Any, resolver) -> Any:
        if isinstance(node, list):
            return [walk(item, resolver) for item in node]
        if not isinstance(node, dict):
            return node
        if "$ref" in node:
            target = resolver.lookup(node["$ref"])
            inner = walk(target.contents, target.resolver)
            rest = {k: walk(v, resolver) for k, v in node.items() if k != "$ref" and k not in _DROP}
            return {"allOf": [inner], **rest} if rest else inner
        return {k: (v if k in _KEEP_AS_IS else walk(v, resolver)) for k, v in node.items() if k not in _DROP}

    return walk(resolved.contents, resolved.resolver)


def openapi_for(event_type: str) -> dict[str, Any]:
    """An OpenAPI 3.1 document with one POST whose body is the event."""
    return {
        "openapi": "3.1.0",
        "info": {"title": event_type, "version": "1"},
        "paths": {"/events": {"post": {
            "requestBody": {"required": True, "content": {"application/json": {"schema": inlined(event_type)}}},
            "responses": {"204": {"description": "accepted"}},
        }}},
    }
