from __future__ import annotations

from fastapi import APIRouter

from api.schemas.antennas import CategoryOut
from domain.categories import CATEGORIES

router = APIRouter(tags=["categories"])


@router.get("/categories", response_model=list[CategoryOut])
def categories() -> list[CategoryOut]:
    """List the help categories with their labels in Dutch, French and English

    Anyone may call it. Offers and requests name one of these `key`s as their `category`.
    """
    return [CategoryOut(key=c.key, nl=c.nl, fr=c.fr, en=c.en) for c in CATEGORIES]
