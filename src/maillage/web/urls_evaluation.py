"""Pages of the evaluation area (included by maillage.web.urls, namespace "web")."""

urlpatterns: list = []
