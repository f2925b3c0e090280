"""Background dimensions a member may self-declare, with consent, for bridging (never shown to others).

The lists are fixed on purpose: coarse categories keep cells large enough to publish and make nothing
identifying storable. `circle` values come from the antenna's own declaration, so they are checked there.
"""

from __future__ import annotations

from enum import StrEnum


class Dimension(StrEnum):
    LANGUAGES = "languages"
    ORIGIN = "origin"
    AGE_BAND = "age_band"
    CIRCLE = "circle"


ORIGINS: tuple[str, ...] = (
    "BE",
    "EU",
    "Other Europe",
    "Maghreb",
    "Middle East",
    "Turkey",
    "Sub-Saharan Africa",
    "Latin America",
    "Asia",
    "North America and Oceania",
)

AGE_BANDS: tuple[str, ...] = ("<25", "25-44", "45-64", "65-79", "80+")

# Offers and requests say when a person is usually available: weekday and part of the day.
WEEKDAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_PARTS: tuple[str, ...] = ("morning", "afternoon", "evening")
AVAILABILITY_SLOTS: tuple[str, ...] = tuple(f"{d}-{p}" for d in WEEKDAYS for p in DAY_PARTS)


def is_language_code(code: str) -> bool:
    return len(code) == 2 and code.isalpha() and code.islower()


def validate_background(
    *,
    languages: list[str] | None,
    origin: str | None,
    age_band: str | None,
    circle: str | None,
    allowed_circles: set[str],
) -> list[str] | None:
    """Check a declaration against the fixed lists; returns the languages normalised (sorted, unique)."""
    from domain.errors import InvalidInput

    cleaned: list[str] | None = None
    if languages is not None:
        cleaned = sorted({code.strip().lower() for code in languages})
        bad = [code for code in cleaned if not is_language_code(code)]
        if bad:
            raise InvalidInput("error.background.language", field="background.languages", value=bad[0])
    if origin is not None and origin not in ORIGINS:
        raise InvalidInput("error.background.origin", field="background.origin", choices=", ".join(ORIGINS))
    if age_band is not None and age_band not in AGE_BANDS:
        raise InvalidInput("error.background.age_band", field="background.age_band", choices=", ".join(AGE_BANDS))
    if circle is not None and circle not in allowed_circles:
        raise InvalidInput("error.background.circle", field="background.circle")
    return cleaned
