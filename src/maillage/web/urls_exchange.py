"""Pages of the exchange area (included by maillage.web.urls, namespace "web")."""

urlpatterns: list = []
