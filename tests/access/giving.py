"""Access matrix of the giving side: what the workspace's organisation gave and the receipts issued to it."""

from __future__ import annotations

from tests.access.common import A_READ, api_expect, expect


def extend_world(world) -> None:
    """An eligible association (its own workspace) issues a receipt to a company whose party in the alliance is
    bound to A's workspace: A reads it as the recipient. (Only companies receive 2041-MEC-SD receipts; A's own
    organisation is an association, so the binding is written directly: the matrix tests who reads, not how the
    company joined; tests/contributions/giving joins through the invitation.)"""
    from django.utils import timezone

    from maillage.alliances.models import Party
    from maillage.receipts.actions import issue_receipt
    from maillage.workspaces.models import Membership, Workspace
    from tests.conftest import make_association, make_user
    from tests.receipts.factories import gift, make_alliance, make_company, make_eligible

    association = make_association("Jardins donataires", "W691000777")
    donee = Workspace.objects.create(name="Espace donataire", organization=association, verified_at=timezone.now())
    treasurer = make_user("tresoriere@donataire.test")
    Membership.objects.create(workspace=donee, user=treasurer, role="owner")
    make_eligible(donee, treasurer)
    company = make_company("Imprimerie du monde", "552100554")
    alliance = make_alliance(donee, treasurer, company=company)
    Party.objects.filter(alliance=alliance, organization=company).update(workspace=world["a"], joined_at=timezone.now())
    world["received_receipt"] = issue_receipt(
        workspace=donee, user=treasurer, contribution=gift(alliance, donee, treasurer, value="2500.00")
    )


def web_matrix(w) -> dict:
    receipt = w["received_receipt"].pk
    return {
        "giving_home": ("get", {}, {"turnover": "1 500 000"}, expect()),
        "todo": ("get", {}, {}, expect()),
        "giving_receipt": ("get", {"receipt_id": receipt}, {}, A_READ),
        "giving_receipt_pdf": ("get", {"receipt_id": receipt}, {}, A_READ),
    }


def api_matrix(w) -> dict:
    read = api_expect(200, 200)
    receipt = {"receipt_id": w["received_receipt"].pk}
    return {
        ("GET", "/api/v1/giving"): (read, None, {}),
        ("GET", "/api/v1/giving/receipts"): (read, None, {}),
        ("GET", "/api/v1/giving/receipts/{receipt_id}/pdf"): (api_expect(200, 200, other_workspace=404), None, receipt),
        # Without its turnover the estimate is refused (422) to every workspace; the answer is tested in tests/contributions/giving.
        ("GET", "/api/v1/giving/reduction"): (api_expect(422, 422), None, {}),
    }


def body_for(kind):
    return None
