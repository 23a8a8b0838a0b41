from __future__ import annotations

import re
from dataclasses import replace

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from maillage.alliances.queries import partners_of
from maillage.contributions.overview import shared_with
from maillage.core.roles import Role
from maillage.core.tenancy import get_visible_or_404, workspace_required
from maillage.core.text import normalize
from maillage.organizations import actions
from maillage.organizations.actions import DuplicateOrganization
from maillage.organizations.models import Cause, Contact, Kind, Organization, PrivateNote
from maillage.organizations.queries import corrections_of
from maillage.organizations.search import DirectoryQuery, search_directory
from maillage.territories.models import Commune, Departement, Epci, Region
from maillage.web.forms import ContactForm, NoteForm, OrganizationForm, apply_errors
from maillage.web.forms.organizations import OrganizationCorrectionForm


def _query_from(params) -> DirectoryQuery:
    def text(name: str, limit: int = 100) -> str:
        return (params.get(name) or "").strip()[:limit]

    page = text("page", 6)
    return DirectoryQuery(
        q=text("q", 200),
        kind=text("kind") if text("kind") in Kind.values else "",
        region=text("region", 3),
        departement=text("departement", 3),
        epci=text("epci", 9),
        commune=text("commune", 5).upper(),
        cause=text("cause", 40),
        page=int(page) if page.isdigit() and 0 < int(page) < 10000 else 1,
    )


def _opening(request, query: DirectoryQuery) -> tuple[DirectoryQuery, list]:
    """The directory opened with no search (issue 19): the workspace's own partners, and the results on its
    territory (its département, shown as the chosen filter, which the person clears to see all of France)."""
    workspace = getattr(request, "workspace", None)
    if request.GET or workspace is None:
        return query, []
    organization = workspace.organization
    if organization.departement_id:
        query = replace(query, departement=organization.departement_id)
    return query, partners_of(workspace)


@login_required
def organization_list(request):
    query, partners = _opening(request, _query_from(request.GET))
    result = search_directory(query)
    context = {
        "partners": partners,
        "opened_on_territory": not request.GET and bool(query.departement),
        "query": query,
        "result": result,
        "kinds": Kind.choices,
        "causes": Cause.objects.all(),
        "regions": Region.objects.exclude(zone="com"),
        "departements": Departement.objects.exclude(zone="com").select_related("region"),
        "selected_epci": Epci.objects.filter(pk=query.epci).first() if query.epci else None,
        "selected_commune": Commune.objects.filter(pk=query.commune).first() if query.commune else None,
        "params": request.GET.copy(),
    }
    template = "web/organizations/_results.html" if request.htmx else "web/organizations/list.html"
    return render(request, template, context)


@login_required
def organization_detail(request, organization_id: int):
    organization = get_visible_or_404(
        Organization.objects.select_related("commune", "departement", "region", "epci", "naf"), pk=organization_id
    )
    workspace = getattr(request, "workspace", None)
    context = {
        "organization": organization,
        "causes": organization.causes.all(),
        "notes": PrivateNote.objects.visible_to(workspace).filter(organization=organization).select_related("author"),
        "contacts": Contact.objects.visible_to(workspace).filter(organization=organization),
        "note_form": NoteForm(),
        "contact_form": ContactForm(),
        "shared": shared_with(workspace, organization),
        "can_correct": actions.can_correct(organization, workspace),
        "corrections": corrections_of(organization),
    }
    return render(request, "web/organizations/detail.html", context)


@login_required
def organization_create(request):
    form = OrganizationForm(request.POST or None)
    duplicate = None
    if request.method == "POST" and form.is_valid():
        try:
            organization = actions.create_organization(
                data=form.cleaned_data, created_by=request.user, workspace=getattr(request, "workspace", None)
            )
        except DuplicateOrganization as exc:
            duplicate = exc.existing
            apply_errors(form, exc)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, f"« {organization.name} » est ajoutée à l'annuaire.")
            if request.POST.get("then") == "workspace":
                return redirect(f"/espaces/nouveau/?organization={organization.pk}")
            return redirect("web:organization_detail", organization.pk)
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "web/organizations/create.html",
        {"form": form, "duplicate": duplicate, "then": request.GET.get("then") or request.POST.get("then", "")},
        status=status,
    )


