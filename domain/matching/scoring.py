"""How good a candidate pair is: a positive score the solver maximises over the whole round.

For a request from receiver R and an offer from helper H at distance d, with the antenna's radius r and
the weights w_* of MatchingSettings:

    score = w_distance     * (1 - d / r)                                   closer is better, 0 at the edge
          + w_category     * fit                                           1 exact, 0.5 related category
          + w_availability * overlap                                       1 flexible, else shared/smaller
          + w_reciprocity  * (1 + clip((received_H - given_H) / 600, -1, 1)) / 2
          + w_bridging     * ( ramp * differing / 4
                             + BONDING_SHARE * (1 - ramp) * shared / 2 )
          + MIN_SCORE

- Reciprocity looks at the helper's ledger in minutes: a helper who has received ten hours more than
  given scores the full weight, one who has given ten hours more scores zero, a balanced one half.
  Proposing receivers as helpers is how receivers become givers.
- ramp = min(1, min(completed_R, completed_H) / bonding_base_exchanges): the less experienced member of
  the pair decides, so a newcomer on either side gets (almost) no bridging bonus, and both get the full
  one once each has completed bonding_base_exchanges exchanges.
- differing counts the background dimensions on which the two differ, each counted only when both have
  declared it: languages (no language in common), origin (different region), age_band (two bands or
  more apart, i.e. another generation) and circle (a different community).
- shared counts the bonding dimensions the two have in common (same circle, a common language); the
  small BONDING_SHARE keeps newcomers mostly within their own circle and language until their bonding
  base exists, after which that bonus fades out as the bridging one fades in.
- MIN_SCORE keeps every feasible pair strictly better than leaving the request unmatched.

The solver works in integers: `integer_scores` scales by SCORE_SCALE and rounds.
"""

from __future__ import annotations

import numpy as np

from domain.antenna_config import MatchingSettings
from domain.background import AGE_BANDS, Dimension
from domain.matching.candidates import CandidateSet
from domain.matching.model import Background, MemberProfile
from domain.matching.tables import UNDECLARED, BoolArray, FloatArray, IntArray, MemberTable, RoundTables

RECIPROCITY_SCALE_MINUTES = 600
GENERATION_GAP_BANDS = 2
BONDING_SHARE = 0.25
BRIDGING_DIMENSIONS = 4
BONDING_DIMENSIONS = 2
MIN_SCORE = 0.01
SCORE_SCALE = 10_000

DIMENSION_ORDER: tuple[Dimension, ...] = (
    Dimension.LANGUAGES,
    Dimension.ORIGIN,
    Dimension.AGE_BAND,
    Dimension.CIRCLE,
)


# ---- one pair, from the records (explanations, tests) -------------------------------------------------


def bridging_dimensions(a: Background, b: Background) -> tuple[Dimension, ...]:
    """The dimensions, declared by both, on which the two differ, in DIMENSION_ORDER."""
    differing: list[Dimension] = []
    if a.languages and b.languages and not (a.languages & b.languages):
        differing.append(Dimension.LANGUAGES)
    if a.origin is not None and b.origin is not None and a.origin != b.origin:
        differing.append(Dimension.ORIGIN)
    if a.age_band is not None and b.age_band is not None:
        gap = abs(AGE_BANDS.index(a.age_band) - AGE_BANDS.index(b.age_band))
        if gap >= GENERATION_GAP_BANDS:
            differing.append(Dimension.AGE_BAND)
    if a.circle is not None and b.circle is not None and a.circle != b.circle:
        differing.append(Dimension.CIRCLE)
    return tuple(differing)


def bonding_dimensions(a: Background, b: Background) -> tuple[Dimension, ...]:
    """Common circle and common language, when both declared them."""
    shared: list[Dimension] = []
    if a.languages and b.languages and (a.languages & b.languages):
        shared.append(Dimension.LANGUAGES)
    if a.circle is not None and a.circle == b.circle:
        shared.append(Dimension.CIRCLE)
    return tuple(shared)


def bridging_ramp(completed_a: int, completed_b: int, *, bonding_base_exchanges: int) -> float:
    """min(1, completed / base) for the less experienced of the two members."""
    return min(1.0, min(completed_a, completed_b) / bonding_base_exchanges)


