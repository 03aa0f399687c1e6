"""The reply contract: the machine-readable ``custom`` payload that travels with a bot reply.

Every reply about a service or an office carries one payload, sent by Rasa *after* the text it
belongs to. The actions build payloads with the constructors here, the gateway, the channels, the
tests and the benchmarks read them with ``parse``, and ``merge`` joins text and payload again.
The wire format is the one the README documents; this module is the only place that knows it.
Standard library only, so every process (Rasa, action server, gateway, tests) can import it cheaply.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, TypeAlias

DeclineReason = Literal["no_service", "handoff_unavailable"]
NoticeKind = Literal["error", "handback", "pending"]


@dataclass(frozen=True)
class ServiceRef:
    """A service as a reply names it: enough for a channel to link or log it."""

    id: str
    leika: str | None
    name: str


@dataclass(frozen=True)
class Answer:
    """An answer from the catalogue: about a service (``service``) or only an office (``service`` None)."""

    service: ServiceRef | None
    office: str | None
    aspects: tuple[str, ...]
    confidence: float
    source: str
    stand: str  # ISO date of the information

    @property
    def aspect(self) -> str:
        return self.aspects[0] if self.aspects else "general"


@dataclass(frozen=True)
class Decline:
    """The bot is not sure; ``reason`` says why when it is not just a weak match."""

    confidence: float = 0.0
    reason: DeclineReason | None = None


@dataclass(frozen=True)
class Clarify:
    """A question back: which of these services is meant."""

    options: tuple[ServiceRef, ...]
    confidence: float


@dataclass(frozen=True)
class Handoff:
    """The conversation went to staff: live now, or as a ticket answered later."""

    ticket: str
    live: bool


@dataclass(frozen=True)
class Notice:
    """A message of the gateway itself, not of the bot (an error, the hand-back to the bot, an answer that is
    coming once the bot is reachable again)."""

    kind: NoticeKind


Payload: TypeAlias = Answer | Decline | Clarify | Handoff | Notice


def to_wire(payload: Payload) -> dict[str, Any]:
    """The JSON object as channels send it (``{"custom": to_wire(p)}``)."""
    if isinstance(payload, Answer):
        return {
            "type": "answer",
            "service": _ref_wire(payload.service),
            "office": payload.office,
            "aspect": payload.aspect,
            "aspects": list(payload.aspects),
            "confidence": round(payload.confidence, 3),
            "source": payload.source,
            "stand": payload.stand,
        }
    if isinstance(payload, Decline):
        reason = {"reason": payload.reason} if payload.reason else {}
        return {"type": "decline", **reason, "confidence": round(payload.confidence, 3)}
    if isinstance(payload, Clarify):
        return {
            "type": "clarify",
            "options": [_ref_wire(o) for o in payload.options],
            "confidence": round(payload.confidence, 3),
        }
    if isinstance(payload, Handoff):
        return {"type": "handoff", "ticket": payload.ticket, "live": payload.live}
    return {"type": payload.kind}


def parse(data: object) -> Payload | None:
    """The payload in a ``custom`` object, or None when it is missing, unknown or malformed.

    Lenient on purpose: stored messages outlive code versions, and a reader must never crash on one.
    """
    if not isinstance(data, Mapping):
        return None
    kind = data.get("type")
    reader = _READERS.get(kind) if isinstance(kind, str) else None
    if reader is None:
        return None
    try:
        return reader(data)
    except (KeyError, TypeError, ValueError):
        return None


def service_id(payload: Payload | None) -> str:
    """The service a reply is about: the answered one, else the first option offered; '' if none."""
    if isinstance(payload, Answer) and payload.service is not None:
        return payload.service.id
    if isinstance(payload, Clarify) and payload.options:
        return payload.options[0].id
    return ""


def confidence(payload: Payload | None) -> float | None:
    return payload.confidence if isinstance(payload, Answer | Decline | Clarify) else None


# --- text and payload together -----------------------------------------------------------------


@dataclass(frozen=True)
class Utterance:
    """One message as Rasa emits it: a text (with buttons), or a payload alone, which belongs to the text before."""

    text: str = ""
    buttons: tuple[Mapping[str, Any], ...] = ()
    custom: Mapping[str, Any] | None = None

    @classmethod
    def from_rest(cls, message: Mapping[str, Any]) -> Utterance:
        """A message of Rasa's REST output (``{"text", "buttons"}`` or ``{"custom"}``)."""
        custom = message.get("custom")
        return cls(
            text=str(message.get("text") or ""),
            buttons=tuple(b for b in message.get("buttons") or () if isinstance(b, Mapping)),
            custom=custom if isinstance(custom, Mapping) else None,
        )


