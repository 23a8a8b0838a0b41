"""Pages of the records area (included by maillage.web.urls, namespace "web")."""

urlpatterns: list = []
