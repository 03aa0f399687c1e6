"""One public entry point, without starting the bot: proxy headers, addresses and tokens in the
settings, the session cookie behind TLS, the tokens the gateway sends to Rasa, the files and
arguments Rasa starts with, and the supervisor's restarts (with short-lived stand-in processes)."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from fastapi.testclient import TestClient

from bot import supervisor
from bot.gateway.proxies import TrustedProxies, forwarded_hops, parse_ip, resolve
from bot.gateway.rasa_client import RasaClient, RasaUnavailable
from bot.roles import rasa_args
from bot.serve import Proc, endpoints_file
from bot.settings import ROOT, Settings, get_settings
from tests.gateway_fakes import FakeRasa, make_app

PROXY = "10.0.0.5"
TRUSTED = TrustedProxies.parse("10.0.0.0/24, 2001:db8::/32, 192.0.2.9")


def h(**headers: str) -> list[tuple[bytes, bytes]]:
    return [(k.replace("_", "-").lower().encode(), v.encode()) for k, v in headers.items()]


# --- which client, which scheme ---------------------------------------------------------------


def test_headers_of_an_untrusted_peer_are_ignored() -> None:
    spoofed = h(x_forwarded_for="1.2.3.4", x_forwarded_proto="https", forwarded="for=5.6.7.8;proto=https")
    assert resolve("198.51.100.7", "http", spoofed, TRUSTED) == ("198.51.100.7", "http")
    assert resolve("198.51.100.7", "http", spoofed, TrustedProxies()) == ("198.51.100.7", "http")


def test_the_rightmost_untrusted_address_is_the_client() -> None:
    # The client wrote "6.6.6.6" itself; the proxy appended what it saw. Trusted hops are skipped.
    chain = h(x_forwarded_for="6.6.6.6, 203.0.113.20, 10.0.0.7", x_forwarded_proto="https")
    assert resolve(PROXY, "http", chain, TRUSTED) == ("203.0.113.20", "https")
    assert resolve(PROXY, "http", h(x_forwarded_for="10.0.0.8, 10.0.0.7"), TRUSTED) == ("10.0.0.8", "http")
    assert resolve(PROXY, "http", h(), TRUSTED) == (PROXY, "http")  # a trusted peer without headers is the client


def test_repeated_headers_and_odd_entries() -> None:
    repeated = [(b"x-forwarded-for", b"203.0.113.1"), (b"X-Forwarded-For", b"203.0.113.2, 10.0.0.9")]
    assert resolve(PROXY, "http", repeated, TRUSTED)[0] == "203.0.113.2"
    # "unknown" or a name stops the walk at the last address a trusted proxy vouched for
    assert resolve(PROXY, "http", h(x_forwarded_for="203.0.113.1, unknown, 10.0.0.9"), TRUSTED)[0] == "10.0.0.9"
    assert resolve("::ffff:10.0.0.5", "http", h(x_forwarded_for="203.0.113.3"), TRUSTED)[0] == "203.0.113.3"
    assert resolve("2001:db8::1", "http", h(x_forwarded_for="[2001:db9::7]:443"), TRUSTED)[0] == "2001:db9::7"


def test_rfc7239_forwarded_is_read_when_there_is_no_x_forwarded_for() -> None:
    header = 'for=198.51.100.1;proto=http, for="[2001:db9:cafe::17]:4711";proto=https;by=10.0.0.5'
    assert resolve(PROXY, "http", h(forwarded=header), TRUSTED) == ("2001:db9:cafe::17", "https")
    both = h(forwarded="for=198.51.100.66", x_forwarded_for="203.0.113.5")
    assert resolve(PROXY, "http", both, TRUSTED)[0] == "203.0.113.5"
    assert [hop.address for hop in forwarded_hops(h(forwarded="for=_hidden, for=unknown"))] == ["_hidden", "unknown"]


def test_the_scheme_is_the_one_the_browser_used() -> None:
    # CDN (https) -> proxy -> gateway: both append; the outermost trusted hop's word counts
    two = h(x_forwarded_for="203.0.113.9, 10.0.0.6", x_forwarded_proto="https, http")
    assert resolve(PROXY, "http", two, TRUSTED) == ("203.0.113.9", "https")
    assert resolve(PROXY, "https", h(x_forwarded_for="203.0.113.9", x_forwarded_proto="gopher"), TRUSTED)[1] == "https"


def test_addresses_as_proxies_write_them() -> None:
    assert str(parse_ip("192.0.2.1:8080")) == "192.0.2.1"
    assert str(parse_ip('"[2001:db8::1]:80"')) == "2001:db8::1"
    assert parse_ip("testclient") is None and parse_ip("") is None
    assert TRUSTED.trusts("192.0.2.9") and not TRUSTED.trusts("192.0.2.10") and not TRUSTED.trusts("testclient")


# --- settings ---------------------------------------------------------------------------------


def test_rasa_and_action_server_listen_on_loopback_by_default() -> None:
    s = Settings(secret_key_setting="k")
    assert (s.rasa_host, s.action_host, s.trusted_proxies) == ("127.0.0.1", "127.0.0.1", "")
    assert s.rasa_url == f"http://127.0.0.1:{s.rasa_port}"
    assert s.action_url == f"http://127.0.0.1:{s.action_port}/webhook"


def test_addresses_follow_host_and_port_unless_set() -> None:
    s = Settings(secret_key_setting="k", rasa_host="0.0.0.0", action_host="::", rasa_port=6005, action_port=6055)
    assert (s.rasa_url, s.action_url) == ("http://127.0.0.1:6005", "http://127.0.0.1:6055/webhook")
    s = s.replace(action_host="fd00::5", rasa_url_setting="http://rasa:5005/", action_url_setting="http://a:1/webhook")
    assert (s.rasa_url, s.action_url) == ("http://rasa:5005", "http://a:1/webhook")
    assert Settings(secret_key_setting="k", action_host="fd00::5").action_url.startswith("http://[fd00::5]:")


def test_each_door_has_its_own_token_derived_from_the_key() -> None:
    a, b = Settings(secret_key_setting="key-a"), Settings(secret_key_setting="key-b")
    tokens = {a.internal_token, a.rasa_token, a.action_token}
    assert len(tokens) == 3 and all(len(t) == 64 for t in tokens)
    assert tokens.isdisjoint({b.internal_token, b.rasa_token, b.action_token})
    assert a.rasa_token == Settings(secret_key_setting="key-a").rasa_token


def test_a_typo_in_the_trusted_proxies_fails_at_start(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ValueError, match="10.0.0.300"):
        Settings(trusted_proxies="10.0.0.1, 10.0.0.300")
    monkeypatch.setenv("JENABOT_TRUSTED_PROXIES", "172.28.0.10, fd00::/8")
    assert TrustedProxies.parse(get_settings().trusted_proxies).trusts("fd00::1")


# --- the gateway behind a proxy ----------------------------------------------------------------


def _chat(client: TestClient, forwarded_for: str | None = None) -> int:
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    return client.post("/api/chat/messages", json={"text": "Hallo"}, headers=headers).status_code


def test_rate_limit_counts_each_citizen_behind_a_trusted_proxy(tmp_path: Path) -> None:
    app = make_app(tmp_path, FakeRasa(), trusted_proxies="10.0.0.0/8", chat_rate_limit=2)
    with TestClient(app, client=(PROXY, 40000)) as proxy:
        assert [_chat(proxy, "203.0.113.1") for _ in range(3)] == [200, 200, 429]
        assert [_chat(proxy, "203.0.113.2") for _ in range(2)] == [200, 200]  # another citizen, own budget
    with TestClient(app, client=("198.51.100.4", 40000)) as direct:  # not a proxy: its header is ignored
        assert [_chat(direct, f"203.0.113.{n}") for n in range(10, 13)] == [200, 200, 429]


def test_without_trusted_proxies_the_proxy_is_one_client(tmp_path: Path) -> None:
    app = make_app(tmp_path, FakeRasa(), chat_rate_limit=2)
    with TestClient(app, client=(PROXY, 40000)) as proxy:
        assert [_chat(proxy, f"203.0.113.{n}") for n in range(3)] == [200, 200, 429]


def _session_cookie(client: TestClient, headers: dict[str, str]) -> str:
    """The cookie the log-in page sets (it starts a session for its CSRF token)."""
    r = client.get("/staff/login", headers=headers)
    cookies = [v for k, v in r.headers.multi_items() if k == "set-cookie" and v.startswith("jenabot_staff=")]
    assert r.status_code == 200 and cookies, r.headers
    return cookies[0].lower()


def test_session_cookie_is_secure_when_the_trusted_proxy_says_https(tmp_path: Path) -> None:
    app = make_app(tmp_path, FakeRasa(), trusted_proxies=PROXY)
    https = {"X-Forwarded-For": "203.0.113.1", "X-Forwarded-Proto": "https"}
    with TestClient(app, client=(PROXY, 1)) as proxy:
        assert "; secure" in _session_cookie(proxy, https)
    with TestClient(app, client=(PROXY, 1)) as proxy:
        assert "; secure" not in _session_cookie(proxy, {"X-Forwarded-Proto": "http"})
    with TestClient(app, client=("198.51.100.4", 1)) as direct:  # an untrusted peer cannot switch it on
        assert "; secure" not in _session_cookie(direct, https)
    with TestClient(app, base_url="https://testserver") as tls:  # TLS at the gateway itself
        assert "; secure" in _session_cookie(tls, {})


# --- the tokens the gateway sends ------------------------------------------------------------


def test_rasa_client_sends_the_channel_token_and_the_api_token() -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.path.endswith("/execute"):
            return httpx.Response(200, json={"messages": []})
        return httpx.Response(200, json=[])

    settings = Settings(secret_key_setting="k", rasa_url_setting="http://rasa.test:5005")

    async def talk() -> None:
        client = RasaClient.for_settings(settings)
        client.client = httpx.AsyncClient(base_url=client.base_url, transport=httpx.MockTransport(answer))
        await client.send("c1", "Hallo")
        await client.resume("c1")
        await client.relay_staff_reply("c1", "Antwort")

    asyncio.run(talk())
    rest, *api = seen
    assert rest.url.path == "/webhooks/rest/webhook" and "token" not in rest.url.params
    assert rest.headers["authorization"] == f"Bearer {settings.internal_token}"
    assert [r.url.path for r in api] == ["/conversations/c1/tracker/events"] * 2 + ["/conversations/c1/execute"]
    assert all(r.url.params["token"] == settings.rasa_token for r in api)
    assert api[-1].url.params["output_channel"] == "latest"


def test_a_refusal_does_not_put_the_token_into_the_error() -> None:
    async def refused() -> str:
        client = RasaClient("http://rasa.test", api_token="geheimes-token")
        client.client = httpx.AsyncClient(
            base_url=client.base_url, transport=httpx.MockTransport(lambda r: httpx.Response(401, json={}))
        )
        with pytest.raises(RasaUnavailable) as caught:
            await client.resume("c1")
        return str(caught.value)

    message = asyncio.run(refused())
    assert "401" in message and "geheimes-token" not in message


# --- what Rasa starts with -------------------------------------------------------------------


def test_rasa_runs_on_loopback_with_a_token_and_without_cors(tmp_path: Path) -> None:
    settings = get_settings().replace(models_dir=tmp_path, secret_key_setting="k", rasa_port=5996)
    args = rasa_args(settings)
    assert args[args.index("--interface") + 1] == "127.0.0.1"
    assert args[args.index("--auth-token") + 1] == settings.rasa_token
    assert "--cors" not in args and "--enable-api" in args


def test_endpoints_file_names_the_action_server_and_its_secret(tmp_path: Path) -> None:
    settings = get_settings().replace(
        models_dir=tmp_path, secret_key_setting="k", action_url_setting="http://actions:5055/webhook"
    )
    path = endpoints_file(settings)
    config = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert config["action_endpoint"] == {"url": "http://actions:5055/webhook", "token": settings.action_token}
    assert config["event_broker"]["url"] == settings.gateway_url
    assert stat.S_IMODE(path.stat().st_mode) == 0o600  # it holds a secret


# --- the supervisor ----------------------------------------------------------------------------


def test_back_off_doubles_up_to_thirty_seconds() -> None:
    assert [supervisor.backoff(n) for n in range(1, 8)] == [1, 2, 4, 8, 16, 30, 30]


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _sleeper(name: str) -> Proc:
    return Proc(name, [sys.executable, "-c", "import time; time.sleep(120)"], health="http://127.0.0.1:9/")


def test_supervisor_restarts_a_killed_process_with_back_off_and_leaves_the_others(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = FakeClock()
    sup = supervisor.Supervisor(get_settings().replace(secret_key_setting="k"), clock=clock)
    sup.watched = [supervisor.Watched(_sleeper(name), started=clock.now) for name in ("Eins", "Zwei")]
    for w in sup.watched:
        w.proc.process = subprocess.Popen(w.proc.cmd, start_new_session=True)
    one, two = sup.watched
    assert one.proc.process is not None and two.proc.process is not None
    other_pid = two.proc.process.pid
    try:
        with caplog.at_level(logging.INFO, logger="jenabot.supervisor"):
            delays = []
            for _ in range(3):
                first_pid = one.proc.process.pid
                os.kill(first_pid, signal.SIGKILL)
                one.proc.process.wait()
                sup.check()
                assert one.restart_at is not None
                delays.append(one.restart_at - clock.now)
                clock.now = one.restart_at - 0.1
                sup.check()
                assert one.proc.process.pid == first_pid  # not before its time
                clock.now = one.restart_at
                sup.check()
                assert one.proc.process.pid != first_pid and one.proc.process.poll() is None
            assert delays == [1, 2, 4] and one.restarts == 3
            assert two.proc.process.pid == other_pid and two.proc.process.poll() is None and two.restarts == 0
            # up for a while (and ready): the next crash waits 1 s again
            one.ready = True
            clock.now += supervisor.STABLE_SECONDS
            sup.check()
            assert one.crashes == 0
        said = caplog.text
        assert "Eins wurde beendet (Signal 9); Neustart in 4 s (3. Ende in Folge)" in said
        assert said.count("↻ Eins neu gestartet") == 3 and "Zwei" not in said
    finally:
        sup.stop()
    assert all(w.proc.process is not None and w.proc.process.poll() is not None for w in sup.watched)


def test_the_supervisor_imports_neither_rasa_nor_the_models() -> None:
    code = (
        "import json, sys, bot.supervisor, bot.cli; "
        "print(json.dumps(sorted(m for m in ('rasa', 'torch', 'tensorflow', 'sentence_transformers', 'faiss', "
        "'sanic', 'fastapi', 'knowledge.search') if m in sys.modules)))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True, timeout=60
    )
    heavy: list[Any] = json.loads(done.stdout)
    assert heavy == []
