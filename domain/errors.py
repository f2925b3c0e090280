"""Domain exceptions: what went wrong, in terms of the rules, never of HTTP.

Each exception carries a `message_key` and `params`. The API layer maps the class to a status code and
translates the key (see buurtbank/locales/*/*.po) into the member's language. The class hierarchy is the
only thing api/errors.py looks at, so a new rule picks the closest base class.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """Base class. `message_key` names a message in the catalogues; `params` fill its placeholders."""

    default_key = "error.domain"

    def __init__(self, message_key: str | None = None, /, **params: Any) -> None:
        self.message_key = message_key or self.default_key
        self.params = params
        super().__init__(f"{self.message_key} {params}" if params else self.message_key)


class NotFound(DomainError):
    """Unknown, or not visible to the actor (never reveal that a hidden thing exists)."""

    default_key = "error.not_found"


class NotAllowed(DomainError):
    """The actor is known but may not do this."""

    default_key = "error.not_allowed"


class Unauthenticated(DomainError):
    default_key = "error.unauthenticated"


class InvalidInput(DomainError):
    """Input that is well-formed but breaks a rule (wrong time step, unknown postcode...)."""

    default_key = "error.invalid_input"

    def __init__(self, message_key: str | None = None, /, *, field: str | None = None, **params: Any) -> None:
        super().__init__(message_key, **params)
        self.field = field


class Conflict(DomainError):
    """The request clashes with the current state (duplicate, already decided...)."""

    default_key = "error.conflict"


class InvalidTransition(Conflict):
    """A lifecycle step that the state machine does not allow from the current state."""

    default_key = "error.invalid_transition"


class CreditLimitExceeded(Conflict):
    """A transfer would take an account past its antenna's lowest or highest balance."""

    default_key = "error.credit_limit"


class TooManyAttempts(DomainError):
    default_key = "error.too_many_attempts"
