"""Batch issue of a year's receipts: every received gift not yet receipted, in chunks, with progress.

Progress lives in a ``BatchRun`` row that a page fragment polls (htmx). The page enqueues the ``issue_batch`` task
(:mod:`maillage.receipts.tasks`), run by ``maillage worker``; the CLI runs it in the foreground
(``maillage issue_receipts --year 2025``). Each chunk is one transaction (numbers and receipts together: no gap
even when a chunk fails, or when the worker is killed). Run again after a crash, the batch resumes: the gifts
receipted meanwhile are no longer pending, and the receipts it issued but did not e-mail yet are e-mailed.

E-mails are sent at most once: a receipt is marked ``emailed_at`` (committed) just before its message goes, and
the mark is taken back if sending fails. A worker killed between the mark and the message loses that one e-mail
(the receipt stays downloadable) rather than sending it twice.
"""

from __future__ import annotations

import logging
import os
import time
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from maillage.alliances.models import Party
from maillage.audit.actions import Origin, origin, record_event, record_events
from maillage.contributions.models import Contribution, Kind, SkillsLine
from maillage.core.formats import money
from maillage.receipts.actions import (
    ISSUE,
    Refusal,
    _individual_receipt,
    build_company_receipt,
    check_contribution,
    company_details,
    donor_emails,
    eligibility_of,
    issuer_snapshot,
    receipt_details,
    save_numbered,
)
from maillage.receipts.models import BatchRun, BatchStatus, IndividualGift, Receipt, gift_year_bounds
from maillage.receipts.pdf import pdf_filename, render_receipt_pdf
from maillage.receipts.queries import pending_gifts, pending_individual_gifts
from maillage.workspaces.claims import is_verified, require_verified, unverified_message

if TYPE_CHECKING:
    from django.http import HttpRequest

    from maillage.workspaces.models import User, Workspace

log = logging.getLogger(__name__)
CHUNK = 500


def chunk_size() -> int:
    """Receipts per transaction; ``MAILLAGE_RECEIPTS_CHUNK`` overrides it (the fault drills use small chunks)."""
    override = os.environ.get("MAILLAGE_RECEIPTS_CHUNK", "")
    return int(override) if override.isdigit() and int(override) > 0 else CHUNK


def _inside_chunk_hook() -> None:
    """The fault drills slow each chunk's transaction down here (``MAILLAGE_RECEIPTS_CHUNK_DELAY``), so that a
    kill lands inside it; nothing in production."""
    delay = os.environ.get("MAILLAGE_RECEIPTS_CHUNK_DELAY")
    if delay:
        time.sleep(float(delay))


def _pending_contributions_query(workspace: Workspace, year: int) -> QuerySet[Contribution]:
    return pending_gifts(workspace, year)


def _attach(contributions: list[Contribution]) -> list[Contribution]:
    """Parties, organisations and skills lines fetched once and attached: three queries whatever the number."""
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
            # Django's private prefetch cache, filled by hand (not in the stubs: it exists only once prefetched)
            contribution._prefetched_objects_cache = {"skills_lines": lines.get(contribution.pk, [])}  # type: ignore[attr-defined]
    return contributions


def pending_contributions(workspace: Workspace, year: int) -> list[Contribution]:
    """Received gifts of the year to the workspace's organisation without an active receipt."""
    return _attach(list(_pending_contributions_query(workspace, year)))


def start_batch(
    *,
    workspace: Workspace,
    user: User | None,
    year: int,
    send_emails: bool = True,
    background: bool = True,
    request: HttpRequest | Origin | None = None,
) -> BatchRun:
    """Create the batch; ``background`` queues it for the worker (the page), otherwise it runs here (the CLI).

    Each receipt issued and each e-mail sent is journaled with the address of ``request`` (the page that started
    the batch; none from the CLI), carried to the worker in the task's arguments."""
    from maillage.receipts.tasks import issue_batch

    require_verified(workspace, ISSUE)
    where = origin(request)
    if not background:
        run = BatchRun.objects.create(workspace=workspace, year=year, send_emails=send_emails, started_by=user)
        run_batch(run.pk, where)
        run.refresh_from_db()
        return run
    with transaction.atomic():  # the batch and its task row together (database backend)
        run = BatchRun.objects.create(workspace=workspace, year=year, send_emails=send_emails, started_by=user)
        issue_batch.enqueue(run.pk, where.META if where else None)
    run.refresh_from_db()
    return run


