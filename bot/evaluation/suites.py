"""Conversation suites: load them, talk them through the REST webhook, check every turn.

Used by the end-to-end tests and by ``jenabot bench dialogue``, so both judge turns the same way.
A suite is YAML: ``now`` (the fixed clock for office-hours answers) and ``conversations``, each a
list of turns with ``user`` text and ``expect`` (type, service, leika, aspect(s), office, text).
"""

from __future__ import annotations

import json
import time
import urllib.request
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot.settings import ROOT

SUITE = ROOT / "tests" / "conversations.yml"


@dataclass(frozen=True)
class Turn:
    user: str
    expect: dict[str, Any]


@dataclass(frozen=True)
class Conversation:
    name: str
    turns: list[Turn]
    tags: list[str] = field(default_factory=list)
    known_issue: str | None = None  # the bot is known to fail this one, and why (tests mark it xfail, strict)


@dataclass(frozen=True)
class Suite:
    now: str | None
    conversations: list[Conversation]


def load_suite(path: Path = SUITE) -> Suite:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    convs = [
        Conversation(
            c["name"],
            [Turn(str(t["user"]), t.get("expect") or {}) for t in c["turns"]],
            list(c.get("tags") or []),
            c.get("known_issue"),
        )
        for c in data["conversations"]
    ]
    return Suite(now=data.get("now"), conversations=convs)


def post(url: str, sender: str, text: str, token: str, timeout: float = 120.0) -> list[dict[str, Any]]:
    """One message through Rasa's REST channel, which needs the internal token (``Settings.internal_token``)."""
    body = json.dumps({"sender": sender, "message": text}).encode()
    req = urllib.request.Request(
        f"{url}/webhooks/rest/webhook",
        data=body,
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
    )
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        return json.loads(resp.read().decode())


@dataclass(frozen=True)
class Reply:
    """One turn's reply as the checks see it: the last custom payload and all text joined."""

    custom: dict[str, Any]
    text: str

    @classmethod
    def of(cls, messages: list[dict[str, Any]]) -> Reply:
        customs = [m["custom"] for m in messages if isinstance(m.get("custom"), dict)]
        text = "\n".join(m.get("text", "") for m in messages if m.get("text"))
        return cls(customs[-1] if customs else {}, text)

    @property
    def service(self) -> dict[str, Any]:
        return self.custom.get("service") or {}


Rule = Callable[[dict[str, Any], Reply], list[str]]


def _type(expect: dict[str, Any], reply: Reply) -> list[str]:
    kind = reply.custom.get("type", "none")
    allowed = expect.get("type_in") or [expect.get("type", "answer")]
    return [] if kind in allowed else [f"Typ {kind!r}, erwartet {allowed}"]


def _service(expect: dict[str, Any], reply: Reply) -> list[str]:
    if "service" in expect and reply.service.get("id") != expect["service"]:
        return [f"Leistung {reply.service.get('id')!r}, erwartet {expect['service']!r}"]
    return []


def _leika(expect: dict[str, Any], reply: Reply) -> list[str]:
    if "leika" in expect and not str(reply.service.get("leika") or "").startswith(str(expect["leika"])):
        return [f"LeiKa {reply.service.get('leika')!r}, erwartet {expect['leika']}…"]
    return []


def _same_field(key: str, label: str) -> Rule:
    """A rule that the custom payload's ``key`` equals the expected value (reported as ``label``)."""

    def rule(expect: dict[str, Any], reply: Reply) -> list[str]:
        if key in expect and reply.custom.get(key) != expect[key]:
            return [f"{label} {reply.custom.get(key)!r}, erwartet {expect[key]!r}"]
        return []

    return rule


def _text(expect: dict[str, Any], reply: Reply) -> list[str]:
    needles = expect.get("text_contains") or []
    return [f"Text enthält nicht {needle!r}" for needle in needles if needle not in reply.text]


def _options(expect: dict[str, Any], reply: Reply) -> list[str]:
    offered = {o.get("id") for o in reply.custom.get("options") or []}
    wanted = expect.get("options_include") or []
    return [f"Option {sid!r} fehlt in {sorted(offered)}" for sid in wanted if sid not in offered]


#: Every check of a turn, in the order its errors are reported.
RULES: tuple[Rule, ...] = (
    _type,
    _service,
    _leika,
    _same_field("aspect", "Aspekt"),
    _same_field("aspects", "Aspekte"),
    _same_field("office", "Amt"),
    _text,
    _options,
)


def check(expect: dict[str, Any], messages: list[dict[str, Any]]) -> list[str]:
    """Every way the reply differs from the expectation (empty list: the turn is right)."""
    reply = Reply.of(messages)
    return [error for rule in RULES for error in rule(expect, reply)]


@dataclass
class TurnResult:
    conversation: str
    user: str
    errors: list[str]
    seconds: float
    service_ok: bool
    aspect_ok: bool


def run_conversation(url: str, conv: Conversation, token: str) -> list[TurnResult]:
    sender = f"suite-{uuid.uuid4().hex[:12]}"
    out = []
    for turn in conv.turns:
        start = time.perf_counter()
        messages = post(url, sender, turn.user, token)
        seconds = time.perf_counter() - start
        errors = check(turn.expect, messages)
        service_ok = not any(e.startswith(("Leistung", "LeiKa", "Typ", "Amt")) for e in errors)
        aspect_ok = not any(e.startswith(("Aspekt", "Typ")) for e in errors)
        out.append(TurnResult(conv.name, turn.user, errors, seconds, service_ok, aspect_ok))
    return out
