"""Geocoding over the network (geopy, e.g. Nominatim): an adapter, outside the pure domain.

domain.geo keeps the rules (coarsening, the Brussels box, the offline gazetteer's look-ups; buurtbank.gazetteer
reads its file); this module calls a remote service and hands every answer to domain.geo.coarsen(), so no
precise point leaves it. Chosen with BUURTBANK_GEOCODER=nominatim (api.app.make_geocoder); the default is the
offline gazetteer.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, Protocol

from geopy.exc import GeopyError

from buurtbank.gazetteer import gazetteer_geocoder
from domain import geo


class _GeopyLike(Protocol):
    def geocode(self, query: str, **kwargs: Any) -> Any: ...


class GeopyGeocoder:
    """Geocoding through a geopy geocoder (e.g. Nominatim), falling back to the offline gazetteer.

    Falls back on any geopy error (timeouts, quotas, service down), on no result and on a result outside
    Brussels, so a member can always be placed by postcode. Calls block: run them outside the event loop.
    Nominatim's usage policy allows about one request a second; wrap bulk use in geopy's RateLimiter.
    """

    def __init__(
        self,
        geocoder: _GeopyLike,
        *,
        fallback: geo.Geocoder | None = None,
        timeout_s: float = 5.0,
        query_options: Mapping[str, Any] | None = None,
    ) -> None:
        self._geocoder = geocoder
        self._fallback: geo.Geocoder = fallback if fallback is not None else gazetteer_geocoder()
        self._timeout_s = timeout_s
        self._query_options = dict(query_options or {})

    def geocode(self, text: str) -> geo.LatLon | None:
        try:
            found = self._geocoder.geocode(text, timeout=self._timeout_s, **self._query_options)
        except (GeopyError, TimeoutError, OSError):
            found = None
        if found is not None:
            lat, lon = float(found.latitude), float(found.longitude)
            if math.isfinite(lat) and math.isfinite(lon) and geo.in_brussels(lat, lon):
                return geo.coarsen(lat, lon)
        return self._fallback.geocode(text)


def nominatim_geocoder(user_agent: str, *, domain: str = "nominatim.openstreetmap.org") -> GeopyGeocoder:
    """A GeopyGeocoder on Nominatim, bounded to the Brussels box. No request is made until geocode()."""
    from geopy.geocoders import Nominatim

    return GeopyGeocoder(
        Nominatim(user_agent=user_agent, domain=domain),
        query_options={
            "country_codes": "be",
            "viewbox": ((geo.LAT_MIN, geo.LON_MIN), (geo.LAT_MAX, geo.LON_MAX)),
            "bounded": True,
        },
    )
