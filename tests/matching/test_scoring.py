"""The structured signals on their own: pure functions, no database."""

from __future__ import annotations

from maillage.matching.scoring import WEIGHTS, Network, Place, Side, score
from maillage.matching.similarity import similarity

LYON = Place("69123", "200046977", "69", "84")
VILLEURBANNE = Place("69266", "200046977", "69", "84")  # same EPCI (Métropole de Lyon)
VILLEFRANCHE = Place("69264", "200040590", "69", "84")  # same département, another EPCI
GRENOBLE = Place("38185", "200040715", "38", "84")  # same région
PARIS = Place("75056", "200054781", "75", "11")  # another région


def association(place=LYON, causes=("environnement",), **kw) -> Side:
    defaults = {
        "item_kind": "skills",
        "gives": False,
        "skill_domains": frozenset({"comptabilite"}),
        "budget_band": "50k_150k",
    }
    defaults.update(kw)
    return Side(1, "association", place, frozenset(causes), **defaults)


def offer(place=LYON, causes=("environnement",), org_id=2, **kw) -> Side:
    defaults = {
        "item_kind": "skills",
        "gives": True,
        "skill_domains": frozenset({"comptabilite"}),
        "workforce_band": "sme",
    }
    defaults.update(kw)
    return Side(org_id, "company", place, frozenset(causes), **defaults)


def test_weights_add_up_to_100_and_text_weighs_little():
    assert sum(WEIGHTS.values()) == 100
    assert WEIGHTS["text"] <= 5
    structured = sum(v for k, v in WEIGHTS.items() if k != "text")
    assert structured >= 90


def test_a_closer_territory_ranks_higher_all_else_equal():
    me = association(place=LYON)
    ladder = [LYON, VILLEURBANNE, VILLEFRANCHE, GRENOBLE, PARIS]
    scores = [score(me, offer(place=p)).score for p in ladder]
    assert scores == sorted(scores, reverse=True)
    assert len(set(scores)) == len(scores), scores  # each step of the hierarchy counts


def test_the_territory_reason_names_the_level():
    reasons = score(association(place=LYON), offer(place=VILLEURBANNE)).reason_texts
    assert any(r.startswith("Même intercommunalité") for r in reasons)
    assert any(r.startswith("Même département") for r in score(association(), offer(place=VILLEFRANCHE)).reason_texts)


def test_a_national_offer_scores_above_a_far_one_below_a_near_one():
    me = association(place=LYON)
    national = Side(2, "company", Place(national=True), frozenset({"environnement"}), item_kind="skills", gives=True,
                    skill_domains=frozenset({"comptabilite"}), workforce_band="sme")  # fmt: skip
    assert score(me, offer(place=PARIS)).score < score(me, national).score < score(me, offer(place=GRENOBLE)).score


def test_a_cause_mismatch_ranks_lower_but_never_hides_a_good_fit():
    me = association(causes=("environnement",))
    same = score(me, offer(causes=("environnement",)))
    other = score(me, offer(causes=("sport",)))
    assert other.score < same.score
    assert any(r.startswith("Causes déclarées différentes") for r in other.reason_texts)
    # issue 25: an accounting offer filed under another cause beats a same-cause offer of the wrong kind nearby,
    # and a missing cause does not score above a different one by more than the gap between them
    wrong_kind = score(me, offer(causes=("environnement",), item_kind="goods", skill_domains=frozenset()))
    assert other.score > wrong_kind.score
    assert score(me, offer(causes=())).score > other.score
    assert "Même cause : environnement" in same.reason_texts  # the code, without labels given
    assert score(me, offer(causes=("sport",), place=LYON)).score < score(me, offer(place=LYON)).score


def test_two_shared_causes_count_more_than_one():
    me = association(causes=("environnement", "emploi_insertion"))
    assert score(me, offer(causes=("environnement", "emploi_insertion"))).score > score(me, offer()).score


def test_skills_domain_match():
    me = association(skill_domains=frozenset({"comptabilite"}))
    matching = score(me, offer(skill_domains=frozenset({"comptabilite", "juridique"})))
    other = score(me, offer(skill_domains=frozenset({"numerique"})))
    assert matching.score - other.score == WEIGHTS["fit"]
    assert any("comptabilité" in r for r in matching.reason_texts)


def test_complementarity_what_is_asked_is_what_is_given():
    me = association(item_kind="funding", skill_domains=frozenset())
    funding = score(me, offer(item_kind="funding", skill_domains=frozenset()))
    goods = score(me, offer(item_kind="goods", skill_domains=frozenset()))
    assert funding.score - goods.score == WEIGHTS["kind"]


