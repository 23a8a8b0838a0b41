"""Pages of the dashboard area (included by maillage.web.urls, namespace "web")."""

urlpatterns: list = []