@dataclass
class Reply:
    """What a citizen sees as one message: the text, its buttons, and the payload that came after it."""

    text: str
    buttons: list[dict[str, str]] = field(default_factory=list)
    custom: dict[str, Any] = field(default_factory=dict)
    closed: bool = False  # a payload ends the reply; the next text starts a new one

    @property
    def payload(self) -> Payload | None:
        return parse(self.custom)


def merge(utterances: Iterable[Utterance], *, join_texts: bool = True) -> tuple[dict[str, Any], list[Reply]]:
    """Join what Rasa split: a payload belongs to the text before it, and with ``join_texts`` texts that
    Rasa split at blank lines (no buttons, no payload between them) become one reply again.

    Returns the payload that arrived before any text (it belongs to a reply merged earlier, e.g. in the
    previous batch of events) and the replies.
    """
    leading: dict[str, Any] = {}
    replies: list[Reply] = []
    for u in utterances:
        last = replies[-1] if replies else None
        if u.text:
            buttons = [{"title": str(b.get("title", "")), "payload": str(b.get("payload", ""))} for b in u.buttons]
            if join_texts and last is not None and not last.closed and not last.buttons:
                last.text += "\n\n" + u.text
                last.buttons = buttons
            else:
                replies.append(Reply(u.text, buttons))
        if u.custom is not None:
            if last is None and not u.text:
                leading.update(u.custom)
            else:
                replies[-1].custom.update(u.custom)
                replies[-1].closed = True
    return leading, replies


# --- readers -----------------------------------------------------------------------------------


def _ref_wire(ref: ServiceRef | None) -> dict[str, Any] | None:
    return {"id": ref.id, "leika": ref.leika, "name": ref.name} if ref is not None else None


def _ref(data: object) -> ServiceRef | None:
    if isinstance(data, Mapping) and data.get("id"):
        leika = data.get("leika")
        return ServiceRef(str(data["id"]), str(leika) if leika else None, str(data.get("name") or data["id"]))
    if isinstance(data, str) and data:  # early payloads named a service by id only
        return ServiceRef(data, None, data)
    return None


def _refs(items: object) -> tuple[ServiceRef, ...]:
    if not isinstance(items, Sequence) or isinstance(items, str):
        return ()
    return tuple(r for r in map(_ref, items) if r is not None)


def _confidence(data: Mapping[str, Any]) -> float:
    value = data.get("confidence", 0.0)
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0.0


def _answer(data: Mapping[str, Any]) -> Answer:
    aspects = data.get("aspects") or ([data["aspect"]] if data.get("aspect") else [])
    office = data.get("office")
    return Answer(
        service=_ref(data.get("service")),
        office=str(office) if office else None,
        aspects=tuple(str(a) for a in aspects),
        confidence=_confidence(data),
        source=str(data.get("source") or ""),
        stand=str(data.get("stand") or ""),
    )


def _decline(data: Mapping[str, Any]) -> Decline:
    reason = data.get("reason")
    known: tuple[DeclineReason, ...] = ("no_service", "handoff_unavailable")
    return Decline(_confidence(data), next((r for r in known if r == reason), None))


def _notice(kind: NoticeKind) -> Any:
    return lambda data: Notice(kind)


_READERS: dict[str, Any] = {
    "answer": _answer,
    "decline": _decline,
    "clarify": lambda d: Clarify(_refs(d.get("options")), _confidence(d)),
    "handoff": lambda d: Handoff(str(d["ticket"]), bool(d.get("live"))),
    "error": _notice("error"),
    "handback": _notice("handback"),
    "pending": _notice("pending"),
}
