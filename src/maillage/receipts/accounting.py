"""Accounting export of the gifts of a year: money gifts in the income statement, and the contributions volontaires
en nature at its foot in classes 86 / 87 (ANC regulation 2018-06, art. 211-1 and 431-22; accounts list of the
regulation: 860 secours en nature, 861 mise à disposition gratuite de biens, 862 prestations, 864 personnel
bénévole / 870 bénévolat, 871 prestations en nature, 875 dons en nature).

Every active receipt gives one balanced entry, valued at the receipt's amount: the totals of the export equal those
of the receipts, to the cent. Volunteers' time (no receipt) is added under 864 / 870, flagged as such.
Formats: a semicolon CSV with decimal commas (what French accounting software imports) and a FEC-style journal
(the 18 columns of art. A. 47 A-1 of the LPF, tab-separated).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from maillage.contributions.models import Contribution, Kind, Status, ValuationMethod
from maillage.receipts.models import Nature, Receipt, ReceiptForm, gift_year_bounds

ACCOUNTS = {
    "512": "Banque",
    "7541": "Dons manuels",
    "7542": "Mécénats",
    "860": "Secours en nature",
    "861": "Mise à disposition gratuite de biens",
    "862": "Prestations",
    "864": "Personnel bénévole",
    "870": "Bénévolat",
    "871": "Prestations en nature",
    "875": "Dons en nature",
}
JOURNALS = {"DON": "Dons et mécénat", "CVN": "Contributions volontaires en nature"}
FEC_COLUMNS = [
    "JournalCode",
    "JournalLib",
    "EcritureNum",
    "EcritureDate",
    "CompteNum",
    "CompteLib",
    "CompAuxNum",
    "CompAuxLib",
    "PieceRef",
    "PieceDate",
    "EcritureLib",
    "Debit",
    "Credit",
    "EcritureLet",
    "DateLet",
    "ValidDate",
    "Montantdevise",
    "Idevise",
]


@dataclass
class Entry:
    journal: str
    number: str
    day: date
    debit_account: str
    credit_account: str
    amount: Decimal
    piece: str
    label: str
    donor: str
    from_receipt: bool


def _accounts_for(receipt: Receipt, valuation_method: str) -> tuple[str, str, str]:
    if receipt.nature == Nature.MONEY:
        return "DON", "512", "7542" if receipt.form == ReceiptForm.COMPANY else "7541"
    if receipt.nature == Nature.SKILLS:
        return "CVN", "862", "871"
    if valuation_method == ValuationMethod.RENTAL_VALUE.label:
        return "CVN", "861", "871"
    return "CVN", "860", "875"


def entries_for_year(workspace, year: int) -> list[Entry]:
    start, end = gift_year_bounds(year)
    receipts = (
        Receipt.objects.visible_to(workspace)
        .active()
        .filter(gift_date__range=(start, end))
        .order_by("gift_date", "year", "number")
    )
    entries = []
    for index, receipt in enumerate(receipts, start=1):
        journal, debit, credit = _accounts_for(receipt, receipt.valuation_method)
        entries.append(
            Entry(
                journal=journal,
                number=f"{journal}{year}-{index:06d}",
                day=receipt.gift_date,
                debit_account=debit,
                credit_account=credit,
                amount=receipt.amount,
                piece=receipt.reference,
                label=f"{receipt.get_nature_display()} {receipt.donor_name}"[:200],
                donor=receipt.donor_name,
                from_receipt=True,
            )
        )
    volunteering = (
        Contribution.objects.visible_to(workspace)
        .filter(
            kind=Kind.VOLUNTEERING,
            status=Status.RECEIVED,
            receiver__organization_id=workspace.organization_id,
            received_on__range=(start, end),
        )
        .select_related("giver__organization")
        .order_by("received_on", "pk")
    )
    for index, contribution in enumerate(volunteering, start=1):
        entries.append(
            Entry(
                journal="CVN",
                number=f"BEN{year}-{index:06d}",
                day=contribution.received_on,
                debit_account="864",
                credit_account="870",
                amount=contribution.value,
                piece=f"BEN-{contribution.pk}",
                label=f"Bénévolat {contribution.hours} h × {contribution.hourly_rate} €"[:200],
                donor=contribution.giver.organization.name,
                from_receipt=False,
            )
        )
    return entries


def _money(value: Decimal) -> str:
    return f"{value:.2f}".replace(".", ",")


def to_csv(entries: list[Entry]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(
        [
            "date",
            "journal",
            "ecriture",
            "compte",
            "libelle_compte",
            "piece",
            "tiers",
            "libelle",
            "debit",
            "credit",
            "recu_fiscal",
        ]
    )
    for e in entries:
        for account, debit, credit in (
            (e.debit_account, e.amount, Decimal("0")),
            (e.credit_account, Decimal("0"), e.amount),
        ):
            writer.writerow(
                [
                    e.day.isoformat(),
                    e.journal,
                    e.number,
                    account,
                    ACCOUNTS[account],
                    e.piece,
                    e.donor,
                    e.label,
                    _money(debit),
                    _money(credit),
                    "oui" if e.from_receipt else "non",
                ]
            )
    return out.getvalue()


def _clean(text: str) -> str:
    return text.replace("\t", " ").replace("\n", " ").replace("\r", " ")


def to_fec(entries: list[Entry], validated_on: date) -> str:
    lines = ["\t".join(FEC_COLUMNS)]
    for e in entries:
        for account, debit, credit in (
            (e.debit_account, e.amount, Decimal("0")),
            (e.credit_account, Decimal("0"), e.amount),
        ):
            lines.append(
                "\t".join(
                    [
                        e.journal,
                        JOURNALS[e.journal],
                        e.number,
                        f"{e.day:%Y%m%d}",
                        account,
                        ACCOUNTS[account],
                        "",
                        "",
                        e.piece,
                        f"{e.day:%Y%m%d}",
                        _clean(e.label),
                        _money(debit),
                        _money(credit),
                        "",
                        "",
                        f"{validated_on:%Y%m%d}",
                        "",
                        "EUR",
                    ]
                )
            )
    return "\r\n".join(lines) + "\r\n"
