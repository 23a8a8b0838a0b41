"""Pages of the organisation claims (decision 0008): the workspace's verification, join requests, operators' queue."""

from django.urls import path

from maillage.web.views import operators, workspaces

urlpatterns = [
    path("espace/verification/", workspaces.workspace_claim, name="workspace_claim"),
    path(
        "espace/demandes/<int:join_request_id>/accepter/",
        workspaces.join_request_accept,
        name="join_request_accept",
    ),
    path(
        "espace/demandes/<int:join_request_id>/refuser/",
        workspaces.join_request_refuse,
        name="join_request_refuse",
    ),
    path("operateurs/revendications/", operators.claim_queue, name="operator_claims"),
    path("operateurs/revendications/<int:claim_id>/", operators.claim_detail, name="operator_claim"),
    path(
        "operateurs/revendications/<int:claim_id>/justificatif/",
        operators.claim_evidence,
        name="operator_claim_evidence",
    ),
    path("operateurs/revendications/<int:claim_id>/approuver/", operators.claim_approve, name="operator_claim_approve"),
    path("operateurs/revendications/<int:claim_id>/refuser/", operators.claim_refuse, name="operator_claim_refuse"),
]
