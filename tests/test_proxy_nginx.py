"""The gateway behind a real reverse proxy: Debian's nginx with the shipped config
(deploy/nginx/jenabot.conf, only addresses and ports replaced), TLS with a throwaway self-signed
certificate made by openssl, in front of a real gateway (``jenabot serve gateway``, uvicorn) that
trusts only the proxy (JENABOT_TRUSTED_PROXIES=127.0.0.1). Rasa is a stand-in that answers every
message, so no models are needed.

Every "citizen" has an address of its own: Linux routes all of 127.0.0.0/8 to loopback, so a test
connection can come from 127.0.0.3 or 127.0.0.4 while nginx reaches the gateway from 127.0.0.1.
nginx is skipped with the reason when it is not installed (``.ci/run`` installs it).
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import ssl
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from bot.serve import child_env, free_port, processes, wait_healthy
from bot.settings import ROOT, get_settings
from tests.waiting import wait_for

pytestmark = pytest.mark.stack
NGINX_CONF = ROOT / "deploy" / "nginx" / "jenabot.conf"
CHAT_LIMIT = 3
LOGINS_PER_MINUTE = 10  # bot.gateway.app.LOGIN_ATTEMPTS_PER_MINUTE
CITIZEN_A, CITIZEN_B, CITIZEN_C, INTRUDER = "127.0.0.3", "127.0.0.4", "127.0.0.6", "127.0.0.5"


def _tool(name: str) -> str:
    found = shutil.which(name) or shutil.which(name, path="/usr/sbin:/sbin")
    if not found:
        pytest.skip(f"{name} fehlt (apt-get install {name}); der Test hinter einem echten Proxy wird übersprungen")
    return found


class StandInRasa(BaseHTTPRequestHandler):
    """Answers each message of the REST channel; remembers the Authorization header it got."""

    protocol_version = "HTTP/1.1"
    seen: list[str] = []

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
        StandInRasa.seen.append(self.headers.get("Authorization", ""))
        answer = json.dumps([{"recipient_id": body.get("sender"), "text": "Dazu kann ich Ihnen etwas sagen."}])
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer.encode())))
        self.end_headers()
        self.wfile.write(answer.encode())

    def log_message(self, format: str, *args: Any) -> None:
        pass


@dataclass
class Site:
    https_port: int
    http_port: int
    gateway_port: int
    certificate: Path
    internal_token: str
    log: Path
    rasa_calls: list[str] = field(default_factory=list)


def _certificate(work: Path, openssl: str) -> Path:
    (work / "tls").mkdir()
    cert, key = work / "tls" / "fullchain.pem", work / "tls" / "privkey.pem"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        + ["-days", "1", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"]
        + ["-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )
    return cert


def _nginx_config(work: Path, gateway_port: int, rasa_port: int, https_port: int, http_port: int) -> Path:
    """The shipped config with loopback addresses and free ports; everything else as shipped."""
    text = NGINX_CONF.read_text(encoding="utf-8")
    for shipped, local in (
        ("server gateway:8000", f"server 127.0.0.1:{gateway_port}"),
        ("server rasa:5005", f"server 127.0.0.1:{rasa_port}"),
        ("listen 443 ssl http2;", f"listen 127.0.0.1:{https_port} ssl http2;"),
        ("listen 80;", f"listen 127.0.0.1:{http_port};"),
        ("listen [::]:443 ssl http2;", ""),
        ("listen [::]:80;", ""),
    ):
        assert shipped in text, f"{shipped!r} fehlt in {NGINX_CONF}"
        text = text.replace(shipped, local)
    site = work / "jenabot.conf"
    site.write_text(text, encoding="utf-8")
    (work / "tmp").mkdir()
    temp = " ".join(f"{k}_temp_path {work}/tmp/{k};" for k in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    conf = work / "nginx.conf"
    conf.write_text(
        ("user root;\n" if os.geteuid() == 0 else "")
        + f"worker_processes 1;\npid {work}/nginx.pid;\nerror_log {work}/error.log;\n"
        + f"events {{ worker_connections 64; }}\nhttp {{ access_log off; {temp} include {site}; }}\n",
        encoding="utf-8",
    )
    return conf


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    nginx, openssl = _tool("nginx"), _tool("openssl")
    work = tmp_path_factory.mktemp("proxy")
    rasa = ThreadingHTTPServer(("127.0.0.1", 0), StandInRasa)
    threading.Thread(target=rasa.serve_forever, daemon=True).start()
    settings = get_settings().replace(
        gateway_port=free_port(),
        rasa_url_setting=f"http://127.0.0.1:{rasa.server_address[1]}",
        database_url=f"sqlite:///{work / 'gateway.db'}",
        secret_key_setting="proxy-test-key",
        trusted_proxies="127.0.0.1",
        chat_rate_limit=CHAT_LIMIT,
    )
    gateway = next(p for p in processes(settings) if p.name == "Gateway")
    log = work / "gateway.log"
    with open(log, "wb") as out:
        gateway.process = subprocess.Popen(
            gateway.cmd, cwd=ROOT, env=child_env(settings), stdout=out, stderr=subprocess.STDOUT
        )
    https_port, http_port = free_port(), free_port()
    conf = _nginx_config(work, settings.gateway_port, rasa.server_address[1], https_port, http_port)
    cert = _certificate(work, openssl)
    proxy = subprocess.Popen(
        [nginx, "-p", str(work), "-c", str(conf), "-g", "daemon off;"], stderr=subprocess.PIPE, text=True
    )
    try:
        assert wait_healthy(gateway.health, gateway.process, timeout=120), log.read_text(errors="replace")
        if not wait_for(lambda: proxy.poll() is not None or _connects(https_port), timeout=30) or proxy.poll():
            pytest.fail(f"nginx startet nicht: {proxy.stderr.read() if proxy.stderr else ''}")
        StandInRasa.seen = []
        yield Site(https_port, http_port, settings.gateway_port, cert, settings.internal_token, log, StandInRasa.seen)
    finally:
        proxy.terminate()
        gateway.process.terminate()
        proxy.wait(timeout=30)
        gateway.process.wait(timeout=30)
        rasa.shutdown()


def _connects(port: int) -> bool:
    try:
        http.client.HTTPConnection("127.0.0.1", port, timeout=1).connect()
        return True
    except OSError:
        return False


@dataclass
class Reply:
    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def cookies(self, name: str) -> list[str]:
        return [v for k, v in self.headers if k.lower() == "set-cookie" and v.startswith(f"{name}=")]


def request(
    connection: http.client.HTTPConnection, method: str, path: str, body: Any = None, headers: dict | None = None
) -> Reply:
    data = json.dumps(body).encode() if body is not None else None
    try:
        connection.request(method, path, body=data, headers={"Content-Type": "application/json", **(headers or {})})
        response = connection.getresponse()
        return Reply(response.status, response.getheaders(), response.read())
    finally:
        connection.close()


def via_proxy(site: Site, source: str, method: str, path: str, body: Any = None, **headers: str) -> Reply:
    """A citizen at ``source`` talks HTTPS to nginx (the certificate is checked)."""
    context = ssl.create_default_context(cafile=str(site.certificate))
    connection = http.client.HTTPSConnection(
        "127.0.0.1", site.https_port, context=context, timeout=30, source_address=(source, 0)
    )
    return request(connection, method, path, body, {k.replace("_", "-"): v for k, v in headers.items()})


def direct(site: Site, source: str, method: str, path: str, body: Any = None, **headers: str) -> Reply:
    """Somebody at ``source`` who reaches the gateway's port without the proxy."""
    connection = http.client.HTTPConnection("127.0.0.1", site.gateway_port, timeout=30, source_address=(source, 0))
    return request(connection, method, path, body, {k.replace("_", "-"): v for k, v in headers.items()})


