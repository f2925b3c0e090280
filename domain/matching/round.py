"""One matching round of one antenna: candidates -> scores -> optimal assignment -> explained proposals.

Pure: the caller loads the inputs and stores the proposals (for moderator review) itself. The same inputs
always give the same result, so a round can be replayed when a moderator asks why something was proposed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from domain.antenna_config import MatchingSettings
from domain.categories import CATEGORIES
from domain.matching.assignment import DEFAULT_TOP_K, prune_top_k, solve
from domain.matching.candidates import CandidateSet, find_candidates
from domain.matching.explain import ExplanationFacts, distance_band, moderator_explanation
from domain.matching.model import Proposal, RoundInputs, RoundResult, RoundSummary
from domain.matching.scoring import bonding_dimensions, bridging_dimensions, integer_scores, score_candidates
from domain.matching.tables import FloatArray, IntArray, RoundTables, build_tables


@dataclass(frozen=True, slots=True)
class _Plan:
    candidates: CandidateSet
    """Every feasible (request, offer) pair."""
    scores: FloatArray
    chosen: IntArray
    """Indices into candidates."""


def _plan(tables: RoundTables, settings: MatchingSettings, *, radius_m: float, top_k: int | None) -> _Plan:
    candidates = find_candidates(tables, radius_m=radius_m, max_load_per_helper=settings.max_load_per_helper)
    scores = score_candidates(tables, candidates, settings, radius_m=radius_m)
    int_scores = integer_scores(scores)
    # Rows are already small dense indices: requests by row, helpers by member row (members with no
    # candidate pair just get an unused node), so no re-indexing pass over the million pairs is needed.
    capacity = settings.max_load_per_helper - tables.members.load

    subset = np.arange(len(candidates))
    if top_k is not None:
        subset = prune_top_k(
            request_index=candidates.request_row, helper_index=candidates.helper_row, scores=int_scores, k=top_k
        )
    assignment = solve(
        request_index=candidates.request_row[subset],
        helper_index=candidates.helper_row[subset],
        scores=int_scores[subset],
        helper_capacity=capacity,
    )
    return _Plan(candidates=candidates, scores=scores, chosen=subset[assignment.chosen])


def _proposal(tables: RoundTables, plan: _Plan, index: int, *, settings: MatchingSettings) -> Proposal:
    c = plan.candidates
    request_row, offer_row = int(c.request_row[index]), int(c.offer_row[index])
    requester = tables.members.profiles[int(c.requester_row[index])]
    helper = tables.members.profiles[int(c.helper_row[index])]
    request_mask = int(tables.requests.availability[request_row])
    offer_mask = int(tables.offers.availability[offer_row])
    bridging = bridging_dimensions(requester.background, helper.background)
    distance = float(c.distance_m[index])
    facts = ExplanationFacts(
        distance_m=distance,
        requested_category=CATEGORIES[int(tables.requests.category[request_row])].key,
        offered_category=CATEGORIES[int(tables.offers.category[offer_row])].key,
        fit=float(c.fit[index]),
        request_flexible=request_mask == 0,
        offer_flexible=offer_mask == 0,
        shared_slots=(request_mask & offer_mask).bit_count(),
        helper_minutes_given=helper.minutes_given,
        helper_minutes_received=helper.minutes_received,
        bridging_dimensions=bridging,
        bonding_dimensions=bonding_dimensions(requester.background, helper.background),
        newcomer=min(requester.completed_exchanges, helper.completed_exchanges) < settings.bonding_base_exchanges,
    )
    return Proposal(
        request_id=int(tables.requests.ids[request_row]),
        offer_id=int(tables.offers.ids[offer_row]),
        helper_id=helper.id,
        receiver_id=requester.id,
        score=round(float(plan.scores[index]), 4),
        distance_m=round(distance, 1),
        distance_band=distance_band(distance).value,
        bridging=bool(bridging),
        bridging_dimensions=bridging,
        explanation=moderator_explanation(facts),
    )


def run_round(
    inputs: RoundInputs,
    settings: MatchingSettings,
    *,
    radius_km: float,
    top_k: int | None = DEFAULT_TOP_K,
) -> RoundResult:
    """Propose matches for the antenna's open requests, each with its explanation (message keys and data).

    top_k=None solves on every feasible pair; the default prunes to each request's and each helper's
    best DEFAULT_TOP_K pairs, which bench/matching.py checks against the unpruned optimum.
    """
    tables = build_tables(inputs)
    plan = _plan(tables, settings, radius_m=radius_km * 1000.0, top_k=top_k)
    chosen = plan.chosen[np.argsort(tables.requests.ids[plan.candidates.request_row[plan.chosen]], kind="stable")]
    proposals = tuple(_proposal(tables, plan, int(i), settings=settings) for i in chosen)
    matched = {p.request_id for p in proposals}
    unmatched = tuple(sorted(int(r.id) for r in inputs.requests if r.id not in matched))
    distances = [p.distance_m for p in proposals]
    summary = RoundSummary(
        requests_seen=len(inputs.requests),
        candidates=len(plan.candidates),
        proposals=len(proposals),
        unmatched=len(unmatched),
        mean_distance_m=round(float(np.mean(distances)), 1) if distances else 0.0,
        bridging_share=round(sum(p.bridging for p in proposals) / len(proposals), 4) if proposals else 0.0,
    )
    return RoundResult(
        proposals=proposals,
        unmatched_request_ids=unmatched,
        summary=summary,
        objective=float(plan.scores[chosen].sum()),
    )
