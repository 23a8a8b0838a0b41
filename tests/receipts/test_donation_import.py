"""Individuals' gifts imported through the import machinery (CSV, XLSX, HelloAsso export), donors matched without
duplicates, then receipted."""

from __future__ import annotations

from decimal import Decimal

import pytest

from maillage.exchange import runner
from maillage.exchange.jobs import create_job
from maillage.exchange.models import JobStatus
from maillage.exchange.undo import undo_import
from maillage.receipts.actions import issue_receipt, record_individual_gift
from maillage.receipts.models import Donor, IndividualGift
from tests.exchange.helpers import csv_bytes, xlsx_bytes

pytestmark = pytest.mark.django_db

HELLOASSO = [
    "Référence commande",
    "Date de la commande",
    "Statut de la commande",
    "Nom payeur",
    "Prénom payeur",
    "Email payeur",
    "Adresse payeur",
    "Code Postal payeur",
    "Ville payeur",
    "Montant tarif",
    "Moyen de paiement",
]


def helloasso_rows():
    return [
        HELLOASSO,
        [
            "1001",
            "02/03/2025 10:15",
            "Validé",
            "Lefèvre",
            "Paul",
            "paul@example.test",
            "3 place Bellecour",
            "69002",
            "Lyon",
            "50,00",
            "Carte bancaire",
        ],
        [
            "1002",
            "05/04/2025 18:02",
            "Validé",
            "LEFEVRE",
            "paul",
            "Paul@Example.test",
            "3 place Bellecour",
            "69002",
            "Lyon",
            "25,00",
            "Carte bancaire",
        ],
        [
            "1003",
            "06/04/2025 09:00",
            "Remboursé",
            "Bouvier",
            "Inès",
            "ines@example.test",
            "8 cours Émile Zola",
            "69100",
            "Villeurbanne",
            "30,00",
            "Carte bancaire",
        ],
        [
            "1004",
            "07/04/2025 09:00",
            "Validé",
            "Bouvier",
            "Inès",
            "ines@example.test",
            "8 cours Émile Zola",
            "69100",
            "Villeurbanne",
            "abc",
            "Carte bancaire",
        ],
        ["1005", "08/04/2025 09:00", "Validé", "Martin", "Jeanne", "", "", "", "", "10", "Chèque"],
    ]


def imported(workspace, owner, content, filename="helloasso.csv"):
    job = create_job(workspace=workspace, user=owner, entity="donation", filename=filename, content=content)
    runner.validate(job)
    job.refresh_from_db()
    return job


def test_helloasso_export_imported_with_donors_matched_and_refusals_explained(workspace_a, people, eligible):
    owner = people["owner"]
    # Paul is already a donor (typed on the page before): the import finds him again.
    record_individual_gift(
        workspace=workspace_a,
        user=owner,
        donor_name="Paul Lefèvre",
        donor_address="3 place Bellecour, 69002 Lyon",
        donor_email="paul@example.test",
        amount="10",
        received_on=__import__("datetime").date(2025, 1, 5),
        payment_method="cheque",
    )
    job = imported(workspace_a, owner, csv_bytes(helloasso_rows(), delimiter=","))
    assert job.status == JobStatus.VALIDATED, job.message
    report = {row: message for row, _column, _value, message in job.report}
    assert "Remboursé" in report[4] and "pas un nombre" in report[5] and "adresse complète" in report[6]
    job = runner.run(job.pk)
    assert job.created_rows == 2
    assert Donor.objects.count() == 1  # Paul, three gifts, one record
    paul = Donor.objects.get()
    assert list(paul.gifts.order_by("received_on").values_list("amount", flat=True)) == [
        Decimal("10.00"),
        Decimal("50.00"),
        Decimal("25.00"),
    ]
    assert set(IndividualGift.objects.values_list("payment_method", flat=True)) == {"cheque", "virement"}
    # The same export imported again skips what it already imported (HelloAsso references).
    again = imported(workspace_a, owner, csv_bytes(helloasso_rows(), delimiter=","))
    assert runner.run(again.pk).created_rows == 0
    # Imported gifts get their receipts; a receipted gift is never removed by undoing the import.
    receipt = issue_receipt(workspace=workspace_a, user=owner, individual_gift=paul.gifts.get(amount=Decimal("50")))
    assert receipt.donor_name == "Paul Lefèvre" and receipt.payment_method == "virement"
    with pytest.raises(Exception):  # noqa: B017 (ValidationError from undo, or ProtectedError)
        undo_import(job=job, user=owner)
    assert IndividualGift.objects.count() == 3


def test_xlsx_of_the_association_imports_gifts(workspace_a, people, eligible):
    owner = people["owner"]
    rows = [
        ["Nom", "Prénom", "Adresse", "Code postal", "Ville", "Montant", "Date du don", "Mode de versement"],
        ["Bouvier", "Inès", "8 cours Émile Zola", "69100", "Villeurbanne", "120", "2025-05-02", "virement"],
        ["Bouvier", "Inès", "8 cours Émile Zola", "69100", "Villeurbanne", "120", "2025-05-02", "espèces"],
    ]
    job = imported(workspace_a, owner, xlsx_bytes(rows), filename="dons.xlsx")
    assert job.accepted_rows == 2, job.report
    assert runner.run(job.pk).created_rows == 2  # the same gift twice the same day: two gifts, one donor
    assert Donor.objects.count() == 1 and IndividualGift.objects.filter(payment_method="especes").count() == 1
