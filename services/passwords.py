"""Password hashing with argon2 (argon2-cffi's defaults follow the RFC 9106 recommendation).

The cost parameters come from Settings (`Settings.password_hashing()`): production and development use
argon2-cffi's defaults, the test environment a deliberately cheap setting so the suite does not spend
its minutes hashing. `configure()` is called by the entry points (create_app, the CLI) before any use;
a hash records its own parameters, so verifying works whatever the current setting.
"""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()
# Verifying against this keeps the time of a login for an unknown e-mail the same as for a known one.
_DUMMY_HASH = _hasher.hash("not a real password")


def configure(*, time_cost: int, memory_kib: int, parallelism: int) -> None:
    """Use these argon2 costs for new hashes (and the dummy hash) from now on, in this process."""
    global _hasher, _DUMMY_HASH
    if (time_cost, memory_kib, parallelism) == (_hasher.time_cost, _hasher.memory_cost, _hasher.parallelism):
        return
    _hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism)
    _DUMMY_HASH = _hasher.hash("not a real password")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False
