"""Staff accounts: argon2 password hashes and a lockout against password guessing.

After ``MAX_FAILED_LOGINS`` wrong passwords in a row an account is locked for ``LOCKOUT``; while
locked even the right password is refused, so guessing gains nothing. Unknown usernames cost the
same hashing time as known ones, so the response time does not reveal which accounts exist.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.gateway.models import STAFF_ROLES, StaffUser, as_utc

MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)
MIN_PASSWORD_LENGTH = 8

_hasher = PasswordHasher()


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return _hasher.hash("not-a-real-password")


def _normal_username(username: str) -> str:
    return username.strip().lower()


def create_staff(s: Session, username: str, password: str, role: str = "staff") -> StaffUser:
    """A new staff account; only the argon2id hash of the password is stored."""
    name = _normal_username(username)
    if not name:
        raise ValueError("username must not be empty")
    if role not in STAFF_ROLES:
        raise ValueError(f"unknown role {role!r}")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(f"password needs at least {MIN_PASSWORD_LENGTH} characters")
    user = StaffUser(username=name, password_hash=_hasher.hash(password), role=role, failed_logins=0)
    s.add(user)
    s.flush()
    return user


def find_staff(s: Session, staff_id: int) -> StaffUser | None:
    return s.get(StaffUser, staff_id)


#: Stored instead of a hash for an account switched off (someone left): no password matches it, open sessions end,
#: and the account stays for the tickets it handled. ``set_password`` switches it on again.
DISABLED = "!deaktiviert"


def is_disabled(user: StaffUser) -> bool:
    return user.password_hash == DISABLED


def staff_named(s: Session, username: str) -> StaffUser | None:
    return s.scalars(select(StaffUser).where(StaffUser.username == _normal_username(username))).first()


def set_password(s: Session, user: StaffUser, password: str) -> None:
    """A new password (also for a disabled account); the lock and the failure count are reset."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(f"password needs at least {MIN_PASSWORD_LENGTH} characters")
    user.password_hash = _hasher.hash(password)
    unlock(s, user)


def unlock(s: Session, user: StaffUser) -> None:
    user.failed_logins = 0
    user.locked_until = None
    s.flush()


def disable(s: Session, user: StaffUser) -> None:
    user.password_hash = DISABLED
    unlock(s, user)


def username_taken(s: Session, username: str) -> bool:
    """Whether an account of this name exists (names are compared as stored: trimmed, lower case)."""
    query = select(StaffUser.id).where(StaffUser.username == _normal_username(username))
    return s.scalars(query).first() is not None


def verify_staff(s: Session, username: str, password: str, *, now: datetime | None = None) -> StaffUser | None:
    """The user if the password is right and the account not locked, else ``None``.

    Counts failures; the 5th in a row locks the account for 15 minutes. Success resets the count and
    upgrades the hash if the hasher's parameters changed since it was made.
    """
    now = as_utc(now)
    # Row lock (PostgreSQL; SQLite transactions are serial anyway): parallel guesses cannot lose counts.
    query = select(StaffUser).where(StaffUser.username == _normal_username(username)).with_for_update()
    user = s.scalars(query).first()
    if user is None:
        _check(_dummy_hash(), password)
        return None
    if user.locked_until is not None and user.locked_until > now:
        _check(user.password_hash, password)  # same hashing time as any other attempt: a lock must not be detectable
        return None
    if not _check(user.password_hash, password):
        user.failed_logins = (user.failed_logins or 0) + 1
        if user.failed_logins >= MAX_FAILED_LOGINS:
            user.locked_until = now + LOCKOUT
            user.failed_logins = 0
        s.flush()
        return None
    user.failed_logins = 0
    user.locked_until = None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    s.flush()
    return user


def _check(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
