"""The privacy budget: what a release may spend, and the rule that refuses one past the budget (pure rules).

The guarantee is member-level, pure epsilon-differential privacy (no delta) for each calendar quarter of
activity in one antenna. A member's data of a quarter is used by the quarter's release and by the releases of
its three months; by sequential composition their epsilons add up, and that sum may not exceed
`budget_per_quarter`. Releases of different quarters use disjoint data (parallel composition), so each quarter
has its own budget; over a year a member active in every quarter is protected at each quarter's budget, and at
the sum of them for the whole year. Releases are frozen, so nothing is ever spent twice on one window.
Members of several antennas are protected per antenna: their privacy loss is the sum over the antennas where
they took part (`all` is the sum of the antennas' releases and costs nothing more).
"""

from __future__ import annotations

from dataclasses import dataclass

from domain.errors import Conflict
from stats.rules.figures import Bounds
from stats.rules.windows import Period, Window

# Floating-point slack when the epsilons of a quarter add up exactly to its budget.
TOLERANCE = 1e-9


class BudgetExhausted(Conflict):
    """A release would take an antenna's quarter past its privacy budget: it is not made."""

    default_key = "error.stats.budget_exhausted"


@dataclass(frozen=True, slots=True)
class PrivacyParameters:
    epsilon_month: float
    epsilon_quarter: float
    budget_per_quarter: float
    # Contribution bounds per member and window: quarters use these, months `month_bounds`.
    quarter_bounds: Bounds
    month_bounds: Bounds
    delta: float = 0.0

    def epsilon(self, window: Window) -> float:
        return self.epsilon_month if window.period is Period.MONTH else self.epsilon_quarter

    def bounds(self, window: Window) -> Bounds:
        return self.month_bounds if window.period is Period.MONTH else self.quarter_bounds

    @property
    def planned_per_quarter(self) -> float:
        """What releasing a quarter and its three months costs."""
        return self.epsilon_quarter + 3 * self.epsilon_month


def check_budget(*, spent: float, epsilon: float, budget: float) -> None:
    """Refuse (BudgetExhausted) a release of `epsilon` when `spent` of `budget` is already used."""
    if epsilon <= 0:
        raise BudgetExhausted("error.stats.budget_exhausted", spent=round(spent, 6), budget=budget)
    if spent + epsilon > budget + TOLERANCE:
        raise BudgetExhausted("error.stats.budget_exhausted", spent=round(spent, 6), budget=budget)
