"""The three impacts' average scores per territory and year, under the disclosure rules (no database here).

Method (docs/observatory.md): each closed evaluation is scored as the evaluation app scores it (per impact, the
mean of each party's 1–5 notes, then the mean of the parties' means, as a score out of 100); an association's score
for a year is the mean of its evaluations ending that year; a territory's score is the mean over its associations
(each weighs the same). Published on "all causes, all bands" cells only, when at least ``MIN_ASSOCIATIONS``
associations were evaluated, with the secondary suppression of :func:`disclosure.protect` over the territorial
relations (counting evaluated associations); an impact is shown only if its own base reaches the threshold.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal

from maillage.evaluation.models import Impact
from maillage.evaluation.scoring import mean, score_of
from maillage.observatory.disclosure import Key, Relation, protect, remainder_is_hidden
from maillage.observatory.indicators import MIN_ASSOCIATIONS

# The three impacts of the Observatoire des partenariats (the evaluation's fourth group, the balance of the
# relationship, is not published); scored on agreement scales only, as the evaluation app scores them.
IMPACTS = [impact.value for impact in (Impact.PERFORMANCE, Impact.INNOVATION, Impact.TRUST)]
IMPACT_FIELDS = [f"impact_{impact}" for impact in IMPACTS]
TWO = Decimal("0.01")
# Level → position of its territory code in an impact row's (commune, epci, dep, region).
LEVEL_SLOTS = {"commune": 0, "epci": 1, "departement": 2, "region": 3}


def association_scores(rows) -> dict[tuple, dict[str, Decimal]]:
    """{(association, (commune, epci, dep, region), year): {impact: mean score of its evaluations}}.

    ``rows``: :func:`sql.impact_query` rows (association, commune, epci, dep, region, year, evaluation, party,
    impact, sum of notes, number of notes)."""
    party_means: dict[tuple, list[Decimal]] = defaultdict(list)
    seen: set[tuple] = set()
    for assoc, commune, epci, dep, region, year, evaluation, party, impact, total, answered in rows:
        key = (assoc, (commune, epci, dep, region), int(year), evaluation, impact)
        if (key, party) in seen or not answered:
            continue  # an association with two parties in one alliance: its rows come twice
        seen.add((key, party))
        party_means[key].append((Decimal(int(total)) / int(answered)).quantize(TWO, rounding=ROUND_HALF_UP))
    evaluation_scores: dict[tuple, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
    for (assoc, places, year, _evaluation, impact), means in party_means.items():
        score = score_of(mean(means))
        if score is not None:
            evaluation_scores[(assoc, places, year)][impact].append(score)
    return {
        key: {impact: Decimal(sum(scores)) / len(scores) for impact, scores in by_impact.items()}
        for key, by_impact in evaluation_scores.items()
    }


def cell_scores(rows) -> dict[Key, tuple[int, dict[str, tuple[int, Decimal]]]]:
    """{cell key (all causes and bands): (evaluated associations, {impact: (associations, sum of scores)})}."""
    cells: dict[Key, list] = {}
    for (_assoc, places, year), by_impact in association_scores(rows).items():
        codes = [("france", "FR")] + [(level, places[slot]) for level, slot in LEVEL_SLOTS.items() if places[slot]]
        for level, code in codes:
            key = (level, str(code), year, "", "")
            entry = cells.setdefault(key, [0, defaultdict(lambda: [0, Decimal(0)])])
            entry[0] += 1
            for impact, score in by_impact.items():
                entry[1][impact][0] += 1
                entry[1][impact][1] += score
    return {key: (n, {i: (c, s) for i, (c, s) in sums.items()}) for key, (n, sums) in cells.items()}


def decide_impacts(
    rows, keys: set[Key], secret: set[Key], relations: list[Relation]
) -> dict[Key, tuple[int | None, ...]]:
    """(evaluated, *scores in IMPACTS order) for every "all causes, all bands" cell that is not secret.

    ``secret``: the cells already hidden (counts); ``relations``: :func:`refresh.build_relations` (only those
    between "all causes, all bands" cells are used)."""
    cells = {key: value for key, value in cell_scores(rows).items() if key in keys}
    evaluated = {key: n for key, (n, _) in cells.items()}
    geo = [
        r
        for r in relations
        if r.parent[3:] == ("", "") and r.children and all(len(c) == 5 and c[3:] == ("", "") for c in r.children)
    ]
    # A part with no evaluated association is published as 0 and adds nothing: it cannot protect another part.
    geo = [
        Relation(r.parent, [c for c in r.children if evaluated.get(c, 0)], remainder_is_hidden(
            evaluated.get(r.parent, 0) - sum(evaluated.get(c, 0) for c in r.children), counts=True
        ))
        for r in geo
    ]  # fmt: skip
    first = {k for k in secret if k[3:] == ("", "")} | {k for k, n in evaluated.items() if n < MIN_ASSOCIATIONS}
    hidden = first | protect(evaluated, first, geo)
    out: dict[Key, tuple[int | None, ...]] = {}
    for key in keys:
        if key[3:] != ("", "") or key in secret:
            continue
        n, by_impact = cells.get(key, (0, {}))
        if n == 0:
            out[key] = (0, None, None, None)
        elif key in hidden:
            out[key] = (None, None, None, None)
        else:
            scores = []
            for impact in IMPACTS:
                count, total = by_impact.get(impact, (0, Decimal(0)))
                safe = count >= MIN_ASSOCIATIONS
                scores.append(int((total / count).quantize(Decimal("1"), rounding=ROUND_HALF_UP)) if safe else None)
            out[key] = (n, *scores)
    return out
