"""Access matrix of the alliance pages (alliances, records, dashboard). The API has its own module."""

from __future__ import annotations

from datetime import date

from django.core.files.uploadedfile import SimpleUploadedFile

from maillage.alliances import actions
from maillage.contributions.actions import record_contribution
from maillage.organizations.actions import create_organization
from tests.access.common import A_READ, A_WRITE, expect


def extend_world(world) -> None:
    owner, a, b = world["people"]["owner"], world["a"], world["b"]
    company = create_organization(data={"kind": "company", "name": "Entreprise du monde"})
    alliance = actions.create_alliance(
        workspace=a,
        user=owner,
        name="Alliance du monde",
        forms=["mecenat_financier"],
        partners=[(b.organization, "partner", ""), (company, "funder", "")],
    )
    parties = {p.organization_id: p for p in alliance.parties.all()}
    own, partner_b, funder = parties[a.organization_id], parties[b.organization_id], parties[company.pk]
    world["web_alliance"] = alliance
    world["web_company_party"] = funder
    world["web_contribution"] = record_contribution(
        alliance=alliance,
        workspace=a,
        user=owner,
        giver=funder,
        receiver=own,
        kind="money",
        description="Don du monde",
        value="100",
    )
    world["web_agreement"] = actions.record_agreement(
        alliance=alliance,
        workspace=a,
        user=owner,
        kind="mecenat",
        title="Convention du monde",
        signed_on=date(2026, 1, 1),
        file=SimpleUploadedFile("c.pdf", b"%PDF-1.4\n%%EOF\n", content_type="application/pdf"),
    )
    world["web_interaction"] = actions.log_interaction(
        alliance=alliance, workspace=a, user=owner, kind="call", occurred_on=date(2026, 1, 2), duration_minutes=20
    )
    # Invitations meant for B, each on its own alliance so that accepting one opens nothing else to B.
    world["web_decline_invitation"] = actions.invite_party(alliance=alliance, workspace=a, user=owner, party=partner_b)
    other = actions.create_alliance(
        workspace=a,
        user=owner,
        name="Alliance à accepter",
        forms=["innovation_sociale"],
        partners=[(b.organization, "partner", "")],
    )
    # Proposals made to A (the lead) by B's workspace, as if B had joined (decision 0016).
    from maillage.alliances.models import Proposal

    world["web_proposal_accept"] = Proposal.objects.create(
        alliance=alliance, kind="description", changes={"purpose": "Objet proposé"}, by_workspace=b
    )
    world["web_proposal_refuse"] = Proposal.objects.create(
        alliance=alliance, kind="stage", to_stage="first_contact", by_workspace=b
    )
    world["web_accept_invitation"] = actions.invite_party(
        alliance=other, workspace=a, user=owner, party=other.parties.get(organization=b.organization)
    )


def web_matrix(w) -> dict:
    alliance = {"alliance_id": w["web_alliance"].pk}
    contribution = {"contribution_id": w["web_contribution"].pk}
    a_form = expect(viewer=403, other_workspace=404)  # a write page of A's alliance, shown to its writers
    own_form = expect(viewer=403)  # a write page of one's own workspace
    admin_post = expect(viewer=403, member=403, admin=302, owner=302, other_workspace=302)
    # The claimant's unverified workspace answers no invitation of the organisation (decision 0008).
    b_answer = expect(viewer=403, member=403, admin=404, owner=404, other_workspace=302, claimant=403)
    return {
        "alliance_list": ("get", {}, {"partner_kind": "company"}, expect()),
        "alliance_board": ("get", {}, {"form": "mecenat_financier"}, expect()),
        "alliance_settings": ("post", {}, {"cold_after_days": "30"}, admin_post),
        "alliance_create": ("get", {}, {}, own_form),
        "alliance_partner_options": ("get", {}, {"q": "entreprise"}, expect()),
        "alliance_invitations": ("get", {}, {}, expect()),
        "alliance_detail": ("get", alliance, {}, A_READ),
        "alliance_edit": ("get", alliance, {}, a_form),
        "alliance_timeline": ("get", alliance, {}, A_READ),
        "alliance_note": ("post", alliance, {"text": "Note"}, A_WRITE),
        "alliance_invite": ("post", alliance, {"party": w["web_company_party"].pk}, A_WRITE),
        "alliance_move": ("post", alliance, {"to_stage": "first_contact"}, A_WRITE),
        # A leads: its proposal is refused with a message (302), B's member never reaches A's alliance.
        "alliance_propose": ("post", alliance, {"to_stage": "first_contact"}, A_WRITE),
        "alliance_proposal_accept": (
            "post",
            {**alliance, "proposal_id": w["web_proposal_accept"].pk},
            {"answer": "D'accord"},
            A_WRITE,
        ),
        "alliance_proposal_refuse": (
            "post",
            {**alliance, "proposal_id": w["web_proposal_refuse"].pk},
            {"answer": "Trop tôt"},
            A_WRITE,
        ),
        # A leads; B shares no alliance with A here (404); the role goes to a party with a workspace: the
        # funder has none, so A's admins get the page back with the French message (302).
        "alliance_hand_over": (
            "post",
            alliance,
            {"party": w["web_company_party"].pk},
            expect(viewer=403, member=403, admin=302, owner=302, other_workspace=404),
        ),
        "alliance_leave": (
            "post",
            alliance,
            {},
            expect(viewer=403, member=403, admin=302, owner=302, other_workspace=404),
        ),
        "interaction_create": ("get", alliance, {}, a_form),
        "agreement_create": ("get", alliance, {}, a_form),
        "agreement_file": ("get", {**alliance, "agreement_id": w["web_agreement"].pk}, {}, A_READ),
        # Corrections (decision 0016): the author's writers get the form, its other parties the history.
        "agreement_correct": ("get", {**alliance, "agreement_id": w["web_agreement"].pk}, {}, a_form),
        "interaction_correct": ("get", {**alliance, "interaction_id": w["web_interaction"].pk}, {}, a_form),
        "contribution_create": ("get", alliance, {}, a_form),
        "contribution_detail": ("get", contribution, {}, A_READ),
        "contribution_correct": ("get", contribution, {}, a_form),
        "contribution_receive": ("post", contribution, {"received_on": "2026-01-10"}, A_WRITE),
        "contribution_counterpart": ("post", contribution, {"description": "Logo", "value": "10"}, A_WRITE),
        "dashboard": ("get", {}, {}, expect()),
        "dashboard_export": ("get", {"table": "alliances", "fmt": "csv"}, {}, expect()),
        "alliance_invitation_decline": (
            "post",
            {"invitation_id": w["web_decline_invitation"].pk},
            {},
            b_answer,
        ),
        "alliance_invitation_accept": ("post", {"invitation_id": w["web_accept_invitation"].pk}, {}, b_answer),
    }


def api_matrix(w) -> dict:
    return {}


def body_for(kind):
    return kind
