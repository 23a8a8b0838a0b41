"""Pages of the receipts area (included by maillage.web.urls, namespace "web")."""

urlpatterns: list = []
