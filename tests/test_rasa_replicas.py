"""The gateway's RasaClient with several Rasa replicas: round-robin, and failover only where it is safe."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import httpx
import pytest

from bot.gateway.rasa_client import RasaClient, RasaUnavailable

Behaviour = Callable[[httpx.Request], httpx.Response]


def client(behaviour: dict[str, Behaviour], seen: list[str]) -> RasaClient:
    """A RasaClient for replicas a, b and c; ``behaviour`` says how each one answers (default: a reply)."""

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.host)
        answer = behaviour.get(request.url.host)
        if answer is not None:
            return answer(request)
        return httpx.Response(200, json=[{"recipient_id": "c1", "text": f"von {request.url.host}"}])

    rasa = RasaClient(" http://a:5005, http://b:5005/ ,http://c:5005")
    rasa.client = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    return rasa


def refuse(error: type[httpx.TransportError]) -> Behaviour:
    def answer(request: httpx.Request) -> httpx.Response:
        raise error("simuliert", request=request)

    return answer


def test_one_address_is_still_one_replica() -> None:
    assert RasaClient("http://localhost:5005").replicas == ["http://localhost:5005"]


def test_calls_go_round_robin() -> None:
    seen: list[str] = []
    rasa = client({}, seen)
    replies = [asyncio.run(rasa.send("c1", "Hallo"))[0]["text"] for _ in range(4)]
    assert replies == ["von a", "von b", "von c", "von a"] and seen == ["a", "b", "c", "a"]


@pytest.mark.parametrize(
    "error", [httpx.ConnectError, httpx.ConnectTimeout, httpx.RemoteProtocolError, httpx.ReadError]
)
def test_a_dead_replica_is_skipped(error: type[httpx.TransportError]) -> None:
    """Refused or dropped before answering (killed mid-turn): the next replica answers the same message."""
    seen: list[str] = []
    rasa = client({"a": refuse(error)}, seen)
    assert asyncio.run(rasa.send("c1", "Hallo"))[0]["text"] == "von b"
    assert seen == ["a", "b"]


def test_all_replicas_down_is_rasa_unavailable() -> None:
    seen: list[str] = []
    rasa = client({host: refuse(httpx.ConnectError) for host in "abc"}, seen)
    with pytest.raises(RasaUnavailable, match="keine Instanz erreichbar"):
        asyncio.run(rasa.send("c1", "Hallo"))
    assert sorted(seen) == ["a", "b", "c"]


@pytest.mark.parametrize(
    "answer",
    [refuse(httpx.ReadTimeout), lambda request: httpx.Response(500, json={"status": "failure"})],
    ids=["timeout", "server-error"],
)
def test_no_second_try_where_the_turn_may_have_run(answer: Behaviour) -> None:
    """A timeout or an error answer: the replica may have processed the message; another would answer twice."""
    seen: list[str] = []
    rasa = client({"a": answer}, seen)
    with pytest.raises(RasaUnavailable):
        asyncio.run(rasa.send("c1", "Hallo"))
    assert seen == ["a"]
