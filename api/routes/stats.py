"""Analysts' statistics: aggregates only, protected by domain/stats/privacy.py before they get here."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Response

from api.deps import AnalystUser, SessionDep, SettingsDep
from api.problems import problem_responses
from api.schemas.stats import (
    BridgingAnswer,
    BridgingRow,
    Dimension,
    Figure,
    ReciprocityAnswer,
    ReciprocityRow,
)
from buurtbank.settings import Settings
from domain.errors import NotFound
from domain.stats.cells import CSV_COLUMNS, Cell
from domain.stats.windows import Period
from services import stats as service
from services.stats_charts import CHARTS, draw

router = APIRouter(prefix="/stats", tags=["statistics"])

_RANGE_DOC = (
    " Windows are whole calendar months or quarters (Brussels time): `from`/`to` are widened to the windows "
    "they touch (default: the last twelve months), at most ten years. Counts and minutes are rounded to 5; a "
    "count under 10 (origin, languages, any) or 5 (otherwise) is suppressed, with secondary suppression so "
    "it cannot be recovered from totals; an antenna with fewer than 10 active members gets no breakdown. "
    "Members without background consent count in totals only. A suppressed figure has value null, "
    "suppressed true and a reason, never 0."
)
AntennaQuery = Annotated[
    str | None, Query(max_length=60, description="an antenna slug, or `all`; default: every antenna and `all`")
]
FromQuery = Annotated[date | None, Query(alias="from", description="first day (YYYY-MM-DD)")]
ToQuery = Annotated[date | None, Query(alias="to", description="last day (YYYY-MM-DD), not before `from`")]
PeriodQuery = Annotated[Period, Query(description="month or quarter")]
DimensionQuery = Annotated[Dimension | None, Query(description="one background dimension; default: all of them")]  # type: ignore[valid-type]
ERRORS = problem_responses(401, 403, 404, 422)
# The CSV and PNG answers carry the JSON answers' `as_of` in this header.
AS_OF_HEADER = "Data-As-Of"


def _max_age(settings: Settings) -> timedelta:
    return timedelta(minutes=settings.stats_max_age_minutes)


def _range(start: date | None, end: date | None) -> tuple[date, date]:
    default_start, default_end = service.default_range(date.today())
    if start is None and end is None:
        return default_start, default_end
    if start is None:
        assert end is not None
        return service.default_range(end)[0], end
    return start, end or max(start, default_end)


def _figure(cell: Cell) -> Figure:
    return Figure(value=cell.value, lower=cell.lower, upper=cell.upper, suppressed=cell.suppressed, reason=cell.reason)


def _rows(table: service.StatsTable, *, by_dimension: bool) -> list[dict[str, object]]:
    order = {label: i for i, label in enumerate(table.periods)}
    antennas = {slug: i for i, slug in enumerate(table.antennas)}
    rows: dict[tuple[str, str, str | None], dict[str, object]] = {}
    totals: dict[tuple[str, str], Figure] = {}
    for cell in table.cells:
        if by_dimension and cell.dimension is None:
            totals[(cell.antenna, cell.period)] = _figure(cell)
            continue
        key = (cell.antenna, cell.period, cell.dimension)
        row = rows.setdefault(key, {"antenna": cell.antenna, "period": cell.period})
        if by_dimension:
            row["dimension"] = cell.dimension
        row[cell.measure] = _figure(cell)
    for (antenna, period, _), row in rows.items():
        if by_dimension:
            row["active_members"] = totals[(antenna, period)]
    return [rows[k] for k in sorted(rows, key=lambda k: (antennas.get(k[0], 0), order.get(k[1], 0), k[2] or ""))]


@router.get(
    "/reciprocity",
    response_model=ReciprocityAnswer,
    responses=ERRORS,
    summary="Participation and reciprocity per antenna and window",
    description="Is the network reciprocal? One row per antenna (and `all`) and window; each field's schema "
    "gives its meaning and formula." + _RANGE_DOC,
)
def reciprocity(
    _: AnalystUser,
    session: SessionDep,
    settings: SettingsDep,
    antenna: AntennaQuery = None,
    start: FromQuery = None,
    end: ToQuery = None,
    period: PeriodQuery = Period.MONTH,
) -> ReciprocityAnswer:
    first, last = _range(start, end)
    table = service.statistics(
        session, start=first, end=last, period=period, antenna=antenna, max_age=_max_age(settings)
    )
    return ReciprocityAnswer(
        start=first, end=last, period=period.value, periods=list(table.periods), as_of=table.as_of,
        rows=[ReciprocityRow(**row) for row in _rows(table, by_dimension=False)],
    )  # fmt: skip


@router.get(
    "/bridging",
    response_model=BridgingAnswer,
    responses=ERRORS,
    summary="Bridging across backgrounds per antenna, window and dimension",
    description="Does the network bridge? One row per antenna (and `all`), window and background dimension: "
    "external and internal exchanges E and I, E/(E+I) with its Wilson interval, the E-I index, Blau's "
    "heterogeneity and the baseline ratio, and the six-month cohort." + _RANGE_DOC,
)
def bridging(
    _: AnalystUser,
    session: SessionDep,
    settings: SettingsDep,
    antenna: AntennaQuery = None,
    start: FromQuery = None,
    end: ToQuery = None,
    period: PeriodQuery = Period.MONTH,
    dimension: DimensionQuery = None,
) -> BridgingAnswer:
    first, last = _range(start, end)
    table = service.statistics(
        session, start=first, end=last, period=period, antenna=antenna, measures=service.BRIDGING_MEASURES,
        dimension=dimension.value if dimension else None, max_age=_max_age(settings),
    )  # fmt: skip
    return BridgingAnswer(
        start=first, end=last, period=period.value, periods=list(table.periods), as_of=table.as_of,
        rows=[BridgingRow(**row) for row in _rows(table, by_dimension=True)],
    )  # fmt: skip


@router.get(
    "/export",
    response_class=Response,
    responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}, "description": "a CSV file"}, **ERRORS},
    summary="Every figure as one tidy CSV table",
    description="Columns: " + ", ".join(CSV_COLUMNS) + ". One row per antenna, window, measure and dimension "
    "(empty for a total); the measures are those of /stats/reciprocity and /stats/bridging." + _RANGE_DOC,
)
def export(
    _: AnalystUser,
    session: SessionDep,
    settings: SettingsDep,
    format: Annotated[Literal["csv"], Query(description="csv (the only format)")] = "csv",
    antenna: AntennaQuery = None,
    start: FromQuery = None,
    end: ToQuery = None,
    period: PeriodQuery = Period.MONTH,
) -> Response:
    first, last = _range(start, end)
    table = service.statistics(
        session,
        start=first,
        end=last,
        period=period,
        antenna=antenna,
        measures=tuple(service.ALL_MEASURES),
        max_age=_max_age(settings),
    )
    return Response(
        content=to_csv(table.cells),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="buurtbank-stats-{first}-{last}.csv"',
            AS_OF_HEADER: table.as_of.isoformat(),
        },
    )


def to_csv(cells: tuple[Cell, ...]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    # csv writes None as an empty field; `suppressed`, the one boolean, is written as true/false.
    writer.writerows((*cell[:7], "true" if cell.suppressed else "false", cell.reason) for cell in cells)
    return out.getvalue()


@router.get(
    "/charts/{name}.png",
    response_class=Response,
    responses={200: {"content": {"image/png": {"schema": {"type": "string", "format": "binary"}}}}, **ERRORS},
    summary="A chart of the published figures",
    description="`bridging-share`: E/(E+I) over time per antenna, with its 95% Wilson interval (dimension: "
    "`any` unless given); `reciprocity-classes`: shares of givers, balanced members and receivers over time "
    "(antenna: `all` unless given). Suppressed figures are gaps, never zeros." + _RANGE_DOC,
)
def chart(
    _: AnalystUser,
    session: SessionDep,
    settings: SettingsDep,
    name: Annotated[str, Path(max_length=40, description=" or ".join(CHARTS), json_schema_extra={"enum": [*CHARTS]})],
    antenna: AntennaQuery = None,
    start: FromQuery = None,
    end: ToQuery = None,
    period: PeriodQuery = Period.QUARTER,
    dimension: DimensionQuery = None,
) -> Response:
    if name not in CHARTS:
        raise NotFound()
    first, last = _range(start, end)
    if name == "bridging-share":
        table = service.statistics(
            session, start=first, end=last, period=period, antenna=antenna, measures=("external_share",),
            dimension=dimension.value if dimension else "any", max_age=_max_age(settings),
        )  # fmt: skip
    else:
        table = service.statistics(
            session, start=first, end=last, period=period, antenna=antenna or "all",
            measures=("members_giver", "members_balanced", "members_receiver", "active_members"),
            max_age=_max_age(settings),
        )  # fmt: skip
    return Response(content=draw(name, table), media_type="image/png", headers={AS_OF_HEADER: table.as_of.isoformat()})
