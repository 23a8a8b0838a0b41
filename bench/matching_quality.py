"""Quality of matching on a planted ground truth (issue 25): precision@5, recall@10 and MRR per variant, and latency.

A generated data set (by default the issue's: 18,000 associations, 2,200 companies; the background of
``bench/matching.py``) receives, for each variant, ``--cases`` planted needs. Each need has a right partner in its
commune and an acceptable one in its département (another EPCI), both relevant; distractors sit around them.
Variants (the hard ones of the issue):

- ``easy``: right and acceptable offers share the need's cause;
- ``cause``: right and acceptable offers are filed under another cause (an accounting firm under « développement
  local »), distractors nearby share the need's cause but give something else;
- ``dense``: 1,000 newer offers of every kind in the other communes of the need's EPCI, half of them under the
  need's cause (a dense area around a city);
- ``naf``: no offer at all; the right and acceptable partners are companies of the directory whose NAF code fits
  the need, among companies of unrelated activity in the same commune sharing the association's cause (ranked in
  the partners list);
- ``expired``: an offer that fits perfectly, newer, in the same commune, but ended last year, and a call for
  projects closed last year (both must never be proposed: counted apart);
- ``amount``: a 12,000 € funding need; a newer 500 € offer in the same commune against the right 15,000 € one.

Relevance: the right and the acceptable partner's offers (or, for ``naf``, the organisations). MRR = mean of
1 / rank of the first relevant suggestion (0 if none in the top 20). Latency: median time of ``suggestions_for``
for the planted associations, printed with its ratio to a primary-key lookup measured in the same run.

    .venv/bin/python bench/matching_quality.py                                  # the issue's data set
    .venv/bin/python bench/matching_quality.py --associations 3000 --companies 400 --cases 8   # a quick run

Target: MRR ≥ 0.8 on every variant. The script creates (and drops, unless --keep) the PostgreSQL database
``maillage_bench_quality``.
"""

from __future__ import annotations

import argparse
import copy
import statistics
import sys
import time
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path
from random import Random

sys.path.insert(0, str(Path(__file__).resolve().parent))

import matching as background  # noqa: E402  (bench/matching.py: database set-up, loader, generated background)

TARGET_MRR = 0.8
PG_DATABASE = "maillage_bench_quality"
VARIANTS = ("dense", "easy", "cause", "naf", "expired", "amount")  # dense first: its départements are its own
# A skills domain, the NAF code of a firm whose activity gives it, and an unrelated NAF code.
NEEDS = [
    ("comptabilite", "Tenue de la comptabilité annuelle", "69.20Z", "Cabinet comptable"),
    ("juridique", "Révision de nos statuts", "69.10Z", "Cabinet d'avocats"),
    ("numerique", "Refonte de notre site internet", "62.01Z", "Agence web"),
    ("communication", "Plan de communication", "73.11Z", "Agence de publicité"),
    ("batiment", "Travaux d'électricité du local", "43.21A", "Électricien"),
]
UNRELATED_NAF = ["56.10A", "47.76Z", "96.02A", "10.71C", "93.12Z"]  # restaurant, fleuriste, coiffure, boulangerie, club


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--associations", type=int, default=18_000)
    parser.add_argument("--companies", type=int, default=2_200)
    parser.add_argument("--foundations", type=int, default=100)
    parser.add_argument("--cases", type=int, default=20, help="planted needs per variant (default 20)")
    parser.add_argument("--dense", type=int, default=1000, help="newer offers around each dense case")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument(
        "--database", default=PG_DATABASE, help=f"PostgreSQL database to create (default {PG_DATABASE})"
    )
    parser.add_argument("--explain", action="store_true", help="print the top 3 of every case missed at rank 1")
    return parser.parse_args(argv)


