"""Pages of the observatory area (included by maillage.web.urls, namespace "web")."""

urlpatterns: list = []
