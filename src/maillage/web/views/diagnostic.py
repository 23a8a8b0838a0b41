"""Pages of the diagnostic area: the association's economic model on three pillars, and its yearly figures."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse

from maillage.core.roles import Role, role_at_least
from maillage.core.tenancy import workspace_required
from maillage.diagnostic import actions, reference
from maillage.diagnostic.analysis import ENDING_WITHIN_MONTHS, LARGE_ALLIANCE_SHARE, SINGLE_FUNDER_LIMIT, diagnose
from maillage.diagnostic.models import ResourceYear, Source
from maillage.evaluation import charts
from maillage.web.forms import apply_errors

FUNDER_ROWS = 5
HUMAN_FIELDS = [
    ("employees_fte", "Salariés (équivalents temps plein)"),
    ("volunteers", "Bénévoles (nombre de personnes)"),
    ("volunteer_hours", "Heures de bénévolat dans l'année"),
    ("skills_received_hours", "Heures de compétences reçues (mécénat de compétences)"),
    ("skills_received_value", "Valeur de ces compétences (€)"),
]


ACCOUNT_FIELDS = [
    ("expenses", "Charges de l'exercice (€)"),
    ("reserves", "Fonds propres / réserves en fin d'exercice (€, négatif si déficits cumulés)"),
    ("cash", "Trésorerie en fin d'exercice (€)"),
    ("volunteer_value", "Valorisation du bénévolat inscrite aux comptes 86/87 (€, vide : heures × SMIC)"),
]


class YearForm(forms.Form):
    """Raw inputs; the action checks them and answers in French (field by field)."""

    notes = forms.CharField(label="Remarques", required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        number = {"inputmode": "decimal"}
        for source in Source:
            self.fields[source.value] = forms.CharField(
                label=f"{source.label} (€)", required=False, widget=forms.TextInput(attrs=number)
            )
        for name, label in HUMAN_FIELDS:
            self.fields[name] = forms.CharField(label=label, required=False, widget=forms.TextInput(attrs=number))
        for name, label in ACCOUNT_FIELDS:
            self.fields[name] = forms.CharField(label=label, required=False, widget=forms.TextInput(attrs=number))
        self.fields["closes_on"] = forms.CharField(
            label="Date de clôture de l'exercice (vide : 31 décembre)",
            required=False,
            widget=forms.DateInput(attrs={"type": "date"}),
        )
        self.fields["funders"] = forms.CharField(required=False, widget=forms.HiddenInput)
        self.order_fields(
            ["closes_on", *Source.values, *[n for n, _ in ACCOUNT_FIELDS], *[n for n, _ in HUMAN_FIELDS], "notes"]
        )

    def resource_fields(self):
        return [self[s] for s in Source.values]

    def account_fields(self):
        return [self["closes_on"], *[self[n] for n, _ in ACCOUNT_FIELDS]]

    def human_fields(self):
        return [self[n] for n, _ in HUMAN_FIELDS]


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


@workspace_required(Role.VIEWER)
def diagnostic_year(request, year: int):
    year = _year_or_404(year)
    record = ResourceYear.objects.visible_to(request.workspace).filter(year=year).first()
    funders = list(record.funders.all()) if record else []
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
        funder_rows = [{"name": n, "source": s, "amount": a} for n, s, a in rows]
    else:
        initial: dict[str, object] = {}
        if record:
            initial = {s: record.amount(s) for s in Source.values}
            initial.update({n: getattr(record, n) for n, _ in HUMAN_FIELDS})
            initial.update({n: getattr(record, n) for n, _ in ACCOUNT_FIELDS})
            initial["closes_on"] = record.closes_on.isoformat() if record.closes_on else ""
            initial["notes"] = record.notes
        form = YearForm(initial=initial)
        funder_rows = [{"name": f.name, "source": f.source, "amount": f.amount} for f in funders]
    funder_rows += [{"name": "", "source": "", "amount": ""}] * (FUNDER_ROWS - len(funder_rows))
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
