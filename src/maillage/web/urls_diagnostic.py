"""Pages of the diagnostic area (included by maillage.web.urls, namespace "web")."""

from django.urls import path

from maillage.web.views import diagnostic

urlpatterns: list = [
    path("diagnostic/", diagnostic.diagnostic, name="diagnostic"),
    path("diagnostic/<int:year>/", diagnostic.diagnostic_year, name="diagnostic_year"),
    path(
        "diagnostic/financeurs/<int:funder_id>/alliance/",
        diagnostic.diagnostic_funder_alliance,
        name="diagnostic_funder_alliance",
    ),
]
