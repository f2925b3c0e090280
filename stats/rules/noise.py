"""Calibrated noise from OpenDP (the `opendp` package), never hand-written.

Every released figure is an integer (a count or a number of minutes) with a known sensitivity: how much one
member can change it (bounded.py). OpenDP's Laplace mechanism on integers (`make_laplace` over an integer atom
domain, which samples the discrete Laplace distribution exactly, from a cryptographically secure source) adds
noise of scale b = sensitivity / epsilon, and its privacy map states the epsilon spent for that sensitivity; a
release refuses a figure whose map exceeds what it was given. The accountant adds the figures' epsilons
(basic sequential composition of pure differential privacy): no delta.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import opendp.prelude as dp

dp.enable_features("contrib")

# The half-width of the central 95% of Laplace noise of scale b: P(|X| > b ln 20) = 5%.
LAPLACE_95 = math.log(20)


@dataclass(frozen=True, slots=True)
class Noisy:
    """A released figure: the noisy value, how it was made and how much it may be off."""

    value: int
    scale: float  # Laplace scale b
    epsilon: float  # what OpenDP's privacy map says this figure cost
    sensitivity: int

    @property
    def sd(self) -> float:
        return math.sqrt(2) * self.scale

    @property
    def half_width(self) -> float:
        return LAPLACE_95 * self.scale


class PrivacyMapMismatch(RuntimeError):
    """OpenDP says a figure costs more than it was given: a bug, never published."""


def laplace(exact: int, *, sensitivity: int, epsilon: float) -> Noisy:
    """`exact` plus discrete Laplace noise calibrated so that one member costs at most `epsilon`."""
    if epsilon <= 0 or sensitivity <= 0:
        raise ValueError("a released figure needs a positive epsilon and sensitivity")
    scale = sensitivity / epsilon
    measurement = dp.m.make_laplace(dp.atom_domain(T="i64"), dp.absolute_distance(T="i64"), scale=scale)
    spent = float(measurement.map(sensitivity))  # type: ignore[no-untyped-call]  # opendp's Measurement.map has no annotations
    if spent > epsilon * (1 + 1e-9):
        raise PrivacyMapMismatch(f"{spent} > {epsilon}")
    return Noisy(value=int(measurement(int(exact))), scale=scale, epsilon=spent, sensitivity=sensitivity)
