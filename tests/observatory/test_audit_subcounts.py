"""The sub-counts published beside the association count (with a local-authority partner, with a company partner,
per form…) under the disclosure auditor (decision 0013, issue 23): an outsider writes the same relations over them
as over the counts (a territory is the sum of its parts, 0 ≤ sub-count ≤ count); on the former method (exact
figures) the auditor recovers a hidden sub-count and the count-only auditor does not; on the cell-key method, once
the refresh's auditor has hidden what it flags, nothing is narrowed, and no "all", "none" or "exactly one" of a
cell is certain."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from maillage.observatory.audit import SUB_PROTECTION, SubCounts, audit_publication, auditor_of, tables_of
from maillage.observatory.disclosure import Relation, perturb_count
from maillage.observatory.refresh import build_relations, protect_by_audit
from tests.observatory.test_audit import World, epci, hidden_epci_world

pytestmark = pytest.mark.django_db  # protect_by_audit lives beside the refresh (no query is made)

SUB = "local_authority"
SUBCOUNTS = SubCounts(caps=[(SUB, "associations")], published_caps={SUB: ("associations", 1)})
COMPLEMENT = f"associations-{SUB}"


def has_partner(record) -> int:
    """Whether an association has a local-authority partner: drawn from its record key (a third of them)."""
    return int(record[0] % 3 == 0)


def sub_truth(world: World, flag=has_partner) -> dict[str, dict]:
    return {SUB: {key: sum(flag(r) for r in records) for key, records in world.members.items()}}


def legacy_with_subs(world: World, truth: dict) -> tuple:
    published = world.legacy()
    published.subs = {
        SUB: {k: (None if n is None else truth[SUB][k]) for k, n in published.associations.items()},
    }
    return published


def cell_key_with_subs(world: World, flag=has_partner):
    """The refresh's publication: every sub-count perturbed by its own records' keys (its own slot), capped at the
    perturbed count, and secret with its cell."""
    published = world.cell_key()
    published.subs = {SUB: {}}
    for key, records in world.members.items():
        count = published.associations[key]
        with_partner = [r for r in records if flag(r)]
        value = perturb_count(len(with_partner), sum(r[0] for r in with_partner), slot=2)
        published.subs[SUB][key] = None if count is None else min(value, count)
    return published


def test_a_hidden_sub_count_is_recovered_on_the_former_method():
    """A département of 9 EPCIs, 8 published: the ninth's count is their difference — and so is its number of
    associations with a local-authority partner. The count-only auditor (before this change) does not see it."""
    world = hidden_epci_world([40, 35, 34, 33, 33, 32, 32, 32], [1, 1, 1, 1])
    truth = sub_truth(world)
    published = legacy_with_subs(world, truth)
    hidden = ("epci", "E8")
    assert published.subs[SUB][hidden] is None
    report = audit_publication(published, world.counts, {}, world.relations, truth, SUBCOUNTS)
    found = {(f.measure, f.key): (f.low, f.high) for f in report.findings}
    assert found[(SUB, hidden)] == (truth[SUB][hidden],) * 2
    assert report.errors == 0
    without_subs = audit_publication(published, world.counts, {}, world.relations)
    assert not any(f.measure == SUB for f in without_subs.findings)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.integers(5, 40), min_size=1, max_size=8),
    st.lists(st.integers(1, 2), min_size=2, max_size=2),
    st.lists(st.integers(0, 4095), min_size=60, max_size=60),
)
def test_hidden_sub_counts_are_narrowed_on_the_former_method_and_not_on_the_cell_key_one(published_sizes, hidden, keys):
    world = hidden_epci_world(published_sizes, hidden)
    for records in world.members.values():  # draw the record keys
        records[:] = [(keys[hash(r) % len(keys)], gifts) for r, gifts in records]
    truth = sub_truth(world)
    hidden_epci = ("epci", f"E{len(published_sizes)}")
    legacy = audit_publication(legacy_with_subs(world, truth), world.counts, {}, world.relations, truth, SUBCOUNTS)
    assert legacy.errors == 0
    assert any(f.measure == SUB and f.key == hidden_epci for f in legacy.findings)

    published = cell_key_with_subs(world)
    report = protect_by_audit(published, world.counts, {}, world.relations, truth, SUBCOUNTS)
    assert report.ok and report.errors == 0
    auditor = auditor_of(published, world.counts, {}, world.relations, truth, SUBCOUNTS)
    again, bounds = auditor.audit(tables_of(auditor.system, published))
    assert again.ok and again.errors == 0
    position = auditor.system.index[hidden_epci]
    for measure in (SUB, COMPLEMENT):
        low, high = bounds[measure]
        assert high[position] - low[position] >= SUB_PROTECTION


@settings(max_examples=60, deadline=None)
@given(st.lists(epci, min_size=1, max_size=4), st.sampled_from(["all", "one", "none", "keys"]))
def test_no_all_none_or_exactly_one_is_certain(epcis, pattern):
    """Issue 23: published cells said that every association has a local-authority partner, or exactly one. On any
    small world where all, exactly one per commune, none or a third of the associations have one, after the
    refresh's auditor no cell's sub-count or complement (those without one) is known exactly, and every interval
    holds the truth."""
    world = World(epcis)
    firsts = {id(records[0]) for key, records in world.members.items() if key[0] == "commune"}
    flag = {
        "all": lambda r: 1,
        "one": lambda r: int(id(r) in firsts),
        "none": lambda r: 0,
        "keys": has_partner,
    }[pattern]
    truth = sub_truth(world, flag)
    published = cell_key_with_subs(world, flag)
    report = protect_by_audit(published, world.counts, {}, world.relations, truth, SUBCOUNTS)
    assert report.ok and report.errors == 0
    auditor = auditor_of(published, world.counts, {}, world.relations, truth, SUBCOUNTS)
    again, bounds = auditor.audit(tables_of(auditor.system, published))
    assert again.ok and again.errors == 0
    for measure in (SUB, COMPLEMENT):
        low, high = bounds[measure]
        assert (high - low >= SUB_PROTECTION).all()


def test_cause_relations_only_when_each_association_has_one_cause():
    """ "All causes" is the sum of the causes only because each association counts under its main cause alone
    (duckdb_sql.ONE_CAUSE_PER_ASSOCIATION); counted under each of its causes, the relation would be false and the
    auditor must not write it."""
    keys = {("france", "FR", 2026, "", ""), ("france", "FR", 2026, "sport", ""), ("france", "FR", 2026, "culture", "")}
    hierarchy: dict[str, dict[str, str]] = {"region_of_dep": {}, "dep_of_commune": {}, "epci_of_commune": {}}

    def cause_relations(relations: list[Relation]) -> list[Relation]:
        return [r for r in relations if any(child[3] for child in r.children)]

    assert len(cause_relations(build_relations(keys, hierarchy))) == 1
    assert cause_relations(build_relations(keys, hierarchy, causes_exclusive=False)) == []
