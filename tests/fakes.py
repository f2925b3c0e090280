"""Fakes for what must not be real in tests: the geocoder (no network)."""

from __future__ import annotations

from domain import geo


class FakeGeocoder:
    """Knows a few addresses; anything else is not found."""

    KNOWN = {
        "rue fictive 1, molenbeek": (50.8551, 4.3231),
        "fictieve straat 2, jette": (50.8779, 4.3262),
    }

    def geocode(self, text: str) -> geo.LatLon | None:
        found = self.KNOWN.get(text.strip().lower())
        return geo.coarsen(*found) if found else None
