"""Analysts' statistics (HTTP): parse, authorise, read the releases through stats/service.py, shape the answer."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal, TypeVar

from fastapi import APIRouter, Path, Query, Response
from pydantic import BaseModel

from api.deps import AnalystUser, LanguageDep, SessionDep, SettingsDep
from api.problems import problem_responses
from buurtbank.clock import today_in_brussels
from buurtbank.settings import Settings
from domain.errors import NotFound
from stats import service
from stats.charts import CHARTS, draw
from stats.rules.figures import CSV_COLUMNS, Cell, to_csv
from stats.rules.windows import Period
from stats.schemas import (
    Bounds,
    BridgingAnswer,
    BridgingRow,
    Dimension,
    Figure,
    PrivacyAnswer,
    QuarterSpend,
    ReciprocityAnswer,
    ReciprocityRow,
    ReleaseSpend,
    StatsAnswer,
)

router = APIRouter(prefix="/stats", tags=["statistics"])

_RANGE_DOC = (
    " Windows are whole calendar months or quarters (Brussels time): `from`/`to` are widened to the windows "
    "they touch (default: the last twelve months), at most ten years. Every figure comes from a release made "
    "once per antenna and closed window with member-level differential privacy (GET /v1/stats/privacy): noisy, "
    "with its noise_sd and the 95% range of its noise; a window is released some days after it ends and the "
    "open one is never published; `all` is the sum of the antennas' releases. Members without background "
    "consent count in totals only. A withheld figure has value null, suppressed true and a reason, never 0."
)
AntennaQuery = Annotated[
    str | None, Query(max_length=60, description="an antenna slug, or `all`; default: every antenna and `all`")
]
FromQuery = Annotated[date | None, Query(alias="from", description="first day (YYYY-MM-DD)")]
ToQuery = Annotated[date | None, Query(alias="to", description="last day (YYYY-MM-DD), not before `from`")]
PeriodQuery = Annotated[Period, Query(description="month or quarter")]
DimensionQuery = Annotated[Dimension | None, Query(description="one background dimension; default: all of them")]
ERRORS = problem_responses(401, 403, 404, 422)
_WHO = "Analysts only: members, moderators and admins get 403, anonymous callers 401. "
_FIGURE_ERRORS = (
    "\n\nErrors:\n- 403: you are not an analyst\n- 404: there is no antenna with this slug\n"
    "- 422: invalid input: `to` before `from`, a range of more than ten years, or an unknown period or dimension"
)
# The CSV and PNG answers carry the JSON answers' `as_of` in this header.
AS_OF_HEADER = "Data-As-Of"
AnswerT = TypeVar("AnswerT", bound=StatsAnswer)


def _table(
    session: SessionDep, settings: Settings, *, start: date, end: date, period: Period, antenna: str | None,
    measures: tuple[str, ...] = service.RECIPROCITY_MEASURES, dimension: str | None = None,
) -> service.StatsTable:  # fmt: skip
    return service.statistics(
        session, start=start, end=end, period=period, params=service.parameters(settings), antenna=antenna,
        measures=measures, dimension=dimension, delay_days=settings.stats_release_delay_days,
    )  # fmt: skip


def _range(start: date | None, end: date | None) -> tuple[date, date]:
    default_start, default_end = service.default_range(today_in_brussels())
    if start is None and end is None:
        return default_start, default_end
    if start is None:
        assert end is not None
        return service.default_range(end)[0], end
    return start, end or max(start, default_end)


def _figure(cell: Cell) -> Figure:
    return Figure(
        value=cell.value, lower=cell.lower, upper=cell.upper, suppressed=cell.suppressed,
        reason=cell.reason,  # type: ignore[arg-type]  # a Reason value: pydantic validates it into ReasonCode
        noise_sd=cell.noise_sd, epsilon=cell.epsilon,
    )  # fmt: skip


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


def _answer(
    answer: type[AnswerT], row: type[BaseModel], table: service.StatsTable, *,
    start: date, end: date, period: Period, by_dimension: bool,
) -> AnswerT:  # fmt: skip
    """The JSON answer around a table: the range asked for, the windows it covers and one row per line of it."""
    return answer.model_validate({
        "start": start, "end": end, "period": period, "periods": list(table.periods), "as_of": table.as_of,
        "open_periods": list(table.open_periods),
        "rows": [row.model_validate(line) for line in _rows(table, by_dimension=by_dimension)],
    })  # fmt: skip


@router.get(
    "/reciprocity",
    response_model=ReciprocityAnswer,
    responses=ERRORS,
    summary="Participation and reciprocity per antenna and window",
    description=_WHO + "Is the network reciprocal? One row per antenna (and `all`) and window; each field's schema "
    "gives its meaning and formula." + _RANGE_DOC + _FIGURE_ERRORS,
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
    table = _table(session, settings, start=first, end=last, period=period, antenna=antenna)
    return _answer(ReciprocityAnswer, ReciprocityRow, table, start=first, end=last, period=period, by_dimension=False)


@router.get(
    "/bridging",
    response_model=BridgingAnswer,
    responses=ERRORS,
    summary="Bridging across backgrounds per antenna, window and dimension",
    description=_WHO + "Does the network bridge? One row per antenna (and `all`), window and background dimension: "
    "external and internal exchanges E and I, E/(E+I) with its Wilson interval, the E-I index, Blau's "
    "heterogeneity and the baseline ratio, and the six-month cohort." + _RANGE_DOC + _FIGURE_ERRORS,
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
    table = _table(
        session, settings, start=first, end=last, period=period, antenna=antenna,
        measures=(*service.BRIDGING_MEASURES, "active_members"), dimension=dimension.value if dimension else None,
    )  # fmt: skip
    return _answer(BridgingAnswer, BridgingRow, table, start=first, end=last, period=period, by_dimension=True)


@router.get(
    "/export",
    response_class=Response,
    responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}, "description": "a CSV file"}, **ERRORS},
    summary="Every figure as one tidy CSV table",
    description=_WHO + "Columns: " + ", ".join(CSV_COLUMNS) + ". One row per antenna, window, measure and dimension "
    "(empty for a total); the measures are those of /stats/reciprocity and /stats/bridging."
    + _RANGE_DOC
    + _FIGURE_ERRORS,
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
    table = _table(session, settings, start=first, end=last, period=period, antenna=antenna,
                   measures=service.ALL_MEASURES)  # fmt: skip
    return Response(
        content=to_csv(table.cells),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="buurtbank-stats-{first}-{last}.csv"',
            AS_OF_HEADER: table.as_of.isoformat(),
        },
    )


@router.get(
    "/charts/{name}.png",
    response_class=Response,
    responses={200: {"content": {"image/png": {"schema": {"type": "string", "format": "binary"}}}}, **ERRORS},
    summary="A chart of the published figures",
    description=_WHO + "`bridging-share`: E/(E+I) over time per antenna, with the 95% range of its noise (dimension: "
    "`any` unless given); `reciprocity-classes`: shares of active members who only gave, only received, or "
    "both, over time (antenna: `all` unless given). Withheld figures are gaps, never zeros. Titles, axis labels, "
    "legends and the note follow `Accept-Language`."
    + _RANGE_DOC
    + _FIGURE_ERRORS.replace("with this slug", "with this slug, or no chart with this name"),
)
def chart(
    _: AnalystUser,
    session: SessionDep,
    settings: SettingsDep,
    lang: LanguageDep,
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
        table = _table(
            session, settings, start=first, end=last, period=period, antenna=antenna, measures=("external_share",),
            dimension=dimension.value if dimension else "any",
        )  # fmt: skip
    else:
        table = _table(
            session, settings, start=first, end=last, period=period, antenna=antenna or "all",
            measures=("members_gave_only", "members_gave_and_received", "members_received_only", "active_members"),
        )  # fmt: skip
    return Response(
        content=draw(name, table, lang), media_type="image/png", headers={AS_OF_HEADER: table.as_of.isoformat()}
    )


@router.get(
    "/privacy",
    response_model=PrivacyAnswer,
    responses=ERRORS,
    summary="The privacy parameters and the budget spent per antenna and quarter",
    description=_WHO + "Every figure is released once per antenna and closed window with member-level pure "
    "epsilon-differential privacy: each member's contribution is bounded (the bounds below), OpenDP adds "
    "discrete Laplace noise, and the accountant adds up the epsilons of a quarter's release and its months' "
    "releases, refusing any release past `budget_per_quarter`."
    "\n\nErrors:\n- 403: you are not an analyst\n- 404: there is no antenna with this slug",
)
def privacy(_: AnalystUser, session: SessionDep, settings: SettingsDep, antenna: AntennaQuery = None) -> PrivacyAnswer:
    params = service.parameters(settings)
    report = service.privacy_report(session, params=params, antenna=None if antenna == "all" else antenna)
    return PrivacyAnswer(
        guarantee="Whether any one member took part in an antenna's quarter or not changes the probability of "
        f"any published answer about it by a factor of at most e^{params.budget_per_quarter:g}.",
        mechanism=service.MECHANISM,
        epsilon_month=params.epsilon_month,
        epsilon_quarter=params.epsilon_quarter,
        delta=params.delta,
        budget_per_quarter=params.budget_per_quarter,
        release_delay_days=settings.stats_release_delay_days,
        quarter_bounds=Bounds(**params.quarter_bounds.as_dict()),
        month_bounds=Bounds(**params.month_bounds.as_dict()),
        spent=[
            QuarterSpend(
                antenna=b.antenna,
                quarter=b.quarter,
                budget=b.budget,
                spent=b.spent,
                remaining=b.remaining,
                releases=[ReleaseSpend(period=p, epsilon=e, released_at=t) for p, e, t in b.releases],
            )  # fmt: skip
            for b in report
        ],
    )
