"""Pages of the public partnership requests (included by maillage.web.urls, namespace "web")."""

from django.urls import path

from maillage.web.views import proposals

urlpatterns: list = [
    path("proposer-un-partenariat/<int:organization_id>/", proposals.proposal_public, name="proposal_public"),
    path("espace/propositions/", proposals.proposal_list, name="proposal_list"),
    path("espace/propositions/<int:request_id>/accepter/", proposals.proposal_accept, name="proposal_accept"),
    path("espace/propositions/<int:request_id>/refuser/", proposals.proposal_refuse, name="proposal_refuse"),
]
