"""The kinds of help members exchange, with their labels in Dutch, French and English."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Category:
    key: str
    nl: str
    fr: str
    en: str


CATEGORIES: tuple[Category, ...] = (
    Category("visits_company", "Bezoek en gezelschap", "Visites et compagnie", "Visits and company"),
    Category("transport", "Vervoer", "Transport", "Transport"),
    Category("shopping", "Boodschappen", "Courses", "Shopping"),
    Category("paperwork", "Papierwerk en administratie", "Papiers et administration", "Paperwork and administration"),
    Category("language_practice", "Taal oefenen", "Pratique de la langue", "Language practice"),
    Category("digital_help", "Digitale hulp", "Aide numérique", "Digital help"),
    Category("small_repairs", "Kleine herstellingen", "Petites réparations", "Small repairs"),
    Category("gardening", "Tuinieren", "Jardinage", "Gardening"),
    Category("cooking", "Koken", "Cuisine", "Cooking"),
    Category(
        "accompanying", "Begeleiding naar afspraken", "Accompagnement aux rendez-vous", "Accompanying to appointments"
    ),
    Category("translation", "Vertalen", "Traduction", "Translation"),
)

CATEGORY_KEYS: frozenset[str] = frozenset(c.key for c in CATEGORIES)


def category(key: str) -> Category | None:
    return next((c for c in CATEGORIES if c.key == key), None)
