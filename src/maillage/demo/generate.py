"""A synthetic national data set of alliances, calibrated on the published figures (docs/observatory.md).

``maillage generate --scale S --seed N`` writes about 1.5 M × S associations (Tchernonog & Prouteau 2019), spread
over the real communes by population, with the INJEP 2019 sector mix and the budget bands of Tchernonog; their
partners follow Recherches & Solidarités 2016 (shares by kind of partner, ≈ 2.5 kinds per association; company
partners by budget), the forms with companies follow PHARE-Associations 2015 (with a drift from mécénat towards
co-construction over the years), gifts follow Admical (financial 77 %, in-kind 29 %, skills 11 % of givers).
Companies are drawn by size band (INSEE 2023), public partners are the real bodies already loaded.

Rows go through the bulk path (COPY on PostgreSQL, executemany on SQLite); the same seed on the same reference
data gives the same rows. Every generated association has a workspace that contributes to the observatory.
"""

from __future__ import annotations

import bisect
import json
import random
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime
from decimal import Decimal
from itertools import accumulate

from django.db import connection, transaction
from django.utils import timezone

from maillage.alliances import totals as alliance_totals
from maillage.contributions import totals as contribution_totals
from maillage.observatory.bulk_copy import next_id, reset_sequence, write_rows
from maillage.territories.models import Commune, Zone

NATIONAL_ASSOCIATIONS = 1_500_000  # Tchernonog & Prouteau 2019 (2017 data)
YEARS = 5
CHUNK = 20_000

# INJEP, Chiffres clés de la vie associative 2019: share of associations by sector.
SECTORS = {
    "sport": 0.24,
    "culture": 0.23,
    "loisirs_vie_sociale": 0.21,
    "social_sante": 0.14,
    "droits_citoyennete": 0.12,
    "education_jeunesse": 0.03,
    "developpement_local": 0.03,
}
# Tchernonog & Prouteau 2019: 75 % under 10 k€, 1.3 % over 500 k€; the middle bands are interpolated.
BANDS = {"lt_10k": 0.75, "10k_50k": 0.14, "50k_150k": 0.06, "150k_500k": 0.037, "gt_500k": 0.013}
# Recherches & Solidarités + Le RAMEAU 2016: share of associations working with each kind of partner.
KIND_SHARES = {
    "local_authority": 0.74,
    "association_foundation": 0.72,
    "school": 0.47,
    "insertion": 0.22,
    "research": 0.09,
}
# Company partners by budget (same survey: 20 % under 10 k€, 50 % over 150 k€); overall ≈ 28 %.
COMPANY_BY_BAND = {"lt_10k": 0.23, "10k_50k": 0.38, "50k_150k": 0.45, "150k_500k": 0.50, "gt_500k": 0.55}
# PHARE-Associations 2015: forms among associations partnering with companies (mean over the years).
COMPANY_FORMS = {
    "mecenat": 0.67,
    "pratiques_responsables": 0.29,
    "cooperation_economique": 0.26,
    "innovation_sociale": 0.25,
}
FORM_DRIFT = {
    "mecenat": -0.12,
    "pratiques_responsables": 0.03,
    "cooperation_economique": 0.06,
    "innovation_sociale": 0.06,
}
# Admical/CSA 2016: modes among giving companies.
MECENAT_MODES = {"mecenat_financier": 0.77, "mecenat_nature": 0.29, "mecenat_competences": 0.11}
# INSEE 2023, companies partnering with associations: counts by size band, and how often each is chosen.
COMPANY_SIZES = [("micro", 0.70, 1.0), ("sme", 0.25, 3.0), ("mid", 0.04, 10.0), ("large", 0.01, 40.0)]
# Alliance lifetimes (issue 23): each partner drawn for an association is a *chain* of alliances of that kind
# back to the first start year, one after the other (a partnership renewed, or a new partner of the same kind), so
# that the share of associations with each kind holds in every year, not in the last one only. Each alliance lasts
# 1 + a geometric number of years (mean ALLIANCE_YEARS); the one in progress now has a geometric age (memoryless).
ALLIANCE_YEARS = 4.0
# A dated trajectory (issue 23): the one dated series of DOMAIN on alliances with companies is Le RAMEAU's
# PHARE-Entreprises barometer, 21 % of companies (≥ 10 employees) partnering with associations in 2011 and 37 % in
# 2015: ×(37/21)^(1/4) ≈ +15 % a year. The association side (Recherches & Solidarités 2016: 28 % with a company
# partner) is taken as today's level and the past years follow that growth backwards; the other kinds have no
# dated figure and stay at their 2016 level. The calibration test checks every published year against it.
PHARE_ENTREPRISES = {2011: 0.21, 2015: 0.37}
COMPANY_GROWTH = (PHARE_ENTREPRISES[2015] / PHARE_ENTREPRISES[2011]) ** (1 / (2015 - 2011))


