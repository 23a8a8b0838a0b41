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

# Public money in the sector's resources: 44 % in 2017 (subsidies 20 % + public contracts 24 %), same source as
# NATIONAL_RESOURCES. The diagnostic reads a public share against it: above PUBLIC_WARNING (one and a half times the
# sector's mean, rounded) it warns, above PUBLIC_DANGER (three quarters of the budget from the public purse) it
# alerts. These two thresholds are Maillage's reading of the published mean, not thresholds published as such.
PUBLIC_SECTOR_MEAN = Decimal("44")
PUBLIC_WARNING = Decimal("65")
PUBLIC_DANGER = Decimal("75")
# Public contracts (commande publique) are won and lost by competitive tender (code de la commande publique,
# art. L2124-1 et suivants) and do not carry the association's own project as a subsidy does (circulaire du
# 29 septembre 2015, « Valls », on subsidies and public contracts). Above this share of resources the diagnostic
# alerts on the reliance on tenders. Sector mean: 24 % (Tchernonog & Prouteau 2019).
PUBLIC_CONTRACTS_WARNING = Decimal("50")

# Months of expenses that the cash at the end of the year covers. No regulation sets it; the rule of thumb of three
# months of expenses (a quarter of the year) is the one the support networks of associations teach (France Active,
# DLA guides on treasury) and the one banks read; below one month the association cannot wait for a late subsidy.
CASH_MONTHS_SOURCE = (
    "Repère de gestion couramment enseigné par les réseaux d'accompagnement (France Active, Dispositif local "
    "d'accompagnement) : une trésorerie de trois mois de charges ; ce n'est pas une norme réglementaire"
)
CASH_MONTHS_WARNING = Decimal("3")
CASH_MONTHS_DANGER = Decimal("1")

# Volunteering valued at the gross hourly minimum wage (SMIC) of the year when the association gives no value of
# its own: the usual basis of the « contributions volontaires en nature » (accounts 86 and 87, règlement ANC
# n° 2018-06, art. 211-1 et 213-1). SMIC horaire brut at the start of each year (décrets de revalorisation; the
# 1 November 2024 rise applies from 2025). A year after the last known one uses the last known rate.
SMIC_HOURLY = {
    2019: Decimal("10.03"),
    2020: Decimal("10.15"),
    2021: Decimal("10.25"),
    2022: Decimal("10.57"),
    2023: Decimal("11.27"),
    2024: Decimal("11.65"),
    2025: Decimal("11.88"),
}
SMIC_SOURCE = "SMIC horaire brut au 1er janvier de l'année (décrets de revalorisation), règlement ANC n° 2018-06"


def smic_hourly(year: int) -> Decimal:
    known = sorted(SMIC_HOURLY)
    if year <= known[0]:
        return SMIC_HOURLY[known[0]]
    return SMIC_HOURLY[max(y for y in known if y <= year)]


# Size of an association by budget, for a size-aware reading: a small club (below 10 k€, three associations in
# four per Tchernonog & Prouteau 2019) lives on fees and volunteering, and a single source is normal there.
SMALL_BUDGET = Decimal("10000")
LARGE_BUDGET = Decimal("500000")

# Concentration thresholds of the Herfindahl–Hirschman index (0–10 000) as the US Department of Justice and FTC
# Horizontal Merger Guidelines (2010) use them: below 1 500 unconcentrated, 1 500–2 500 moderately, above highly.
# They are shown as a reading aid only: no alert rests on them (the alerts rest on shares of the budget, above).
HHI_SOURCE = (
    "Indice de Herfindahl-Hirschman ; seuils de lecture repris des Horizontal Merger Guidelines (US DoJ / FTC, 2010), "
    "aide à la lecture seulement : aucune alerte n'en dépend"
)
HHI_MODERATE = 1500
HHI_HIGH = 2500


def budget_band(total: Decimal) -> tuple[str, Decimal, Decimal | None]:
    for band in BUDGET_BANDS:
        if band[2] is None or total < band[2]:
            return band
    return BUDGET_BANDS[-1]
