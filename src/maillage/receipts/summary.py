"""The yearly summary receipt of an individual donor (« reçu récapitulatif annuel », Cerfa 11580 / 2041-RD): one
receipt, under one number of the issuer's gapless sequence, for all the gifts one donor made in one calendar year.

Rules:
- every gift of the year must be free of an active receipt (single or summary): otherwise refused, naming the gift
  and its receipt — cancel it first, or keep separate receipts;
- the gifts are of one nature (money, in kind or listed securities: the form has one nature box);
- each gift passes the checks of a single receipt (payment method of a money gift; counterparts at most 25 % of the
  gift and, with the donor's other counterparts of the year, the flat ceiling: BOI-IR-RICI-250-10-20-10);
- the receipt is frozen like any other (database triggers, ``guard.py``), its lines too (``ReceiptLine``); its
  cancellation frees its gifts (``ReceiptLine.active``), a correction issues a new summary under a new number.

The 222 bis declaration counts it as one receipt for its total, dated by its last gift (``Receipt.gift_date``).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from maillage.audit.actions import record_event
from maillage.core import legal
from maillage.core.formats import money
from maillage.receipts.actions import (
    ISSUE,
    active_receipt_of_gift,
    check_individual_gift,
    check_individual_issuer,
    eligibility_of,
    gift_nature,
    individual_articles,
    issuer_snapshot,
    receipt_details,
    save_numbered,
)
from maillage.receipts.models import (
    Donor,
    GiftForm,
    IndividualGift,
    Nature,
    Receipt,
    ReceiptForm,
    ReceiptLine,
    gift_has_active_receipt,
)
from maillage.workspaces.claims import require_verified

if TYPE_CHECKING:
    from django.http import HttpRequest

    from maillage.workspaces.models import User, Workspace


def summary_donor(receipt: Receipt) -> Donor | None:
    line = receipt.lines.select_related("gift__donor").first()
    return line.gift.donor if line else None


def summary_years(donor: Donor) -> list[int]:
    """The calendar years in which the donor gave (most recent first)."""
    return sorted({d.year for d in donor.gifts.values_list("received_on", flat=True)}, reverse=True)


def issue_summary_receipt(
    *,
    workspace: Workspace,
    user: User | None,
    donor: Donor | None,
    year: int,
    replaces: Receipt | None = None,
    request: HttpRequest | None = None,
) -> Receipt:
    """Issue the yearly summary receipt of ``donor``'s gifts of ``year``. French ValidationError when refused."""
    if donor is None or donor.workspace_id != workspace.pk:
        raise ValidationError({"donor": ["Ce donateur n'appartient pas à votre espace."]})
    try:
        with transaction.atomic():
            receipt = _issue(workspace, user, donor, year, replaces)
            record_event(
                action="receipt.issued",
                actor=user,
                workspace=workspace,
                target=receipt,
                details={**receipt_details(receipt), "summary_year": year, "gifts": receipt.lines.count()},
                request=request,
            )
            return receipt
    except IntegrityError as exc:  # the partial unique constraint, last safeguard against a concurrent issue
        raise ValidationError(
            {"donor": ["Un don de cette année vient de recevoir un reçu (émis en même temps par quelqu'un d'autre)."]}
        ) from exc


