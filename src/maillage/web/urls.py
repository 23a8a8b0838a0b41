from django.urls import path

from maillage.web import (
    urls_accessibility,
    urls_accounts,
    urls_alliances,
    urls_audit,
    urls_claims,
    urls_dashboard,
    urls_diagnostic,
    urls_evaluation,
    urls_exchange,
    urls_giving,
    urls_matching,
    urls_observatory,
    urls_privacy,
    urls_proposals,
    urls_receipts,
    urls_records,
)
from maillage.web.views import auth, home, organizations, workspaces

app_name = "web"

urlpatterns = [
    path("", home.home, name="home"),
    path("sante/", home.health, name="health"),
    path("compte/inscription/", auth.signup, name="signup"),
    path("compte/connexion/", auth.MaillageLoginView.as_view(), name="login"),
    path("compte/deconnexion/", auth.MaillageLogoutView.as_view(), name="logout"),
    path("espaces/", workspaces.workspace_list, name="workspace_list"),
    path("espaces/nouveau/", workspaces.workspace_create, name="workspace_create"),
    path("espaces/<int:workspace_id>/basculer/", workspaces.workspace_switch, name="workspace_switch"),
    path("espace/membres/", workspaces.members, name="members"),
    path("espace/membres/inviter/", workspaces.invite, name="invite"),
    path("espace/membres/<int:membership_id>/role/", workspaces.member_role, name="member_role"),
    path("espace/membres/<int:membership_id>/retirer/", workspaces.member_revoke, name="member_revoke"),
    path("espace/observatoire/", workspaces.observatory_consent, name="observatory_consent"),
    path("espace/jetons/", workspaces.api_tokens, name="api_tokens"),
    path("espace/jetons/<int:token_id>/revoquer/", workspaces.api_token_revoke, name="api_token_revoke"),
    path("invitations/<str:token>/", workspaces.invitation_accept, name="invitation_accept"),
    path("annuaire/", organizations.organization_list, name="organization_list"),
    path("annuaire/nouvelle/", organizations.organization_create, name="organization_create"),
    path("annuaire/<int:organization_id>/", organizations.organization_detail, name="organization_detail"),
    path("annuaire/<int:organization_id>/corriger/", organizations.organization_correct, name="organization_correct"),
    path("annuaire/<int:organization_id>/notes/", organizations.organization_note, name="organization_note"),
    path("annuaire/<int:organization_id>/contacts/", organizations.organization_contact, name="organization_contact"),
    path("referentiel/communes/", organizations.commune_options, name="commune_options"),
    path("referentiel/organisations/", organizations.organization_options, name="organization_options"),
]
# Each area keeps its pages in its own module (one owner per file).
for area in (
    urls_accessibility,
    urls_accounts,
    urls_claims,
    urls_alliances,
    urls_records,
    urls_dashboard,
    urls_receipts,
    urls_giving,
    urls_evaluation,
    urls_diagnostic,
    urls_observatory,
    urls_matching,
    urls_exchange,
    urls_audit,
    urls_privacy,
    urls_proposals,
):
    urlpatterns += area.urlpatterns
