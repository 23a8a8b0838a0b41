"""Pages of the records area (included by maillage.web.urls, namespace "web")."""

from django.urls import path

from maillage.web.views import records

urlpatterns: list = [
    path("alliances/<int:alliance_id>/echanges/nouveau/", records.interaction_create, name="interaction_create"),
    path("alliances/<int:alliance_id>/accords/nouveau/", records.agreement_create, name="agreement_create"),
    path(
        "alliances/<int:alliance_id>/echanges/<int:interaction_id>/corriger/",
        records.interaction_correct,
        name="interaction_correct",
    ),
    path(
        "alliances/<int:alliance_id>/accords/<int:agreement_id>/corriger/",
        records.agreement_correct,
        name="agreement_correct",
    ),
    path(
        "alliances/<int:alliance_id>/accords/<int:agreement_id>/document/",
        records.agreement_file,
        name="agreement_file",
    ),
    path(
        "alliances/<int:alliance_id>/contributions/nouvelle/",
        records.contribution_create,
        name="contribution_create",
    ),
    path("contributions/<int:contribution_id>/", records.contribution_detail, name="contribution_detail"),
    path("contributions/<int:contribution_id>/reception/", records.contribution_receive, name="contribution_receive"),
    path("contributions/<int:contribution_id>/corriger/", records.contribution_correct, name="contribution_correct"),
    path(
        "contributions/<int:contribution_id>/contreparties/",
        records.contribution_counterpart,
        name="contribution_counterpart",
    ),
]