@workspace_required(Role.MEMBER)
def organization_correct(request, organization_id: int):
    """Correct an entry of the shared directory: only the workspace that added it (decision 0016)."""
    organization = get_visible_or_404(Organization.objects.all(), pk=organization_id)
    if not actions.can_correct(organization, request.workspace):
        messages.error(
            request, "Seul l'espace qui a ajouté cette organisation à l'annuaire la corrige : l'annuaire est partagé."
        )
        return redirect("web:organization_detail", organization.pk)
    initial = {k: v or "" for k, v in actions._organization_values(organization).items()}
    form = OrganizationCorrectionForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        changes = {k: data.get(k) or "" for k in initial if (data.get(k) or "") != initial[k]}
        try:
            actions.correct_organization(
                organization=organization,
                workspace=request.workspace,
                user=request.user,
                changes=changes,
                reason=data.get("reason", ""),
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, "Fiche corrigée : l'ancienne valeur reste dans l'historique.")
            return redirect("web:organization_detail", organization.pk)
    status = 400 if request.method == "POST" else 200
    context = {"form": form, "organization": organization}
    return render(request, "web/organizations/correct.html", context, status=status)


@workspace_required(Role.MEMBER)
@require_POST
def organization_note(request, organization_id: int):
    organization = get_visible_or_404(Organization.objects.all(), pk=organization_id)
    form = NoteForm(request.POST)
    if form.is_valid():
        try:
            actions.add_private_note(
                workspace=request.workspace, organization=organization, author=request.user, **form.cleaned_data
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, "Note enregistrée (visible seulement dans votre espace).")
    else:
        messages.error(
            request,
            "La note n'a pas été enregistrée : " + " ".join(str(e) for errs in form.errors.values() for e in errs),
        )
    return redirect("web:organization_detail", organization.pk)


@workspace_required(Role.MEMBER)
@require_POST
def organization_contact(request, organization_id: int):
    organization = get_visible_or_404(Organization.objects.all(), pk=organization_id)
    form = ContactForm(request.POST)
    if form.is_valid():
        try:
            actions.add_contact(workspace=request.workspace, organization=organization, **form.cleaned_data)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, "Contact enregistré (visible seulement dans votre espace).")
    else:
        messages.error(
            request,
            "Le contact n'a pas été enregistré : "
            + " ".join(f"{form.fields[f].label} : {e}" for f, errs in form.errors.items() for e in errs),
        )
    return redirect("web:organization_detail", organization.pk)


@login_required
def commune_options(request):
    """Autocomplete for communes: name prefix, INSEE code or postal code (htmx partial)."""
    q = (request.GET.get("commune_q") or request.GET.get("q") or request.GET.get("commune") or "").strip()[:100]
    communes = []
    if len(q) >= 2:
        base = Commune.objects.select_related("departement")
        if q[:2].isdigit() or q[:2].upper() in {"2A", "2B"}:
            communes = list(base.filter(code__startswith=q.upper())[:10]) or list(
                base.filter(postal_codes__contains=q)[:10]
            )
        else:
            communes = list(base.filter(name_search__startswith=normalize(q)).order_by("-population")[:10])
    return render(request, "web/partials/commune_options.html", {"communes": communes, "q": q})


@login_required
def organization_options(request):
    """Autocomplete for organisations (htmx partial), used to pick a workspace's organisation, or (``field``
    ``funder_org_<n>``) the directory entry of a named funder in the diagnostic, with a « not in the directory »
    choice."""
    q = (request.GET.get("q") or "").strip()[:200]
    result = search_directory(DirectoryQuery(q=q, page_size=10)) if len(q) >= 2 else None
    field = request.GET.get("field", "")
    field = field if re.fullmatch(r"funder_org_\d{1,2}", field) else ""
    return render(request, "web/partials/organization_options.html", {"result": result, "q": q, "field": field})
