"""Who is acting: the signed-in person, and the member the call is for (differs for On-Behalf-Of)."""

from __future__ import annotations

from dataclasses import dataclass

from store.members import Member


@dataclass(frozen=True, slots=True)
class Actor:
    member: Member  # the member the call is for
    acting: Member  # the signed-in person (a moderator when on behalf)
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
