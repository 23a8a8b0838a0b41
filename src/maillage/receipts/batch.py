"""Batch issue of a year's receipts: every received gift not yet receipted, in chunks, with progress.

Progress lives in a ``BatchRun`` row that a page fragment polls (htmx). The batch runs in a background thread
started by the page (no task queue is installed), or from the CLI: ``maillage issue_receipts --year 2025``.
Each chunk is one transaction (numbers and receipts together: no gap even when a chunk fails).
"""

from __future__ import annotations

import logging
import threading

from django.core.mail import EmailMessage
from django.db import close_old_connections, connection, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from maillage.alliances.models import Party
from maillage.contributions.models import GIFT_KINDS, Contribution, Kind, SkillsLine, Status
from maillage.core.mail import message_after_commit
from maillage.receipts.actions import (
    Refusal,
    _individual_receipt,
    build_company_receipt,
    check_contribution,
    donor_emails,
    eligibility_of,
    issuer_snapshot,
    save_numbered,
)
from maillage.receipts.models import BatchRun, BatchStatus, IndividualGift, Receipt, gift_year_bounds
from maillage.receipts.pdf import pdf_filename, render_receipt_pdf

log = logging.getLogger(__name__)
CHUNK = 500


def pending_contributions(workspace, year: int) -> list[Contribution]:
    """Received gifts of the year to the workspace's organisation without an active receipt.

    Parties, organisations and skills lines are fetched once and attached (a year holds thousands of gifts from a
    few donors): three queries whatever the number of gifts.
    """
    start, end = gift_year_bounds(year)
    contributions = list(
        Contribution.objects.visible_to(workspace)
        .filter(
            receiver__organization_id=workspace.organization_id,
            status=Status.RECEIVED,
            received_on__range=(start, end),
            kind__in=list(GIFT_KINDS),
        )
        .exclude(Exists(Receipt.objects.filter(contribution=OuterRef("pk"), cancelled_at__isnull=True)))
        .order_by("received_on", "pk")
    )
    party_ids = {c.giver_id for c in contributions} | {c.receiver_id for c in contributions}
    parties = {p.pk: p for p in Party.objects.filter(pk__in=party_ids).select_related("organization__commune")}
    skills_ids = [c.pk for c in contributions if c.kind == Kind.SKILLS]
    lines: dict[int, list[SkillsLine]] = {}
    for line in SkillsLine.objects.filter(contribution_id__in=skills_ids).order_by("month", "employee_name"):
        lines.setdefault(line.contribution_id, []).append(line)
    for contribution in contributions:
        contribution.giver = parties[contribution.giver_id]
        contribution.receiver = parties[contribution.receiver_id]
        if contribution.kind == Kind.SKILLS:
            contribution._prefetched_objects_cache = {"skills_lines": lines.get(contribution.pk, [])}
    return contributions


def pending_individual_gifts(workspace, year: int):
    start, end = gift_year_bounds(year)
    return (
        IndividualGift.objects.visible_to(workspace)
        .filter(received_on__range=(start, end))
        .exclude(Exists(Receipt.objects.filter(individual_gift=OuterRef("pk"), cancelled_at__isnull=True)))
        .order_by("received_on", "pk")
    )


def start_batch(*, workspace, user, year: int, send_emails: bool = True, background: bool = True) -> BatchRun:
    run = BatchRun.objects.create(workspace=workspace, year=year, send_emails=send_emails, started_by=user)
    if background:
        thread = threading.Thread(target=_run_in_thread, args=(run.pk,), name=f"receipts-batch-{run.pk}", daemon=True)
        thread.start()
    else:
        run_batch(run.pk)
        run.refresh_from_db()
    return run


def _run_in_thread(run_id: int) -> None:
    close_old_connections()  # a fresh connection for this thread (never inside a caller's transaction)
    try:
        run_batch(run_id)
    finally:
        connection.close()


