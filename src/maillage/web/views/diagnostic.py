"""Pages of the diagnostic area: the association's economic model on three pillars, and its yearly figures."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from maillage.core.roles import Role, role_at_least
from maillage.core.tenancy import get_visible_or_404, workspace_required
from maillage.diagnostic import actions, reference
from maillage.diagnostic.analysis import ENDING_WITHIN_MONTHS, LARGE_ALLIANCE_SHARE, SINGLE_FUNDER_LIMIT, diagnose
from maillage.diagnostic.models import ResourceYear, Source
from maillage.evaluation import charts
from maillage.organizations.models import Organization
from maillage.web.forms import apply_errors
from maillage.web.forms.diagnostic import ACCOUNT_FIELDS, HUMAN_FIELDS, YearForm

FUNDER_ROWS = 5


def _year_or_404(year: int) -> int:
    try:
        return actions.check_year(year)
    except ValidationError as exc:
        raise Http404("Année hors de la plage admise.") from exc


@workspace_required(Role.VIEWER)
def diagnostic(request):
    year = request.GET.get("annee", "")
    year = int(year) if year.isdigit() and len(year) == 4 else None
    d = diagnose(request.workspace, year)
    context = {
        "d": d,
        "sources_chart": charts.stacked(
            [(s["label"], s["share"]) for s in d.shares], title=f"Part de chaque source dans les ressources {d.year}"
        )
        if d.total
        else "",
        "trend_chart": charts.hbar(
            [(str(row["year"]), row["total"]) for row in d.trend], title="Ressources totales par année (€)", unit=" €"
        )
        if len(d.trend) > 1
        else "",
        "national": reference.NATIONAL_RESOURCES,
        "national_source": reference.NATIONAL_RESOURCES_SOURCE,
        "national_rows": [
            {
                "label": n.label,
                "national": n.percent,
                "mine": sum((s["share"] or 0 for s in d.shares if s["source"] in n.sources), 0) if d.total else None,
            }
            for n in reference.NATIONAL_RESOURCES
        ],
        "company_source": reference.COMPANY_PARTNERS_SOURCE,
        "hhi_source": reference.HHI_SOURCE,
        "hhi_moderate": reference.HHI_MODERATE,
        "hhi_high": reference.HHI_HIGH,
        "min_peers": reference.MIN_PEERS,
        "single_funder_limit": SINGLE_FUNDER_LIMIT,
        "ending_months": ENDING_WITHIN_MONTHS,
        "large_share": LARGE_ALLIANCE_SHARE,
        "next_year": (d.years[-1].year + 1) if d.years else actions.last_year() - 1,
        "source_labels": dict(Source.choices),
    }
    return render(request, "web/diagnostic/page.html", context)


def _picked(raw: str) -> int | None:
    """The directory entry chosen for a funder row: an id, 0 for « not in the directory », None when not chosen."""
    if raw == "none":
        return actions.NOT_IN_DIRECTORY
    return int(raw) if raw.isdigit() and len(raw) < 19 else None


@workspace_required(Role.VIEWER)
def diagnostic_year(request, year: int):
    year = _year_or_404(year)
    record = ResourceYear.objects.visible_to(request.workspace).filter(year=year).first()
    funders = list(record.funders.select_related("organization")) if record else []
    status = 200
    if request.method == "POST":
        if not role_at_least(request.workspace_role, Role.MEMBER):
            raise PermissionDenied("Votre rôle dans cet espace ne permet pas cette action (lecture seule).")
        form = YearForm(request.POST)
        form.is_valid()
        rows = [
            (
                request.POST.get(f"funder_name_{i}", ""),
                request.POST.get(f"funder_source_{i}", ""),
                request.POST.get(f"funder_amount_{i}", ""),
                _picked(request.POST.get(f"funder_org_{i}", "")),
            )
            for i in range(FUNDER_ROWS)
        ]
        try:
            actions.save_resource_year(
                workspace=request.workspace,
                user=request.user,
                year=year,
                resources={s: request.POST.get(s, "") for s in Source.values},
                human={n: request.POST.get(n, "") for n, _ in HUMAN_FIELDS},
                funders=rows,
                notes=request.POST.get("notes", ""),
                accounts={n: request.POST.get(n, "") for n, _ in ACCOUNT_FIELDS},
                closes_on=request.POST.get("closes_on", ""),
            )
        except ValidationError as exc:
            apply_errors(form, exc)
            status = 400
        else:
            messages.success(request, f"Les chiffres de {year} sont enregistrés.")
            return redirect(f"{reverse('web:diagnostic')}?annee={year}")
        picked = Organization.objects.in_bulk([o for *_, o in rows if o])
        funder_rows = [{"name": n, "source": s, "amount": a, "organization": picked.get(o)} for n, s, a, o in rows]
    else:
        initial: dict[str, object] = {}
        if record:
            initial = {s: record.amount(s) for s in Source.values}
            initial.update({n: getattr(record, n) for n, _ in HUMAN_FIELDS})
            initial.update({n: getattr(record, n) for n, _ in ACCOUNT_FIELDS})
            initial["closes_on"] = record.closes_on.isoformat() if record.closes_on else ""
            initial["notes"] = record.notes
        form = YearForm(initial=initial)
        funder_rows = [
            {"name": f.name, "source": f.source, "amount": f.amount, "organization": f.organization} for f in funders
        ]
    funder_rows += [{"name": "", "source": "", "amount": "", "organization": None}] * (FUNDER_ROWS - len(funder_rows))
    return render(
        request,
        "web/diagnostic/year.html",
        {
            "year": year,
            "record": record,
            "form": form,
            "funder_rows": list(enumerate(funder_rows[:FUNDER_ROWS])),
            "sources": Source.choices,
        },
        status=status,
    )


@workspace_required(Role.MEMBER)
@require_POST
def diagnostic_funder_alliance(request, funder_id: int):
    """One click: a named funder of the directory becomes (or is linked to) an alliance of the workspace."""
    funder = get_visible_or_404(
        actions.funders_of(request.workspace).select_related("organization", "resource_year"), pk=funder_id
    )
    try:
        alliance, created = actions.ally_with_funder(
            funder=funder, workspace=request.workspace, user=request.user, request=request
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(f"{reverse('web:diagnostic')}?annee={funder.resource_year.year}")
    if created:
        messages.success(
            request,
            f"Alliance « {alliance.name} » créée avec {funder.organization.name} (financeur) : elle compte dans le "
            "pilier des alliances. Complétez-la (dates, engagements) ici.",
        )
    else:
        messages.info(request, f"{funder.organization.name} est déjà partie à votre alliance « {alliance.name} ».")
    return redirect("web:alliance_detail", alliance.pk)
