"""Every console text exists in Dutch, French and English, including the keys built from a state or kind."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from api.console.pages_stats import TABLE_MEASURES
from buurtbank.i18n import LANGUAGES, _catalogue
from domain.exchanges import ExchangeState, Party, ProposalState
from domain.geo import DISTANCE_BANDS, FARTHEST_BAND
from domain.ledger import TransferKind
from stats.charts import CHARTS
from stats.rules.figures import Reason
from store.memberships import MembershipStatus
from store.safety import ReportAbout

CONSOLE = Path(__file__).resolve().parents[2] / "api" / "console"
KEY = re.compile(r"""["'](console\.[a-z_]+(?:\.[a-z_-]+)+)["']""")
BUILT = {
    "console.exchange_state.": [s.value for s in ExchangeState],
    "console.proposal_state.": [s.value for s in ProposalState],
    "console.membership.": [s.value for s in MembershipStatus],
    "console.transfer.": [k.value for k in TransferKind],
    "console.role.": [p.value for p in Party],
    "console.distance.": [key for _, key in DISTANCE_BANDS] + [FARTHEST_BAND, "unknown"],
    "console.chart.": list(CHARTS),
    "console.measure.": list(TABLE_MEASURES),
    "console.stats.hidden_": [r.value for r in Reason],
    "console.reports.about_": [a.value for a in ReportAbout],
}


def _keys() -> set[str]:
    found: set[str] = set()
    for path in CONSOLE.rglob("*"):
        if path.suffix in (".py", ".html"):
            text = path.read_text(encoding="utf-8")
            found |= {k for k in KEY.findall(text) if not k.endswith((".", "_"))}
    for prefix, suffixes in BUILT.items():
        found |= {prefix + suffix for suffix in suffixes}
    return found


def test_the_built_prefixes_are_the_ones_the_templates_use() -> None:
    templates = "".join(p.read_text(encoding="utf-8") for p in (CONSOLE / "templates").glob("*.html"))
    used = set(re.findall(r"""t\('(console\.[a-z_.]+)' ~""", templates))
    assert used == set(BUILT)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_console_text_is_translated(lang: str) -> None:
    keys = _keys()
    assert len(keys) > 200
    assert sorted(k for k in keys if k not in _catalogue(lang)) == []
