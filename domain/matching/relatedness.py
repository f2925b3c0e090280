"""How well an offered kind of help fits a requested one.

An exact category fits fully. A few categories are close enough that a helper offering one can usually
do the other, so they fit at a lower level; everything else does not fit at all. The table is small on
purpose: a moderator must be able to predict it, and a wrong guess costs a declined proposal.
"""

from __future__ import annotations

from domain.categories import CATEGORIES

EXACT_FIT = 1.0
RELATED_FIT = 0.5

# Groups of mutually related categories (symmetric). Why these:
# - translation, paperwork and language practice all rest on being at ease in a language and with forms;
# - accompanying someone to an appointment usually means getting them there (transport);
# - shopping for someone is often done with them, as company or by car.
RELATED_GROUPS: tuple[frozenset[str], ...] = (
    frozenset({"translation", "paperwork", "language_practice"}),
    frozenset({"accompanying", "transport"}),
    frozenset({"shopping", "visits_company"}),
    frozenset({"digital_help", "paperwork"}),
)


def category_fit(requested: str, offered: str) -> float:
    """1.0 for the same category, RELATED_FIT for a related one, 0.0 otherwise."""
    if requested == offered:
        return EXACT_FIT
    if any(requested in group and offered in group for group in RELATED_GROUPS):
        return RELATED_FIT
    return 0.0


def fit_matrix() -> tuple[tuple[str, ...], list[list[float]]]:
    """Category keys in a fixed order and the fit of every (requested, offered) pair, for lookups."""
    keys = tuple(c.key for c in CATEGORIES)
    return keys, [[category_fit(r, o) for o in keys] for r in keys]
