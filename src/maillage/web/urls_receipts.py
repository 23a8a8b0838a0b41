"""Pages of the receipts area (included by maillage.web.urls, namespace "web")."""

from django.urls import path

from maillage.web.views import donors, receipts

urlpatterns: list = [
    path("recus/", receipts.receipts_home, name="receipts_home"),
    path("recus/habilitation/", receipts.receipts_eligibility, name="receipts_eligibility"),
    path("recus/don-particulier/", receipts.receipts_individual_gift, name="receipts_individual_gift"),
    path("recus/emettre/", receipts.receipts_issue, name="receipts_issue"),
    path("recus/lot/", receipts.receipts_batch, name="receipts_batch"),
    path("recus/lot/<int:run_id>/", receipts.receipts_batch_status, name="receipts_batch_status"),
    path("recus/simulation/", receipts.receipts_simulation, name="receipts_simulation"),
    path("recus/declaration/", receipts.receipts_declaration, name="receipts_declaration"),
    path("recus/comptabilite/", receipts.receipts_export, name="receipts_export"),
    path("recus/donateurs/", donors.donors_list, name="donors_list"),
    path("recus/donateurs/<int:donor_id>/", donors.donor_detail, name="donor_detail"),
    path(
        "recus/donateurs/<int:donor_id>/recu-annuel/<int:year>/",
        donors.donor_summary_receipt,
        name="donor_summary_receipt",
    ),
    path("recus/zip/", donors.receipts_zip, name="receipts_zip"),
    path("recus/<int:receipt_id>/", receipts.receipt_detail, name="receipt_detail"),
    path("recus/<int:receipt_id>/pdf/", receipts.receipt_pdf, name="receipt_pdf"),
    path("recus/<int:receipt_id>/annuler/", receipts.receipt_cancel, name="receipt_cancel"),
]
