"""A message's e5 query vector handed from Rasa's NLU to the action server, so it is encoded once.

The intent classifier (``bot.components.intent_classifier``) embeds every message; the search embeds
the same text again for service questions. The classifier puts its vector into the parse data (key
``PARSE_KEY``), Rasa keeps the parse data on the user event, and the action server reads it from
``tracker.latest_message``. The vector names the model and the exact text it was computed from: the
search uses it only for that text (a message whose split verb the search joins is encoded again) and
only from the same model, so every answer is the one it would have been.

The vector travels as base64 of its float32 bytes (the exact bits; 2 KB for 384 dimensions). The SQL
tracker store drops it before a row is written (``bot.channels.tracker_store``): only the running turn
needs it.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping

import numpy as np

PARSE_KEY = "query_vector"
MAX_DIMENSIONS = 4096


def pack(model: str, text: str, vector: np.ndarray) -> dict[str, str]:
    """The parse-data entry for ``vector``, the query embedding of ``text`` by ``model``."""
    raw = np.ascontiguousarray(vector, dtype="<f4").tobytes()
    return {"model": model, "text": text, "vector": base64.b64encode(raw).decode("ascii")}


def unpack(data: object, model: str) -> dict[str, np.ndarray]:
    """``{text: vector}`` from a parse-data entry of ``model``; empty when absent, of another model or malformed."""
    if not isinstance(data, Mapping) or data.get("model") != model:
        return {}
    text, encoded = data.get("text"), data.get("vector")
    if not isinstance(text, str) or not isinstance(encoded, str) or len(encoded) > MAX_DIMENSIONS * 6:
        return {}
    try:
        raw = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        return {}
    if not raw or len(raw) % 4 or len(raw) > MAX_DIMENSIONS * 4:
        return {}
    vector = np.frombuffer(raw, dtype="<f4").astype(np.float32)
    return {text: vector} if bool(np.isfinite(vector).all()) else {}
