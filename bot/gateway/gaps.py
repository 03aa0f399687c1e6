"""The content-gap report: where the catalogue falls short, read from feedback and the bot's stored payloads.

Part of the storage layer (like ``store``): it queries the database, but only reads. Kept apart from
``store`` because it is a report for catalogue editors, not part of handling a conversation.
"""

from __future__ import annotations

import csv
import io
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import contract
from bot.gateway.models import Feedback, Message

DEFAULT_CONFIDENCE_THRESHOLD = 0.5
MAX_EXAMPLES = 3


@dataclass
class GapRow:
    """Where the catalogue falls short for one service ("" = no service was close)."""

    service_id: str
    thumbs_down: int = 0
    unconfident: int = 0
    examples: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.thumbs_down + self.unconfident

    def add_example(self, question: str) -> None:
        if question and question not in self.examples and len(self.examples) < MAX_EXAMPLES:
            self.examples.append(question)


def unconfident(payload: contract.Payload | None, threshold: float) -> bool:
    """A decline, or a reply whose confidence is below ``threshold``."""
    confidence = contract.confidence(payload)
    return isinstance(payload, contract.Decline) or (confidence is not None and confidence < threshold)


def content_gaps(
    s: Session, threshold: float = DEFAULT_CONFIDENCE_THRESHOLD, since: datetime | None = None
) -> list[GapRow]:
    """Thumbs-down feedback and unconfident bot answers (decline, or confidence below ``threshold``),
    grouped by closest service id, most frequent first, each with up to 3 example questions."""
    rows: dict[str, GapRow] = {}

    def row(service_id: str) -> GapRow:
        return rows.setdefault(service_id, GapRow(service_id))

    downs = select(Feedback).where(Feedback.vote == -1).order_by(Feedback.created_at.desc(), Feedback.id.desc())
    if since is not None:
        downs = downs.where(Feedback.created_at >= since)
    for fb in s.scalars(downs):
        gap = row(fb.service_id or "")
        gap.thumbs_down += 1
        gap.add_example(fb.question)

    # The question of a bot answer is the citizen message just before it in the same conversation.
    messages = (
        select(Message)
        .where(Message.role.in_(("citizen", "bot")))
        .order_by(Message.conversation_id, Message.created_at, Message.id)
    )
    if since is not None:
        messages = messages.where(Message.created_at >= since)
    last_question: dict[str, str] = defaultdict(str)
    for msg in s.scalars(messages):
        if msg.role == "citizen":
            last_question[msg.conversation_id] = msg.text
            continue
        payload = contract.parse(msg.meta)
        if unconfident(payload, threshold):
            gap = row(contract.service_id(payload))
            gap.unconfident += 1
            gap.add_example(last_question[msg.conversation_id])
    return sorted(rows.values(), key=lambda r: (-r.total, r.service_id))


CSV_HEADER: tuple[str, ...] = ("service_id", "total", "thumbs_down", "unconfident") + tuple(
    f"example_{i + 1}" for i in range(MAX_EXAMPLES)
)


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _cell(value: str) -> str:
    """Citizen text must not become a spreadsheet formula (CSV injection) nor break the file (control characters)."""
    value = _CONTROL.sub("", value)
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def content_gaps_csv(rows: Sequence[GapRow]) -> str:
    """The gaps as CSV for editors (one row per service, examples in separate columns)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    for r in rows:
        examples = [_cell(e) for e in r.examples] + [""] * (MAX_EXAMPLES - len(r.examples))
        writer.writerow([_cell(r.service_id), r.total, r.thumbs_down, r.unconfident, *examples])
    return out.getvalue()
