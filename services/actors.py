"""Who is acting: the signed-in person, and the member the call is for (differs for On-Behalf-Of)."""

from __future__ import annotations

from dataclasses import dataclass

from domain.errors import NotAllowed
from store.members import Member


@dataclass(frozen=True, slots=True)
class Actor:
    member: Member  # the member the call is for
    acting: Member  # the signed-in person (a moderator when on behalf)
    # On behalf: the antennas the moderator moderates and the member is an approved member of. Acting on
    # behalf stays inside them.
    on_behalf_antenna_ids: frozenset[int] = frozenset()

    @property
    def member_id(self) -> int:
        assert self.member.id is not None
        return self.member.id

    @property
    def acting_id(self) -> int:
        assert self.acting.id is not None
        return self.acting.id

    @property
    def on_behalf(self) -> bool:
        return self.member.id != self.acting.id

    def may_act_in(self, antenna_id: int | None) -> bool:
        return not self.on_behalf or (antenna_id is not None and antenna_id in self.on_behalf_antenna_ids)

    def require_antenna(self, antenna_id: int | None) -> None:
        """A moderator acting for a member may do so only in an antenna they moderate (403 elsewhere)."""
        if not self.may_act_in(antenna_id):
            raise NotAllowed("error.on_behalf.outside_antenna")
