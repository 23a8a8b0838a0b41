"""Pages of the matching area (included by maillage.web.urls, namespace "web")."""

from django.urls import path

from maillage.web.views import matching

urlpatterns: list = [
    path("rapprochement/", matching.home, name="matching_home"),
    path("rapprochement/demarrer/", matching.start, name="matching_start"),
    path("rapprochement/alertes/", matching.alerts, name="matching_alerts"),
    path("rapprochement/alliances-nees/", matching.origins, name="matching_origins"),
    path("rapprochement/<slug:slug>/", matching.item_list, name="matching_list"),
    path("rapprochement/<slug:slug>/nouveau/", matching.item_create, name="matching_create"),
    path("rapprochement/<slug:slug>/<int:pk>/", matching.item_detail, name="matching_detail"),
    path("rapprochement/<slug:slug>/<int:pk>/modifier/", matching.item_edit, name="matching_edit"),
    path("rapprochement/<slug:slug>/<int:pk>/statut/", matching.item_status, name="matching_status"),
]
