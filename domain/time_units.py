"""Help is counted in whole minutes, in steps of the antenna's `time_step_minutes`.

Credits are integers on purpose: a float would drift on the ledger, and a bool is an int to Python but
never a duration to a person. The cap on one exchange catches typos (`600` for `60`) before they become
credits that a moderator has to reverse.
"""

from __future__ import annotations

from domain.errors import InvalidInput

MAX_MINUTES_PER_EXCHANGE = 12 * 60


def validate_minutes(
    minutes: object, *, step: int, maximum: int = MAX_MINUTES_PER_EXCHANGE, allow_zero: bool = False
) -> int:
    """Return `minutes` as an int, or raise InvalidInput(field="minutes") naming the broken rule.

    `allow_zero` is for a moderator's resolution that says nothing happened; members never log zero.
    """
    if isinstance(step, bool) or not isinstance(step, int) or step <= 0:
        raise ValueError(f"time step must be a positive int, not {step!r}")
    if isinstance(minutes, bool) or not isinstance(minutes, int):
        raise InvalidInput("error.minutes.not_integer.detail", field="minutes")
    if minutes == 0 and allow_zero:
        return 0
    if minutes <= 0:
        raise InvalidInput("error.minutes.not_positive.detail", field="minutes")
    if minutes % step:
        raise InvalidInput("error.minutes.step.detail", field="minutes", step=step)
    if minutes > maximum:
        raise InvalidInput("error.minutes.too_many.detail", field="minutes", maximum=maximum)
    return minutes
