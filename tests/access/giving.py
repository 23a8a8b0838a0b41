"""Access matrix of the giving side: what the workspace's organisation gave and the receipts issued to it."""

from __future__ import annotations

from tests.access.common import A_READ, expect


def extend_world(world) -> None:
    """A's organisation gives to an eligible association (its own workspace) which issues A a receipt."""
    from django.utils import timezone

    from maillage.alliances.actions import accept_party_invitation, invite_party
    from maillage.receipts.actions import issue_receipt
    from maillage.workspaces.models import Membership, Workspace
    from tests.conftest import make_association, make_user
    from tests.receipts.factories import gift, make_alliance, make_eligible

    association = make_association("Jardins donataires", "W691000777")
    donee = Workspace.objects.create(name="Espace donataire", organization=association, verified_at=timezone.now())
    treasurer = make_user("tresoriere@donataire.test")
    Membership.objects.create(workspace=donee, user=treasurer, role="owner")
    make_eligible(donee, treasurer)
    alliance = make_alliance(donee, treasurer, company=world["org"])
    party = alliance.parties.get(organization=world["org"])
    invitation = invite_party(alliance=alliance, workspace=donee, user=treasurer, party=party)
    accept_party_invitation(invitation=invitation, workspace=world["a"], user=world["people"]["owner"])
    world["received_receipt"] = issue_receipt(
        workspace=donee, user=treasurer, contribution=gift(alliance, donee, treasurer, value="2500.00")
    )


def web_matrix(w) -> dict:
    receipt = w["received_receipt"].pk
    return {
        "giving_home": ("get", {}, {"turnover": "1 500 000"}, expect()),
        "giving_receipt": ("get", {"receipt_id": receipt}, {}, A_READ),
        "giving_receipt_pdf": ("get", {"receipt_id": receipt}, {}, A_READ),
    }


def api_matrix(w) -> dict:
    return {}


def body_for(kind):
    return None
