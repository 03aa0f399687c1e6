"""Rasa's check of the action server's reply, with its JSON schema compiled once instead of every turn.

Rasa 3.6 validates each action server reply with ``jsonschema.validate(reply, schema)``, which first
checks the (constant) schema itself against JSON Schema's meta-schema and builds a new validator. On
our load bench that meta-check was a fifth of the Rasa server's CPU time (``docs/benchmarks.md``,
"Load"). ``install`` swaps in a check with one validator built at first use; the reply is checked
against the same schema by the same validator class, and a bad reply raises the same error with the
same message.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from jsonschema import ValidationError
from jsonschema.exceptions import best_match
from jsonschema.validators import validator_for
from rasa.core.actions.action import RemoteAction
from rasa.shared.constants import DOCS_BASE_URL

#: Rasa's own hint after a validation error (``RemoteAction._validate_action_result``).
HINT = (
    ". Failed to validate Action server response from API, make sure your response from the Action "
    f"endpoint is valid. For more information about the format visit {DOCS_BASE_URL}/custom-actions"
)


@cache
def reply_validator() -> Any:
    """The validator ``jsonschema.validate`` would build for Rasa's reply schema (the schema checked once)."""
    schema = RemoteAction.action_response_format_spec()
    cls = validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def validate_reply(action: RemoteAction, result: dict[str, Any]) -> bool:
    """``RemoteAction._validate_action_result`` with the cached validator: True, or Rasa's ValidationError."""
    error: ValidationError | None = best_match(reply_validator().iter_errors(result))
    if error is not None:
        error.message += HINT
        raise error
    return True


def install() -> None:
    """Use the cached check in every ``RemoteAction`` of this process (the Rasa server calls it before it starts)."""
    RemoteAction._validate_action_result = validate_reply
