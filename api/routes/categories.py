from __future__ import annotations

from fastapi import APIRouter

from api.schemas.antennas import CategoryOut
from domain.categories import CATEGORIES

router = APIRouter(tags=["categories"])


@router.get("/categories", response_model=list[CategoryOut])
def categories() -> list[CategoryOut]:
    return [CategoryOut(key=c.key, nl=c.nl, fr=c.fr, en=c.en) for c in CATEGORIES]
