"""The receiving side, one file per concern.

- ``signatures``: Standard Webhooks signature verification and ``verify_and_parse``
- ``stores``: the two-phase claim (claim, complete, release) in memory or on Redis
- ``app``: the reference receiver, a plain ASGI app
- ``server``: ``access-events serve`` (uvicorn, workers, handlers)
- ``campaign``: ``access-events check-receiver`` (the receiver contract, schemathesis)

``access_events.webhooks`` and ``access_events.receiver`` re-export the public names.
"""
