"""Pages of the evaluation area (included by maillage.web.urls, namespace "web")."""

from django.urls import path

from maillage.web.views import evaluation

urlpatterns: list = [
    path("evaluations/", evaluation.evaluation_list, name="evaluation_list"),
    path("evaluations/ouvrir/", evaluation.evaluation_open, name="evaluation_open"),
    path("evaluations/<int:evaluation_id>/", evaluation.evaluation_detail, name="evaluation_detail"),
    path("evaluations/<int:evaluation_id>/repondre/", evaluation.evaluation_answer, name="evaluation_answer"),
    path("evaluations/<int:evaluation_id>/partager/", evaluation.evaluation_share, name="evaluation_share"),
    path("evaluations/<int:evaluation_id>/cloturer/", evaluation.evaluation_close, name="evaluation_close"),
    path("evaluations/<int:evaluation_id>/relancer/", evaluation.evaluation_remind, name="evaluation_remind"),
    path("evaluations/<int:evaluation_id>/bilan/", evaluation.evaluation_report, name="evaluation_report"),
    path("evaluations/<int:evaluation_id>/bilan.pdf", evaluation.evaluation_report_pdf, name="evaluation_report_pdf"),
    path("evaluations/<int:evaluation_id>/liens/", evaluation.evaluation_link, name="evaluation_link"),
    path(
        "evaluations/<int:evaluation_id>/liens/<int:link_id>/revoquer/",
        evaluation.evaluation_link_revoke,
        name="evaluation_link_revoke",
    ),
    path("evaluations/reponse/<str:token>/", evaluation.evaluation_outside, name="evaluation_outside"),
    path("alliances/<int:alliance_id>/objectifs/", evaluation.evaluation_objectives, name="evaluation_objectives"),
    path(
        "alliances/<int:alliance_id>/objectifs/<int:objective_id>/retirer/",
        evaluation.evaluation_objective_withdraw,
        name="evaluation_objective_withdraw",
    ),
]
