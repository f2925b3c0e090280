from __future__ import annotations

from api.routes.listings import listing_router
from api.schemas.listings import RequestIn, RequestOut, RequestPatch
from store.listings import HelpRequest

# The operations' documentation (the routes' functions are shared with the other kind of listing).
DOCS = {
    "create": """Post a request for help

    For an approved member of the antenna: `antenna`, `category` (a key of `GET /v1/categories`), `title`, optional
    `description` and `availability`, `needed_by` (not in the past) and an estimated `minutes`. The member's own
    coarse location is the request's; others see only a distance. Answers the request. Send an `Idempotency-Key`: a
    retry after a lost answer (same key, same body) returns the first request instead of posting a second one. A
    moderator may call it for a member of an antenna they moderate by adding `On-Behalf-Of: <member id>` (audited),
    only for that antenna's business.

    Errors:
    - 403: `On-Behalf-Of` names someone who is not an approved member of an antenna you moderate, or the item is in
      an antenna you do not moderate, or you are not an approved member of this antenna
    - 404: there is no antenna with this slug
    - 422: invalid input: an unknown category or availability slot, minutes that are not a time step, a date in the
      past, or no location in your profile yet
    """,
    "find": """Find open requests in my antennas by antenna, category or distance

    For a signed-in member: the open requests of the antennas the member belongs to, filtered by `antenna`,
    `category` and `near_km` (around the member's own location); `mine=true` lists the member's own, open or closed.
    Each shows the poster's display name and a distance rounded to 0.5 km with its band, never a location. Paginated
    with `limit` and `cursor`. A moderator may call it for a member of an antenna they moderate by adding
    `On-Behalf-Of: <member id>` (audited), only for that antenna's business.

    Errors:
    - 403: `On-Behalf-Of` names someone who is not an approved member of an antenna you moderate, or the item is in
      an antenna you do not moderate
    - 404: there is no antenna with this slug (the `antenna` filter)
    - 422: invalid input: an unknown category, or `near_km` without a location in your profile
    """,
    "read": """Read one request

    For members of its antenna (and its poster, also once it is withdrawn). A moderator may call it for a member of
    an antenna they moderate by adding `On-Behalf-Of: <member id>` (audited), only for that antenna's business.

    Errors:
    - 403: `On-Behalf-Of` names someone who is not an approved member of an antenna you moderate, or the item is in
      an antenna you do not moderate
    - 404: no request with this id in an antenna you belong to
    """,
    "update": """Change my request

    For its poster, while it is open; send only the fields to change. Answers the request. A moderator may call it
    for a member of an antenna they moderate by adding `On-Behalf-Of: <member id>` (audited), only for that
    antenna's business.

    Errors:
    - 403: `On-Behalf-Of` names someone who is not an approved member of an antenna you moderate, or the item is in
      an antenna you do not moderate, or it is not your request
    - 404: no request with this id in an antenna you belong to, or it was withdrawn
    - 409: the request is no longer open (matched or closed): its helper agreed to what it said
    - 422: invalid input: an unknown category or availability slot, minutes that are not a time step or a date in
      the past
    """,
    "withdraw": """Withdraw my request

    For its poster. Its open proposals end with it. Answers 204. A moderator may call it for a member of an antenna
    they moderate by adding `On-Behalf-Of: <member id>` (audited), only for that antenna's business.

    Errors:
    - 403: `On-Behalf-Of` names someone who is not an approved member of an antenna you moderate, or the item is in
      an antenna you do not moderate, or it is not your request
    - 404: no request with this id in an antenna you belong to, or it was withdrawn already
    """,
}

router = listing_router(
    model=HelpRequest,
    prefix="/requests",
    tag="requests",
    create_body=RequestIn,
    patch_body=RequestPatch,
    out=RequestOut,
    docs=DOCS,
)
