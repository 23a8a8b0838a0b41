"""Pages of the alliances area (included by maillage.web.urls, namespace "web")."""

urlpatterns: list = []
