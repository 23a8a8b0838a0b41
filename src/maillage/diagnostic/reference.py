"""Published national figures the diagnostic compares an association with, each with its source.

Re-check a figure against its source before changing it.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class NationalShare:
    label: str
    sources: tuple[str, ...]  # codes of diagnostic.models.Source grouped in this line
    percent: Decimal


# Resources of the associative sector in 2017, by origin: public subsidies 20 %, public contracts 24 %, other
# activity income (sales, services) about 42 %, membership fees + gifts + mécénat about 14 %.
# Source: V. Tchernonog et L. Prouteau, « Le paysage associatif français », Dalloz / Juris éditions, 2019
# (données 2017).
NATIONAL_RESOURCES_SOURCE = (
    "V. Tchernonog et L. Prouteau, « Le paysage associatif français. Mesures et évolutions », "
    "Dalloz – Juris éditions, 3e éd., 2019 (données 2017)"
)
NATIONAL_RESOURCES: tuple[NationalShare, ...] = (
    NationalShare("Subventions publiques", ("public_subsidies",), Decimal("20")),
    NationalShare("Commandes publiques", ("public_contracts",), Decimal("24")),
    NationalShare("Ventes et prestations (recettes d'activité privées)", ("sales",), Decimal("42")),
    NationalShare("Cotisations, dons et mécénat", ("fees", "gifts"), Decimal("14")),
)

# Share of associations with at least one company partner, by budget (Recherches & Solidarités and Le RAMEAU,
# survey 2016, published 2017): 50 % above 150 k€, 20 % below 10 k€.
COMPANY_PARTNERS_SOURCE = "Recherches & Solidarités et Le RAMEAU, enquête 2016 (≈ 1 380 réponses), publiée en 2017"
COMPANY_PARTNERS_BY_BUDGET = {"gt_150k": Decimal("50"), "lt_10k": Decimal("20")}

# Budget bands of Tchernonog & Prouteau (organizations.models.BudgetBand), as euro ranges [low, high).
BUDGET_BANDS: tuple[tuple[str, Decimal, Decimal | None], ...] = (
    ("lt_10k", Decimal("0"), Decimal("10000")),
    ("10k_50k", Decimal("10000"), Decimal("50000")),
    ("50k_150k", Decimal("50000"), Decimal("150000")),
    ("150k_500k", Decimal("150000"), Decimal("500000")),
    ("gt_500k", Decimal("500000"), None),
)

# Disclosure control of the comparison with similar associations: a group smaller than this is not shown.
MIN_PEERS = 5

# Concentration thresholds of the Herfindahl–Hirschman index (0–10 000) as the US Department of Justice and FTC
# Horizontal Merger Guidelines (2010) use them: below 1 500 unconcentrated, 1 500–2 500 moderately, above highly.
HHI_SOURCE = "Indice de Herfindahl-Hirschman ; seuils des Horizontal Merger Guidelines (US DoJ / FTC, 2010)"
HHI_MODERATE = 1500
HHI_HIGH = 2500


def budget_band(total: Decimal) -> tuple[str, Decimal, Decimal | None]:
    for band in BUDGET_BANDS:
        if band[2] is None or total < band[2]:
            return band
    return BUDGET_BANDS[-1]
