"""Pages of the alliances area (included by maillage.web.urls, namespace "web")."""

from django.urls import path

from maillage.web.views import alliances

urlpatterns: list = [
    path("alliances/", alliances.alliance_list, name="alliance_list"),
    path("alliances/tableau/", alliances.alliance_board, name="alliance_board"),
    path("alliances/reglages/", alliances.alliance_settings, name="alliance_settings"),
    path("alliances/nouvelle/", alliances.alliance_create, name="alliance_create"),
    path("alliances/partenaires/", alliances.alliance_partner_options, name="alliance_partner_options"),
    path("alliances/invitations/", alliances.alliance_invitations, name="alliance_invitations"),
    path(
        "alliances/invitations/<int:invitation_id>/accepter/",
        alliances.alliance_invitation_accept,
        name="alliance_invitation_accept",
    ),
    path(
        "alliances/invitations/<int:invitation_id>/decliner/",
        alliances.alliance_invitation_decline,
        name="alliance_invitation_decline",
    ),
    path("alliances/<int:alliance_id>/", alliances.alliance_detail, name="alliance_detail"),
    path("alliances/<int:alliance_id>/modifier/", alliances.alliance_edit, name="alliance_edit"),
    path("alliances/<int:alliance_id>/etape/", alliances.alliance_move, name="alliance_move"),
    path("alliances/<int:alliance_id>/propositions/", alliances.alliance_propose, name="alliance_propose"),
    path("alliances/<int:alliance_id>/pilote/", alliances.alliance_hand_over, name="alliance_hand_over"),
    path(
        "alliances/<int:alliance_id>/propositions/<int:proposal_id>/accepter/",
        alliances.alliance_proposal_accept,
        name="alliance_proposal_accept",
    ),
    path(
        "alliances/<int:alliance_id>/propositions/<int:proposal_id>/refuser/",
        alliances.alliance_proposal_refuse,
        name="alliance_proposal_refuse",
    ),
    path("alliances/<int:alliance_id>/inviter/", alliances.alliance_invite, name="alliance_invite"),
    path("alliances/<int:alliance_id>/quitter/", alliances.alliance_leave, name="alliance_leave"),
    path("alliances/<int:alliance_id>/notes/", alliances.alliance_note, name="alliance_note"),
    path("alliances/<int:alliance_id>/chronologie/", alliances.alliance_timeline, name="alliance_timeline"),
]
