"""Access matrix of the alliance and contribution API (/api/v1/alliances, /api/v1/contributions).

A's alliance has B's association as a party that was never invited: B's owner gets 404 on it and on everything
under it. Workspace C (another association) invites A to its alliances: A's admins answer those invitations and
leave the one A shares with C; members and viewers get 403 there, B gets 404.
"""

from __future__ import annotations

from datetime import date

from django.utils import timezone

from maillage.alliances import actions
from maillage.contributions.actions import record_contribution
from maillage.core.roles import Role
from maillage.organizations.actions import create_organization
from maillage.workspaces.models import Membership, Workspace
from tests.access.common import api_expect

A = "/api/v1/alliances/{alliance_id}"


def extend_world(world) -> None:
    owner, a, b = world["people"]["owner"], world["a"], world["b"]
    company = create_organization(data={"kind": "company", "name": "Entreprise de l'API"})
    world["api_spare_org"] = create_organization(data={"kind": "foundation", "name": "Fondation de l'API"})
    alliance = actions.create_alliance(
        workspace=a,
        user=owner,
        name="Alliance de l'API",
        forms=["mecenat_financier", "mecenat_competences"],
        partners=[(b.organization, "partner", ""), (company, "funder", "")],
    )
    parties = {p.organization_id: p for p in alliance.parties.all()}
    world["api_alliance"] = alliance
    world["api_own_party"] = parties[a.organization_id]
    world["api_company_party"] = parties[company.pk]
    world["api_contribution"] = record_contribution(
        alliance=alliance,
        workspace=a,
        user=owner,
        giver=parties[company.pk],
        receiver=parties[a.organization_id],
        kind="money",
        description="Don de l'API",
        value="100",
    )
    world["api_interaction"] = actions.log_interaction(
        alliance=alliance, workspace=a, user=owner, kind="call", occurred_on=date(2026, 1, 2), duration_minutes=20
    )
    world["api_agreement"] = actions.record_agreement(
        alliance=alliance, workspace=a, user=owner, kind="mecenat", title="Convention API", signed_on=date(2026, 1, 1)
    )
    # Workspace C invites A to three alliances: one A joins (then leaves), one to accept, one to decline.
    from tests.conftest import make_user

    c = Workspace.objects.create(
        name="Espace C",
        organization=create_organization(data={"kind": "association", "name": "Association C"}),
        verified_at=timezone.now(),
    )
    c_owner = make_user("owner@c.test")
    Membership.objects.create(workspace=c, user=c_owner, role=Role.OWNER)
    invitations = []
    for name in ("Alliance avec C", "Alliance à accepter (API)", "Alliance à décliner (API)"):
        shared = actions.create_alliance(
            workspace=c,
            user=c_owner,
            name=name,
            forms=["innovation_sociale"],
            partners=[(a.organization, "partner", "")],
        )
        invitations.append(
            actions.invite_party(
                alliance=shared, workspace=c, user=c_owner, party=shared.parties.get(organization=a.organization)
            )
        )
    actions.accept_party_invitation(invitation=invitations[0], workspace=a, user=owner)
    world["api_leave_alliance"] = invitations[0].party.alliance
    world["api_accept_invitation"], world["api_decline_invitation"] = invitations[1], invitations[2]
    # Proposals made to A (the lead) by B's workspace (decision 0016).
    from maillage.alliances.models import Proposal

    world["api_proposal_accept"] = Proposal.objects.create(
        alliance=alliance, kind="description", changes={"purpose": "Objet proposé"}, by_workspace=b
    )
    world["api_proposal_refuse"] = Proposal.objects.create(
        alliance=alliance, kind="stage", to_stage="first_contact", by_workspace=b
    )


def web_matrix(w) -> dict:
    return {}


