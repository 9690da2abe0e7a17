"""The reference receiver: the code lives in ``access_events.receiving`` (``app.py``, ``server.py``);
this module keeps the names importable from here."""

from __future__ import annotations

from .receiving.app import DEFAULT_PATH, OUTCOME_HEADER, create_app
from .receiving.server import SECRET_ENV, serve

__all__ = ["DEFAULT_PATH", "OUTCOME_HEADER", "SECRET_ENV", "create_app", "serve"]
