"""When two members' self-declared backgrounds differ, per bridging dimension (pure rules).

Dimensions are the background dimensions (domain/background.py) plus `any`. Two members *differ* on
- languages: when their declared language sets share no language;
- origin, age_band, circle: when their declared values are different;
- any: when they differ on at least one dimension that both declared.
A pair is *comparable* on a dimension when both members declared it (for `any`: at least one dimension both
declared). Exchanges between pairs that are not comparable are left out of that dimension's figures; members
without background consent have no profile at all and so only ever count in totals.
"""

from __future__ import annotations

from dataclasses import dataclass

from domain.background import Dimension
from domain.errors import InvalidInput

ANY = "any"
BRIDGING_DIMENSIONS: tuple[str, ...] = (*(d.value for d in Dimension), ANY)


@dataclass(frozen=True, slots=True)
class BackgroundProfile:
    """What one consenting member declared; empty/None means not declared."""

    languages: frozenset[str] = frozenset()
    origin: str | None = None
    age_band: str | None = None
    circle: str | None = None

    def declared(self, dimension: str) -> bool:
        if dimension == Dimension.LANGUAGES:
            return bool(self.languages)
        return getattr(self, dimension) is not None


def differs(dimension: str, first: BackgroundProfile, second: BackgroundProfile) -> bool | None:
    """Whether the two profiles differ on the dimension; None when the pair is not comparable."""
    if dimension == ANY:
        shared = [d for d in Dimension if first.declared(d) and second.declared(d)]
        if not shared:
            return None
        return any(differs(d, first, second) for d in shared)
    if dimension not in BRIDGING_DIMENSIONS:
        raise InvalidInput("error.stats.unknown_dimension", field="dimension", dimension=dimension)
    if not (first.declared(dimension) and second.declared(dimension)):
        return None
    if dimension == Dimension.LANGUAGES:
        return first.languages.isdisjoint(second.languages)
    return bool(getattr(first, dimension) != getattr(second, dimension))