class Planter:
    """Organisations, workspaces and items planted through the product's own actions."""

    def __init__(self, rng: Random) -> None:
        from maillage.territories.models import Commune

        self.rng = rng
        self.counter = 0
        communes = list(
            Commune.objects.filter(epci__isnull=False, population__gte=3000, parent__isnull=True).values_list(
                "code", "epci_id", "departement_id", "region_id"
            )
        )
        rng.shuffle(communes)
        self.communes = communes
        self.by_dep: dict[str, list[tuple]] = {}
        for row in communes:
            self.by_dep.setdefault(row[2], []).append(row)
        self.used: set[str] = set()
        self.blocked: set[str] = set()  # départements of the dense cases: no other case there

    def place_pair(self, alone: bool = False) -> tuple[tuple, tuple]:
        """A commune for the need (never used before) and another commune of its département in another EPCI.

        ``alone``: a département of its own (a dense case: its 1,000 offers must not crowd another case).
        """
        used_deps = {row[2] for row in self.communes if row[0] in self.used}
        for row in self.communes:
            if row[0] in self.used or row[2] in self.blocked or (alone and row[2] in used_deps):
                continue
            others = [r for r in self.by_dep[row[2]] if r[1] != row[1] and r[0] not in self.used]
            if others:
                self.used.add(row[0])
                if alone:
                    self.blocked.add(row[2])
                return row, self.rng.choice(others)
        raise RuntimeError("Plus de communes disponibles pour planter les cas.")

    def organization(self, kind: str, place: tuple, causes: Sequence[str], naf: str | None = None, **extra):
        from maillage.core.text import normalize
        from maillage.organizations.models import Organization

        self.counter += 1
        name = f"{'Association' if kind == 'association' else 'Société'} plantée {self.counter}"
        org = Organization.objects.create(
            kind=kind,
            name=name,
            name_search=normalize(name),
            commune_id=place[0],
            epci_id=place[1],
            departement_id=place[2],
            region_id=place[3],
            naf_id=naf,
            budget_band=extra.get("budget_band", "10k_50k" if kind == "association" else ""),
            workforce_band=extra.get("workforce_band", "micro" if kind == "company" else ""),
        )
        org.causes.add(*causes)
        return org

    def workspace(self, org):
        from django.utils import timezone

        from maillage.workspaces.models import Workspace

        return Workspace.objects.create(name=f"Espace {org.name}", organization=org, verified_at=timezone.now())

    def item(self, org, item_type: str, **data):
        from maillage.matching import actions

        workspace = self.workspace(org)
        data.setdefault("territory_level", "commune")
        return actions.create_item(workspace=workspace, user=None, item_type=item_type, data=data, publish=True)