def company_factor(year: int, last_year: int) -> float:
    """The share of associations with a company partner in ``year``, relative to ``last_year``'s (≤ 1)."""
    return min(1.0, COMPANY_GROWTH ** (year - last_year))


# Coverage (issue 23): the directory also holds associations that are not on the platform (no workspace): fewer
# of the small ones sign up, so the platform over-represents the large ones and the observatory weights its figures
# back to the directory's population by sector and band. Directory-only associations: DIRECTORY_ONLY × the
# platform's, with this band mix (the sectors as INJEP).
DIRECTORY_ONLY = 1.0
DIRECTORY_ONLY_BANDS = {"lt_10k": 0.95, "10k_50k": 0.04, "50k_150k": 0.007, "150k_500k": 0.002, "gt_500k": 0.001}
RENEWED_WITH_SAME_PARTNER = {"public": 0.8, "association": 0.6, "foundation": 0.5}  # else a new partner of the kind
GIFT_SCALE = {"lt_10k": 400, "10k_50k": 1500, "50k_150k": 4000, "150k_500k": 12000, "gt_500k": 40000}
LOCAL_SHARE = 0.74  # PHARE-Entreprises 2015: 74 % of company partnerships are local


def _pick(rng: random.Random, weights: dict[str, float]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def solve_conditional(targets: Sequence[float]) -> list[float]:
    """Probabilities p such that, drawing each independently and redrawing when none comes, P(i) = targets[i]."""
    p = list(targets)
    for _ in range(200):
        none = 1.0
        for value in p:
            none *= 1 - value
        p = [min(0.99, t * (1 - none)) for t in targets]
    return p


def assoc_draw_probability(target: float, to_association: float = 0.85) -> float:
    """Chance of starting an alliance with another association or a foundation, so that the *share* of
    associations with such a partner is ``target``: an alliance with another association counts for both, so an
    association also receives, on average, ``p × to_association`` such ties (Poisson): (1 − p)·e^(−0.85 p) = 1 − target.
    """
    import math

    low, high = 0.0, target
    for _ in range(60):
        p = (low + high) / 2
        if 1 - (1 - p) * math.exp(-to_association * p) < target:
            low = p
        else:
            high = p
    return (low + high) / 2


class Weighted:
    """Fast repeated weighted choice (cumulative weights, bisect)."""

    def __init__(self, items: Sequence, weights: Sequence[float]):
        self.items = list(items)
        self.cum = list(accumulate(weights))

    def __call__(self, rng: random.Random):
        return self.items[bisect.bisect_right(self.cum, rng.random() * self.cum[-1])]


class Generator:
    def __init__(self, *, scale: float, seed: int, departement: str | None, progress: Callable[[str], None]):
        self.rng = random.Random(seed)
        self.scale = scale
        self.departement = departement
        self.say = progress
        self.next_org: int = 0  # the next organisation id, read from the table at the start of run()
        self.last_year = timezone.localdate().year
        self.first_year = self.last_year - YEARS + 1
        self.start_years = list(range(self.first_year - 2, self.last_year + 1))
        self.pg = connection.vendor == "postgresql"
        self.counts: dict[str, int] = defaultdict(int)
        self.assoc_draw = assoc_draw_probability(KIND_SHARES["association_foundation"])
        self.form_p = {
            year: dict(
                zip(
                    COMPANY_FORMS,
                    solve_conditional([COMPANY_FORMS[f] + FORM_DRIFT[f] * self._drift(year) for f in COMPANY_FORMS]),
                    strict=True,
                )
            )
            for year in self.start_years
        }

    def _drift(self, year: int) -> float:
        mid = (self.start_years[0] + self.start_years[-1]) / 2
        return (year - mid) / ((self.start_years[-1] - self.start_years[0]) / 2)

    def ts(self, day: date) -> object:
        moment = datetime(day.year, day.month, day.day, 10, 0, tzinfo=UTC)
        return moment if self.pg else moment.strftime("%Y-%m-%d %H:%M:%S")

    def day_in(self, year: int) -> date:
        return date(year, self.rng.randint(1, 12), self.rng.randint(1, 28))

    # -- places and partners ----------------------------------------------------------------------------------
    def load_places(self) -> None:
        qs = Commune.objects.filter(kind=Commune.Kind.COMMUNE, zone__in=[Zone.METRO, Zone.DROM], population__gt=0)
        if self.departement:
            qs = qs.filter(departement_id=self.departement)
        self.communes = list(
            qs.order_by("code").values_list("code", "population", "epci_id", "departement_id", "region_id")
        )
        if not self.communes:
            raise ValueError("Aucune commune : chargez d'abord le référentiel (maillage load_territories).")
        self.pick_commune = Weighted(self.communes, [c[1] for c in self.communes])
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT territory_key, id, kind FROM organizations_organization WHERE territory_key IS NOT NULL"
            )
            rows = cursor.fetchall()
            self.bodies = {key: oid for key, oid, _kind in rows}
            self.body_kinds = {oid: kind for _key, oid, kind in rows}
            cursor.execute("SELECT id FROM organizations_organization WHERE kind = 'state_service' ORDER BY id")
            self.state_services = [row[0] for row in cursor.fetchall()]

    def org_row(self, oid, kind, name, commune, band="", workforce="", created=None):
        code, _pop, epci, dep, region = commune
        return (
            oid, kind, name, name.lower(), None, None, None, None, code, epci, dep, region, None, None,
            band, workforce, "", "", None, created or self.ts(date(self.first_year, 1, 1)),
        )  # fmt: skip

    def build_pools(self, n_assoc: int) -> list[tuple]:
        """Companies, foundations, schools, insertion bodies and labs, placed like the associations."""
        rows: list[tuple] = []
        self.pools: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
        oid = self.next_org

        def make(kind: str, count: int, label: str, by: str, workforce: str = "") -> None:
            nonlocal oid
            for i in range(max(count, 1)):
                commune = self.pick_commune(self.rng)
                rows.append(self.org_row(oid, kind, f"{label} synthétique {oid}", commune, workforce=workforce))
                key = commune[3] if by == "dep" else commune[4]
                self.pools[kind][key].append(oid)
                self.pools[kind]["*"].append(oid)
                if kind == "company":
                    self.company_weight.append(next(w for s, _c, w in COMPANY_SIZES if s == workforce))
                    self.company_ids.append(oid)
                oid += 1
                del i

        self.company_weight: list[float] = []
        self.company_ids: list[int] = []
        n_companies = max(30, round(n_assoc * 0.12))
        for size, share, _weight in COMPANY_SIZES:
            make("company", round(n_companies * share), "Entreprise", "dep", workforce=size)
        make("foundation", round(n_assoc * 0.002) or 3, "Fondation", "region")
        make("school", round(n_assoc * 0.01) or 5, "Établissement scolaire", "dep")
        make("siae", round(n_assoc * 0.005) or 5, "Structure d'insertion", "dep")
        make("research_lab", round(n_assoc * 0.001) or 3, "Laboratoire", "region")
        weight_of = dict(zip(self.company_ids, self.company_weight, strict=True))
        self.company_pick = {
            dep: Weighted(ids, [weight_of[i] for i in ids]) for dep, ids in self.pools["company"].items()
        }
        self.next_org = oid
        return rows

    def from_pool(self, kind: str, key: str) -> int:
        local = self.pools[kind].get(key)
        return self.rng.choice(local if local else self.pools[kind]["*"])

    def local_authority(self, commune: tuple) -> int | None:
        code, _pop, epci, dep, region = commune
        options = [
            (f"commune:{code}", 0.6),
            (f"epci:{epci}", 0.15),
            (f"departement:{dep}", 0.15),
            (f"region:{region}", 0.1),
        ]
        options = [(k, w) for k, w in options if k in self.bodies]
        if not options:
            return None
        return self.bodies[self.rng.choices([k for k, _ in options], weights=[w for _, w in options])[0]]

    # -- the run ----------------------------------------------------------------------------------------------
    def run(self) -> dict[str, int]:
        self.load_places()
        n_assoc = max(1, round(NATIONAL_ASSOCIATIONS * self.scale))
        self.next_org = next_id("organizations_organization")
        ids = {t: next_id(t) for t in TABLES}
        with transaction.atomic(), foreign_keys_checked_once(FILLED if self.pg else ()):
            pool_rows = self.build_pools(n_assoc)
            first_assoc = self.next_org
            assoc = []  # (id, commune, band, cause, workspace id, since)
            by_dep: dict[str, list[int]] = defaultdict(list)
            for i in range(n_assoc):
                commune = self.pick_commune(self.rng)
                since = (
                    self.first_year if self.rng.random() < 0.6 else self.rng.randint(self.first_year, self.last_year)
                )
                assoc.append((first_assoc + i, commune, _pick(self.rng, BANDS), _pick(self.rng, SECTORS), since))
                by_dep[commune[3]].append(first_assoc + i)
            self.say(f"Organisations : {len(pool_rows)} partenaires, {n_assoc} associations…")
            self.counts["organizations"] += write_rows(
                "organizations_organization",
                ORG_COLUMNS,
                pool_rows
                + [
                    self.org_row(a[0], "association", f"Association synthétique {a[0]}", a[1], band=a[2]) for a in assoc
                ],
            )
            self.counts["causes"] += write_rows(
                "organizations_organization_causes",
                ("organization_id", "cause_id"),
                ((a[0], a[3]) for a in assoc),
            )
            ws_first = ids["workspaces_workspace"]
            self.counts["workspaces"] += write_rows(
                "workspaces_workspace",
                ("id", "name", "organization_id", "contributes_to_observatory", "created_at", "verified_at"),
                (
                    (ws_first + i, f"Espace synthétique {a[0]}", a[0], True, *[self.ts(date(a[4], 1, 15))] * 2)
                    for i, a in enumerate(assoc)
                ),
            )
            for start in range(0, n_assoc, CHUNK):
                batch = assoc[start : start + CHUNK]
                tables = self.alliances_for(batch, ws_first + start, by_dep, ids)
                for table, (columns, rows) in tables.items():
                    self.counts[table.split("_", 1)[1]] += write_rows(table, columns, rows)
                self.say(f"Associations {min(start + CHUNK, n_assoc)}/{n_assoc}")
            self.directory_only(first_assoc + n_assoc, n_assoc)
            for table in ("organizations_organization", "organizations_organization_causes", *TABLES):
                reset_sequence(table)
            # The sums the actions keep on write, recomputed once for the rows written in bulk.
            self.say("Sommes par partie (temps investi, contributions reçues)…")
            alliance_totals.rebuild()
            contribution_totals.rebuild()
            if self.pg:  # fresh statistics: the planner would otherwise take the loaded tables for empty ones
                with connection.cursor() as cursor:
                    for table in ("organizations_organization", "organizations_organization_causes", *TABLES, *SUMS):
                        cursor.execute(f'ANALYZE "{table}"')
        return dict(self.counts)

    def directory_only(self, first: int, n_assoc: int) -> None:
        """Associations of the directory that are not on the platform (no workspace), drawn apart (their own random
        stream) so that the platform's rows stay those of the same seed."""
        rng = random.Random(self.rng.random())
        rows, causes = [], []
        for oid in range(first, first + round(n_assoc * DIRECTORY_ONLY)):
            commune = self.pick_commune(rng)
            rows.append(
                self.org_row(
                    oid, "association", f"Association annuaire {oid}", commune, band=_pick(rng, DIRECTORY_ONLY_BANDS)
                )
            )
            causes.append((oid, _pick(rng, SECTORS)))
        self.say(f"Annuaire : {len(rows)} associations hors plateforme…")
        self.counts["organizations"] += write_rows("organizations_organization", ORG_COLUMNS, rows)
        self.counts["causes"] += write_rows(
            "organizations_organization_causes", ("organization_id", "cause_id"), causes
        )

    def alliances_for(self, batch, ws_first: int, by_dep, ids) -> dict[str, tuple[Sequence[str], list[tuple]]]:
        rng = self.rng
        out: dict[str, list[tuple]] = defaultdict(list)
        for offset, (aid, commune, band, _cause, _since) in enumerate(batch):
            workspace = ws_first + offset
            partners: list[tuple[str, int]] = []
            if rng.random() < KIND_SHARES["local_authority"]:
                for _ in range(2 if rng.random() < 0.3 else 1):
                    body = self.local_authority(commune)
                    if body and body not in [p for _, p in partners]:
                        partners.append(("public", body))
            if rng.random() < self.assoc_draw:
                if rng.random() < 1 - 0.85:
                    partners.append(("foundation", self.from_pool("foundation", commune[4])))
                else:
                    neighbours = by_dep[commune[3]]
                    other = rng.choice(neighbours)
                    if other != aid:
                        partners.append(("association", other))
                    else:
                        partners.append(("foundation", self.from_pool("foundation", commune[4])))
            if rng.random() < KIND_SHARES["school"]:
                partners.append(("school", self.from_pool("school", commune[3])))
            company_pick = None
            company_since = None
            if rng.random() < COMPANY_BY_BAND[band]:
                # The company chain reaches back to the first year in which it was already there (the trajectory).
                u = rng.random()
                company_since = next(y for y in self.start_years if company_factor(y, self.last_year) >= u)
                local = rng.random() < LOCAL_SHARE and commune[3] in self.company_pick
                company_pick = self.company_pick[commune[3] if local else "*"]
                partners.append(("company", company_pick(rng)))
            if rng.random() < KIND_SHARES["insertion"]:
                partners.append(("siae", self.from_pool("siae", commune[3])))
            if rng.random() < KIND_SHARES["research"]:
                partners.append(("research_lab", self.from_pool("research_lab", commune[4])))
            # A new partner of the same kind for an earlier alliance of the chain (public bodies and associations
            # keep theirs: the partnership was renewed).
            repick = {
                "company": (lambda p=company_pick: p(rng)) if company_pick else None,
                "foundation": lambda c=commune: self.from_pool("foundation", c[4]),
                "school": lambda c=commune: self.from_pool("school", c[3]),
                "siae": lambda c=commune: self.from_pool("siae", c[3]),
                "research_lab": lambda c=commune: self.from_pool("research_lab", c[4]),
            }
            for kind, partner in partners:
                since = company_since if kind == "company" else None
                self.alliance(out, ids, aid, workspace, commune, band, kind, partner, repick.get(kind), since)
        return {table: (COLUMNS[table], rows) for table, rows in out.items()}

    def forms_for(self, kind: str, year: int) -> list[str]:
        rng = self.rng
        if kind == "company":
            p = self.form_p[year]
            while True:
                chosen = [f for f, v in p.items() if rng.random() < v]
                if chosen:
                    break
            forms = [f for f in chosen if f != "mecenat"]
            if "mecenat" in chosen:
                modes = [m for m, v in MECENAT_MODES.items() if rng.random() < v] or ["mecenat_financier"]
                forms = modes + forms
            return forms
        if kind == "foundation":
            return ["mecenat_financier"]
        drift = self._drift(year)
        return ["innovation_sociale"] if rng.random() < 0.25 + 0.1 * drift else ["cooperation_economique"]

    def years_lasting(self) -> int:
        """1 + a geometric number of years: mean ALLIANCE_YEARS."""
        rng = self.rng
        years = 1
        while rng.random() > 1 / ALLIANCE_YEARS:
            years += 1
        return years

    def alliance(self, out, ids, aid, workspace, commune, band, kind, partner, pick=None, since=None) -> None:
        """The chain of alliances of one kind: the one in progress now, then the earlier ones, back to the first
        start year (or ``since``); each earlier one ends in the year before the next starts."""
        rng = self.rng
        first = max(self.start_years[0], since or 0)
        start = max(first, self.last_year - (self.years_lasting() - 1))
        ends = None
        while True:
            self.one_alliance(out, ids, aid, workspace, commune, band, kind, partner, start, ends)
            if start <= first:
                break
            ends = date(start - 1, rng.randint(1, 12), rng.randint(1, 28))
            start = max(first, start - self.years_lasting())
            if pick is not None and rng.random() >= RENEWED_WITH_SAME_PARTNER.get(kind, 0.0):
                partner = pick()

    def one_alliance(self, out, ids, aid, workspace, commune, band, kind, partner, year, ends) -> None:
        rng = self.rng
        last = ends.year if ends else self.last_year
        starts = self.day_in(year)
        if ends is not None and starts > ends:
            starts = ends
        forms = self.forms_for(kind, year)
        alliance_id = ids["alliances_alliance"]
        ids["alliances_alliance"] += 1
        created = self.ts(starts)
        meeting_year = rng.randint(min(max(year, self.first_year), last), last)
        met = self.day_in(meeting_year)
        if ends is not None and met > ends:
            met = ends
        out["alliances_alliance"].append(
            (alliance_id, f"Alliance synthétique {alliance_id}", "", json.dumps(forms), "active", created, "",
             "", "", "", commune[3], commune[4], starts, ends, met, workspace, None, created, created)
        )  # fmt: skip
        own, other = ids["alliances_party"], ids["alliances_party"] + 1
        ids["alliances_party"] += 2
        partner_kind = self.body_kinds[partner] if kind == "public" else kind
        out["alliances_party"].append(
            (own, alliance_id, aid, "association", "lead", "", workspace, created, None, created)
        )
        out["alliances_party"].append(
            (other, alliance_id, partner, partner_kind, "partner", "", None, created, None, created)
        )
        interaction = ids["alliances_interaction"]
        ids["alliances_interaction"] += 1
        duration = rng.choice((30, 60, 60, 90, 120, 180))
        people = rng.choice((1, 1, 2, 3))
        out["alliances_interaction"].append(
            (interaction, alliance_id, workspace, rng.choice(("meeting", "call", "visit", "event")), met, duration,
             "Point d'étape", "", None, self.ts(met))
        )  # fmt: skip
        out["alliances_attendance"].append((ids["alliances_attendance"], interaction, own, people, duration * people))
        ids["alliances_attendance"] += 1
        gifts: list[str] = []
        if kind == "company":
            gifts = [
                {"mecenat_financier": "money", "mecenat_nature": "in_kind", "mecenat_competences": "skills"}[f]
                for f in forms
                if f.startswith("mecenat")
            ]
        elif kind == "foundation" or (kind == "public" and rng.random() < 0.5):
            gifts = ["money"]
        for gift in gifts:
            scale = GIFT_SCALE[band] * (0.5 if gift == "in_kind" else 1.0)
            value = Decimal(str(round(scale * rng.lognormvariate(0, 0.8), 2)))
            received = self.day_in(rng.randint(min(max(year, self.first_year), last), last))
            if ends is not None and received > ends:
                received = ends
            method = {"money": "nominal", "in_kind": "cost_price", "skills": "salary_cost"}[gift]
            out["contributions_contribution"].append(
                (ids["contributions_contribution"], alliance_id, other, partner_kind, own, gift, "received",
                 "Don synthétique", value, method, "", None, received, None, None, gift == "skills", Decimal("0"),
                 workspace, None, self.ts(received))
            )  # fmt: skip
            ids["contributions_contribution"] += 1


