import pytest

from domain.errors import InvalidInput
from domain.time_units import MAX_MINUTES_PER_EXCHANGE, validate_minutes


@pytest.mark.parametrize(("minutes", "step"), [(15, 15), (60, 15), (90, 30), (5, 5), (720, 15), (720, 60)])
def test_accepts_whole_steps(minutes: int, step: int) -> None:
    assert validate_minutes(minutes, step=step) == minutes


@pytest.mark.parametrize(
    ("minutes", "key"),
    [
        (True, "error.minutes.not_integer.detail"),
        (False, "error.minutes.not_integer.detail"),
        (15.0, "error.minutes.not_integer.detail"),
        ("15", "error.minutes.not_integer.detail"),
        (None, "error.minutes.not_integer.detail"),
        (0, "error.minutes.not_positive.detail"),
        (-15, "error.minutes.not_positive.detail"),
        (10, "error.minutes.step.detail"),
        (16, "error.minutes.step.detail"),
        (MAX_MINUTES_PER_EXCHANGE + 15, "error.minutes.too_many.detail"),
    ],
)
def test_rejects_with_the_rule_that_broke(minutes: object, key: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        validate_minutes(minutes, step=15)
    assert caught.value.message_key == key
    assert caught.value.field == "minutes"


def test_step_and_maximum_are_reported() -> None:
    with pytest.raises(InvalidInput) as caught:
        validate_minutes(20, step=15)
    assert caught.value.params == {"step": 15}
    with pytest.raises(InvalidInput) as caught:
        validate_minutes(120, step=15, maximum=60)
    assert caught.value.params == {"maximum": 60}


def test_twelve_hours_is_the_default_cap() -> None:
    assert MAX_MINUTES_PER_EXCHANGE == 720
    assert validate_minutes(720, step=15) == 720
    with pytest.raises(InvalidInput):
        validate_minutes(735, step=15)


def test_zero_only_when_allowed() -> None:
    assert validate_minutes(0, step=15, allow_zero=True) == 0
    with pytest.raises(InvalidInput):
        validate_minutes(0, step=15)
    with pytest.raises(InvalidInput):
        validate_minutes(-15, step=15, allow_zero=True)
    with pytest.raises(InvalidInput):
        validate_minutes(False, step=15, allow_zero=True)


@pytest.mark.parametrize("step", [0, -15, True, 15.0])
def test_a_broken_step_is_a_programming_error(step: object) -> None:
    with pytest.raises(ValueError):
        validate_minutes(15, step=step)  # type: ignore[arg-type]
