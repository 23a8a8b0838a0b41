"""Disclosure control: property tests of the former rules (kept for the auditor's tests) on generated tables, and
the cell-key method (decision 0013) on a refresh over a generated data set."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from maillage.demo.generate import generate
from maillage.observatory.disclosure import (
    AMOUNT_NOISE_MAX,
    COUNT_NOISE,
    Amount,
    Relation,
    Table,
    decide,
    hidden_terms,
    protect,
)
from maillage.observatory.indicators import AMOUNT_FIELDS, DOMINANCE_SHARE, MIN_ASSOCIATIONS, MIN_CONTRIBUTORS
from maillage.observatory.models import Cell
from maillage.observatory.refresh import compute_aggregates, refresh

# A generated table: a parent split into children, each child split into grandchildren (counts of associations),
# each leaf with the gifts of a few givers.
leaf = st.tuples(st.integers(0, 12), st.lists(st.integers(1, 5000), max_size=5))
tree = st.lists(st.lists(leaf, min_size=1, max_size=5), min_size=1, max_size=6)


def table_of(data) -> tuple[Table, list[Relation], dict]:
    counts, money, relations = {}, {}, []
    root_givers: list[int] = []
    child_keys = []
    for i, child in enumerate(data):
        leaves = []
        child_givers: list[int] = []
        for j, (n, gifts) in enumerate(child):
            if n == 0:
                continue
            key = ("leaf", i, j)
            counts[key] = n
            money[key] = gifts
            child_givers += gifts
            leaves.append(key)
        if not leaves:
            continue
        key = ("child", i)
        counts[key] = sum(counts[k] for k in leaves)
        money[key] = child_givers
        root_givers += child_givers
        relations.append(Relation(key, leaves))
        child_keys.append(key)
    if child_keys:
        counts["root"] = sum(counts[k] for k in child_keys)
        money["root"] = root_givers
        relations.append(Relation("root", child_keys))
    # Each gift comes from a distinct giver here (worst case for dominance: one giver per gift).
    amounts = {k: Amount(float(sum(g)), len(g), float(max(g, default=0))) for k, g in money.items()}
    return Table(associations=counts, amounts={"money": amounts}), relations, money


@settings(max_examples=300, deadline=None)
@given(tree)
def test_every_published_cell_obeys_the_rules(data):
    table, relations, _ = table_of(data)
    primary, secondary, amount_secret = decide(table, relations)
    secret = primary | secondary
    for key, n in table.associations.items():
        if key not in secret:
            assert n >= MIN_ASSOCIATIONS
        if key not in amount_secret["money"]:
            amount = table.amounts["money"][key]
            assert key not in secret
            assert amount.total == 0 or (
                amount.givers >= MIN_CONTRIBUTORS and amount.top < DOMINANCE_SHARE * amount.total
            )
    # Secondary suppression: no relation has exactly one hidden term, for counts and for amounts.
    for relation in relations:
        assert hidden_terms(relation, secret) != 1
        assert hidden_terms(relation, amount_secret["money"]) != 1


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(1, 30), min_size=2, max_size=8), st.integers(0, 7))
def test_one_hidden_child_hides_the_next_smallest(children, which):
    which %= len(children)
    keys = [f"c{i}" for i in range(len(children))]
    values = dict(zip(keys, children, strict=True)) | {"p": sum(children)}
    added = protect(values, {keys[which]}, [Relation("p", keys)])
    others = sorted(values[k] for k in keys if k != keys[which])
    assert len(added) == 1
    assert values[next(iter(added))] == others[0]


def test_a_lone_secret_remainder_forces_a_second_suppression():
    values = {"p": 30, "a": 10, "b": 18}  # 2 associations are in no child: the remainder is secret
    added = protect(values, set(), [Relation("p", ["a", "b"], remainder_hidden=True)])
    assert added == {"a"}


@pytest.mark.django_db
@pytest.mark.parametrize(("seed", "departement"), [(3, "69"), (8, "974")])
def test_refresh_publishes_perturbed_cells_the_auditor_passes(seed, departement):
    """Decision 0013: every published figure is within the public noise of the truth, no published cell under the
    threshold once perturbed, no amount from fewer than 3 givers, and the auditor's report is kept with the run."""
    generate(scale=0.0004, seed=seed, departement=departement)
    run = refresh()
    assert run.audit["ok"] is True and run.audit["errors"] == 0 and run.audit["checked"]["associations"] > 0
    # Every published sub-count is audited with the counts, and so is its complement ("without a partner").
    assert run.audit["checked"]["local_authority"] > 0 and run.audit["checked"]["associations-company"] > 0
    raw = compute_aggregates()
    counts = {}
    for level, rows in raw["counts"].items():
        for code, year, cause, band, n, *_ in rows:
            counts[(level, str(code), int(year), cause, band)] = n
    amounts = {}
    for level, rows in raw["amounts"].items():
        for code, year, cause, band, kind, givers, total, top, _key in rows:
            amounts[(level, str(code), int(year), cause, band, kind)] = (givers, float(total), float(top))
    published = {(c.level, c.code, c.year, c.cause, c.band): c for c in Cell.objects.all()}
    assert set(published) == set(counts)
    moved = 0
    for key, cell in published.items():
        if not cell.is_published:
            assert cell.suppression == "secret"
            assert cell.associations is None and cell.money is None and cell.company is None
            continue
        assert cell.associations >= MIN_ASSOCIATIONS
        assert abs(cell.associations - counts[key]) <= COUNT_NOISE
        moved += cell.associations != counts[key]
        for kind in AMOUNT_FIELDS:
            value = getattr(cell, kind)
            givers, total, top = amounts.get((*key, kind), (0, 0.0, 0.0))
            if value is not None and total > 0:
                assert givers >= MIN_CONTRIBUTORS and value % 1000 == 0
                assert abs(value - total) <= AMOUNT_NOISE_MAX * top + 500
    assert moved > 0  # the noise is there
    # The same data give the same table: a second refresh cannot be averaged with the first.
    first = {k: (c.associations, c.money, c.company) for k, c in published.items()}
    refresh()
    again = {
        (c.level, c.code, c.year, c.cause, c.band): (c.associations, c.money, c.company) for c in Cell.objects.all()
    }
    assert again == first