def test_size_fit():
    small = association(budget_band="lt_10k")
    assert score(small, offer(workforce_band="micro")).score > score(small, offer(workforce_band="large")).score


def test_network_signals_come_only_from_the_network_given():
    me = association()
    plain = score(me, offer()).score
    known = Network(partners={2: "Alliance des jardins"})
    # a current partner earns nothing more: it is shown apart from the new ones, with its alliance named
    assert score(me, offer(), known).score == plain
    assert any("Alliance des jardins" in r for r in score(me, offer(), known).reason_texts)
    second = Network(second_degree={2: "Mairie"})
    assert score(me, offer(), second).score == plain + 3
    worked = Network(worked_forms={"mecenat_competences": 2})
    assert score(me, offer(), worked).score == plain + 5
    assert score(me, offer(item_kind="goods"), worked).score <= plain


def test_text_similarity_is_offline_and_small():
    assert similarity("Aide comptable pour notre bilan annuel", "Comptabilité : bilans annuels des associations") > 0
    assert similarity("jardin partagé", "football club") == 0
    a = association(text="Aide comptable pour le bilan annuel")
    b = offer(text="Nos comptables aident au bilan annuel")
    with_text = score(a, b)
    without = score(association(), offer())
    assert 0 < with_text.score - without.score <= WEIGHTS["text"]


def test_every_reason_is_plain_french_and_points_sum_to_the_score():
    match = score(association(), offer(place=VILLEURBANNE), Network(partners={2: "X"}))
    assert match.score == sum(r.points for r in match.reasons)
    assert all(r.text and r.text[0].isupper() or r.text[0].isdigit() for r in match.reasons)


def test_the_naf_code_is_a_soft_skills_signal():
    me = association()
    accountant = Side(2, "company", LYON, frozenset(), workforce_band="sme", naf_domains=frozenset({"comptabilite"}))
    printer = Side(3, "company", LYON, frozenset(), workforce_band="sme", naf_domains=frozenset({"communication"}))
    fits = score(me, accountant)
    assert fits.score - score(me, printer).score == 20  # complementarity 10 + fit by activity 10
    assert any("code NAF" in r for r in fits.reason_texts)


def test_goods_sub_types_tell_printing_from_storage():
    me = association(item_kind="goods", skill_domains=frozenset(), goods_types=frozenset({"impression"}))
    printing = score(me, offer(item_kind="goods", skill_domains=frozenset(), goods_types=frozenset({"impression"})))
    storage = score(me, offer(item_kind="goods", skill_domains=frozenset(), goods_types=frozenset({"stockage"})))
    assert printing.score - storage.score == WEIGHTS["fit"]
    assert "Type de bien différent" in storage.reason_texts


def test_amounts_and_hours_are_compared():
    from decimal import Decimal

    me = association(item_kind="funding", skill_domains=frozenset(), amount=Decimal("12000"))
    big = score(me, offer(item_kind="funding", skill_domains=frozenset(), amount=Decimal("15000")))
    small = score(me, offer(item_kind="funding", skill_domains=frozenset(), amount=Decimal("500")))
    assert big.score - small.score == WEIGHTS["amount"]
    assert any(r.startswith("Trop peu pour le besoin : 500 € proposés pour 12") for r in small.reason_texts)
    hours = association(hours=40)
    assert score(hours, offer(hours=100)).score > score(hours, offer(hours=10)).score


def test_the_reasons_name_the_matched_need_and_offer():
    me = association(item_type="need", title="Bilan annuel")
    match = score(me, offer(item_type="offer", title="Mécénat comptable"))
    assert match.reasons[0].text == "Pour votre besoin « Bilan annuel » : offre « Mécénat comptable »"
    assert match.reasons[0].points == 0


def test_shared_words_weigh_by_their_rarity():
    from maillage.matching.scoring import Rarity
    from maillage.matching.similarity import words

    texts = [f"Organisation fictive {i} données ouvertes" for i in range(20)] + ["Atelier de vélo solidaire"]
    rarity = Rarity([words(t) for t in texts])
    a = association(text="Organisation fictive données atelier vélo")
    boilerplate = offer(text="Organisation fictive données")
    rare = offer(text="Réparation de vélo en atelier")
    assert score(a, boilerplate, rarity=rarity).score < score(a, rare, rarity=rarity).score
    assert not any(r.signal == "text" for r in score(a, boilerplate, rarity=rarity).reasons)
    shown = next(r.text for r in score(a, rare, rarity=rarity).reasons if r.signal == "text")
    assert "fictive" not in shown and "velo" in shown
