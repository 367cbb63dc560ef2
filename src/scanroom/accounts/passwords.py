"""Password hashing with argon2id (RFC 9106) through pwdlib."""

from __future__ import annotations

from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

MIN_PASSWORD_LENGTH = 10

_hasher = PasswordHash((Argon2Hasher(),))
# A hash to verify against when the username is unknown, so timing does not reveal which names exist.
_DUMMY_HASH = _hasher.hash("scanroom-timing-equaliser")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password: str, password_hash: str | None) -> bool:
    if password_hash is None:
        _hasher.verify(password, _DUMMY_HASH)
        return False
    return _hasher.verify(password, password_hash)


def password_problem(password: str, username: str = "") -> str | None:
    """Why a new password is unacceptable, or None (NIST SP 800-63B: length over composition rules)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"Password must have at least {MIN_PASSWORD_LENGTH} characters."
    if len(password) > 256:
        return "Password must have at most 256 characters."
    if username and password.lower() == username.lower():
        return "Password must not be the username."
    return None