def api_matrix(w) -> dict:
    own = api_expect(200, 200)  # every member of a workspace reads its own lists
    read = api_expect(200, 200, other_workspace=404)  # an object of A's alliance
    write = api_expect(403, 201, other_workspace=404)
    update = api_expect(403, 200, other_workspace=404)
    admin_only = {**api_expect(403, 200, other_workspace=404), "member": 403}
    # A JSON body cannot carry the PDF: a member passes the checks of access and gets the 422 that asks for it.
    multipart = api_expect(403, 422, other_workspace=404)
    alliance = {"alliance_id": w["api_alliance"].pk}
    contribution = {"contribution_id": w["api_contribution"].pk}
    interaction = {**alliance, "interaction_id": w["api_interaction"].pk}
    agreement = {**alliance, "agreement_id": w["api_agreement"].pk}
    # Decision 0008: the claimant's unverified workspace neither sees nor answers the invitations of the organisation.
    unverified_403 = {"claimant": 403}
    return {
        ("GET", "/api/v1/alliances"): (own, None, {}),
        ("POST", "/api/v1/alliances"): (api_expect(403, 201), "api_alliance", {}),
        ("GET", A): (read, None, alliance),
        ("PATCH", A): (update, {"purpose": "Objet revu"}, alliance),
        ("GET", A + "/transitions"): (read, None, alliance),
        ("POST", A + "/transitions"): (write, {"to_stage": "first_contact", "reason": "Premier rendez-vous"}, alliance),
        ("GET", A + "/proposals"): (read, None, alliance),
        # A leads: it changes directly, so its own proposal is refused (422) once its access is checked.
        ("POST", A + "/proposals"): (
            api_expect(403, 422, other_workspace=404),
            {"to_stage": "first_contact"},
            alliance,
        ),
        ("POST", A + "/proposals/{proposal_id}/accept"): (
            update,
            {"answer": "D'accord"},
            {**alliance, "proposal_id": w["api_proposal_accept"].pk},
        ),
        ("POST", A + "/proposals/{proposal_id}/refuse"): (
            update,
            {"answer": "Trop tôt"},
            {**alliance, "proposal_id": w["api_proposal_refuse"].pk},
        ),
        # A leads; the funder has no workspace yet: A's admins pass the checks of access and get the 422.
        ("POST", A + "/lead"): (
            {**api_expect(403, 422, other_workspace=404), "member": 403},
            {"party_id": w["api_company_party"].pk},
            alliance,
        ),
        ("GET", A + "/parties"): (read, None, alliance),
        ("POST", A + "/parties"): (write, "api_party", alliance),
        ("POST", A + "/parties/{party_id}/invitations"): (
            write,
            {},
            {**alliance, "party_id": w["api_company_party"].pk},
        ),
        ("POST", A + "/leave"): (admin_only, None, {"alliance_id": w["api_leave_alliance"].pk}),
        ("GET", "/api/v1/alliances/invitations"): ({**own, **unverified_403}, None, {}),
        ("POST", "/api/v1/alliances/invitations/{invitation_id}/accept"): (
            {**admin_only, **unverified_403},
            None,
            {"invitation_id": w["api_accept_invitation"].pk},
        ),
        ("POST", "/api/v1/alliances/invitations/{invitation_id}/decline"): (
            {**admin_only, **unverified_403},
            None,
            {"invitation_id": w["api_decline_invitation"].pk},
        ),
        ("GET", A + "/interactions"): (read, None, alliance),
        ("POST", A + "/interactions"): (
            write,
            {"kind": "call", "occurred_on": "2026-01-05", "duration_minutes": 30},
            alliance,
        ),
        ("GET", A + "/agreements"): (read, None, alliance),
        ("POST", A + "/agreements"): (
            write,
            {"kind": "mecenat", "title": "Convention", "signed_on": "2026-01-05"},
            alliance,
        ),
        ("POST", A + "/agreements/signed"): (multipart, {}, alliance),
        # Corrections (decision 0016): by the workspace that recorded it; B never reaches A's alliance.
        ("PATCH", A + "/interactions/{interaction_id}"): (update, {"subject": "Appel corrigé"}, interaction),
        ("GET", A + "/interactions/{interaction_id}/corrections"): (read, None, interaction),
        ("PATCH", A + "/agreements/{agreement_id}"): (update, {"title": "Convention corrigée"}, agreement),
        ("GET", A + "/agreements/{agreement_id}/corrections"): (read, None, agreement),
        ("GET", A + "/notes"): (read, None, alliance),
        ("POST", A + "/notes"): (write, {"text": "Une note privée"}, alliance),
        ("GET", A + "/contributions"): (read, None, alliance),
        ("POST", A + "/contributions"): (write, "api_contribution", alliance),
        ("GET", "/api/v1/contributions"): (own, None, {}),
        ("GET", "/api/v1/contributions/{contribution_id}"): (read, None, contribution),
        ("PATCH", "/api/v1/contributions/{contribution_id}"): (
            update,
            {"description": "Don de l'API, corrigé", "reason": "Coquille"},
            contribution,
        ),
        ("POST", "/api/v1/contributions/{contribution_id}/received"): (
            update,
            {"received_on": "2026-01-10"},
            contribution,
        ),
        ("POST", "/api/v1/contributions/{contribution_id}/counterparts"): (
            write,
            {"description": "Logo", "value": "10.00"},
            contribution,
        ),
    }


def body_for(kind):
    if kind == "api_alliance":
        return lambda w, role: {
            "name": "Alliance créée par l'API",
            "forms": ["cooperation_economique"],
            "partners": [{"organization_id": w["api_spare_org"].pk, "role": "funder"}],
        }
    if kind == "api_party":
        return lambda w, role: {"organization_id": w["api_spare_org"].pk, "role": "evaluator"}
    if kind == "api_contribution":
        return lambda w, role: {
            "giver_party_id": w["api_company_party"].pk,
            "receiver_party_id": w["api_own_party"].pk,
            "kind": "in_kind",
            "description": "Prêt de matériel",
            "value": 250,
            "valuation_method": "cost_price",
        }
    return kind