ORG_COLUMNS = (
    "id", "kind", "name", "name_search", "siren", "siret", "rna", "naf_id", "commune_id", "epci_id",
    "departement_id", "region_id", "territory_key", "population", "budget_band", "workforce_band", "website",
    "description", "created_by_id", "created_at",
)  # fmt: skip
COLUMNS = {
    "alliances_alliance": (
        "id", "name", "purpose", "forms", "stage", "stage_changed_at", "abandon_reason", "territory_level",
        "territory_code", "territory_name", "departement_id", "region_id", "starts_on", "ends_on",
        "last_interaction_on", "created_by_workspace_id", "created_by_id", "created_at", "updated_at",
    ),
    "alliances_party": (
        "id", "alliance_id", "organization_id", "organization_kind", "role", "commitment", "workspace_id",
        "joined_at", "left_at", "created_at",
    ),
    "alliances_interaction": (
        "id", "alliance_id", "workspace_id", "kind", "occurred_on", "duration_minutes", "subject", "notes",
        "created_by_id", "created_at",
    ),
    "alliances_attendance": ("id", "interaction_id", "party_id", "people", "minutes"),
    "contributions_contribution": (
        "id", "alliance_id", "giver_id", "giver_kind", "receiver_id", "kind", "status", "description", "value",
        "valuation_method", "evidence", "promised_on", "received_on", "hours", "hourly_rate", "signed_timesheet",
        "counterparts_value", "created_by_workspace_id", "created_by_id", "created_at",
    ),
}  # fmt: skip
TABLES = ("workspaces_workspace", *COLUMNS)
SUMS = ("alliances_partytime", "contributions_receivedsum")
FILLED = ("organizations_organization", "organizations_organization_causes", *TABLES, *SUMS)


