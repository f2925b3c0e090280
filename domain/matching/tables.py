"""Column arrays built once per round from the input records, so that filtering and scoring are vectorised.

Tens of thousands of requests and offers make millions of nearby pairs; a Python object per pair would
dominate the round. Records are therefore turned into numpy columns here, and everything downstream works
on integer row indices into these tables (never on ids, which are only put back on the proposals).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from domain.background import AGE_BANDS, AVAILABILITY_SLOTS, ORIGINS
from domain.categories import CATEGORIES
from domain.errors import InvalidInput
from domain.matching.geometry import project
from domain.matching.model import MemberProfile, RoundInputs

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

CATEGORY_INDEX: dict[str, int] = {c.key: i for i, c in enumerate(CATEGORIES)}
SLOT_BIT: dict[str, int] = {slot: 1 << i for i, slot in enumerate(AVAILABILITY_SLOTS)}
ORIGIN_CODE: dict[str, int] = {o: i for i, o in enumerate(ORIGINS)}
AGE_CODE: dict[str, int] = {a: i for i, a in enumerate(AGE_BANDS)}
UNDECLARED = -1


def availability_mask(slots: frozenset[str]) -> int:
    """A 21-bit mask of the slots; 0 means flexible."""
    mask = 0
    for slot in slots:
        mask |= SLOT_BIT[slot]
    return mask


@dataclass(frozen=True, slots=True)
class MemberTable:
    ids: IntArray
    completed: IntArray
    given: IntArray
    received: IntArray
    load: IntArray
    paused: BoolArray
    origin: IntArray
    age: IntArray
    circle: IntArray
    languages: npt.NDArray[np.uint64]
    """(n, words) bit sets of spoken languages; a row of zeros means not declared."""
    profiles: tuple[MemberProfile, ...]

    def rows_of(self, member_ids: IntArray) -> IntArray:
        """Row index of each id; raises InvalidInput when an id has no profile."""
        order = np.argsort(self.ids, kind="stable")
        sorted_ids = self.ids[order]
        pos = np.searchsorted(sorted_ids, member_ids)
        pos = np.minimum(pos, len(sorted_ids) - 1) if len(sorted_ids) else pos
        if len(member_ids) and (len(sorted_ids) == 0 or not np.array_equal(sorted_ids[pos], member_ids)):
            missing = member_ids if len(sorted_ids) == 0 else member_ids[sorted_ids[pos] != member_ids]
            raise InvalidInput("error.matching.unknown_member", field="members", member_id=int(missing[0]))
        return order[pos]


@dataclass(frozen=True, slots=True)
class PostTable:
    """Requests or offers: who posted them, where, what and when."""

    ids: IntArray
    member_row: IntArray
    category: IntArray
    lat: FloatArray
    lon: FloatArray
    xy: FloatArray
    lat_rad: FloatArray
    lon_rad: FloatArray
    cos_lat: FloatArray
    availability: npt.NDArray[np.uint32]
    """21-bit slot masks, 0 = flexible."""
    slot_count: IntArray


@dataclass(frozen=True, slots=True)
class RoundTables:
    members: MemberTable
    requests: PostTable
    offers: PostTable
    exclusion_keys: IntArray
    """Sorted pair keys requester_row * n_members + helper_row of the excluded pairs."""

    def pair_keys(self, requester_rows: IntArray, helper_rows: IntArray) -> IntArray:
        return requester_rows * len(self.members.ids) + helper_rows


def _member_table(members: tuple[MemberProfile, ...]) -> MemberTable:
    ids = np.fromiter((m.id for m in members), dtype=np.int64, count=len(members))
    if len(np.unique(ids)) != len(ids):
        raise InvalidInput("error.matching.duplicate_member", field="members")
    circles: dict[str, int] = {}
    languages: dict[str, int] = {}
    for m in members:
        if m.background.circle is not None:
            circles.setdefault(m.background.circle, len(circles))
        for code in m.background.languages or ():
            languages.setdefault(code, len(languages))
    words = max(1, -(-len(languages) // 64))
    lang_bits = np.zeros((len(members), words), dtype=np.uint64)
    for row, m in enumerate(members):
        for code in m.background.languages or ():
            bit = languages[code]
            lang_bits[row, bit // 64] |= np.uint64(1 << (bit % 64))

    def codes(values: list[str | None], table: dict[str, int]) -> IntArray:
        return np.array([UNDECLARED if v is None else table[v] for v in values], dtype=np.int64)

    return MemberTable(
        ids=ids,
        completed=np.array([m.completed_exchanges for m in members], dtype=np.int64),
        given=np.array([m.minutes_given for m in members], dtype=np.int64),
        received=np.array([m.minutes_received for m in members], dtype=np.int64),
        load=np.array([m.open_load for m in members], dtype=np.int64),
        paused=np.array([m.paused for m in members], dtype=np.bool_),
        origin=codes([m.background.origin for m in members], ORIGIN_CODE),
        age=codes([m.background.age_band for m in members], AGE_CODE),
        circle=codes([m.background.circle for m in members], circles),
        languages=lang_bits,
        profiles=members,
    )


def _post_table(
    *,
    ids: list[int],
    member_ids: list[int],
    categories: list[str],
    lats: list[float],
    lons: list[float],
    masks: list[int],
    members: MemberTable,
) -> PostTable:
    lat = np.array(lats, dtype=np.float64)
    lon = np.array(lons, dtype=np.float64)
    availability = np.array(masks, dtype=np.uint32)
    return PostTable(
        ids=np.array(ids, dtype=np.int64),
        member_row=members.rows_of(np.array(member_ids, dtype=np.int64)),
        category=np.array([CATEGORY_INDEX[c] for c in categories], dtype=np.int64),
        lat=lat,
        lon=lon,
        xy=project(lat, lon) if len(lat) else np.zeros((0, 2)),
        lat_rad=np.radians(lat),
        lon_rad=np.radians(lon),
        cos_lat=np.cos(np.radians(lat)),
        availability=availability,
        slot_count=np.bitwise_count(availability).astype(np.int64),
    )


def build_tables(inputs: RoundInputs) -> RoundTables:
    members = _member_table(inputs.members)
    reqs = inputs.requests
    offers = inputs.offers
    requests_table = _post_table(
        ids=[r.id for r in reqs],
        member_ids=[r.requester_id for r in reqs],
        categories=[r.category for r in reqs],
        lats=[r.lat for r in reqs],
        lons=[r.lon for r in reqs],
        masks=[availability_mask(r.availability) for r in reqs],
        members=members,
    )
    offers_table = _post_table(
        ids=[o.id for o in offers],
        member_ids=[o.helper_id for o in offers],
        categories=[o.category for o in offers],
        lats=[o.lat for o in offers],
        lons=[o.lon for o in offers],
        masks=[availability_mask(o.availability) for o in offers],
        members=members,
    )
    if inputs.exclusions:
        pairs = np.array(sorted(inputs.exclusions), dtype=np.int64)
        # Pairs naming someone without a profile cannot occur in this round; drop them quietly.
        known = np.isin(pairs[:, 0], members.ids) & np.isin(pairs[:, 1], members.ids)
        pairs = pairs[known]
        keys = members.rows_of(pairs[:, 0]) * len(members.ids) + members.rows_of(pairs[:, 1])
        exclusion_keys = np.unique(keys)
    else:
        exclusion_keys = np.zeros(0, dtype=np.int64)
    return RoundTables(members=members, requests=requests_table, offers=offers_table, exclusion_keys=exclusion_keys)
