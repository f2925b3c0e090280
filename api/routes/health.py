from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel

from api.deps import SessionDep
from store.health import ping_database

router = APIRouter(tags=["health"])


class HealthOut(BaseModel):
    status: Literal["ok"]
    database: Literal["ok"]


@router.get("/health", response_model=HealthOut)
def health(session: SessionDep) -> HealthOut:
    """Check that the service and its database answer

    For load balancers and monitoring; no sign-in needed. Answers `{"status": "ok", "database": "ok"}` after a round
    trip to the database; when the database cannot be reached the request fails with a 500.
    """
    ping_database(session)
    return HealthOut(status="ok", database="ok")