@contextmanager
def foreign_keys_checked_once(tables: Sequence[str]) -> Iterator[None]:
    """PostgreSQL: the foreign keys of ``tables`` dropped for the bulk writes and added back after, each checked by
    one join over the whole table instead of one deferred trigger per row at COMMIT (decision 0026; the
    PostgreSQL manual, "Populating a Database"). To be entered inside the writes' transaction: a failure (an
    orphan row as much as anything else) rolls back the rows and the dropped keys together."""
    if not tables:
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.conname, c.conrelid::regclass::text, pg_get_constraintdef(c.oid), c.condeferred, "
            "c.conrelid = ANY(%s::regclass[]) FROM pg_constraint c WHERE c.contype = 'f' "
            "AND (c.conrelid = ANY(%s::regclass[]) OR c.confrelid = ANY(%s::regclass[])) ORDER BY c.conname",
            [list(tables)] * 3,
        )
        found = cursor.fetchall()
        keys = [(name, table, definition) for name, table, definition, _, own in found if own]
        # Checks a caller's transaction still holds for these keys run now: PostgreSQL refuses to alter a table
        # with pending trigger events.
        if found:
            cursor.execute(f"SET CONSTRAINTS {', '.join(quote(name) for name, *_ in found)} IMMEDIATE")
        for name, table, _ in keys:
            cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {quote(name)}")
    yield
    with connection.cursor() as cursor:
        for name, table, definition in keys:
            cursor.execute(f"ALTER TABLE {table} ADD CONSTRAINT {quote(name)} {definition}")
        deferred = [quote(name) for name, _, _, was_deferred, own in found if was_deferred and not own]
        if deferred:  # the other tables' keys back to their mode (the re-added ones start in theirs)
            cursor.execute(f"SET CONSTRAINTS {', '.join(deferred)} DEFERRED")


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def generate(
    *, scale: float, seed: int, departement: str | None = None, progress: Callable[[str], None] | None = None
) -> dict[str, int]:
    """Write a synthetic data set; returns the number of rows written per table."""
    if not 0 < scale <= 2:
        raise ValueError("L'échelle doit être comprise entre 0 (exclu) et 2, par exemple 0.01 ou 1.0.")
    return Generator(scale=scale, seed=seed, departement=departement, progress=progress or (lambda m: None)).run()