def plant(args, variant: str, planter: Planter, rng: Random) -> list[dict]:
    """``args.cases`` planted needs of one variant; returns, per case, the association and the relevant ids."""
    from maillage.matching.models import Offer

    cases = []
    for index in range(args.cases):
        domain, title, naf_fit, firm = NEEDS[index % len(NEEDS)]
        here, there = planter.place_pair(alone=variant == "dense")
        cause = rng.choice(["sport", "culture", "social_sante", "environnement", "education_jeunesse"])
        other_cause = "developpement_local" if cause != "developpement_local" else "culture"
        assoc = planter.organization("association", here, [cause])
        need_data = {"title": title, "kind": "skills", "skill_domain": domain, "hours": 40, "causes": [cause]}
        offer_data = {"title": f"Mécénat de compétences : {firm.lower()}", "kind": "skills", "skill_domains": [domain],
                      "hours_per_year": 120, "causes": [cause]}  # fmt: skip
        if variant == "amount":
            need_data = {"title": "Financer notre nouveau local", "kind": "funding", "amount": "12000",
                         "causes": [cause]}  # fmt: skip
            offer_data = {"title": "Fonds de soutien local", "kind": "funding", "budget": "15000", "causes": [cause]}
        if variant == "cause":
            offer_data["causes"] = [other_cause]
        ws = planter.workspace(assoc)
        from maillage.matching import actions

        actions.create_item(workspace=ws, user=None, item_type="need", data=need_data, publish=True)
        case = {"variant": variant, "association": assoc, "workspace": ws, "relevant": set(), "forbidden": set()}
        if variant == "naf":
            right = planter.organization("company", here, [rng.choice(list(background.CAUSE_WEIGHTS))], naf=naf_fit)
            ok = planter.organization("company", there, [rng.choice(list(background.CAUSE_WEIGHTS))], naf=naf_fit)
            for naf in UNRELATED_NAF:  # unrelated activities in the same commune, sharing the association's cause
                planter.organization("company", here, [cause], naf=naf, workforce_band=rng.choice(["micro", "sme"]))
            case["relevant"] = {("org", right.pk), ("org", ok.pk)}
            cases.append(case)
            continue
        right_org = planter.organization("company", here, offer_data["causes"])
        ok_org = planter.organization("company", there, offer_data["causes"])
        right = planter.item(right_org, "offer", **offer_data)
        ok = planter.item(ok_org, "offer", **offer_data)
        case["relevant"] = {("offer", right.pk), ("offer", ok.pk)}
        # Distractors nearby sharing the need's cause: what they give is not what is asked.
        for kind in ("goods", "funding", "partner"):
            if variant == "amount" and kind == "funding":
                continue
            org = planter.organization("company", here, [cause])
            planter.item(org, "offer", title=f"Offre {kind}", kind=kind, causes=[cause])
        if variant == "amount":
            org = planter.organization("company", here, [cause])
            planter.item(org, "offer", title="Petit don", kind="funding", budget="500", causes=[cause])
        if variant == "expired":
            today = time.localtime()
            from datetime import date

            last_year = date(today.tm_year - 1, 6, 30)
            org = planter.organization("company", here, [cause])
            expired = planter.item(org, "offer", **{**offer_data, "starts_on": date(today.tm_year - 2, 1, 1),
                                                   "ends_on": last_year})  # fmt: skip
            from maillage.organizations.models import Organization

            caller = Organization.objects.get(territory_key=f"commune:{here[0]}")  # the commune itself
            call = planter.item(caller, "call", title="Appel à projets", causes=[cause], budget="20000",
                                deadline=last_year)  # fmt: skip
            case["forbidden"] = {("offer", expired.pk), ("call", call.pk)}
        if variant == "dense":
            newer = []
            template = Offer.objects.get(pk=right.pk)
            kinds = ["skills", "goods", "funding", "partner"]
            domains = background.DOMAINS
            # around the city: the other communes of its EPCI, or the EPCI as a whole (never the need's commune)
            around = [r for r in planter.communes if r[1] == here[1] and r[0] != here[0]] or [(None, *here[1:])]
            causes = list(background.CAUSE_WEIGHTS)
            for i in range(args.dense):
                clone = copy.copy(template)
                clone.pk = clone.id = None
                place = rng.choice(around)
                clone.commune_id, clone.epci_id, clone.departement_id, clone.region_id = place
                clone.territory_level = "commune" if place[0] else "epci"
                clone.kind = rng.choice(kinds)
                clone.skill_domains = rng.sample(domains, 2) if clone.kind == "skills" else []
                clone.hours_per_year = rng.choice([None, 20, 100, 500])
                clone.causes = [cause] if rng.random() < 0.5 else [rng.choice(causes)]  # a city of that cause
                from maillage.matching.suggestions import cause_mask

                clone.cause_mask = cause_mask(clone.causes)
                clone.title = f"Offre récente {i}"
                clone.search_text = f"offre recente {i} " + " ".join(f"domaine{d}" for d in clone.skill_domains)
                clone.published_at = template.published_at + timedelta(minutes=i + 1)
                newer.append(clone)
            Offer.objects.bulk_create(newer, batch_size=500)
        cases.append(case)
    return cases


def evaluate(cases: list[dict], explain: bool = False) -> dict:
    from maillage.matching.suggestions import suggestions_for

    p5, r10, rr, rr_all, forbidden_shown = [], [], [], [], 0
    for case in cases:
        result = suggestions_for(case["association"], workspaces=[case["workspace"]], limit=20)
        if case["variant"] == "naf":  # ranked among the directory's organisations (no published item), as measured
            every = [("org", s.organization_id) for s in result.partners]  # in the issue; the whole list apart
            ranked = [("org", s.organization_id) for s in result.partners if s.source == "partner"]
            first_all = next((i for i, key in enumerate(every, start=1) if key in case["relevant"]), None)
            rr_all.append(1 / first_all if first_all else 0.0)
        else:
            ranked = [(s.item_type, s.item_id) for s in result.items]
        relevant = case["relevant"]
        p5.append(len(relevant & set(ranked[:5])) / 5)
        r10.append(len(relevant & set(ranked[:10])) / len(relevant))
        first = next((i for i, key in enumerate(ranked, start=1) if key in relevant), None)
        rr.append(1 / first if first else 0.0)
        if case["variant"] == "naf" and explain and first_all != 1:
            print(f"    naf (whole partners list): first relevant at rank {first_all}")
            for s in result.partners[:3]:
                print(f"      {s.source} org {s.organization_id} {s.score}: {s.match.reason_texts}")
        if explain and first != 1:
            shown = result.partners if case["variant"] == "naf" else result.items
            print(f"    {case['variant']}: first relevant at rank {first}; relevant {sorted(relevant)}")
            for s in shown[:3]:
                print(
                    f"      {s.item_type or 'org'} {s.item_id or s.organization_id} {s.score}: {s.match.reason_texts}"
                )
        forbidden_shown += len(case["forbidden"] & set(ranked))
    return {
        "p5": statistics.mean(p5),
        "r10": statistics.mean(r10),
        "mrr": statistics.mean(rr),
        "mrr_all": statistics.mean(rr_all) if rr_all else None,
        "forbidden": forbidden_shown,
    }


