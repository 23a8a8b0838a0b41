"""Pages of the receipts area: eligibility, gifts to receipt, receipts, batch, simulation, declaration, export.

No business rule here: forms parse input, the actions of :mod:`maillage.receipts` decide.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from maillage.audit.actions import record_event
from maillage.contributions.models import Contribution
from maillage.contributions.queries import is_giver_side
from maillage.core.formats import money, of
from maillage.core.legal import RECEIPT_RETENTION_YEARS
from maillage.core.roles import Role, role_at_least
from maillage.core.tenancy import get_visible_or_404, workspace_required
from maillage.receipts import accounting, actions, simulation
from maillage.receipts import queries as receipts_queries
from maillage.receipts.batch import start_batch
from maillage.receipts.declaration import declaration_for, reminder_for
from maillage.receipts.models import (
    BatchRun,
    IndividualGift,
    Receipt,
)
from maillage.receipts.pdf import pdf_filename, render_cancellation_pdf, render_receipt_pdf
from maillage.web.forms import apply_errors
from maillage.web.forms.receipts import (
    CancelForm,
    EligibilityForm,
    IndividualGiftForm,
    IssueForm,
    SimulationForm,
)
from maillage.web.views.workspaces import verified_required


def _year_param(request, default: int) -> int:
    raw = (request.GET.get("year") or "").strip()
    today = timezone.localdate()
    return int(raw) if raw.isdigit() and 2000 <= int(raw) <= today.year else default


def _can_write(request) -> bool:
    return role_at_least(request.workspace_role, Role.MEMBER)


@workspace_required(Role.VIEWER)
@verified_required(actions.SEE_ELIGIBILITY)
def receipts_home(request):
    workspace = request.workspace
    eligibility = actions.eligibility_of(workspace)
    if eligibility is None and is_giver_side(workspace.organization):
        # A company, a commune or a foundation receives receipts rather than issuing them (decision 0016).
        return redirect("web:giving_home")
    receipts = Paginator(
        Receipt.objects.visible_to(workspace).select_related("replaces").order_by("-year", "-number"), 50
    ).get_page(request.GET.get("page"))
    pending = list(
        receipts_queries.pending_gifts(workspace)
        .select_related("giver__organization", "receiver", "alliance")
        .order_by("-received_on", "-pk")[:100]
    )
    rows = []
    for contribution in pending:
        try:
            actions.check_contribution(contribution, workspace, eligibility, active=False)
            reason = ""
        except actions.Refusal as refusal:
            reason = refusal.message
        rows.append((contribution, reason))
    individual = list(
        receipts_queries.pending_individual_gifts(workspace).select_related(None).order_by("-received_on", "-pk")[:100]
    )
    today = timezone.localdate()
    context = {
        "eligibility": eligibility,
        "no_eligibility": actions.NO_ELIGIBILITY,
        "receipts": receipts,
        "pending": rows,
        "individual_gifts": individual,
        "issue_form": IssueForm(),
        "reminder": reminder_for(workspace, today),
        "can_write": _can_write(request),
        "last_year": today.year - 1,
        "this_year": today.year,
        "retention_years": int(RECEIPT_RETENTION_YEARS.value),
        "batches": BatchRun.objects.visible_to(workspace)[:3],
    }
    return render(request, "web/receipts/home.html", context)


@workspace_required(Role.VIEWER)
@verified_required(actions.SEE_ELIGIBILITY)
def receipts_eligibility(request):
    eligibility = actions.eligibility_for(request.workspace)
    initial = {}
    if eligibility is not None:
        initial = {
            name: getattr(eligibility, name)
            for name in EligibilityForm.base_fields
            if name not in ("signature_image", "remove_signature")
        }
    else:
        initial = {"art_200": True, "art_238_bis": True}
    form = EligibilityForm(request.POST or None, request.FILES or None, initial=initial)
    status = 200
    if request.method == "POST":
        if not role_at_least(request.workspace_role, Role.ADMIN):
            from django.core.exceptions import PermissionDenied

            raise PermissionDenied("Seuls les administrateurs de l'espace déclarent l'habilitation.")
        if form.is_valid():
            data = form.cleaned_data
            try:
                actions.declare_eligibility(
                    workspace=request.workspace,
                    user=request.user,
                    data=data,
                    signature=data.get("signature_image"),
                    remove_signature=data.get("remove_signature", False),
                    request=request,
                )
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                messages.success(request, "Habilitation enregistrée : vous pouvez émettre des reçus fiscaux.")
                return redirect("web:receipts_home")
        status = 400
    return render(
        request,
        "web/receipts/eligibility.html",
        {"form": form, "eligibility": eligibility, "can_admin": role_at_least(request.workspace_role, Role.ADMIN)},
        status=status,
    )


@workspace_required(Role.MEMBER)
def receipts_individual_gift(request):
    form = IndividualGiftForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            gift = actions.record_individual_gift(workspace=request.workspace, user=request.user, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(
                request, f"Don {of(gift.donor_name)} enregistré ({money(gift.amount)}). Émettez son reçu ci-dessous."
            )
            return redirect("web:receipts_home")
    status = 400 if request.method == "POST" else 200
    return render(request, "web/receipts/individual_gift.html", {"form": form}, status=status)


@workspace_required(Role.MEMBER)
@verified_required(actions.ISSUE)
@require_POST
def receipts_issue(request):
    form = IssueForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Demande invalide : choisissez un don dans la liste.")
        return redirect("web:receipts_home")
    data = form.cleaned_data
    contribution = gift = None
    if data.get("contribution"):
        contribution = get_visible_or_404(Contribution.objects.visible_to(request.workspace), pk=data["contribution"])
    elif data.get("individual_gift"):
        gift = get_visible_or_404(IndividualGift.objects.visible_to(request.workspace), pk=data["individual_gift"])
    try:
        receipt = actions.issue_receipt(
            workspace=request.workspace,
            user=request.user,
            contribution=contribution,
            individual_gift=gift,
            legal_form=data.get("legal_form", ""),
            payment_method=data.get("payment_method", ""),
            street=data.get("street", ""),
            gift_form=data.get("gift_form", ""),
            request=request,
        )
    except ValidationError as exc:
        messages.error(request, "Reçu non émis : " + " ".join(exc.messages))
        return redirect("web:receipts_home")
    messages.success(request, f"Reçu n° {receipt.reference} émis.")
    return redirect("web:receipt_detail", receipt.pk)


@workspace_required(Role.VIEWER)
def receipt_detail(request, receipt_id: int):
    receipt = get_visible_or_404(
        Receipt.objects.visible_to(request.workspace).select_related(
            "replaces", "replaced_by", "contribution__alliance", "issuer_details"
        ),
        pk=receipt_id,
    )
    return render(
        request,
        "web/receipts/detail.html",
        {"receipt": receipt, "cancel_form": CancelForm(), "can_write": _can_write(request)},
    )


@workspace_required(Role.VIEWER)
def receipt_pdf(request, receipt_id: int):
    receipt = get_visible_or_404(
        Receipt.objects.visible_to(request.workspace).select_related("replaces", "replaced_by", "issuer_details"),
        pk=receipt_id,
    )
    cancellation = request.GET.get("annulation") == "1" and receipt.is_cancelled
    data = render_cancellation_pdf(receipt) if cancellation else render_receipt_pdf(receipt)
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{pdf_filename(receipt, cancellation)}"'
    return response


@workspace_required(Role.MEMBER)
@verified_required(actions.ISSUE)
@require_POST
def receipt_cancel(request, receipt_id: int):
    receipt = get_visible_or_404(Receipt.objects.visible_to(request.workspace), pk=receipt_id)
    form = CancelForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Reçu non annulé : indiquez le motif de l'annulation.")
        return redirect("web:receipt_detail", receipt.pk)
    try:
        if form.cleaned_data["correct"]:
            new = actions.correct_receipt(
                receipt=receipt,
                workspace=request.workspace,
                user=request.user,
                reason=form.cleaned_data["reason"],
                request=request,
            )
            messages.success(request, f"Reçu n° {receipt.reference} annulé et remplacé par le reçu n° {new.reference}.")
            return redirect("web:receipt_detail", new.pk)
        actions.cancel_receipt(
            receipt=receipt,
            workspace=request.workspace,
            user=request.user,
            reason=form.cleaned_data["reason"],
            request=request,
        )
    except ValidationError as exc:
        messages.error(request, "Reçu non annulé : " + " ".join(exc.messages))
    else:
        messages.success(
            request, f"Reçu n° {receipt.reference} annulé : il garde son numéro ; l'avis d'annulation est disponible."
        )
    return redirect("web:receipt_detail", receipt.pk)


@workspace_required(Role.MEMBER)
@verified_required(actions.ISSUE)
@require_POST
def receipts_batch(request):
    raw = (request.POST.get("year") or "").strip()
    today = timezone.localdate()
    if not raw.isdigit() or not 2000 <= int(raw) <= today.year:
        messages.error(request, f"Année invalide « {raw[:10]} » : indiquez une année entre 2000 et {today.year}.")
        return redirect("web:receipts_home")
    run = start_batch(
        workspace=request.workspace,
        user=request.user,
        year=int(raw),
        send_emails=request.POST.get("send_emails") == "on",
        request=request,
    )
    return redirect("web:receipts_batch_status", run.pk)


@workspace_required(Role.VIEWER)
def receipts_batch_status(request, run_id: int):
    run = get_visible_or_404(BatchRun.objects.visible_to(request.workspace), pk=run_id)
    template = "web/receipts/_batch_progress.html" if request.htmx else "web/receipts/batch.html"
    return render(request, template, {"run": run})


def _parse_rows(text: str) -> list[tuple[int, Decimal, Decimal, Decimal]]:
    rows = []
    for number, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        cells = [
            c.strip().replace(" ", "").replace("\u202f", "").replace("\xa0", "").replace(",", ".")
            for c in line.split(";")
        ]
        if len(cells) not in (3, 4):
            raise ValueError(f"ligne {number} : 3 ou 4 valeurs séparées par « ; » attendues.")
        try:
            year = int(cells[0])
            values = [Decimal(c or "0") for c in cells[1:]] + ([Decimal("0")] if len(cells) == 3 else [])
        except (ValueError, ArithmeticError):
            raise ValueError(
                f"ligne {number} : « {line.strip()[:60]} » contient une valeur qui n'est pas un nombre."
            ) from None
        if not 2019 <= year <= 2100 or any(not v.is_finite() or v < 0 or v > Decimal("1e12") for v in values):
            raise ValueError(f"ligne {number} : année entre 2019 et 2100 et montants positifs attendus.")
        rows.append((year, values[0], values[1], values[2]))
    if not rows:
        raise ValueError("indiquez au moins une année.")
    if len(rows) > 30:
        raise ValueError("30 années au plus.")
    return rows


def _number(text: str, where: str) -> Decimal:
    cleaned = text.strip().replace(" ", "").replace("\u202f", "").replace("\xa0", "").replace(",", ".")
    try:
        value = Decimal(cleaned or "0")
    except ArithmeticError:
        raise ValueError(f"{where} : « {text.strip()[:40]} » n'est pas un montant.") from None
    if not value.is_finite() or value < 0 or value > Decimal("1e12"):
        raise ValueError(f"{where} : montant positif attendu.")
    return value


def _parse_dated(text: str) -> dict[int, list[simulation.DatedGift]]:
    found: dict[int, list[simulation.DatedGift]] = {}
    for number, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        cells = [c.strip() for c in line.split(";")]
        if len(cells) not in (2, 3):
            raise ValueError(f"don daté, ligne {number} : « date ; montant » ou « date ; montant ; aide » attendu.")
        try:
            day = datetime.strptime(cells[0], "%d/%m/%Y").date()
        except ValueError:
            raise ValueError(f"don daté, ligne {number} : date au format JJ/MM/AAAA attendue.") from None
        amount = _number(cells[1], f"don daté, ligne {number}")
        difficulty = len(cells) == 3 and cells[2].lower() in ("aide", "oui", "o", "1")
        found.setdefault(day.year, []).append(simulation.DatedGift(day, amount, difficulty))
    return found


def _parse_opening(text: str) -> dict[int, Decimal]:
    found: dict[int, Decimal] = {}
    for number, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        cells = [c.strip() for c in line.split(";")]
        if len(cells) != 2 or not cells[0].isdigit() or not 2000 <= int(cells[0]) <= 2100:
            raise ValueError(f"report, ligne {number} : « année ; montant » attendu.")
        found[int(cells[0])] = found.get(int(cells[0]), Decimal("0")) + _number(cells[1], f"report, ligne {number}")
    return found


def _closing(text: str, year: int):
    if not (text or "").strip():
        return None
    try:
        return datetime.strptime(f"{text.strip()}/{year}", "%d/%m/%Y").date()
    except ValueError:
        raise ValueError(f"date de clôture « {text.strip()[:10]} » : JJ/MM attendu (ex. 30/06).") from None


@workspace_required(Role.VIEWER)
def receipts_simulation(request):
    form = SimulationForm(request.GET or None, initial={"donor": "company"})
    results = None
    if request.GET and form.is_valid():
        data = form.cleaned_data
        try:
            rows = _parse_rows(data["rows"])
            opening = _parse_opening(data["opening"])
            if data["donor"] == "company":
                company_years = [
                    simulation.CompanyYear(y, a, g, d, _closing(data["closing"], y)) for y, a, g, d in rows
                ]
                results = simulation.simulate_company(company_years, opening)
            else:
                dated = _parse_dated(data["dated"])
                known = {row[0] for row in rows}
                if set(dated) - known:
                    raise ValueError(f"des dons datés de {min(set(dated) - known)} n'ont pas leur ligne d'année.")
                individual_years = [
                    simulation.IndividualYear(y, a, g, d, tuple(dated.get(y, ()))) for y, a, g, d in rows
                ]
                results = simulation.simulate_individual(individual_years, opening)
        except ValueError as exc:
            form.add_error("rows", f"Simulation impossible : {exc}")
    return render(request, "web/receipts/simulation.html", {"form": form, "results": results})


@workspace_required(Role.VIEWER)
def receipts_declaration(request):
    today = timezone.localdate()
    raw = (request.GET.get("year") or "").strip()
    year = int(raw) if raw.isdigit() and 2000 <= int(raw) <= today.year else None
    declaration = declaration_for(request.workspace, today, year)
    return render(
        request,
        "web/receipts/declaration.html",
        {"declaration": declaration, "reminder": declaration.reminder(today), "years": range(today.year, 2020, -1)},
    )


@workspace_required(Role.VIEWER)
def receipts_export(request):
    today = timezone.localdate()
    year = _year_param(request, today.year - 1)
    fmt = request.GET.get("format", "")
    if fmt not in ("csv", "fec"):
        entries = accounting.entries_for_year(request.workspace, year)
        totals = {
            "receipts": sum((e.amount for e in entries if e.from_receipt), Decimal("0")),
            "volunteering": sum((e.amount for e in entries if not e.from_receipt), Decimal("0")),
        }
        return render(
            request,
            "web/receipts/export.html",
            {"year": year, "entries": entries, "totals": totals, "years": range(today.year, 2019, -1)},
        )
    entries = accounting.entries_for_year(request.workspace, year)
    record_event(
        action="accounting.exported",
        actor=request.user,
        workspace=request.workspace,
        details={"year": year, "format": fmt, "entries": len(entries)},
        request=request,
    )
    if fmt == "csv":
        response = HttpResponse(accounting.to_csv(entries).encode("utf-8-sig"), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="dons-{year}.csv"'
        return response
    siren = request.workspace.organization.siren or "000000000"
    response = HttpResponse(accounting.to_fec(entries, today).encode("utf-8"), content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{siren}FEC{date(year, 12, 31):%Y%m%d}-dons.txt"'
    return response
