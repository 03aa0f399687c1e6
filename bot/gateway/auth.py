"""Staff log-in for the console pages and the JSON API: session cookie, CSRF token, rate limit.

The session lives in the signed cookie of the app's ``SessionMiddleware`` (``jenabot_staff``) and
holds the staff id, role and a CSRF token. Log-in replaces its whole content (a fresh token), so a
session planted before log-in is worthless afterwards. Each request loads the account again, so
the role that counts is always the one in the database.

Every state-changing request needs the CSRF token: pages send it as hidden form field
``csrf_token``, API clients as header ``X-CSRF-Token`` (from ``GET /api/staff/me`` or the log-in
answer). The JSON log-in itself accepts only ``application/json``, which a foreign page cannot send
without the browser asking first (CORS), and the cookie is ``SameSite=Strict``.

Two brakes against password guessing: ``gw.login_limiter`` per client IP (429) and the account
lockout of ``auth_store`` (5 failures, 15 minutes). The answer never says whether a username exists.

The FastAPI dependencies built on this are in ``deps.py``. The rules for new accounts at the end are
shared by the console, the JSON API and ``jenabot staff add``.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass

from fastapi import Request
from sqlalchemy.exc import IntegrityError

from bot.gateway.auth_store import (
    MIN_PASSWORD_LENGTH,
    create_staff,
    find_staff,
    is_disabled,
    username_taken,
    verify_staff,
)
from bot.gateway.db import session_scope
from bot.gateway.models import CATALOG_EDITORS, STAFF_ROLES, StaffUser
from bot.gateway.ratelimit import client_ip
from bot.gateway.state import Gateway

CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
MAX_USERNAME = 64

LOGIN_FAILED = (
    "Anmeldung fehlgeschlagen. Bitte prüfen Sie Benutzername und Passwort. "
    "Nach 5 Fehlversuchen ist das Konto 15 Minuten gesperrt."
)
TOO_MANY_LOGINS = "Zu viele Anmeldeversuche von Ihrem Gerät. Bitte warten Sie eine Minute."
NOT_LOGGED_IN = "Bitte melden Sie sich an."
ADMIN_ONLY = "Das dürfen nur Administratorinnen und Administratoren."
EDITORS_ONLY = "Den Katalog bearbeiten nur die Redaktion und die Administration."
CSRF_INVALID = "Das Sicherheitsmerkmal der Anfrage (CSRF-Token) fehlt oder ist ungültig. Bitte laden Sie die Seite neu."


@dataclass(frozen=True)
class Staff:
    """The logged-in staff member of this request."""

    id: int
    username: str
    role: str
    csrf: str

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def edits_catalog(self) -> bool:
        """Editors and administrators edit the catalogue in the console."""
        return self.role in CATALOG_EDITORS


class LoginRequired(Exception):
    """A console page without a valid session; the console turns it into a redirect to the log-in page."""

    def __init__(self, next_path: str = "/staff") -> None:
        super().__init__(next_path)
        self.next_path = next_path


class LoginThrottled(Exception):
    """Too many log-in attempts from one client IP."""


class LoginFailed(Exception):
    """Wrong username or password, or the account is locked (deliberately not told apart)."""


def csrf_token(request: Request) -> str:
    """The session's CSRF token, created if there is none yet (also for the log-in page)."""
    token = request.session.get("csrf")
    if not isinstance(token, str) or not token:
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


def csrf_ok(request: Request, sent: str | None) -> bool:
    expected = request.session.get("csrf")
    if not isinstance(expected, str) or not expected or not sent:
        return False
    return hmac.compare_digest(expected.encode(), sent.encode())


def log_in(request: Request, gw: Gateway, username: str, password: str) -> Staff:
    """Check the rate limit and the password; on success start a new session."""
    if not gw.login_limiter.allow(client_ip(request)):
        raise LoginThrottled(TOO_MANY_LOGINS)
    with session_scope(gw.sessions) as s:
        user = verify_staff(s, username[:MAX_USERNAME], password, now=gw.clock())
        found = (user.id, user.username, user.role) if user is not None else None
    if found is None:
        raise LoginFailed(LOGIN_FAILED)
    request.session.clear()  # nothing from before the log-in survives it
    token = secrets.token_urlsafe(32)
    request.session.update({"staff_id": found[0], "role": found[2], "csrf": token})
    return Staff(id=found[0], username=found[1], role=found[2], csrf=token)


def log_out(request: Request) -> None:
    request.session.clear()


def staff_of(request: Request, gw: Gateway) -> Staff | None:
    """The session's staff member, read from the database; ``None`` without a valid session."""
    staff_id = request.session.get("staff_id")
    if not isinstance(staff_id, int):
        return None
    with session_scope(gw.sessions) as s:
        user = find_staff(s, staff_id)
        if user is None or is_disabled(user):  # a disabled account's open sessions end at once
            request.session.clear()
            return None
        return Staff(id=user.id, username=user.username, role=user.role, csrf=csrf_token(request))


def safe_next(path: str | None) -> str:
    """Only console paths of this site as redirect target after log-in (no open redirect)."""
    if (
        path
        and path.startswith("/staff")
        and not path.startswith("//")
        and "\\" not in path
        and "\n" not in path
        and "\r" not in path
    ):
        return path
    return "/staff"


# --- new accounts ---------------------------------------------------------------------------


def new_account_problem(username: str, password: str, role: str = "staff") -> str | None:
    """A German explanation of what is wrong with a new account, or ``None``."""
    name = username.strip()
    if not name:
        return "Bitte geben Sie einen Benutzernamen an."
    if len(name) > MAX_USERNAME or any(c.isspace() for c in name):
        return f"Der Benutzername darf höchstens {MAX_USERNAME} Zeichen lang sein und keine Leerzeichen enthalten."
    if role not in STAFF_ROLES:
        return "Die Rolle muss „staff“, „editor“ oder „admin“ sein."
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"Das Passwort ist zu kurz. Es braucht mindestens {MIN_PASSWORD_LENGTH} Zeichen."
    return None


def duplicate_message(username: str) -> str:
    return f"Den Benutzernamen „{username.strip().lower()}“ gibt es schon."


def add_staff(gw: Gateway, username: str, password: str, role: str) -> StaffUser:
    """Create an account; ``ValueError`` (422) or ``KeyError`` (409, duplicate) with a German message."""
    problem = new_account_problem(username, password, role)
    if problem:
        raise ValueError(problem)
    try:
        with session_scope(gw.sessions) as s:
            if username_taken(s, username):
                raise KeyError(duplicate_message(username))
            return create_staff(s, username, password, role)
    except IntegrityError as exc:  # created concurrently
        raise KeyError(duplicate_message(username)) from exc
