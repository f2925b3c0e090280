from __future__ import annotations

from api.routes.listings import listing_router
from api.schemas.listings import RequestIn, RequestOut, RequestPatch
from store.listings import HelpRequest

router = listing_router(
    model=HelpRequest,
    prefix="/requests",
    tag="requests",
    create_body=RequestIn,
    patch_body=RequestPatch,
    out=RequestOut,
)
