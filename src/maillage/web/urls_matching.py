"""Pages of the matching area (included by maillage.web.urls, namespace "web")."""

urlpatterns: list = []