def chat(reply_of: Any, site: Site, source: str, n: int, **headers: str) -> list[int]:
    return [reply_of(site, source, "POST", "/api/chat/messages", {"text": "Hallo"}, **headers).status for _ in range(n)]


def test_two_citizens_behind_the_proxy_each_have_their_own_chat_limit(site: Site) -> None:
    assert chat(via_proxy, site, CITIZEN_A, CHAT_LIMIT + 1) == [200] * CHAT_LIMIT + [429]
    assert chat(via_proxy, site, CITIZEN_B, CHAT_LIMIT) == [200] * CHAT_LIMIT  # not counted with A
    # the gateway passed the messages on to Rasa with the internal token
    assert site.rasa_calls and set(site.rasa_calls) == {f"Bearer {site.internal_token}"}


def test_a_forged_x_forwarded_for_does_not_escape_the_limit(site: Site) -> None:
    # through the proxy: nginx replaces the header with the address it saw
    forged = [
        via_proxy(site, CITIZEN_C, "POST", "/api/chat/messages", {"text": "Hallo"}, X_Forwarded_For=f"198.51.100.{n}")
        for n in range(CHAT_LIMIT + 1)
    ]
    assert [r.status for r in forged] == [200] * CHAT_LIMIT + [429]
    # straight to the gateway from an address that is no trusted proxy: the header is ignored
    statuses = [
        direct(site, INTRUDER, "POST", "/api/chat/messages", {"text": "Hallo"}, X_Forwarded_For=f"203.0.113.{n}")
        for n in range(CHAT_LIMIT + 1)
    ]
    assert [r.status for r in statuses] == [200] * CHAT_LIMIT + [429]


def test_login_attempts_are_limited_per_citizen(site: Site) -> None:
    wrong = {"username": "niemand", "password": "falsch-geraten"}
    attempts = [via_proxy(site, CITIZEN_A, "POST", "/api/staff/login", wrong).status for _ in range(LOGINS_PER_MINUTE)]
    assert attempts == [401] * LOGINS_PER_MINUTE
    assert via_proxy(site, CITIZEN_A, "POST", "/api/staff/login", wrong).status == 429
    assert via_proxy(site, CITIZEN_B, "POST", "/api/staff/login", wrong).status == 401  # B may still try


def test_session_cookie_is_secure_over_https_through_the_proxy(site: Site) -> None:
    page = via_proxy(site, CITIZEN_B, "GET", "/staff/login")
    [cookie] = page.cookies("jenabot_staff")
    assert page.status == 200 and "; secure" in cookie.lower() and "httponly" in cookie.lower()
    # the gateway itself speaks plain HTTP: without a trusted proxy's word, no Secure flag
    forged = direct(site, INTRUDER, "GET", "/staff/login", X_Forwarded_Proto="https")
    [plain] = forged.cookies("jenabot_staff")
    assert forged.status == 200 and "; secure" not in plain.lower()
    # plain HTTP at the proxy is only a redirect to HTTPS, no session
    connection = http.client.HTTPConnection("127.0.0.1", site.http_port, timeout=30, source_address=(CITIZEN_B, 0))
    redirect = request(connection, "GET", "/staff/login")
    assert redirect.status == 301 and not redirect.cookies("jenabot_staff")


def test_the_proxy_keeps_the_internal_api_closed(site: Site) -> None:
    token = {"Authorization": f"Bearer {site.internal_token}"}
    assert via_proxy(site, CITIZEN_A, "POST", "/api/internal/handoff", {}, **token).status == 404
    assert direct(site, INTRUDER, "POST", "/api/internal/handoff", {"conversation_id": "x"}).status == 401
