"""Analysts: the released figures as tables and charts, the CSV download and the privacy parameters.

Deliberately thin: every figure, chart and parameter comes from the API's own statistics endpoints
(stats/endpoints.py), called as functions, so the console shows exactly what the API releases.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import Response

from api.console.web import ConsoleAnalyst, ConsoleRoute, StaffVisit, finish, render
from api.deps import SessionDep, SettingsDep
from stats import endpoints as stats_api
from stats.charts import CHARTS
from stats.rules.windows import Period
from store.antennas import list_antennas

router = APIRouter(route_class=ConsoleRoute)

# The columns of the table page, in the order an analyst reads them (every figure is in the CSV).
TABLE_MEASURES = (
    "active_members",
    "exchanges",
    "minutes",
    "share_gave_and_received",
    "weighted_reciprocity",
    "request_match_share",
    "member_acceptance_rate",
)
AntennaQuery = Annotated[str, Query(max_length=60)]


@dataclass(frozen=True, slots=True)
class StatsChoice:
    """What an analyst picked: the same query on the table page, the CSV download and the charts."""

    antenna: str
    start: date | None
    end: date | None
    period: Period


def stats_choice(
    antenna: AntennaQuery = "all",
    start: Annotated[date | None, Query(alias="from")] = None,
    end: Annotated[date | None, Query(alias="to")] = None,
    period: Period = Period.QUARTER,
) -> StatsChoice:
    return StatsChoice(antenna=antenna, start=start, end=end, period=period)


Choice = Annotated[StatsChoice, Depends(stats_choice)]


def _query(antenna: str, start: date | None, end: date | None, period: Period) -> str:
    parts = [f"antenna={antenna}", f"period={period.value}"]
    if start:
        parts.append(f"from={start}")
    if end:
        parts.append(f"to={end}")
    return "&".join(parts)


@router.get("/stats")
def figures(
    current: StaffVisit,
    analyst: ConsoleAnalyst,
    session: SessionDep,
    settings: SettingsDep,
    choice: Choice,
) -> Response:
    antenna, period = choice.antenna, choice.period
    answer = stats_api.reciprocity(analyst, session, settings, antenna, choice.start, choice.end, period)
    rows = [row.model_dump() for row in answer.rows]
    return render(
        current,
        "stats.html",
        answer=answer,
        rows=rows,
        measures=TABLE_MEASURES,
        antennas=list_antennas(session),
        chosen=antenna,
        period=period.value,
        start=answer.start,
        end=answer.end,
        query=_query(antenna, answer.start, answer.end, period),
        charts=CHARTS,
        privacy=stats_api.privacy(analyst, session, settings, antenna),
    )


@router.get("/stats/export.csv")
def download(
    current: StaffVisit,
    analyst: ConsoleAnalyst,
    session: SessionDep,
    settings: SettingsDep,
    choice: Choice,
) -> Response:
    response = stats_api.export(
        analyst, session, settings, "csv", choice.antenna, choice.start, choice.end, choice.period
    )
    finish(current, response)
    return response


@router.get("/stats/charts/{name}.png")
def chart(
    current: StaffVisit,
    analyst: ConsoleAnalyst,
    session: SessionDep,
    settings: SettingsDep,
    name: Annotated[str, Path(max_length=40)],
    choice: Choice,
) -> Response:
    chosen = None if choice.antenna == "all" and name == "bridging-share" else choice.antenna
    response = stats_api.chart(
        analyst, session, settings, current.lang, name, chosen, choice.start, choice.end, choice.period, None
    )
    response.headers["Cache-Control"] = "no-store"
    return response