def run_batch(run_id: int, where: Origin | None = None) -> BatchRun:
    run = BatchRun.objects.select_related("workspace__organization", "started_by").get(pk=run_id)
    if run.status != BatchStatus.RUNNING:
        return run  # done or failed: a task run again after its end changes nothing
    try:
        _run(run, where)
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


def _run(run: BatchRun, where: Origin | None) -> None:
    workspace, user = run.workspace, run.started_by
    if not is_verified(workspace):  # checked again when the run starts: never a number for an unverified one
        run.status, run.finished_at = BatchStatus.FAILED, timezone.now()
        run.messages = [unverified_message(workspace, ISSUE)]
        run.save(update_fields=["status", "finished_at", "messages"])
        return
    if run.send_emails and run.issued:  # resumed after a crash: first what it issued and did not e-mail yet
        send_receipts(list(_of_run(run).filter(emailed_at__isnull=True)), actor=run.started_by, request=where)
        run.emailed = _of_run(run).filter(emailed_at__isnull=False).count()
        run.save(update_fields=["emailed"])
    # What is pending now, by id only: each chunk reads its gifts again inside its own transaction, locked, and
    # skips those another process receipted meanwhile (a single issue, another batch).
    contribution_ids = list(_pending_contributions_query(workspace, run.year).values_list("pk", flat=True))
    gift_ids = list(pending_individual_gifts(workspace, run.year).values_list("pk", flat=True))
    run.total = run.issued + len(contribution_ids) + len(gift_ids)  # ``issued``: by this run before a crash
    run.skipped = 0  # counted again below, with their messages
    run.messages = []
    run.save(update_fields=["total", "skipped", "messages"])
    size = chunk_size()
    work = [("c", pk) for pk in contribution_ids] + [("g", pk) for pk in gift_ids]
    for start in range(0, len(work), size):
        chunk = work[start : start + size]
        for attempt in range(3):
            try:
                saved, skipped = _issue_chunk(run, chunk, where)
                break
            except IntegrityError:  # the constraints, last safeguard: read the chunk again and retry
                log.warning("receipts batch %s: chunk overlapped another issue (attempt %s)", run.pk, attempt + 1)
        else:
            saved, skipped = (
                [],
                [f"{len(chunk)} dons non traités : conflit répété avec une autre émission ; relancez le lot."],
            )
            run.skipped += len(chunk)
        run.messages = [*run.messages, *skipped][-200:]
        run.save(update_fields=["skipped", "messages"])
        if run.send_emails and saved:
            send_receipts(saved, actor=user, request=where)
            run.emailed = _of_run(run).filter(emailed_at__isnull=False).count()  # right after a resume too
            run.save(update_fields=["emailed"])
    run.status = BatchStatus.DONE
    run.finished_at = timezone.now()
    run.save(update_fields=["status", "finished_at"])


