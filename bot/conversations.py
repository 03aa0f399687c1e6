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


def post(url: str, sender: str, text: str, timeout: float = 120.0) -> list[dict[str, Any]]:
    body = json.dumps({"sender": sender, "message": text}).encode()
    req = urllib.request.Request(
        f"{url}/webhooks/rest/webhook", data=body, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        return json.loads(resp.read().decode())


def reply_type(messages: list[dict[str, Any]]) -> str:
    customs = [m["custom"] for m in messages if isinstance(m.get("custom"), dict)]
    return customs[-1].get("type", "none") if customs else "none"


def check(expect: dict[str, Any], messages: list[dict[str, Any]]) -> list[str]:
    """Every way the reply differs from the expectation (empty list: the turn is right)."""
    errors: list[str] = []
    customs = [m["custom"] for m in messages if isinstance(m.get("custom"), dict)]
    custom = customs[-1] if customs else {}
    text = "\n".join(m.get("text", "") for m in messages if m.get("text"))
    kind = custom.get("type", "none")
    allowed = expect.get("type_in") or [expect.get("type", "answer")]
    if kind not in allowed:
        errors.append(f"Typ {kind!r}, erwartet {allowed}")
    service = custom.get("service") or {}
    if "service" in expect and service.get("id") != expect["service"]:
        errors.append(f"Leistung {service.get('id')!r}, erwartet {expect['service']!r}")
    if "leika" in expect and not str(service.get("leika") or "").startswith(str(expect["leika"])):
        errors.append(f"LeiKa {service.get('leika')!r}, erwartet {expect['leika']}…")
    if "aspect" in expect and custom.get("aspect") != expect["aspect"]:
        errors.append(f"Aspekt {custom.get('aspect')!r}, erwartet {expect['aspect']!r}")
    if "aspects" in expect and custom.get("aspects") != expect["aspects"]:
        errors.append(f"Aspekte {custom.get('aspects')!r}, erwartet {expect['aspects']!r}")
    if "office" in expect and custom.get("office") != expect["office"]:
        errors.append(f"Amt {custom.get('office')!r}, erwartet {expect['office']!r}")
    for needle in expect.get("text_contains") or []:
        if needle not in text:
            errors.append(f"Text enthält nicht {needle!r}")
    offered = {o.get("id") for o in custom.get("options") or []}
    for sid in expect.get("options_include") or []:
        if sid not in offered:
            errors.append(f"Option {sid!r} fehlt in {sorted(offered)}")
    return errors


@dataclass
class TurnResult:
    conversation: str
    user: str
    errors: list[str]
    seconds: float
    service_ok: bool
    aspect_ok: bool


def run_conversation(url: str, conv: Conversation) -> list[TurnResult]:
    sender = f"suite-{uuid.uuid4().hex[:12]}"
    out = []
    for turn in conv.turns:
        start = time.perf_counter()
        messages = post(url, sender, turn.user)
        seconds = time.perf_counter() - start
        errors = check(turn.expect, messages)
        service_ok = not any(e.startswith(("Leistung", "LeiKa", "Typ", "Amt")) for e in errors)
        aspect_ok = not any(e.startswith(("Aspekt", "Typ")) for e in errors)
        out.append(TurnResult(conv.name, turn.user, errors, seconds, service_ok, aspect_ok))
    return out
