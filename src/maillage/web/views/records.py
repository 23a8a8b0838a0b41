"""Records of an alliance: interactions (time invested), agreements (signed PDF), contributions and counterparts.

Every object is reached through an alliance visible to the acting workspace (404 otherwise); every change goes
through ``maillage.alliances.actions`` or ``maillage.contributions.actions``.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from maillage.alliances import actions
from maillage.alliances.models import Agreement, Alliance, Party
from maillage.contributions import actions as contribution_actions
from maillage.contributions import queries as contributions_queries
from maillage.contributions.actions import CounterpartInput, SkillsInput
from maillage.contributions.models import Contribution, Kind
from maillage.contributions.queries import corrections_of
from maillage.core.formats import money
from maillage.core.legal import COUNTERPART_TOLERATED_SHARE, SKILLS_PSS_MULTIPLIER, skills_ceiling
from maillage.core.roles import Role
from maillage.core.tenancy import get_visible_or_404, workspace_required
from maillage.organizations.models import Contact
from maillage.web.forms import apply_errors
from maillage.web.forms.alliances import (
    COUNTERPART_ROWS,
    SKILLS_ROWS,
    AgreementForm,
    ContributionForm,
    CounterpartForm,
    InteractionForm,
    ReceiveForm,
    parse_month,
    row_count,
)
from maillage.web.forms.records import AgreementCorrectionForm, CorrectionForm, InteractionCorrectionForm
from maillage.web.views.alliances import check_pk, get_alliance


@workspace_required(Role.MEMBER)
def interaction_create(request, alliance_id: int):
    alliance = get_alliance(request, alliance_id)
    own = actions.party_of(alliance, request.workspace)
    parties = [p for p in alliance.parties.all() if p.left_at is None]
    contacts = (
        Contact.objects.visible_to(request.workspace)
        .filter(organization_id__in=[p.organization_id for p in alliance.parties.all()])
        .select_related("organization")
    )
    form = InteractionForm(request.POST or None, parties=parties, contacts=contacts, own_party=own)
    if request.method == "POST" and form.is_valid():
        chosen = {str(c.pk): c for c in contacts}
        data = form.cleaned_data
        try:
            actions.log_interaction(
                alliance=alliance,
                workspace=request.workspace,
                user=request.user,
                kind=data["kind"],
                occurred_on=data["occurred_on"],
                duration_minutes=data["duration_minutes"],
                subject=data["subject"],
                notes=data["notes"],
                attendance=form.attendance(),
                contacts=[chosen[pk] for pk in data.get("contacts", []) if pk in chosen],
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, "Échange enregistré.")
            return redirect("web:alliance_detail", alliance.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "web/records/interaction_form.html", {"form": form, "alliance": alliance}, status=status)


@workspace_required(Role.MEMBER)
def agreement_create(request, alliance_id: int):
    alliance = get_alliance(request, alliance_id)
    form = AgreementForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            actions.record_agreement(
                alliance=alliance, workspace=request.workspace, user=request.user, **form.cleaned_data
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, "Accord enregistré.")
            return redirect("web:alliance_detail", alliance.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "web/records/agreement_form.html", {"form": form, "alliance": alliance}, status=status)


@workspace_required(Role.VIEWER)
def agreement_file(request, alliance_id: int, agreement_id: int):
    alliance = get_alliance(request, alliance_id)
    check_pk(agreement_id)
    agreement = get_visible_or_404(Agreement.objects.filter(alliance=alliance), pk=agreement_id)
    if not agreement.file:
        raise Http404("Aucun document signé pour cet accord.")
    try:
        handle = agreement.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404("Le document signé est introuvable.") from exc
    return FileResponse(
        handle, as_attachment=True, filename=f"accord-{agreement.pk}.pdf", content_type="application/pdf"
    )


def _skills_rows(data, count: int) -> list[dict]:
    return [
        {
            "index": i,
            "name": data.get(f"line_{i}_name", ""),
            "role": data.get(f"line_{i}_role", ""),
            "month": data.get(f"line_{i}_month", ""),
            "hours": data.get(f"line_{i}_hours", ""),
            "cost": data.get(f"line_{i}_cost", ""),
            "monthly_hours": data.get(f"line_{i}_monthly_hours", ""),
        }
        for i in range(count)
    ]


def _counterpart_rows(data, count: int) -> list[dict]:
    return [
        {"index": i, "description": data.get(f"cp_{i}_description", ""), "value": data.get(f"cp_{i}_value", "")}
        for i in range(count)
    ]


def _skills_inputs(rows: list[dict]) -> tuple[list[SkillsInput], list[str]]:
    inputs, errors = [], []
    for row in rows:
        if not any((row["name"], row["month"], row["hours"], row["cost"])):
            continue
        month = parse_month(row["month"])
        if month is None:
            errors.append(f"salarié n° {row['index'] + 1} : mois illisible (choisissez un mois, ex. 2026-03).")
            continue
        inputs.append(
            SkillsInput(
                employee_name=row["name"],
                employee_role=row["role"],
                month=month,
                hours=row["hours"] or None,
                monthly_cost=row["cost"] or None,
                **({"monthly_hours": row["monthly_hours"]} if row["monthly_hours"] else {}),
            )
        )
    return inputs, errors


@workspace_required(Role.MEMBER)
def contribution_create(request, alliance_id: int):
    alliance = get_alliance(request, alliance_id)
    actions.party_of(alliance, request.workspace)
    parties = [p for p in alliance.parties.all() if p.left_at is None]
    data = request.POST if request.method == "POST" else {}
    form = ContributionForm(request.POST or None, parties=parties, initial={"kind": request.GET.get("kind", "")})
    skills_rows = _skills_rows(data, row_count(data, "line_", SKILLS_ROWS))
    counterpart_rows = _counterpart_rows(data, row_count(data, "cp_", COUNTERPART_ROWS))
    line_errors: list[str] = []
    if request.method == "POST" and form.is_valid():
        cleaned = form.cleaned_data
        by_id = {p.pk: p for p in alliance.parties.all()}
        giver, receiver = by_id.get(cleaned["giver"]), by_id.get(cleaned["receiver"])
        skills_inputs, line_errors = _skills_inputs(skills_rows) if cleaned["kind"] == Kind.SKILLS else ([], [])
        if giver is None:
            form.add_error("giver", "Le donateur n'est pas partie à cette alliance.")
        if receiver is None:
            form.add_error("receiver", "Le bénéficiaire n'est pas partie à cette alliance.")
        if giver is not None and receiver is not None and not line_errors:
            try:
                contribution = contribution_actions.record_contribution(
                    alliance=alliance,
                    workspace=request.workspace,
                    user=request.user,
                    giver=giver,
                    receiver=receiver,
                    kind=cleaned["kind"],
                    description=cleaned["description"],
                    value=cleaned["value"] or None,
                    valuation_method=cleaned["valuation_method"],
                    status=cleaned["status"],
                    promised_on=cleaned["promised_on"],
                    received_on=cleaned["received_on"],
                    evidence=cleaned["evidence"],
                    hours=cleaned["hours"] or None,
                    hourly_rate=cleaned["hourly_rate"] or None,
                    signed_timesheet=cleaned["signed_timesheet"],
                    skills_lines=skills_inputs,
                    counterparts=[
                        CounterpartInput(description=r["description"], value=r["value"])
                        for r in counterpart_rows
                        if r["description"] or r["value"]
                    ],
                )
            except ValidationError as exc:
                errors = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
                line_errors += errors.pop("skills_lines", [])
                counterpart_errors = errors.pop("counterparts", [])
                if errors:
                    apply_errors(form, ValidationError(errors))
                if counterpart_errors:
                    form.add_error(None, counterpart_errors)
            else:
                messages.success(request, f"Contribution enregistrée : {money(contribution.value)}.")
                return redirect("web:contribution_detail", contribution.pk)
    status = 400 if request.method == "POST" else 200
    context = {
        "form": form,
        "alliance": alliance,
        "skills_rows": skills_rows,
        "counterpart_rows": counterpart_rows,
        "line_errors": line_errors,
        "ceilings": contributions_queries.skills_ceilings(),
        "multiplier": SKILLS_PSS_MULTIPLIER,
        "tolerated_pct": int(COUNTERPART_TOLERATED_SHARE.value * 100),
    }
    return render(request, "web/records/contribution_form.html", context, status=status)


def get_contribution(request, contribution_id: int) -> Contribution:
    check_pk(contribution_id)
    contribution = get_visible_or_404(
        Contribution.objects.visible_to(request.workspace).select_related(
            "giver__organization", "receiver__organization"
        ),
        pk=contribution_id,
    )
    contribution.alliance = get_visible_or_404(
        Alliance.objects.visible_to(request.workspace).prefetch_related(
            Prefetch("parties", queryset=Party.objects.select_related("organization"))
        ),
        pk=contribution.alliance_id,
    )
    return contribution


@workspace_required(Role.VIEWER)
def contribution_detail(request, contribution_id: int):
    contribution = get_contribution(request, contribution_id)
    lines = list(contribution.skills_lines.all())
    for line in lines:
        try:
            line.ceiling = skills_ceiling(line.month)  # type: ignore[attr-defined]  # for the template
        except ValueError:
            line.ceiling = None  # type: ignore[attr-defined]  # for the template
    share = contribution.counterparts_share
    context = {
        "contribution": contribution,
        "alliance": contribution.alliance,
        "lines": lines,
        "counterparts": contribution.counterparts.all(),
        "share_pct": (share * 100).quantize(Decimal("0.1")) if share is not None else None,
        "tolerated_pct": int(COUNTERPART_TOLERATED_SHARE.value * 100),
        "legal_source": COUNTERPART_TOLERATED_SHARE.source,
        "skills_source": SKILLS_PSS_MULTIPLIER.source,
        "receive_form": ReceiveForm(initial={"received_on": date.today()}),
        "counterpart_form": CounterpartForm(),
        # Corrections (decision 0016): who may correct, the receipt that locks it, the history.
        "can_correct": contribution.created_by_workspace_id == request.workspace.pk,
        "active_receipt": contribution.receipts.active().first(),
        "corrections": corrections_of(contribution),
    }
    return render(request, "web/records/contribution_detail.html", context)


@workspace_required(Role.MEMBER)
@require_POST
def contribution_receive(request, contribution_id: int):
    contribution = get_contribution(request, contribution_id)
    form = ReceiveForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errs in form.errors.values() for e in errs))
        return redirect("web:contribution_detail", contribution.pk)
    try:
        contribution_actions.mark_received(
            contribution=contribution,
            workspace=request.workspace,
            user=request.user,
            received_on=form.cleaned_data["received_on"],
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, "Contribution marquée comme reçue.")
    return redirect("web:contribution_detail", contribution.pk)


@workspace_required(Role.MEMBER)
@require_POST
def contribution_counterpart(request, contribution_id: int):
    contribution = get_contribution(request, contribution_id)
    form = CounterpartForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Contrepartie non enregistrée : description et valeur obligatoires.")
        return redirect("web:contribution_detail", contribution.pk)
    try:
        contribution_actions.add_counterpart(
            contribution=contribution, workspace=request.workspace, user=request.user, **form.cleaned_data
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, "Contrepartie enregistrée.")
    return redirect("web:contribution_detail", contribution.pk)


@workspace_required(Role.MEMBER)
def contribution_correct(request, contribution_id: int):
    """Correct a contribution the workspace recorded; the history keeps every change (decision 0016)."""
    contribution = get_contribution(request, contribution_id)
    fields = (
        "description",
        "value",
        "hours",
        "hourly_rate",
        "promised_on",
        "received_on",
        "signed_timesheet",
        "evidence",
    )
    initial = {name: getattr(contribution, name) for name in fields}
    form = CorrectionForm(request.POST or None, initial=initial)
    active_receipt = contribution.receipts.active().first()
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        changes = {}
        for name in fields:
            old = initial[name]
            new = data.get(name)
            if name in ("value", "hours", "hourly_rate"):
                if (new or "") == "" or (old is not None and str(new).replace(",", ".").strip() == str(old)):
                    continue
            elif new == old or (new in ("", None) and old in ("", None)):
                continue
            changes[name] = new
        try:
            contribution_actions.correct_contribution(
                contribution=contribution,
                workspace=request.workspace,
                user=request.user,
                changes=changes,
                reason=data.get("reason", ""),
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, "Contribution corrigée : l'ancienne valeur reste dans l'historique.")
            return redirect("web:contribution_detail", contribution.pk)
    status = 400 if request.method == "POST" else 200
    context = {
        "form": form,
        "contribution": contribution,
        "alliance": contribution.alliance,
        "active_receipt": active_receipt,
    }
    return render(request, "web/records/contribution_correct.html", context, status=status)


# --- corrections of exchanges and agreements (decision 0016) --------------------------------------------------------


def _changed(form, initial: dict) -> dict:
    data = form.cleaned_data
    return {
        name: data.get(name)
        for name in initial
        if not (data.get(name) == initial[name] or (data.get(name) in ("", None) and initial[name] in ("", None)))
    }


def _correct_page(request, *, obj, alliance, author_id, form_class, fields, action, history, template, what):
    """The correction page of an exchange or an agreement: the form for the workspace that recorded it, the
    history of its corrections for every party."""
    initial = {name: getattr(obj, name) for name in fields}
    is_author = author_id == request.workspace.pk
    form = form_class(request.POST or None, initial=initial) if is_author else None
    if request.method == "POST" and not is_author:
        messages.error(request, f"Seul l'espace qui a enregistré {what} le corrige : demandez-lui la correction.")
        return redirect("web:alliance_detail", alliance.pk)
    if request.method == "POST" and form is not None and form.is_valid():
        try:
            action(
                workspace=request.workspace,
                user=request.user,
                changes=_changed(form, initial),
                reason=form.cleaned_data.get("reason", ""),
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, "Correction enregistrée : l'ancienne valeur reste dans l'historique.")
            return redirect(request.path)
    status = 400 if request.method == "POST" else 200
    context = {"form": form, "alliance": alliance, "record": obj, "corrections": history(obj), "what": what}
    return render(request, template, context, status=status)


@workspace_required(Role.MEMBER)
def interaction_correct(request, alliance_id: int, interaction_id: int):
    from maillage.alliances.corrections import interaction_corrections
    from maillage.alliances.models import Interaction

    alliance = get_alliance(request, alliance_id)
    check_pk(interaction_id)
    interaction = get_visible_or_404(
        Interaction.objects.filter(alliance=alliance).select_related("workspace__organization"), pk=interaction_id
    )
    return _correct_page(
        request,
        obj=interaction,
        alliance=alliance,
        author_id=interaction.workspace_id,
        form_class=InteractionCorrectionForm,
        fields=("kind", "occurred_on", "duration_minutes", "subject", "notes"),
        action=lambda **kw: actions.correct_interaction(interaction=interaction, **kw),
        history=interaction_corrections,
        template="web/records/interaction_correct.html",
        what="cet échange",
    )


@workspace_required(Role.MEMBER)
def agreement_correct(request, alliance_id: int, agreement_id: int):
    from maillage.alliances.corrections import agreement_corrections

    alliance = get_alliance(request, alliance_id)
    check_pk(agreement_id)
    agreement = get_visible_or_404(
        Agreement.objects.filter(alliance=alliance).select_related("created_by_workspace__organization"),
        pk=agreement_id,
    )
    return _correct_page(
        request,
        obj=agreement,
        alliance=alliance,
        author_id=agreement.created_by_workspace_id,
        form_class=AgreementCorrectionForm,
        fields=("kind", "title", "signed_on", "duration_months", "amount", "renewal_on"),
        action=lambda **kw: actions.correct_agreement(agreement=agreement, **kw),
        history=agreement_corrections,
        template="web/records/agreement_correct.html",
        what="cet accord",
    )
