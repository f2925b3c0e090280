"""The network geocoder adapter (buurtbank.geocoding): falls back to the gazetteer, coarsens every answer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from geopy.exc import GeocoderServiceError, GeocoderTimedOut

from buurtbank.gazetteer import postcode_centroid
from buurtbank.geocoding import GeopyGeocoder, nominatim_geocoder
from domain.geo import LAT_MAX, LAT_MIN, LON_MAX, LON_MIN, coarsen


@dataclass
class FakeLocation:
    latitude: float
    longitude: float


class RaisingGeopy:
    """Stands in for a geopy geocoder whose service fails; records what it was asked."""

    def __init__(self, error: Exception) -> None:
        self.error = error
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def geocode(self, query: str, **kwargs: Any) -> Any:
        self.calls.append((query, kwargs))
        raise self.error


class AnsweringGeopy:
    def __init__(self, answer: FakeLocation | None) -> None:
        self.answer = answer

    def geocode(self, _query: str, **_kwargs: Any) -> Any:
        return self.answer


@pytest.mark.parametrize(
    "error", [GeocoderTimedOut("slow"), GeocoderServiceError("down"), TimeoutError(), ConnectionError()]
)
def test_geopy_geocoder_falls_back_to_the_gazetteer(error: Exception) -> None:
    remote = RaisingGeopy(error)
    geocoder = GeopyGeocoder(remote, timeout_s=2.0, query_options={"country_codes": "be"})
    assert geocoder.geocode("Rue X 12, 1080 Molenbeek") == coarsen(*postcode_centroid("1080"))
    assert remote.calls == [("Rue X 12, 1080 Molenbeek", {"timeout": 2.0, "country_codes": "be"})]


def test_geopy_geocoder_coarsens_a_remote_answer() -> None:
    precise = (50.84712, 4.35243)
    geocoder = GeopyGeocoder(AnsweringGeopy(FakeLocation(*precise)))
    found = geocoder.geocode("Grote Markt 1, 1000 Brussel")
    assert found == coarsen(*precise)
    assert found != precise


def test_geopy_geocoder_falls_back_on_no_answer_or_an_answer_outside_brussels() -> None:
    expected = coarsen(*postcode_centroid("1020"))
    assert GeopyGeocoder(AnsweringGeopy(None)).geocode("Laken") == expected
    assert GeopyGeocoder(AnsweringGeopy(FakeLocation(48.8566, 2.3522))).geocode("Laken") == expected


def test_geopy_geocoder_uses_the_given_fallback() -> None:
    class Nowhere:
        def geocode(self, _text: str) -> tuple[float, float] | None:
            return None

    geocoder = GeopyGeocoder(RaisingGeopy(GeocoderTimedOut()), fallback=Nowhere())
    assert geocoder.geocode("1080 Molenbeek") is None


def test_nominatim_is_bounded_to_brussels_and_makes_no_request_when_built() -> None:
    geocoder = nominatim_geocoder("buurtbank-tests")
    assert geocoder._query_options == {
        "country_codes": "be",
        "viewbox": ((LAT_MIN, LON_MIN), (LAT_MAX, LON_MAX)),
        "bounded": True,
    }