def _issue_chunk(run: BatchRun, chunk: list[tuple[str, int]], where: Origin | None) -> tuple[list[Receipt], list[str]]:
    """One transaction: lock the chunk's gifts (by id, in order: the same order as a single issue, gift then
    counter), read again which still have no receipt, number and insert the receipts. Returns (saved, messages);
    ``run.issued`` and ``run.skipped`` are updated once it is committed."""
    workspace, user = run.workspace, run.started_by
    messages: list[str] = []
    with transaction.atomic():
        eligibility = eligibility_of(workspace)
        snapshot = issuer_snapshot(eligibility, workspace.organization) if eligibility else None
        contribution_ids = [pk for kind, pk in chunk if kind == "c"]
        gift_ids = [pk for kind, pk in chunk if kind == "g"]
        locked = list(Contribution.objects.filter(pk__in=contribution_ids).order_by("pk").select_for_update())
        gifts = list(
            IndividualGift.objects.filter(pk__in=gift_ids)
            .order_by("pk")
            .select_for_update(of=("self",))
            .select_related("donor")
        )
        taken_c = set(
            Receipt.objects.active()
            .filter(contribution_id__in=contribution_ids)
            .values_list("contribution_id", flat=True)
        )
        taken_g = set(
            Receipt.objects.active()
            .filter(individual_gift_id__in=gift_ids)
            .values_list("individual_gift_id", flat=True)
        )
        contributions = _attach([c for c in locked if c.pk not in taken_c])
        already = len(taken_c) + len(taken_g)
        if already:
            messages.append(
                f"{already} don{'s' if already > 1 else ''} déjà reçu{'s' if already > 1 else ''} entre-temps "
                "(émis ailleurs pendant le lot) : ignoré" + ("s." if already > 1 else ".")
            )
        skipped = already
        emails = donor_emails(workspace, {c.giver.organization_id for c in contributions})
        details = company_details(workspace, {c.giver.organization_id for c in contributions})
        candidates: list[Receipt] = []
        for contribution in sorted(contributions, key=lambda c: (c.received_on, c.pk)):
            known = details.get(contribution.giver.organization_id)
            try:
                checked = check_contribution(contribution, workspace, eligibility, active=False)
                receipt = build_company_receipt(
                    contribution,
                    workspace,
                    checked,
                    user=user,
                    legal_form=known.legal_form if known else "",
                    street=known.street if known else "",
                    payment_method=known.payment_method if known else "",
                    snapshot=snapshot,
                )
            except Refusal as refusal:
                skipped += 1
                messages.append(
                    f"{contribution.giver.organization.name}, {money(contribution.value)} du "
                    f"{contribution.received_on:%d/%m/%Y} : {refusal.message}"
                )
                continue
            receipt.donor_email = emails.get(contribution.giver.organization_id, "")
            candidates.append(receipt)
        for gift in sorted((g for g in gifts if g.pk not in taken_g), key=lambda g: (g.received_on, g.pk)):
            try:
                candidates.append(_individual_receipt(gift, workspace, eligibility, user, snapshot))
            except ValidationError as exc:
                skipped += 1
                messages.append(f"{gift.donor_name}, {money(gift.amount)} : {' '.join(exc.messages)}")
        saved = save_numbered(candidates, workspace.organization_id)
        record_events(
            action="receipt.issued",
            targets=saved,
            actor=user,
            workspace=workspace,
            details_of=lambda r: {**receipt_details(r), "batch": run.pk},
            request=where,
        )
        run.issued += len(saved)
        run.save(update_fields=["issued"])
        _inside_chunk_hook()
    run.skipped += skipped  # counted once the chunk is committed (a retried chunk counts again from zero)
    return saved, messages


def _of_run(run: BatchRun) -> QuerySet[Receipt]:
    """The receipts this run issued with a donor's address (its issuer and person, since it started, its year)."""
    start, end = gift_year_bounds(run.year)
    return (
        Receipt.objects.active()
        .filter(
            issuer_id=run.workspace.organization_id,
            issued_by_id=run.started_by_id,
            issued_at__gte=run.started_at,
            gift_date__range=(start, end),
        )
        .exclude(donor_email="")
        .order_by("number")
    )


def send_receipts(
    receipts: list[Receipt], *, actor: User | None = None, request: HttpRequest | Origin | None = None
) -> int:
    """E-mail each receipt (PDF attached) to its donor when an address is known. Returns how many were sent.

    At most once per receipt: the message is built (its PDF rendered) first, then the receipt is marked
    (committed), then the message goes; the mark is taken back when sending fails, so that the next run tries
    again. Only a crash between the mark and the end of the sending itself loses the e-mail. Each e-mail sent is
    journaled (``receipt.sent``) once it has left."""
    sent = 0
    for receipt in receipts:
        if not receipt.donor_email or receipt.emailed_at:
            continue
        issuer = receipt.issuer_snapshot.get("name", "")
        message = EmailMessage(
            subject=f"Votre reçu fiscal n° {receipt.reference} — {issuer}",
            body=(
                f"Bonjour,\n\n{issuer} vous remercie de votre don de {money(receipt.amount)} du {receipt.gift_date:%d/%m/%Y}.\n"
                f"Vous trouverez ci-joint le reçu fiscal n° {receipt.reference} (formulaire {receipt.form}), à conserver.\n\n"
                f"{receipt.issuer_snapshot.get('signatory_name', '')}\n{receipt.issuer_snapshot.get('signatory_role', '')}"
            ),
            to=[receipt.donor_email],
        )
        message.attach(pdf_filename(receipt), render_receipt_pdf(receipt), "application/pdf")
        if not Receipt.objects.filter(pk=receipt.pk, emailed_at__isnull=True).update(emailed_at=timezone.now()):
            continue  # e-mailed (or being e-mailed) by another run
        try:
            message.send(fail_silently=False)
        except BaseException:
            Receipt.objects.filter(pk=receipt.pk).update(emailed_at=None)
            raise
        record_event(
            action="receipt.sent",
            actor=actor,
            workspace=receipt.workspace,
            target=receipt,
            details={"reference": receipt.reference, "to": receipt.donor_email},
            request=request,
        )
        sent += 1
    return sent
