"""Which helpers could take which open request: the feasible pairs of a round, found with a spatial index.

A pair (request, offer) is a candidate when
- the offer's category is the request's or a related one (domain/matching/relatedness.py),
- the two locations are within the antenna's radius (haversine),
- their availability overlaps, or either side is flexible (no slots),
- the helper is not the requester, is not paused and has fewer open items than max_load_per_helper,
- the (requester, helper) pair is not excluded (moderator-rejected, or declined within the cooldown).

Never all pairs: offers and requests are split by category and put in k-d trees over projected metres,
and only the category pairs that fit are joined, with `cKDTree.sparse_distance_matrix` (a dual-tree
search in C). Everything after the join is vectorised; the final distance is haversine.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.spatial import cKDTree

from domain.matching.geometry import haversine_radians_m, search_radius_m
from domain.matching.relatedness import fit_matrix
from domain.matching.tables import FloatArray, IntArray, RoundTables

_CATEGORY_KEYS, _FIT = fit_matrix()
FIT_MATRIX: npt.NDArray[np.float64] = np.array(_FIT, dtype=np.float64)


@dataclass(frozen=True, slots=True)
class CandidateSet:
    """Feasible (request, offer) pairs as parallel columns of row indices into the round's tables."""

    request_row: IntArray
    offer_row: IntArray
    requester_row: IntArray
    helper_row: IntArray
    distance_m: FloatArray
    fit: FloatArray
    overlap: FloatArray
    """Availability fit in [0, 1]: 1 when either side is flexible, else shared slots / smaller schedule."""

    def __len__(self) -> int:
        return len(self.request_row)

    def take(self, index: IntArray) -> CandidateSet:
        return CandidateSet(
            request_row=self.request_row[index],
            offer_row=self.offer_row[index],
            requester_row=self.requester_row[index],
            helper_row=self.helper_row[index],
            distance_m=self.distance_m[index],
            fit=self.fit[index],
            overlap=self.overlap[index],
        )


def eligible_offer_rows(tables: RoundTables, *, max_load_per_helper: int) -> IntArray:
    """Offers whose helper can take one more item now."""
    helper = tables.offers.member_row
    ok = ~tables.members.paused[helper] & (tables.members.load[helper] < max_load_per_helper)
    return np.flatnonzero(ok)


def _nearby_pairs(tables: RoundTables, offer_rows: IntArray, *, radius_m: float) -> tuple[IntArray, IntArray]:
    """(request row, offer row) pairs within the search radius whose categories fit at all."""
    requests = tables.requests
    offers = tables.offers
    r = search_radius_m(radius_m)
    req_by_cat = {int(c): np.flatnonzero(requests.category == c) for c in np.unique(requests.category)}
    off_by_cat = {int(c): offer_rows[offers.category[offer_rows] == c] for c in np.unique(offers.category[offer_rows])}
    req_trees = {c: cKDTree(requests.xy[rows]) for c, rows in req_by_cat.items()}
    off_trees = {c: cKDTree(offers.xy[rows]) for c, rows in off_by_cat.items()}
    req_parts: list[IntArray] = []
    off_parts: list[IntArray] = []
    for rc, r_rows in req_by_cat.items():
        for oc, o_rows in off_by_cat.items():
            if FIT_MATRIX[rc, oc] <= 0.0:
                continue
            found = req_trees[rc].sparse_distance_matrix(off_trees[oc], r, output_type="ndarray")
            if len(found):
                req_parts.append(r_rows[found["i"]])
                off_parts.append(o_rows[found["j"]])
    if not req_parts:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty
    return np.concatenate(req_parts), np.concatenate(off_parts)


def availability_overlap(request_mask: IntArray, offer_mask: IntArray) -> FloatArray:
    """1.0 when either side is flexible; otherwise shared slots over the smaller schedule (0 = no overlap)."""
    request_mask = np.asarray(request_mask, dtype=np.uint32)
    offer_mask = np.asarray(offer_mask, dtype=np.uint32)
    shared = np.bitwise_count(request_mask & offer_mask).astype(np.float64)
    smaller = np.minimum(np.bitwise_count(request_mask), np.bitwise_count(offer_mask))
    flexible = (request_mask == 0) | (offer_mask == 0)
    return np.where(flexible, 1.0, shared / np.maximum(smaller, 1))


def find_candidates(tables: RoundTables, *, radius_m: float, max_load_per_helper: int) -> CandidateSet:
    requests, offers = tables.requests, tables.offers
    offer_rows = eligible_offer_rows(tables, max_load_per_helper=max_load_per_helper)
    req, off = _nearby_pairs(tables, offer_rows, radius_m=radius_m)

    # The cheap integer tests first, on the raw pairs; the float work only on what survives them.
    requester = requests.member_row[req]
    helper = offers.member_row[off]
    req_mask = requests.availability[req]
    off_mask = offers.availability[off]
    keep = (requester != helper) & (((req_mask & off_mask) != 0) | (req_mask == 0) | (off_mask == 0))
    if len(tables.exclusion_keys):
        # Few requesters have excluded pairs: look keys up only for their candidates.
        n = len(tables.members.ids)
        flagged = np.zeros(n, dtype=np.bool_)
        flagged[tables.exclusion_keys // n] = True
        check = np.flatnonzero(keep & flagged[requester])
        keys = tables.pair_keys(requester[check], helper[check])
        pos = np.minimum(np.searchsorted(tables.exclusion_keys, keys), len(tables.exclusion_keys) - 1)
        keep[check[tables.exclusion_keys[pos] == keys]] = False
    idx = np.flatnonzero(keep)
    req, off = req[idx], off[idx]

    distance = haversine_radians_m(
        requests.lat_rad[req],
        requests.lon_rad[req],
        requests.cos_lat[req],
        offers.lat_rad[off],
        offers.lon_rad[off],
        offers.cos_lat[off],
    )
    inside = np.flatnonzero(distance <= radius_m)
    idx = idx[inside]
    req, off = req[inside], off[inside]
    shared = np.bitwise_count(req_mask[idx] & off_mask[idx]).astype(np.float64)
    smaller = np.maximum(np.minimum(requests.slot_count[req], offers.slot_count[off]), 1)
    flexible = (req_mask[idx] == 0) | (off_mask[idx] == 0)
    return CandidateSet(
        request_row=req,
        offer_row=off,
        requester_row=requester[idx],
        helper_row=helper[idx],
        distance_m=distance[inside],
        fit=FIT_MATRIX[requests.category[req], offers.category[off]],
        overlap=np.where(flexible, 1.0, shared / smaller),
    )