def _issue(workspace: Workspace, user: User | None, donor: Donor, year: int, replaces: Receipt | None) -> Receipt:
    require_verified(workspace, ISSUE)
    eligibility = check_individual_issuer(eligibility_of(workspace))
    # Locked in id order, like the single issue and the batch: a concurrent issue waits, then sees this receipt.
    gifts = list(
        IndividualGift.objects.visible_to(workspace)
        .filter(donor=donor, received_on__year=year)
        .order_by("pk")
        .select_for_update(of=("self",))
        .select_related("donor")
    )
    if not gifts:
        raise ValidationError({"year": [f"{donor.full_name} n'a fait aucun don en {year} : pas de reçu annuel."]})
    for gift in gifts:
        active = active_receipt_of_gift(gift)
        if active is not None:
            raise ValidationError(
                {
                    "year": [
                        f"Le don du {gift.received_on:%d/%m/%Y} ({money(gift.amount)}) a déjà le reçu n° "
                        f"{active.reference} en cours de validité : annulez-le d'abord pour émettre le reçu annuel "
                        f"{year}, ou gardez des reçus séparés."
                    ]
                }
            )
    natures = {gift_nature(g) for g in gifts}
    if len(natures) > 1:
        raise ValidationError(
            {
                "year": [
                    f"Les dons de {year} de {donor.full_name} sont de natures différentes (numéraire, en nature, titres) : "
                    "un reçu annuel couvre des dons d'une seule nature ; émettez des reçus séparés."
                ]
            }
        )
    for gift in gifts:
        try:
            check_individual_gift(gift, workspace)
        except ValidationError as exc:
            raise ValidationError(
                {"year": [f"Don du {gift.received_on:%d/%m/%Y} ({money(gift.amount)}) : " + " ".join(exc.messages)]}
            ) from None
    nature = natures.pop()
    last = max(gifts, key=lambda g: (g.received_on, g.pk))
    methods = {g.payment_method for g in gifts}
    forms = {g.gift_form or GiftForm.MANUAL for g in gifts}
    total = sum((g.amount for g in gifts), Decimal("0"))
    receipt = Receipt(
        workspace=workspace,
        issuer_id=workspace.organization_id,
        form=ReceiptForm.INDIVIDUAL,
        cerfa=legal.RECEIPT_CERFA[ReceiptForm.INDIVIDUAL],
        articles=individual_articles(eligibility),
        gift_form=forms.pop() if len(forms) == 1 else "",
        summary_year=year,
        issuer_details=issuer_snapshot(eligibility, workspace.organization),
        donor_name=last.donor_name,
        donor_address=last.donor_address or donor.address,
        donor_email=last.donor_email or donor.email,
        amount=total,
        gift_date=last.received_on,
        nature=nature,
        payment_method=methods.pop() if nature == Nature.MONEY and len(methods) == 1 else "",
        description=f"Reçu récapitulatif des {len(gifts)} dons de l'année {year}"
        if len(gifts) > 1
        else f"Reçu récapitulatif du don de l'année {year}",
        counterparts_value=sum((g.counterparts_value for g in gifts), Decimal("0")),
        issued_by=user,
        replaces=replaces,
    )
    receipt = save_numbered([receipt], workspace.organization_id)[0]
    ReceiptLine.objects.bulk_create(
        ReceiptLine(
            receipt=receipt,
            gift=g,
            gift_date=g.received_on,
            amount=g.amount,
            payment_method=g.payment_method if nature == Nature.MONEY else "",
            gift_form=g.gift_form or GiftForm.MANUAL,
        )
        for g in sorted(gifts, key=lambda g: (g.received_on, g.pk))
    )
    return receipt


def issue_year_summaries(*, workspace: Workspace, user: User | None, year: int) -> tuple[int, list[str]]:
    """The yearly summary receipt of every donor with a gift of ``year`` and no receipt yet (the CLI batch,
    ``maillage issue_receipts --annual``). Each donor in its own transaction: one refusal never stops the others.
    Returns (issued, French messages naming each donor skipped and why: the usual batch then issues their gifts'
    single receipts)."""
    pending = (
        IndividualGift.objects.visible_to(workspace)
        .filter(received_on__year=year, donor__isnull=False)
        .exclude(gift_has_active_receipt())
    )
    # Donors with a gift of the year still without receipt; one whose other gift has a receipt is refused (named).
    donors = Donor.objects.filter(pk__in=pending.values("donor_id")).order_by("full_name", "pk")
    issued, messages = 0, []
    for donor in donors:
        try:
            issue_summary_receipt(workspace=workspace, user=user, donor=donor, year=year)
        except ValidationError as exc:
            messages.append(f"{donor.full_name} : " + " ".join(exc.messages))
        else:
            issued += 1
    return issued, messages


def year_of(raw: object) -> int:
    """A calendar year typed in a URL or a form; French ValidationError when it is not one."""
    text = str(raw or "").strip()
    if not text.isdigit() or not 2019 <= int(text) <= date.today().year:
        raise ValidationError(
            {"year": [f"Année invalide « {text[:10]} » : indiquez une année entre 2019 et aujourd'hui."]}
        )
    return int(text)
