"""Suggestions from the database: ranking properties, visibility rules, network, and no leak of private data."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.utils import timezone

from maillage.alliances import actions as alliance_actions
from maillage.matching.models import Status
from maillage.matching.suggestions import suggestions_for
from maillage.organizations.actions import add_contact, add_private_note
from tests.matching.conftest import org, publish, workspace_for

pytestmark = pytest.mark.django_db


def ranked(result) -> list[int]:
    return [s.organization_id for s in result.items]


def test_a_closer_offer_ranks_higher(land):
    for key in ("far", "mid", "near"):
        ws, user = land["ws"][land[key]]
        publish(ws, user, "offer", title="Mécénat de compétences en comptabilité")
    ws, user = land["ws"][land["assoc"]]
    publish(ws, user, "need", title="Aide à la comptabilité annuelle")
    result = suggestions_for(land["assoc"], workspaces=[ws])
    order = ranked(result)
    assert order.index(land["near"].pk) < order.index(land["mid"].pk)
    if land["far"].pk in order:  # Paris is outside the hierarchy's retrieval unless national: lower anyway
        assert order.index(land["mid"].pk) < order.index(land["far"].pk)
    top = result.items[0]
    assert top.organization_id == land["near"].pk
    assert any(r.startswith("Même intercommunalité") for r in top.match.reason_texts)
    assert any("comptabilité" in r for r in top.match.reason_texts)


def test_a_cause_mismatch_ranks_lower_but_stays_visible_nearby(land):
    ws_near, u_near = land["ws"][land["near"]]
    publish(ws_near, u_near, "offer", title="Compétences", causes=["sport"])
    ws_mid, u_mid = land["ws"][land["mid"]]
    publish(ws_mid, u_mid, "offer", title="Compétences", causes=["environnement"])
    ws, _ = land["ws"][land["assoc"]]
    result = suggestions_for(land["assoc"], workspaces=[ws])
    order = ranked(result)
    assert order.index(land["mid"].pk) < order.index(land["near"].pk)
    mismatch = next(s for s in result.items if s.organization_id == land["near"].pk)
    assert any(r.startswith("Causes déclarées différentes") for r in mismatch.match.reason_texts)


def test_drafts_and_closed_items_of_others_are_never_suggested(land):
    ws_near, u_near = land["ws"][land["near"]]
    offer = publish(ws_near, u_near, "offer", title="Brouillon secret")
    from maillage.matching.actions import set_item_status

    set_item_status(workspace=ws_near, user=u_near, item=offer, status=Status.DRAFT)
    ws, _ = land["ws"][land["assoc"]]
    assert offer.pk not in [s.item_id for s in suggestions_for(land["assoc"], workspaces=[ws]).items]
    set_item_status(workspace=ws_near, user=u_near, item=offer, status=Status.CLOSED)
    assert offer.pk not in [s.item_id for s in suggestions_for(land["assoc"], workspaces=[ws]).items]
    set_item_status(workspace=ws_near, user=u_near, item=offer, status=Status.PUBLISHED)
    assert offer.pk in [s.item_id for s in suggestions_for(land["assoc"], workspaces=[ws]).items]


def test_a_company_sees_the_association_need(land):
    ws, user = land["ws"][land["assoc"]]
    need = publish(ws, user, "need", title="Bénévoles comptables pour le bilan")
    ws_near, u_near = land["ws"][land["near"]]
    publish(ws_near, u_near, "offer", title="Comptabilité")
    result = suggestions_for(land["near"], workspaces=[ws_near])
    assert [s.item_id for s in result.items] == [need.pk]
    assert result.items[0].match.score >= 60
    assert land["assoc"].pk in [s.organization_id for s in result.partners]


def snapshot(result) -> list:
    def one(s):
        return (s.source, s.organization_id, s.item_type, s.item_id, s.score, tuple(s.match.reason_texts))

    return [one(s) for s in result.items + result.partners + result.network] + [
        (o.pk, tuple(k)) for o, k in result.bridges
    ]


def test_private_data_of_other_workspaces_never_changes_my_suggestions(land):
    """The leak property: notes, contacts, drafts, alliances and contributions of others change nothing for me."""
    ws_a, user_a = land["ws"][land["assoc"]]
    publish(ws_a, user_a, "need", title="Comptabilité")
    for key in ("near", "mid"):
        w, u = land["ws"][land[key]]
        publish(w, u, "offer", title="Comptabilité solidaire")
    other_assoc = org("Club voisin", "association", "69266", causes=["environnement"])  # public: in the directory
    before = snapshot(suggestions_for(land["assoc"], workspaces=[ws_a]))

    # Everything another workspace can do privately:
    ws_n, u_n = land["ws"][land["near"]]
    ws_m, u_m = land["ws"][land["mid"]]
    add_private_note(workspace=ws_n, organization=land["assoc"], text="Ne pas les aider", author=u_n)
    add_contact(workspace=ws_n, organization=land["mid"], name="Jeanne Secret")
    draft = publish(ws_n, u_n, "offer", title="Offre en préparation")
    from maillage.matching.actions import set_item_status

    set_item_status(workspace=ws_n, user=u_n, item=draft, status=Status.DRAFT)
    alliance = alliance_actions.create_alliance(
        workspace=ws_n,
        user=u_n,
        name="Alliance privée",
        forms=["mecenat_competences"],
        partners=[(land["mid"], "partner", ""), (other_assoc, "partner", "")],
    )
    for stage in ("first_contact", "co_construction", "formalised", "active"):
        alliance_actions.move_alliance(alliance=alliance, workspace=ws_n, user=u_n, to_stage=stage)
    from maillage.contributions.actions import record_contribution

    parties = {p.organization_id: p for p in alliance.parties.all()}
    record_contribution(
        alliance=alliance,
        workspace=ws_n,
        user=u_n,
        giver=parties[land["near"].pk],
        receiver=parties[other_assoc.pk],
        kind="money",
        description="Don confidentiel",
        value=Decimal("5000"),
    )
    after = snapshot(suggestions_for(land["assoc"], workspaces=[ws_a]))
    assert after == before
    text = repr(after)
    assert "Alliance privée" not in text and "Jeanne" not in text and "Ne pas" not in text and "Don" not in text

    # The same alliance seen from a workspace that is a party does feed *its* network.
    mine = suggestions_for(land["near"], workspaces=[ws_n])
    assert mine is not None
    ws_o, u_o = workspace_for(other_assoc, "club@test.fr")
    publish(ws_o, u_o, "need", title="Compta du club")
    result = suggestions_for(land["near"], workspaces=[ws_n])
    club = next(s for s in result.items if s.organization_id == other_assoc.pk)
    assert any("Alliance privée" in r for r in club.match.reason_texts)
    assert any("mécénat de compétences" in r for r in club.match.reason_texts)
    # ...and never the association A's, which is no party to it.
    ws_a_view = suggestions_for(land["assoc"], workspaces=[ws_a])
    assert "Alliance privée" not in repr(snapshot(ws_a_view))


def test_network_suggestions_and_bridges_come_from_my_own_alliances(land):
    ws_a, user_a = land["ws"][land["assoc"]]
    bridge = org("Maison des Solidarités", "association", "69266")
    from maillage.organizations.models import Organization

    commune = Organization.objects.get(territory_key="commune:69266")
    alliance_actions.create_alliance(
        workspace=ws_a,
        user=user_a,
        name="Trio",
        forms=["innovation_sociale"],
        partners=[(bridge, "partner", ""), (land["far"], "funder", ""), (commune, "partner", "")],
    )
    ws_far, u_far = land["ws"][land["far"]]
    offer = publish(ws_far, u_far, "offer", title="Dons de matériel", kind="goods", skill_domains=[])
    result = suggestions_for(land["assoc"], workspaces=[ws_a])
    assert offer.pk in [s.item_id for s in result.network]
    assert bridge in [o for o, _ in result.bridges]
    # Someone outside the alliance sees neither.
    ws_mid, _ = land["ws"][land["mid"]]
    other = suggestions_for(land["mid"], workspaces=[ws_mid])
    assert other.network == [] and other.bridges == []


def test_a_public_body_call_is_suggested_to_the_association(land):
    from maillage.organizations.models import Organization
    from maillage.workspaces.models import Workspace

    metropole = Organization.objects.get(territory_key="epci:200046977")
    ws_p = Workspace.objects.create(name="Métropole", organization=metropole, verified_at=timezone.now())
    from maillage.matching import actions

    call = actions.create_item(
        workspace=ws_p,
        user=None,
        item_type="call",
        data={
            "title": "Appel à projets transition écologique",
            "causes": ["environnement"],
            "territory_level": "epci",
            "budget": Decimal("50000"),
            "deadline": date(2030, 1, 31),
        },  # fmt: skip
        publish=True,
    )
    ws_a, _ = land["ws"][land["assoc"]]
    result = suggestions_for(land["assoc"], workspaces=[ws_a])
    assert call.pk in [s.item_id for s in result.items if s.item_type == "call"]


def test_reasons_name_the_places(land):
    ws, user = land["ws"][land["assoc"]]
    publish(ws, user, "need", title="Comptabilité")
    ws_c, user_c = land["ws"][land["near"]]
    publish(ws_c, user_c, "offer", title="Comptabilité")
    top = suggestions_for(land["assoc"], workspaces=[ws]).items[0]
    assert "Même intercommunalité : Métropole de Lyon" in top.match.reason_texts
