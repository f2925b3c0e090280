"""The problem-type catalogue: every `type` an error answer can carry."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import LanguageDep
from api.errors import catalogue
from api.problems import ProblemTypeOut

router = APIRouter(tags=["problems"])


@router.get("/problems", response_model=list[ProblemTypeOut])
def problems(lang: LanguageDep) -> list[ProblemTypeOut]:
    """List every problem type with its status and title

    Anyone may call it. Error answers are problem+json (RFC 9457); their `type` is one of these URIs, one per
    condition, and the `title` is given in the language asked for (`Accept-Language`).
    """
    return [ProblemTypeOut(type=kind.uri, status=kind.status, title=kind.title(lang)) for kind in catalogue()]
