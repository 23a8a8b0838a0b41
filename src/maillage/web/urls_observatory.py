"""Pages of the observatory area (included by maillage.web.urls, namespace "web")."""

from django.urls import path

from maillage.web.views import observatory

urlpatterns: list = [
    path("observatoire/", observatory.home, name="observatory_home"),
    path("observatoire/donnees/", observatory.open_data, name="observatory_open_data"),
    path("observatoire/donnees/cases.csv", observatory.data_csv, name="observatory_data_csv"),
    path("observatoire/donnees/cases.json", observatory.data_json, name="observatory_data_json"),
    path("observatoire/donnees/definitions.csv", observatory.definitions_csv, name="observatory_definitions_csv"),
    path("observatoire/donnees/definitions.json", observatory.definitions_json, name="observatory_definitions_json"),
    # Coverage, weighted shares, survival (issue 23): couverture, parts-redressees, survie.
    path("observatoire/donnees/<slug:table>.csv", observatory.story_csv, name="observatory_story_csv"),
    path("observatoire/donnees/<slug:table>.json", observatory.story_json, name="observatory_story_json"),
    path("observatoire/mon-espace/", observatory.my_position, name="observatory_position"),
    path("observatoire/actualiser/", observatory.refresh_page, name="observatory_refresh"),
    path("observatoire/<str:level>/<str:code>/", observatory.territory, name="observatory_territory"),
]
