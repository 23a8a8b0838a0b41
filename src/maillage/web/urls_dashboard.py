"""Pages of the dashboard area (included by maillage.web.urls, namespace "web")."""

from django.urls import path

from maillage.web.views import dashboard, todo

urlpatterns: list = [
    path("a-faire/", todo.todo, name="todo"),
    path("tableau-de-bord/", dashboard.dashboard, name="dashboard"),
    path("tableau-de-bord/export/<slug:table>.<str:fmt>", dashboard.dashboard_export, name="dashboard_export"),
]
