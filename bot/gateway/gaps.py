"""The content-gap report: where the catalogue falls short, read from feedback and the bot's stored payloads.

Part of the storage layer (like ``store``): it queries the database, but only reads. Kept apart from
``store`` because it is a report for catalogue editors, not part of handling a conversation.

Three kinds of gap, grouped by the closest service: a thumbs-down on an answer, an unconfident reply
(decline, or confidence below the threshold), and an answer that says the catalogue has nothing on an
aspect asked ("no data", see ``transcripts.no_data``). Every example question is kept.
"""

from __future__ import annotations

import csv
import io
import re
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import contract
from bot.gateway.models import Feedback, Message
from bot.gateway.transcripts import no_data

DEFAULT_CONFIDENCE_THRESHOLD = 0.5
CSV_MIN_EXAMPLES = 3  # the CSV has at least these example columns, more when a service has more examples
KINDS = ("thumbs_down", "unconfident", "no_data")


@dataclass(frozen=True)
class GapExample:
    question: str
    kind: str  # one of KINDS
    aspects: tuple[str, ...] = ()
    at: datetime | None = field(default=None, compare=False)


@dataclass
class GapRow:
    """Where the catalogue falls short for one service ("" = no service was close)."""

    service_id: str
    service_name: str = ""
    thumbs_down: int = 0
    unconfident: int = 0
    no_data: int = 0
    details: list[GapExample] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.thumbs_down + self.unconfident + self.no_data

    @property
    def examples(self) -> list[str]:
        """Every distinct question, newest first."""
        return list(dict.fromkeys(d.question for d in self.details))

    def add(self, kind: str, question: str, aspects: tuple[str, ...] = (), at: datetime | None = None) -> None:
        setattr(self, kind, getattr(self, kind) + 1)
        example = GapExample(question, kind, aspects, at)
        if question and example not in self.details:
            self.details.append(example)

    def newest_first(self) -> None:
        self.details.sort(key=lambda d: d.at or datetime.min.replace(tzinfo=timezone.utc), reverse=True)


def unconfident(payload: contract.Payload | None, threshold: float) -> bool:
    """A decline, or a reply whose confidence is below ``threshold``."""
    confidence = contract.confidence(payload)
    return isinstance(payload, contract.Decline) or (confidence is not None and confidence < threshold)


def _service_name(payload: contract.Payload | None) -> str:
    if isinstance(payload, contract.Answer) and payload.service is not None:
        return payload.service.name
    if isinstance(payload, contract.Clarify) and payload.options:
        return payload.options[0].name
    return ""


def content_gaps(
    s: Session,
    threshold: float = DEFAULT_CONFIDENCE_THRESHOLD,
    since: datetime | None = None,
    name_of: Callable[[str], str] = lambda service_id: service_id,
) -> list[GapRow]:
    """Thumbs-down feedback, unconfident bot replies and "no data" answers, grouped by closest service id,
    most frequent first, each with all its example questions. ``name_of`` names services the payloads
    do not name (feedback stores only the id)."""
    rows: dict[str, GapRow] = {}

    def row(service_id: str, name: str = "") -> GapRow:
        found = rows.setdefault(service_id, GapRow(service_id))
        if not found.service_name and service_id:
            found.service_name = name or name_of(service_id)
        return found

    downs = select(Feedback).where(Feedback.vote == -1).order_by(Feedback.created_at.desc(), Feedback.id.desc())
    if since is not None:
        downs = downs.where(Feedback.created_at >= since)
    for fb in s.scalars(downs):
        row(fb.service_id or "").add("thumbs_down", fb.question, at=fb.created_at)

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
        kind = _kind(payload, msg, threshold)
        if kind is not None:
            aspects = payload.aspects if isinstance(payload, contract.Answer) else ()
            gap = row(contract.service_id(payload), _service_name(payload))
            gap.add(kind, last_question[msg.conversation_id], aspects, msg.created_at)
    for r in rows.values():
        r.newest_first()
    return sorted(rows.values(), key=lambda r: (-r.total, r.service_name.lower(), r.service_id))


def _kind(payload: contract.Payload | None, msg: Message, threshold: float) -> str | None:
    if unconfident(payload, threshold):
        return "unconfident"
    if isinstance(payload, contract.Answer) and no_data(msg.meta, msg.text):
        return "no_data"
    return None


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _cell(value: str) -> str:
    """Citizen text must not become a spreadsheet formula (CSV injection) nor break the file (control characters)."""
    value = _CONTROL.sub("", value)
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def content_gaps_csv(rows: Sequence[GapRow]) -> str:
    """The gaps as CSV for editors: one row per service, every example question in its own column."""
    width = max([CSV_MIN_EXAMPLES, *(len(r.examples) for r in rows)])
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["service_id", "total", "thumbs_down", "unconfident", *(f"example_{i + 1}" for i in range(width))])
    for r in rows:
        examples = [_cell(e) for e in r.examples] + [""] * (width - len(r.examples))
        writer.writerow([_cell(r.service_id), r.total, r.thumbs_down, r.unconfident, *examples])
    return out.getvalue()


def examples_csv(rows: Sequence[GapRow]) -> str:
    """Every example as its own row, with the service's name and the kind of gap (easy to filter and sort)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["service_name", "service_id", "kind", "aspects", "question"])
    for r in rows:
        for d in r.details:
            writer.writerow(
                [_cell(r.service_name), _cell(r.service_id), d.kind, " ".join(d.aspects), _cell(d.question)]
            )
    return out.getvalue()
