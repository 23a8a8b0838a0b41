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
]
