"""Pages of the diagnostic area (included by maillage.web.urls, namespace "web")."""

urlpatterns: list = []
