"""Access matrix of the organisation claims (decision 0008): verification page, join requests, operators' queue."""

from __future__ import annotations

from django.core.files.base import ContentFile

from tests.access.common import expect

PDF = b"%PDF-1.4\n% justificatif\n"


def extend_world(world) -> None:
    from django.utils import timezone

    from maillage.workspaces.models import JoinRequest, OrganizationClaim, User
    from tests.conftest import make_user

    claim = OrganizationClaim(
        workspace=world["claimed"],
        organization=world["claimed"].organization,
        submitted_by=world["people"]["claimant"],
        evidence_kind="recepisse",
        statement="Je suis la présidente de l'association.",
    )
    claim.evidence.save("justificatif.pdf", ContentFile(PDF), save=False)
    claim.save()
    world["claim"] = claim
    second = make_user("second-requester@x.test")
    User.objects.filter(pk=second.pk).update(email_verified_at=timezone.now())
    world["join_to_accept"] = JoinRequest.objects.get(user=world["people"]["join_requester"])
    world["join_to_refuse"] = JoinRequest.objects.create(workspace=world["a"], user=second)


# Nobody of the matrix is an operator: the operators' area does not exist for them (404); see test_claims.py.
OPERATORS_ONLY = expect(
    viewer=404, member=404, admin=404, owner=404, other_workspace=404, revoked=404, unverified_account=404
)
ADMIN_OF_A = expect(viewer=403, member=403, admin=302, owner=302, other_workspace=404, claimant=404)


def web_matrix(w) -> dict:
    claim = {"claim_id": w["claim"].pk}
    return {
        "workspace_claim": ("get", {}, {}, expect()),
        "join_request_accept": ("post", {"join_request_id": w["join_to_accept"].pk}, {"role": "member"}, ADMIN_OF_A),
        "join_request_refuse": (
            "post",
            {"join_request_id": w["join_to_refuse"].pk},
            {"reason": "Inconnue"},
            ADMIN_OF_A,
        ),
        "operator_claims": ("get", {}, {}, OPERATORS_ONLY),
        "operator_claim": ("get", claim, {}, OPERATORS_ONLY),
        "operator_claim_evidence": ("get", claim, {}, OPERATORS_ONLY),
        "operator_claim_approve": ("post", claim, {}, OPERATORS_ONLY),
        "operator_claim_refuse": ("post", claim, {"reason": "Document illisible"}, OPERATORS_ONLY),
    }


def api_matrix(w) -> dict:
    from tests.access.common import api_expect

    return {("GET", "/api/v1/workspace"): (api_expect(200, 200), None, {})}


def body_for(kind):
    return kind
