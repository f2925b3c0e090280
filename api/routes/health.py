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
    ping_database(session)
    return HealthOut(status="ok", database="ok")
