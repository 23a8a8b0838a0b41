"""Pages of the matching area: suggestions, needs, offers and calls for projects, alerts. No business rule here."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.http import require_POST

from maillage.core.roles import Role, role_at_least
from maillage.core.tenancy import get_visible_or_404, workspace_required
from maillage.matching import actions
from maillage.matching.models import (
    AlertSubscription,
    AllianceOrigin,
    ItemKind,
    SkillDomain,
    Status,
)
from maillage.matching.queries import ItemFilters, search_items
from maillage.matching.scoring import METHOD, WEIGHTS
from maillage.matching.suggestions import MODELS, role_of, suggestions_for
from maillage.organizations.models import Cause, Organization
from maillage.territories.models import Departement, Region
from maillage.web.forms import apply_errors
from maillage.web.forms.matching import AlertForm, ItemForm

SLUGS = {"besoins": "need", "offres": "offer", "appels": "call"}
SLUG_OF = {v: k for k, v in SLUGS.items()}
TITLES = {"need": "Besoins", "offer": "Offres", "call": "Appels à projets"}
SINGULAR = {"need": "un besoin", "offer": "une offre", "call": "un appel à projets"}


def _item_type(slug: str) -> str:
    if slug not in SLUGS:
        raise Http404("Page introuvable.")
    return SLUGS[slug]


def alliance_url(alliance_id: int) -> str:
    try:
        return reverse("web:alliance_detail", args=[alliance_id])
    except NoReverseMatch:  # the alliance pages are another area's: degrade to the list of origins
        return reverse("web:matching_origins")


def _data(form: ItemForm) -> dict:
    data = {k: v for k, v in form.cleaned_data.items() if k != "publish"}
    return data


def _initial(item, item_type: str) -> dict:
    return {name: getattr(item, name) for name in actions.data_fields(item_type)}


@workspace_required(Role.VIEWER)
def home(request):
    workspace = request.workspace
    result = suggestions_for(workspace.organization, workspaces=[workspace], limit=20)
    started = set(
        AllianceOrigin.objects.visible_to(workspace)
        .exclude(alliance__stage__in=["abandoned", "closed"])
        .values_list("target_id", flat=True)
    )
    for s in result.items + result.partners + result.known + result.network:
        s.slug = SLUG_OF.get(s.item_type or "", "")
    context = {
        "result": result,
        "role": role_of(workspace.organization.kind),
        "method": METHOD,
        "weights": WEIGHTS,
        "started": started,
    }
    return render(request, "web/matching/home.html", context)


def _filtered(request, item_type: str):
    params = request.GET
    filters = ItemFilters.clean(
        q=params.get("q"),
        kind=params.get("kind"),
        cause=params.get("cause"),
        departement=params.get("departement"),
        region=params.get("region"),
        domain=params.get("domain"),
        goods=params.get("goods"),
        mine=params.get("mine") == "1",
    )
    return search_items(request.workspace, item_type, filters), filters.as_dict()


@workspace_required(Role.VIEWER)
def item_list(request, slug: str):
    item_type = _item_type(slug)
    qs, filters = _filtered(request, item_type)
    page_number = (request.GET.get("page") or "1")[:6]
    paginator = Paginator(qs, 20)
    page = paginator.get_page(int(page_number) if page_number.isdigit() else 1)
    params = request.GET.copy()
    params.pop("page", None)
    context = {
        "item_type": item_type,
        "slug": slug,
        "title": TITLES[item_type],
        "singular": SINGULAR[item_type],
        "page": page,
        "filters": filters,
        "params": params.urlencode(),
        "causes": Cause.objects.all(),
        "kinds": ItemKind.choices,
        "domains": SkillDomain.choices,
        "regions": Region.objects.exclude(zone="com"),
        "departements": Departement.objects.exclude(zone="com"),
        "can_publish": actions.ALLOWED[item_type](request.workspace.organization.kind),
    }
    template = "web/matching/_items.html" if request.htmx else "web/matching/list.html"
    return render(request, template, context)


@workspace_required(Role.MEMBER)
def item_create(request, slug: str):
    item_type = _item_type(slug)
    form = ItemForm(request.POST or None, item_type=item_type, initial={"territory_level": "commune"})
    if request.method == "POST" and form.is_valid():
        try:
            item = actions.create_item(
                workspace=request.workspace,
                user=request.user,
                item_type=item_type,
                data=_data(form),
                publish=form.cleaned_data.get("publish", False),
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            state = "publié" if item.is_published else "enregistré comme brouillon (visible de votre espace seul)"
            messages.success(request, f"« {item.title} » est {state}.")
            return redirect("web:matching_detail", slug, item.pk)
    status = 400 if request.method == "POST" else 200
    context = {"form": form, "slug": slug, "title": f"Publier {SINGULAR[item_type]}", "item_type": item_type}
    return render(request, "web/matching/form.html", context, status=status)


@workspace_required(Role.VIEWER)
def item_detail(request, slug: str, pk: int):
    item_type = _item_type(slug)
    qs = MODELS[item_type].objects.readable_by(request.workspace).select_related("organization", "workspace")
    item = get_visible_or_404(qs, pk=pk)
    own = item.workspace_id == request.workspace.pk
    context = {
        "item": item,
        "item_type": item_type,
        "slug": slug,
        "own": own,
        "statuses": Status.choices,
        "already": AllianceOrigin.objects.visible_to(request.workspace).filter(target=item.organization).exists(),
    }
    return render(request, "web/matching/detail.html", context)


@workspace_required(Role.MEMBER)
def item_edit(request, slug: str, pk: int):
    item_type = _item_type(slug)
    item = get_visible_or_404(MODELS[item_type].objects.visible_to(request.workspace), pk=pk)
    form = ItemForm(request.POST or None, item_type=item_type, editing=True, initial=_initial(item, item_type))
    if request.method == "POST" and form.is_valid():
        try:
            actions.update_item(workspace=request.workspace, user=request.user, item=item, data=_data(form))
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, "Modifications enregistrées.")
            return redirect("web:matching_detail", slug, item.pk)
    status = 400 if request.method == "POST" else 200
    context = {"form": form, "slug": slug, "title": f"Modifier « {item.title} »", "item": item}
    return render(request, "web/matching/form.html", context, status=status)


@workspace_required(Role.MEMBER)
@require_POST
def item_status(request, slug: str, pk: int):
    item_type = _item_type(slug)
    item = get_visible_or_404(MODELS[item_type].objects.visible_to(request.workspace), pk=pk)
    try:
        actions.set_item_status(
            workspace=request.workspace, user=request.user, item=item, status=request.POST.get("status", "")
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"Statut : {item.get_status_display().lower()}.")
    return redirect("web:matching_detail", slug, item.pk)


@workspace_required(Role.MEMBER)
@require_POST
def start(request):
    """One click: an alliance at « premier contact » with the suggested organisation, the suggestion kept."""
    target_id = (request.POST.get("target") or "")[:12]
    if not target_id.isdigit():
        raise Http404("Organisation introuvable.")
    target = get_visible_or_404(Organization.objects.all(), pk=int(target_id))
    item_type = request.POST.get("item_type") or None
    item = None
    if item_type:
        if item_type not in MODELS or not (request.POST.get("item_id") or "").isdigit():
            raise Http404("Objet introuvable.")
        item = get_visible_or_404(MODELS[item_type].objects.published(), pk=int(request.POST["item_id"]))
    try:
        alliance = actions.start_alliance(
            workspace=request.workspace,
            user=request.user,
            target=target,
            item_type=item_type,
            item=item,
            source=request.POST.get("source", "item"),
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("web:matching_home")
    messages.success(request, f"Alliance « {alliance.name} » démarrée à l'étape « Premier contact ».")
    return redirect(alliance_url(alliance.pk))


@workspace_required(Role.VIEWER)
def alerts(request):
    subscription = AlertSubscription.objects.visible_to(request.workspace).first()
    initial = {"active": True, "frequency": "weekly", "min_score": 30}
    if subscription:
        initial = {
            "active": subscription.active,
            "frequency": subscription.frequency,
            "min_score": subscription.min_score,
        }
    form = AlertForm(request.POST or None, initial=initial)
    if request.method == "POST":
        if not role_at_least(request.workspace_role, Role.MEMBER):
            raise PermissionDenied("Votre rôle dans cet espace ne permet pas cette action (lecture seule).")
        if form.is_valid():
            try:
                actions.subscribe(workspace=request.workspace, user=request.user, **form.cleaned_data)
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                messages.success(request, "Vos préférences d'alertes sont enregistrées.")
                return redirect("web:matching_alerts")
    status = 400 if request.method == "POST" else 200
    return render(request, "web/matching/alerts.html", {"form": form, "subscription": subscription}, status=status)


@workspace_required(Role.VIEWER)
def origins(request):
    rows = (
        AllianceOrigin.objects.visible_to(request.workspace)
        .select_related("alliance", "target", "need", "offer", "call")
        .order_by("-created_at")[:200]
    )
    items = [(o, alliance_url(o.alliance_id)) for o in rows]
    return render(request, "web/matching/origins.html", {"origins": items})
