"""One public entry point, against the real bot (the shared ``rasa`` stack, started with the defaults):
Rasa's HTTP API, its REST channel, the action server and the gateway's internal API refuse callers
without their token and work for the bot's own processes; Rasa and the action server listen on
loopback only, the gateway on every address."""

from __future__ import annotations

import json
import socket
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from bot.gateway.routes.internal import router as internal_router

pytestmark = pytest.mark.slow
LISTEN = "0A"


def call(method: str, url: str, body: Any = None, headers: dict[str, str] | None = None) -> tuple[int, Any]:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(
        url, data=data, method=method, headers={"Content-Type": "application/json", **(headers or {})}
    )
    try:
        with urllib.request.urlopen(req, timeout=120) as response:
            raw = response.read()
            is_json = response.headers.get_content_type() == "application/json"
            return int(response.status), json.loads(raw) if is_json else raw.decode()
    except urllib.error.HTTPError as exc:
        return int(exc.code), None


def test_rasa_http_api_needs_its_token(rasa) -> None:
    sender = rasa.new_sender()
    rasa.send(sender, "Hallo")
    protected = [
        ("GET", f"/conversations/{sender}/tracker", None),
        ("POST", f"/conversations/{sender}/tracker/events", [{"event": "pause"}]),
        ("POST", f"/conversations/{sender}/execute", {"name": "action_listen"}),
        ("PUT", "/model", {"model_file": "/tmp/fremdes-modell.tar.gz"}),
        ("DELETE", "/model", None),
        ("POST", "/model/parse", {"text": "Hallo"}),
        ("GET", "/status", None),
        ("GET", "/domain", None),
    ]
    for method, path, body in protected:
        assert call(method, f"{rasa.base}{path}", body)[0] == 401, path
        assert call(method, f"{rasa.base}{path}?token=falsch", body)[0] == 401, path
    status, tracker = call("GET", rasa.api(f"/conversations/{sender}/tracker"))
    assert status == 200 and [e["text"] for e in tracker["events"] if e["event"] == "user"]
    status, parsed = call("POST", rasa.api("/model/parse"), {"text": "Was kostet ein Reisepass?"})
    assert status == 200 and parsed["intent"]["name"]
    assert call("GET", rasa.api("/status"))[0] == 200
    assert call("GET", f"{rasa.base}/")[0] == 200  # the health check stays open


def test_rest_channel_needs_the_internal_token(rasa) -> None:
    sender, message = rasa.new_sender(), {"message": "Was kostet ein Personalausweis?"}
    url = f"{rasa.base}/webhooks/rest/webhook"
    assert call("POST", url, {"sender": sender, **message})[0] == 401
    assert call("POST", url, {"sender": sender, **message}, {"Authorization": "Bearer falsch"})[0] == 401
    assert call("POST", f"{url}?token={rasa.settings.rasa_token}", {"sender": sender, **message})[0] == 401
    _, tracker = call("GET", rasa.api(f"/conversations/{sender}/tracker"))
    assert not [e for e in tracker["events"] if e["event"] == "user"]  # refused before Rasa saw it
    status, answer = call("POST", f"{url}?token={rasa.settings.internal_token}", {"sender": sender, **message})
    assert status == 200 and "46,00 Euro" in " ".join(m.get("text", "") for m in answer)


def test_action_server_runs_actions_only_for_rasa(rasa) -> None:
    base = f"http://127.0.0.1:{rasa.settings.action_port}"
    tracker = {"sender_id": "fremd", "slots": {}, "latest_message": {}, "events": [], "active_loop": {}}
    run = {"next_action": "action_decline", "sender_id": "fremd", "tracker": tracker, "domain": {}, "version": "3.6.21"}
    assert call("POST", f"{base}/webhook", run)[0] == 401
    assert call("POST", f"{base}/webhook?token={rasa.settings.internal_token}", run)[0] == 401  # another door's key
    assert call("GET", f"{base}/actions")[0] == 401
    assert call("GET", f"{base}/health") == (200, {"status": "ok"})
    status, result = call("POST", f"{base}/webhook?token={rasa.settings.action_token}", run)
    assert status == 200 and result["responses"]
    # Rasa's own calls carry the secret: a question that needs a custom action is answered
    reply = rasa.conversation()("Was kostet ein Personalausweis?")
    assert "46,00 Euro" in reply.text and reply.custom["type"] == "answer"


@pytest.mark.parametrize("path", sorted(r.path for r in internal_router.routes))  # type: ignore[attr-defined]
def test_internal_gateway_api_needs_the_internal_token(rasa, path: str) -> None:
    url = f"http://127.0.0.1:{rasa.settings.gateway_port}{path}"
    assert call("POST", url, {})[0] == 401
    assert call("POST", url, {}, {"Authorization": f"Bearer {rasa.settings.rasa_token}"})[0] == 401
    assert call("POST", url, {}, {"Authorization": f"Bearer {rasa.settings.internal_token}"})[0] == 422  # let in


def listening(port: int) -> set[str]:
    """Local addresses with a listening TCP socket on ``port`` (from /proc/net/tcp and tcp6)."""
    found = set()
    for table, width in (("/proc/net/tcp", 4), ("/proc/net/tcp6", 16)):
        if not Path(table).exists():
            continue
        for line in Path(table).read_text().splitlines()[1:]:
            local, _remote, state = line.split()[1:4]
            address, hex_port = local.split(":")
            if state == LISTEN and int(hex_port, 16) == port:
                raw = bytes.fromhex(address)
                words = b"".join(raw[i : i + 4][::-1] for i in range(0, width, 4))  # each 32-bit word is little-endian
                found.add(socket.inet_ntop(socket.AF_INET if width == 4 else socket.AF_INET6, words))
    return found


def outward_address() -> str | None:
    """This machine's address towards the network (no packet is sent); None without a route."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))
        except OSError:
            return None
        address = str(probe.getsockname()[0])
    return None if address.startswith("127.") else address


def reachable(address: str, port: int) -> bool:
    try:
        socket.create_connection((address, port), timeout=3).close()
        return True
    except OSError:
        return False


def test_rasa_and_action_server_listen_on_loopback_only(rasa) -> None:
    s = rasa.settings
    assert listening(s.rasa_port) == {"127.0.0.1"}
    assert listening(s.action_port) == {"127.0.0.1"}
    assert listening(s.gateway_port) == {"0.0.0.0"}
    address = outward_address()
    if address is None:
        pytest.skip("keine Adresse außer loopback; die Verbindungsprobe entfällt (die Sockets sind geprüft)")
    assert reachable(address, s.gateway_port)  # the address works ...
    assert not reachable(address, s.rasa_port)  # ... but Rasa and the action server are not behind it
    assert not reachable(address, s.action_port)