def latency(cases: list[dict], rng: Random, first_id: int, last_id: int) -> tuple[float, float, float]:
    """Median suggestion time, median primary-key lookup time, and mean queries per suggestion (counted apart)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from maillage.matching.suggestions import suggestions_for
    from maillage.organizations.models import Organization

    samples, baseline, queries = [], [], []
    for case in cases:
        with CaptureQueriesContext(connection) as captured:
            suggestions_for(case["association"], workspaces=[case["workspace"]], limit=20)
        queries.append(len(captured))
        for _ in range(3):
            pk = rng.randint(first_id, last_id)
            t = time.perf_counter()
            Organization.objects.filter(pk=pk).first()
            baseline.append((time.perf_counter() - t) * 1000)
            t = time.perf_counter()
            suggestions_for(case["association"], workspaces=[case["workspace"]], limit=20)
            samples.append((time.perf_counter() - t) * 1000)
    return statistics.median(samples), statistics.median(baseline), statistics.mean(queries)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.perf_counter()
    database = args.database
    if not database.replace("_", "").isalnum():
        raise SystemExit("--database : lettres, chiffres et _ seulement.")
    background.PG_DATABASE = database
    background.pg(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
    background.pg(f"CREATE DATABASE {database}")
    ok = False
    try:
        background.setup_django()
        from django.core.management import call_command

        t = time.perf_counter()
        call_command("migrate", verbosity=0, interactive=False)
        print(f"[1] migrate + reference data: {time.perf_counter() - t:.0f} s")
        print(f"[2] background: {args.associations:,} associations, {args.companies:,} companies, "
              f"{args.foundations:,} foundations")  # fmt: skip
        bg_args = argparse.Namespace(
            associations=args.associations, companies=args.companies, foundations=args.foundations, seed=args.seed
        )
        info = background.generate(bg_args, background.Loader())
        rng = Random(args.seed)
        planter = Planter(rng)
        print(f"[3] planting {args.cases} cases per variant (dense: {args.dense:,} newer offers per case)")
        planted = {variant: plant(args, variant, planter, rng) for variant in VARIANTS}
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        print(f"\n  {'variant':<10}{'precision@5':>13}{'recall@10':>11}{'MRR':>7}{'expired shown':>15}")
        ok = True
        for variant, cases in planted.items():
            figures = evaluate(cases, args.explain)
            ok = ok and figures["mrr"] >= TARGET_MRR and figures["forbidden"] == 0
            print(
                f"  {variant:<10}{figures['p5']:>13.2f}{figures['r10']:>11.2f}{figures['mrr']:>7.2f}"
                f"{figures['forbidden']:>15}"
            )
        print("  (best possible precision@5: 0.40 — two relevant partners per need)")
        naf_all = evaluate(planted["naf"])["mrr_all"]
        print("  naf: MRR among the directory's organisations; in the whole partners list (with the organisations")
        print(f"  that published a fitting offer elsewhere in the région): {naf_all:.2f}")
        every = [case for cases in planted.values() for case in cases]
        median, base, queries = latency(every, rng, info["first_id"], info["last_id"])
        print(f"\n  suggestions_for, planted associations: median {median:.1f} ms ({3 * len(every)} runs)")
        print(f"  queries per suggestion: {queries:.1f} (mean over the {len(every)} planted associations)")
        print(f"  baseline (Organization.objects.filter(pk=<random>).first()): median {base:.3f} ms")
        print(f"  ratio: {median / base:.0f} × the indexed lookup")
        print(f"  target: MRR ≥ {TARGET_MRR} on every variant, no expired item shown: {'PASS' if ok else 'FAIL'}")
    finally:
        from django.db import connections

        connections.close_all()
        if args.keep:
            print(f"Kept: {background.PG_SERVER}/{database}")
        else:
            background.pg(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
    print(f"\nTotal {time.perf_counter() - started:.0f} s")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
