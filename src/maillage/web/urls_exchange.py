"""Pages of the exchange area (included by maillage.web.urls, namespace "web")."""

from django.urls import path

from maillage.web.views import exchange

urlpatterns: list = [
    path("donnees/", exchange.exchange_home, name="exchange_home"),
    path("donnees/exemples/<str:name>", exchange.exchange_sample, name="exchange_sample"),
    path("donnees/imports/", exchange.import_upload, name="import_upload"),
    path("donnees/imports/<int:job_id>/", exchange.import_report, name="import_report"),
    path("donnees/imports/<int:job_id>/colonnes/", exchange.import_mapping, name="import_mapping"),
    path("donnees/imports/<int:job_id>/lancer/", exchange.import_start, name="import_start"),
    path("donnees/imports/<int:job_id>/progression/", exchange.import_progress, name="import_progress"),
    path("donnees/imports/<int:job_id>/rapport.csv", exchange.import_report_csv, name="import_report_csv"),
    path("donnees/imports/<int:job_id>/annuler/", exchange.import_undo, name="import_undo"),
    path("donnees/export/archive.zip", exchange.export_archive, name="export_archive"),
    path("donnees/export/<str:table>.<str:file_format>", exchange.export_table, name="export_table"),
]