def background_bonus(requester: MemberProfile, helper: MemberProfile, settings: MatchingSettings) -> float:
    """The bridging (or, for newcomers, bonding) part of the score for this pair, in score units."""
    ramp = bridging_ramp(
        requester.completed_exchanges,
        helper.completed_exchanges,
        bonding_base_exchanges=settings.bonding_base_exchanges,
    )
    differing = len(bridging_dimensions(requester.background, helper.background))
    shared = len(bonding_dimensions(requester.background, helper.background))
    return float(_background_term(np.array([ramp]), np.array([differing]), np.array([shared]), settings)[0])


def reciprocity_term(helper: MemberProfile) -> float:
    """In [0, 1]: 1 for a helper who has received much more than given, 0 for one who has given much more."""
    return float(_reciprocity(np.array([helper.minutes_given]), np.array([helper.minutes_received]))[0])


# ---- all candidates at once (the round) ----------------------------------------------------------------


def _reciprocity(given: IntArray, received: IntArray) -> FloatArray:
    balance = np.clip((received - given) / RECIPROCITY_SCALE_MINUTES, -1.0, 1.0)
    return (1.0 + balance) / 2.0


def _background_term(ramp: FloatArray, differing: IntArray, shared: IntArray, settings: MatchingSettings) -> FloatArray:
    bridging = ramp * differing / BRIDGING_DIMENSIONS
    bonding = BONDING_SHARE * (1.0 - ramp) * shared / BONDING_DIMENSIONS
    return settings.bridging_weight * (bridging + bonding)


def _languages_in_common(members: MemberTable, a: IntArray, b: IntArray) -> tuple[BoolArray, BoolArray]:
    """(both declared, at least one in common) per pair."""
    la, lb = members.languages[a], members.languages[b]
    # asarray: ndarray.any(axis=...) is typed as "a bool or an array"; with an axis it is always an array.
    both = np.asarray(la.any(axis=1) & lb.any(axis=1), dtype=np.bool_)
    common = np.asarray((la & lb).any(axis=1), dtype=np.bool_)
    return both, common


def background_counts(members: MemberTable, a: IntArray, b: IntArray) -> tuple[IntArray, IntArray]:
    """(differing, shared) per pair of member rows; the vectorised twin of the two functions above."""
    both_lang, common_lang = _languages_in_common(members, a, b)
    differing = (both_lang & ~common_lang).astype(np.int64)
    shared = (both_lang & common_lang).astype(np.int64)
    for column in (members.origin, members.circle):
        ca, cb = column[a], column[b]
        differing += (ca != UNDECLARED) & (cb != UNDECLARED) & (ca != cb)
    ca, cb = members.age[a], members.age[b]
    differing += (ca != UNDECLARED) & (cb != UNDECLARED) & (np.abs(ca - cb) >= GENERATION_GAP_BANDS)
    ca, cb = members.circle[a], members.circle[b]
    shared += (ca != UNDECLARED) & (ca == cb)
    return differing, shared


def score_candidates(
    tables: RoundTables, candidates: CandidateSet, settings: MatchingSettings, *, radius_m: float
) -> FloatArray:
    """The score of every candidate pair (see the module docstring), all > 0."""
    m = tables.members
    req, helper = candidates.requester_row, candidates.helper_row
    closeness = np.clip(1.0 - candidates.distance_m / radius_m, 0.0, 1.0)
    ramp = np.minimum(1.0, np.minimum(m.completed[req], m.completed[helper]) / settings.bonding_base_exchanges)
    differing, shared = background_counts(m, req, helper)
    return (
        settings.distance_weight * closeness
        + settings.category_weight * candidates.fit
        + settings.availability_weight * candidates.overlap
        + settings.reciprocity_weight * _reciprocity(m.given[helper], m.received[helper])
        + _background_term(ramp, differing, shared, settings)
        + MIN_SCORE
    )


def integer_scores(scores: FloatArray) -> IntArray:
    """Scores as positive integers for the solver (1/SCORE_SCALE resolution, never below 1)."""
    return np.maximum(np.rint(scores * SCORE_SCALE), 1).astype(np.int64)
