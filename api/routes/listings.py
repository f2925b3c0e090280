"""Offers and requests share their routes' shape; this builds one router per kind.

The routes' functions are shared, so their documentation cannot be their docstrings: each kind passes its
own texts (`docs`, one per function name, in docstring form) and they become the operations' summary and
description (`api.openapi.operation_docs`).
"""
# No "from __future__ import annotations" here: FastAPI must see the real body types of the closures.

from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response, status
from pydantic import BaseModel
from sqlmodel import Session

from api.deps import CurrentActor, SessionDep, page_read
from api.idempotency import IdempotencyDep
from api.openapi import operation_docs
from api.pagination import CursorQuery, LimitQuery, Page, before_id, encode_cursor
from api.presenters import listing_out, listing_outs
from api.problems import problem_responses
from api.responses import serialised
from api.schemas.common import MAX_ID
from domain.errors import NotFound
from services import listings as service
from store.antennas import Antenna, get_antenna_by_slug
from store.listings import HelpRequest, Offer

IdPath = Annotated[int, Path(ge=1, le=MAX_ID)]


def _antenna(session: Session, slug: str) -> Antenna:
    antenna = get_antenna_by_slug(session, slug)
    if antenna is None:
        raise NotFound("error.antenna.unknown")
    return antenna


def listing_router(
    *,
    model: type[Offer] | type[HelpRequest],
    prefix: str,
    tag: str,
    create_body: type[BaseModel],
    patch_body: type[BaseModel],
    out: type[BaseModel],
    docs: Mapping[str, str],
) -> APIRouter:
    router = APIRouter(prefix=prefix, tags=[tag])

    @router.post(
        "",
        status_code=status.HTTP_201_CREATED,
        response_model=out,
        responses=problem_responses(401, 403, 404, 422),
        **operation_docs(docs["create"]),
    )
    def create(body: create_body, actor: CurrentActor, session: SessionDep, idempotency: IdempotencyDep) -> Any:  # type: ignore[valid-type]  # the body and answer models are parameters of this router factory
        def act() -> Any:
            data = body.model_dump()  # type: ignore[attr-defined]  # body's type is a parameter (a pydantic model)
            data["antenna"] = _antenna(session, data["antenna"])
            listing = service.create_listing(session, actor, model, service.ListingInput(**data))
            return listing_out(session, actor, listing, out)

        # A retry after a lost answer (same key, same body) gets the first listing, not a second one.
        return idempotency.run(session, member_id=actor.member_id, status_code=201, action=act)

    @router.get(
        "",
        response_model=Page[out],  # type: ignore[valid-type]  # the body and answer models are parameters of this router factory
        responses=problem_responses(401, 403, 404, 422),
        **operation_docs(docs["find"]),
    )
    @page_read
    def find(
        actor: CurrentActor,
        session: SessionDep,
        antenna: Annotated[str | None, Query(max_length=60)] = None,
        category: Annotated[str | None, Query(max_length=40)] = None,
        near_km: Annotated[float | None, Query(gt=0, le=50, allow_inf_nan=False)] = None,
        mine: bool = False,
        limit: LimitQuery = 50,
        cursor: CursorQuery = None,
    ) -> Any:
        query = service.ListingQuery(
            antenna=antenna,
            category=category,
            near_km=near_km,
            mine=mine,
            before_id=before_id(cursor),
            limit=limit,
        )
        page = service.find_listings(session, actor, model, query)
        return serialised(
            Page[out](  # type: ignore[valid-type]  # the body and answer models are parameters of this router factory
                items=listing_outs(session, actor, page.items, out),
                next_cursor=encode_cursor(page.next_before_id) if page.next_before_id is not None else None,
            )
        )

    @router.get(
        "/{listing_id}",
        response_model=out,
        responses=problem_responses(401, 403, 404, 422),
        **operation_docs(docs["read"]),
    )
    def read(listing_id: IdPath, actor: CurrentActor, session: SessionDep) -> Any:
        listing = service.get_listing(session, actor, model, listing_id)
        return listing_out(session, actor, listing, out)

    @router.patch(
        "/{listing_id}",
        response_model=out,
        responses=problem_responses(401, 403, 404, 409, 422),  # 409: no longer open
        **operation_docs(docs["update"]),
    )
    def update(listing_id: IdPath, body: patch_body, actor: CurrentActor, session: SessionDep) -> Any:  # type: ignore[valid-type]  # the body and answer models are parameters of this router factory
        changes = {name: getattr(body, name) for name in body.model_fields_set}  # type: ignore[attr-defined]  # body's type is a parameter (a pydantic model)
        listing = service.update_listing(session, actor, model, listing_id, changes=changes)
        return listing_out(session, actor, listing, out)

    @router.delete(
        "/{listing_id}",
        status_code=status.HTTP_204_NO_CONTENT,
        response_class=Response,
        responses=problem_responses(401, 403, 404, 422),
        **operation_docs(docs["withdraw"]),
    )
    def withdraw(listing_id: IdPath, actor: CurrentActor, session: SessionDep) -> Response:
        service.withdraw_listing(session, actor, model, listing_id)
        return Response(status_code=status.HTTP_204_NO_CONTENT)

    return router