def run_batch(run_id: int) -> BatchRun:
    run = BatchRun.objects.select_related("workspace__organization", "started_by").get(pk=run_id)
    try:
        _run(run)
    except Exception as exc:  # the run must end in a visible state, whatever happens
        log.exception("receipts batch %s failed", run_id)
        run.status = BatchStatus.FAILED
        run.messages = [
            *run.messages,
            f"Erreur inattendue : {exc.__class__.__name__}. Les reçus déjà émis restent valables.",
        ][-200:]
        run.finished_at = timezone.now()
        run.save(update_fields=["status", "messages", "finished_at"])
    return run


def _run(run: BatchRun) -> None:
    workspace, user = run.workspace, run.started_by
    eligibility = eligibility_of(workspace)
    contributions = pending_contributions(workspace, run.year)
    gifts = list(pending_individual_gifts(workspace, run.year))
    run.total = len(contributions) + len(gifts)
    run.save(update_fields=["total"])
    emails = donor_emails(workspace, {c.giver.organization_id for c in contributions})
    messages: list[str] = []
    candidates: list[Receipt] = []
    snapshot = issuer_snapshot(eligibility, workspace.organization) if eligibility else None
    for contribution in contributions:
        try:
            check_contribution(contribution, workspace, eligibility, active=False)
        except Refusal as refusal:
            run.skipped += 1
            messages.append(
                f"{contribution.giver.organization.name}, {contribution.value} € du {contribution.received_on:%d/%m/%Y} : {refusal.message}"
            )
            continue
        receipt = build_company_receipt(contribution, workspace, eligibility, user=user, snapshot=snapshot)
        receipt.donor_email = emails.get(contribution.giver.organization_id, "")
        candidates.append(receipt)
    for gift in gifts:
        try:
            candidates.append(_individual_receipt(gift, workspace, eligibility, user, snapshot))
        except Exception as exc:  # ValidationError: no eligibility or no art. 200
            run.skipped += 1
            messages.append(f"{gift.donor_name}, {gift.amount} € : {' '.join(getattr(exc, 'messages', [str(exc)]))}")
    run.messages = messages[-200:]
    run.save(update_fields=["skipped", "messages"])
    for start in range(0, len(candidates), CHUNK):
        chunk = candidates[start : start + CHUNK]
        with transaction.atomic():
            saved = save_numbered(chunk, workspace.organization_id)
            run.issued += len(saved)
            run.save(update_fields=["issued"])
        if run.send_emails:
            run.emailed += send_receipts(saved)
            run.save(update_fields=["emailed"])
    run.status = BatchStatus.DONE
    run.finished_at = timezone.now()
    run.save(update_fields=["status", "finished_at"])


def send_receipts(receipts: list[Receipt]) -> int:
    """E-mail each receipt (PDF attached) to its donor when an address is known, once the receipt is saved.

    The e-mails leave after the commit (``transaction.on_commit``; at once when no transaction is open), and the
    receipt's ``emailed_at`` is noted after each one actually left. Returns how many were sent or queued.
    """
    sent = 0
    for receipt in receipts:
        if not receipt.donor_email:
            continue
        issuer = receipt.issuer_snapshot.get("name", "")
        message = EmailMessage(
            subject=f"Votre reçu fiscal n° {receipt.reference} — {issuer}",
            body=(
                f"Bonjour,\n\n{issuer} vous remercie de votre don de {receipt.amount} € du {receipt.gift_date:%d/%m/%Y}.\n"
                f"Vous trouverez ci-joint le reçu fiscal n° {receipt.reference} (formulaire {receipt.form}), à conserver.\n\n"
                f"{receipt.issuer_snapshot.get('signatory_name', '')}\n{receipt.issuer_snapshot.get('signatory_role', '')}"
            ),
            to=[receipt.donor_email],
        )
        message.attach(pdf_filename(receipt), render_receipt_pdf(receipt), "application/pdf")
        message_after_commit(
            message,
            then=lambda pk=receipt.pk: Receipt.objects.filter(pk=pk).update(emailed_at=timezone.now()),
        )
        sent += 1
    return sent
