"""Pages of the giving side (included by maillage.web.urls, namespace "web"): what the workspace's organisation
gave, the receipts issued to it and its estimated tax reduction."""

from django.urls import path

from maillage.web.views import giving

urlpatterns: list = [
    path("dons/", giving.giving_home, name="giving_home"),
    path("dons/recus/<int:receipt_id>/", giving.giving_receipt, name="giving_receipt"),
    path("dons/recus/<int:receipt_id>/pdf/", giving.giving_receipt_pdf, name="giving_receipt_pdf"),
]
