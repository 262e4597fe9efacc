"""Reviewer accounts: scrypt password hashes (hashlib), checked in constant time."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

from sqlalchemy.exc import IntegrityError

from db.models import User
from db.session import Database

# scrypt cost: n=2**14, r=8, p=1 (16 MiB, ~50 ms): the interactive-login parameters of RFC 7914.
SCRYPT = {"n": 2**14, "r": 8, "p": 1}
# A user name is shown in the UI and the review log: printable, no spaces, fits the column.
USERNAME = re.compile(r"^[^\s\x00-\x1f\x7f]{1,120}$")


class AccountError(ValueError):
    """A user that cannot be added (exists, weak password)."""


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, dklen=32, **SCRYPT)
    return f"scrypt${SCRYPT['n']}${SCRYPT['r']}${SCRYPT['p']}${salt.hex()}${digest.hex()}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    candidate = hashlib.scrypt(
        password.encode(),
        salt=bytes.fromhex(salt),
        n=int(n),
        r=int(r),
        p=int(p),
        dklen=len(digest) // 2,
    )
    return hmac.compare_digest(candidate.hex(), digest)


def add_user(db: Database, username: str, password: str) -> None:
    """Create a reviewer account; AccountError if the name is taken or unusable, or the
    password too short."""
    if not username.strip():
        raise AccountError("the user name must not be empty")
    if not USERNAME.match(username):
        raise AccountError(
            f"user name {username!r} must be 1-120 characters without spaces or control characters"
        )
    if "\x00" in password:
        raise AccountError("the password must not contain a NUL byte")
    if len(password) < 10:
        raise AccountError("password must have at least 10 characters")
    try:
        with db.session() as session:
            session.add(User(username=username, password_hash=hash_password(password)))
    except IntegrityError:
        raise AccountError(f"user {username!r} already exists") from None


def authenticate(db: Database, username: str, password: str) -> bool:
    with db.session() as session:
        user = session.get(User, username)
        stored = user.password_hash if user else hash_password("timing-equaliser")
    return verify_password(password, stored) and user is not None
