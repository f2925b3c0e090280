from __future__ import annotations

from api.routes.listings import listing_router
from api.schemas.listings import OfferIn, OfferOut, OfferPatch
from store.listings import Offer

router = listing_router(
    model=Offer, prefix="/offers", tag="offers", create_body=OfferIn, patch_body=OfferPatch, out=OfferOut
)
