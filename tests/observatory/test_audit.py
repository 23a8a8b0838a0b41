"""The disclosure auditor on small generated worlds (decision 0013): it finds what an outsider recovers from the
former method (primary/secondary suppression), and nothing from the cell-key method once the refresh has hidden
what it flags; the differencing scenario of issue 23 as a test."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from maillage.observatory.audit import (
    AMOUNT_PROTECTION,
    COUNT_PROTECTION,
    Published,
    amount_bounds,
    audit_publication,
    count_bounds,
    equations_for,
    propagate,
)
from maillage.observatory.disclosure import (
    Amount,
    Relation,
    Table,
    amount_is_publishable,
    count_is_publishable,
    decide,
    perturb_amount,
    perturb_count,
    round_money,
)
from maillage.observatory.refresh import protect_by_audit

pytestmark = pytest.mark.django_db  # protect_by_audit lives beside the refresh (no query is made)

DEP = ("departement", "D")

# A world: a département of EPCIs of communes; each commune holds associations, each association a record key
# and gifts (giver, amount, gift key).
association = st.tuples(
    st.integers(0, 4095), st.lists(st.tuples(st.integers(0, 9), st.integers(100, 20_000), st.integers(0, 4095)))
)
commune = st.lists(association, min_size=1, max_size=9)
epci = st.lists(commune, min_size=1, max_size=3)


class World:
    def __init__(self, epcis):
        self.members: dict[tuple, list[tuple]] = {DEP: []}
        self.relations: list[Relation] = []
        communes_of_dep = []
        epcis_of_dep = []
        for e, communes in enumerate(epcis):
            ekey = ("epci", f"E{e}")
            self.members[ekey] = []
            kids = []
            for c, records in enumerate(communes):
                ckey = ("commune", f"C{e}.{c}")
                self.members[ckey] = list(records)
                self.members[ekey] += records
                self.members[DEP] += records
                kids.append(ckey)
            self.relations.append(Relation(ekey, kids))
            communes_of_dep += kids
            epcis_of_dep.append(ekey)
        self.project_relations = [Relation(DEP, communes_of_dep), *self.relations]
        # What an outsider adds: the département is the sum of its EPCIs.
        self.relations = [*self.project_relations, Relation(DEP, epcis_of_dep)]
        self.counts = {k: len(v) for k, v in self.members.items()}
        self.amounts = {k: amount_of(v) for k, v in self.members.items()}

    def table(self) -> Table:
        return Table(associations=dict(self.counts), amounts={"money": dict(self.amounts)})

    def legacy(self) -> Published:
        primary, secondary, amount_secret = decide(self.table(), self.project_relations)
        secret = primary | secondary
        return Published(
            associations={k: (None if k in secret else n) for k, n in self.counts.items()},
            amounts={
                "money": {
                    k: (None if k in amount_secret["money"] else round_money(a.total)) for k, a in self.amounts.items()
                }
            },
            method="legacy",
            primary=primary,
        )

    def cell_key(self) -> Published:
        published = Published(associations={}, amounts={"money": {}})
        for key, records in self.members.items():
            n = perturb_count(len(records), sum(r[0] for r in records))
            published.associations[key] = n if count_is_publishable(n) else None
            amount = self.amounts[key]
            gift_key = sum(g[2] for r in records for g in r[1])
            if not amount_is_publishable(amount):
                published.amounts["money"][key] = None
            else:
                published.amounts["money"][key] = perturb_amount(amount, gift_key, slot=50)
        return published


def amount_of(records) -> Amount:
    by_giver: dict[int, float] = {}
    for _key, gifts in records:
        for giver, value, _gift_key in gifts:
            by_giver[giver] = by_giver.get(giver, 0.0) + value
    return Amount(sum(by_giver.values()), len(by_giver), max(by_giver.values(), default=0.0))


def hidden_epci_world(published_sizes: list[int], hidden: list[int]):
    """The recipe of issue 23: published EPCIs of one commune each, and one EPCI of small communes (1–4 in all)."""
    epcis = [[[(7 * i + j, []) for j in range(size)]] for i, size in enumerate(published_sizes)]
    epcis.append([[(100 + 11 * c + j, []) for j in range(size)] for c, size in enumerate(hidden)])
    return World(epcis)


def test_the_recipe_of_issue_23_is_found_on_the_former_method():
    """A département of 275, its 8 published EPCIs summing to 271: the ninth holds 4, its 4 communes 1 each."""
    world = hidden_epci_world([40, 35, 34, 33, 33, 32, 32, 32], [1, 1, 1, 1])
    assert sum([40, 35, 34, 33, 33, 32, 32, 32]) == 271
    report = audit_publication(world.legacy(), world.counts, {}, world.relations)
    found = {f.key: (f.low, f.high) for f in report.findings}
    assert found[("epci", "E8")] == (4, 4)
    assert all(found[("commune", f"C8.{c}")] == (1, 1) for c in range(4))
    assert report.errors == 0 and report.exact == 5


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.integers(5, 40), min_size=1, max_size=8),
    st.lists(st.integers(1, 2), min_size=2, max_size=2),
)
def test_the_auditor_finds_the_recoveries_of_the_former_method(published_sizes, hidden):
    world = hidden_epci_world(published_sizes, hidden)
    report = audit_publication(world.legacy(), world.counts, {}, world.relations)
    assert report.errors == 0
    found = {f.key: (f.low, f.high) for f in report.findings}
    assert found[("epci", f"E{len(published_sizes)}")] == (sum(hidden), sum(hidden))


@settings(max_examples=150, deadline=None)
@given(st.lists(epci, min_size=1, max_size=4))
def test_the_auditor_is_sound_on_the_former_method(epcis):
    """Its intervals always hold the truth (an interval that did not would be a false alarm or a wrong proof)."""
    world = World(epcis)
    report = audit_publication(world.legacy(), world.counts, {"money": world.amounts}, world.relations)
    assert report.errors == 0


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.integers(5, 40), min_size=1, max_size=8),
    st.lists(st.integers(1, 2), min_size=2, max_size=2),
    st.lists(st.integers(0, 4095), min_size=60, max_size=60),
)
def test_the_cell_key_method_leaves_nothing_to_find(published_sizes, hidden, keys):
    """The same worlds, with random record keys: once the refresh's auditor has hidden what it flags, a new audit
    finds nothing, its intervals hold the truth, and the hidden EPCI is never pinned."""
    world = hidden_epci_world(published_sizes, hidden)
    for records in world.members.values():  # draw the record keys
        records[:] = [(keys[hash(r) % len(keys)], gifts) for r, gifts in records]
    published = world.cell_key()
    report = protect_by_audit(published, world.counts, {"money": world.amounts}, world.relations)
    assert report.ok and report.errors == 0
    again = audit_publication(published, world.counts, {"money": world.amounts}, world.relations)
    assert again.ok
    bounds = propagate(count_bounds(published), equations_for(world.relations, world.counts), integral=True)
    low, high = bounds[("epci", f"E{len(published_sizes)}")]
    assert high - low >= COUNT_PROTECTION


@settings(max_examples=150, deadline=None)
@given(st.lists(epci, min_size=1, max_size=4))
def test_the_cell_key_method_on_any_world(epcis):
    world = World(epcis)
    published = world.cell_key()
    report = protect_by_audit(published, world.counts, {"money": world.amounts}, world.relations)
    assert report.ok and report.errors == 0


def test_a_single_giver_total_is_not_bracketed_by_subtraction():
    """Issue 23: a sport total of one giver read as parent − the rest. Two communes of an EPCI: one with three
    givers, one with a single giver of 73,316 € (its amount secret): the published EPCI and commune, perturbed,
    leave the single giver's total at least ±10 % uncertain."""
    rich = [(1, [(0, 20_000, 5), (1, 21_000, 9), (2, 19_000, 17)])] * 1 + [(2, [])] * 5
    single = [(3, [(3, 73_316, 40)])] + [(4, [])] * 5
    world = World([[rich, single]])
    published = world.cell_key()
    assert published.amounts["money"][("commune", "C0.1")] is None
    report = protect_by_audit(published, world.counts, {"money": world.amounts}, world.relations)
    assert report.ok
    bounds = propagate(
        amount_bounds(published, "money"),
        equations_for(world.relations, {k: a.total for k, a in world.amounts.items()}),
        integral=False,
    )
    low, high = bounds[("commune", "C0.1")]
    assert high - low >= 2 * AMOUNT_PROTECTION * 73_316


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 30), st.integers(500, 30_000), st.integers(0, 4095)), min_size=3, max_size=30),
    st.integers(0, 4095),
)
def test_differencing_two_refreshes_does_not_read_a_gift(others, gift_key):
    """Issue 23: one 12,345.67 € gift added between two refreshes changed 13 published cells; intersecting their
    differences gave [12,000; 13,000]. Here the gift lands in nested cells (commune ⊂ EPCI ⊂ département …) that
    also hold other givers' gifts; the outsider knows the gift was the only change and intersects, per cell,
    published(after) − published(before)."""
    gift = 12_345.67
    cells = 6
    before, after = [], []
    for level in range(cells):  # each larger cell holds more of the other gifts
        part = others[: max(3, len(others) * (level + 1) // cells)]
        by_giver: dict[int, float] = {}
        for giver, value, _ in part:
            by_giver[giver] = by_giver.get(giver, 0) + value
        key = sum(k for *_, k in part)
        before.append((Amount(sum(by_giver.values()), len(by_giver), max(by_giver.values())), key))
        by_giver[99] = gift
        after.append((Amount(sum(by_giver.values()), len(by_giver), max(by_giver.values())), key + gift_key))

    def interval(method: str) -> tuple[float, float]:
        low, high = 0.0, float("inf")
        for (a, ka), (b, kb) in zip(before, after, strict=True):
            table = Published(associations={"a": 10, "b": 10}, amounts={"money": {}}, method=method)
            if method == "legacy":
                table.amounts["money"] = {"a": round_money(a.total), "b": round_money(b.total)}
            else:
                table.amounts["money"] = {"a": perturb_amount(a, ka, 50), "b": perturb_amount(b, kb, 50)}
            bounds = amount_bounds(table, "money")
            low = max(low, bounds["b"][0] - bounds["a"][1])
            high = min(high, bounds["b"][1] - bounds["a"][0])
        return low, high

    low, high = interval("legacy")
    assert low <= gift <= high and high - low < 2 * AMOUNT_PROTECTION * gift  # read within ±1,000 €
    low, high = interval("cell-key")
    assert low <= gift <= high and high - low >= 2 * AMOUNT_PROTECTION * gift
