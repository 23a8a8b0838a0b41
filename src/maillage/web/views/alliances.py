"""Alliance pages: list, board, creation, the alliance page (parties, lifecycle, sharing, private notes), timeline.

No rule here: every change goes through ``maillage.alliances.actions``, every read through
``maillage.alliances.queries`` or a queryset scoped by ``Alliance.objects.visible_to(request.workspace)``.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import F, Prefetch
from django.db.models.functions import Coalesce
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.dateparse import parse_date
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from maillage.alliances import actions, queries
from maillage.alliances.lifecycle import Stage, allowed_moves
from maillage.alliances.models import (
    Alliance,
    AllianceNote,
    Form,
    Interaction,
    Party,
    PartyInvitation,
    PartyRole,
    Proposal,
    StageChange,
)
from maillage.contributions import overview
from maillage.core.ids import check_id
from maillage.core.roles import Role
from maillage.core.tenancy import get_visible_or_404, workspace_required
from maillage.evaluation.actions import OBJECTIVES_INVITATION
from maillage.organizations.models import Cause, Organization
from maillage.organizations.models import Kind as OrganizationKind
from maillage.organizations.search import DirectoryQuery, search_directory
from maillage.territories.models import Departement, Region
from maillage.web.forms import apply_errors
from maillage.web.forms.alliances import (
    AllianceEditForm,
    AllianceForm,
    AllianceNoteForm,
    AnswerForm,
    HandOverForm,
    InvitePartyForm,
    MoveForm,
    ProposeStageForm,
    SettingsForm,
    parse_partners,
)
from maillage.web.views.workspaces import verified_required

# An id from a URL or a form that no database row can have answers 404 (one bound for pages and API).
check_pk = check_id


def get_alliance(request, alliance_id: int) -> Alliance:
    """The alliance, if the acting workspace is an active party of it (else 404), with its parties loaded."""
    check_pk(alliance_id)
    return get_visible_or_404(
        Alliance.objects.visible_to(request.workspace).prefetch_related(
            # With each party's invested time (``PartyTime``, read by the alliance page): a join, not a query.
            Prefetch(
                "parties",
                queryset=Party.objects.select_related("organization", "workspace").annotate(
                    invested_minutes=Coalesce("time__minutes", 0)
                ),
            )
        ),
        pk=alliance_id,
    )


def _messages_of(exc: ValidationError) -> str:
    return " ".join(exc.messages)


def _filter_context(filters) -> dict:
    return {
        "filters": filters,
        "partner_kinds": OrganizationKind.choices,
        "form_choices": Form.choices,
        "stages": Stage.choices,
        "regions": Region.objects.exclude(zone="com"),
        "departements": Departement.objects.exclude(zone="com"),
        "causes": Cause.objects.all(),
    }


@workspace_required(Role.VIEWER)
def alliance_list(request):
    filters = queries.AllianceFilters.from_params(request.GET)
    page, days = queries.alliance_page(request.workspace, filters)
    context = {"page": page, "cold_after_days": days, **_filter_context(filters)}
    return render(request, "web/alliances/list.html", context)


def _url_of_id(name: str):
    """``reverse(name, args=[pk])`` as a function of ``pk``, reversed once: the board builds two URLs per card."""
    marker = 123456789
    head, _, tail = reverse(name, args=[marker]).rpartition(str(marker))
    return lambda pk: f"{head}{pk}{tail}"


def _board_context(request, filters) -> dict:
    columns, days = queries.board(request.workspace, filters)
    detail_url, move_url = _url_of_id("web:alliance_detail"), _url_of_id("web:alliance_move")
    for column in columns:  # what each card shows, prepared here: the board renders up to 270 cards
        for card in column.cards:
            card["detail_url"] = detail_url(card["id"])
            card["move_url"] = move_url(card["id"])
    return {
        "columns": columns,
        "cold_after_days": days,
        "board_url": reverse("web:alliance_board") + (f"?{filters.querystring()}" if filters.querystring() else ""),
        "list_url": reverse("web:alliance_list"),
        "settings_form": SettingsForm(initial={"cold_after_days": days}),
        **_filter_context(filters),
    }


@workspace_required(Role.VIEWER)
def alliance_board(request):
    filters = queries.AllianceFilters.from_params(request.GET)
    return render(request, "web/alliances/board.html", _board_context(request, filters))


@workspace_required(Role.ADMIN)
@require_POST
def alliance_settings(request):
    form = SettingsForm(request.POST)
    if form.is_valid():
        actions.set_cold_after_days(
            workspace=request.workspace, user=request.user, days=form.cleaned_data["cold_after_days"], request=request
        )
        messages.success(
            request, f"Une relation sans échange depuis {form.cleaned_data['cold_after_days']} jours est signalée."
        )
    else:
        messages.error(request, " ".join(str(e) for errs in form.errors.values() for e in errs))
    return redirect("web:alliance_board")


@workspace_required(Role.VIEWER)
def alliance_partner_options(request):
    """htmx: organisations of the directory matching ``q``; or, with ``add``, the row of one chosen partner."""
    added = request.GET.get("add", "")
    if added.isdigit() and len(added) < 19:
        organization = get_visible_or_404(Organization.objects.all(), pk=int(added))
        return render(
            request,
            "web/alliances/_partner_row.html",
            {"organization": organization, "roles": PartyRole.choices, "role": PartyRole.PARTNER, "commitment": ""},
        )
    q = (request.GET.get("q") or "").strip()[:200]
    result = search_directory(DirectoryQuery(q=q, page_size=10)) if len(q) >= 2 else None
    return render(
        request,
        "web/alliances/_partner_options.html",
        {"result": result, "q": q, "own_organization_id": request.workspace.organization_id},
    )


def _chosen_partners(request, rows):
    organizations = Organization.objects.in_bulk([pk for pk, _, _ in rows])
    return [
        {"organization": organizations[pk], "role": role, "commitment": commitment}
        for pk, role, commitment in rows
        if pk in organizations
    ]


@workspace_required(Role.MEMBER)
def alliance_create(request):
    form = AllianceForm(request.POST or None)
    chosen = []
    partner_errors: list[str] = []
    if request.method == "POST":
        rows, partner_errors = parse_partners(request.POST)
        chosen = _chosen_partners(request, rows)
        if len(chosen) != len(rows):
            partner_errors.append("Un partenaire choisi n'existe pas dans l'annuaire : cherchez-le à nouveau.")
        if form.is_valid() and not partner_errors:
            data = form.cleaned_data
            try:
                alliance = actions.create_alliance(
                    workspace=request.workspace,
                    user=request.user,
                    name=data["name"],
                    forms=data["forms"],
                    partners=[(c["organization"], c["role"], c["commitment"]) for c in chosen],
                    own_role=data["own_role"],
                    own_commitment=data["own_commitment"],
                    purpose=data["purpose"],
                    territory_level=data["territory_level"],
                    territory_code=data["territory_code"],
                    starts_on=data["starts_on"],
                    ends_on=data["ends_on"],
                )
            except ValidationError as exc:
                errors = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
                partner_errors += errors.pop("parties", [])
                if errors:
                    apply_errors(form, ValidationError(errors))
            else:
                messages.success(request, f"L'alliance « {alliance.name} » est créée, à l'étape « Identifiée ».")
                return redirect("web:alliance_detail", alliance.pk)
    status = 400 if request.method == "POST" else 200
    context = {"form": form, "chosen": chosen, "partner_errors": partner_errors, "roles": PartyRole.choices}
    return render(request, "web/alliances/create.html", context, status=status)


def _detail_context(request, alliance: Alliance) -> dict:
    workspace = request.workspace
    parties = list(alliance.parties.all())
    own = actions.party_of(alliance, workspace)
    pending = {
        i.party_id: i
        for i in PartyInvitation.objects.filter(
            party__alliance=alliance, accepted_at__isnull=True, declined_at__isnull=True
        )
    }
    for party in parties:
        # attached for the template (the page's own figures, not the model's)
        party.minutes = party.invested_minutes  # type: ignore[attr-defined]
        party.hours = round(party.minutes / 60, 1)  # type: ignore[attr-defined]
        party.pending_invitation = pending.get(party.pk)  # type: ignore[attr-defined]
    return {
        "alliance": alliance,
        "parties": parties,
        "own_party": own,
        "moves": [(s, Stage(s).label) for s in allowed_moves(alliance.stage) if s != Stage.ABANDONED],
        "can_abandon": Stage.ABANDONED in allowed_moves(alliance.stage),
        # The pages print the acting organisation's name only: one annotated column rather than the workspace and
        # organisation as models, whose ``select_related`` cost more to compile than the rows to read (issue 21).
        "stage_log": StageChange.objects.filter(alliance=alliance)
        .select_related("by")
        .annotate(by_organization_name=F("by_workspace__organization__name")),
        "notes": AllianceNote.objects.visible_to(workspace).filter(alliance=alliance).select_related("author"),
        "interactions": Interaction.objects.filter(alliance=alliance).annotate(
            by_organization_name=F("workspace__organization__name")
        )[:5],
        "agreements": alliance.agreements.all(),
        "contributions": overview.latest_contributions(alliance, 10),
        "note_form": AllianceNoteForm(),
        # Decision 0016: the lead decides the stage and the description; the others propose.
        "is_lead": actions.is_lead(alliance, workspace),
        "lead_names": ", ".join(str(p.organization) for p in actions.lead_parties(alliance)),
        # Who the lead may hand its role over to: the other parties sharing the alliance.
        "lead_candidates": [
            p for p in parties if p.workspace_id and p.left_at is None and p.workspace_id != workspace.pk
        ],
        "proposals": list(
            Proposal.objects.filter(alliance=alliance).annotate(
                by_organization_name=F("by_workspace__organization__name")
            )[:10]
        ),
    }


@workspace_required(Role.VIEWER)
def alliance_detail(request, alliance_id: int):
    alliance = get_alliance(request, alliance_id)
    return render(request, "web/alliances/detail.html", _detail_context(request, alliance))


@workspace_required(Role.MEMBER)
def alliance_edit(request, alliance_id: int):
    alliance = get_alliance(request, alliance_id)
    initial = {
        "name": alliance.name,
        "purpose": alliance.purpose,
        "forms": alliance.forms,
        "territory_level": alliance.territory_level,
        "territory_code": alliance.territory_code,
        "starts_on": alliance.starts_on,
        "ends_on": alliance.ends_on,
    }
    form = AllianceEditForm(request.POST or None, initial=initial)
    is_lead = actions.is_lead(alliance, request.workspace)
    if request.method == "POST" and form.is_valid():
        try:
            if is_lead:
                actions.update_alliance(
                    alliance=alliance, workspace=request.workspace, user=request.user, **form.cleaned_data
                )
            else:  # decision 0016: a party that does not lead proposes what it changed
                changed = {k: v for k, v in form.cleaned_data.items() if k in initial and v != initial[k]}
                actions.propose_change(
                    alliance=alliance,
                    workspace=request.workspace,
                    user=request.user,
                    changes=changed,
                    reason=request.POST.get("proposal_reason", ""),
                )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            if is_lead:
                messages.success(request, "L'alliance est mise à jour.")
            else:
                messages.success(
                    request, "Proposition envoyée au pilote de l'alliance : il l'acceptera ou la refusera."
                )
            return redirect("web:alliance_detail", alliance.pk)
    status = 400 if request.method == "POST" else 200
    context = {
        "form": form,
        "alliance": alliance,
        "is_lead": is_lead,
        "lead_names": ", ".join(str(p.organization) for p in actions.lead_parties(alliance)),
    }
    return render(request, "web/alliances/edit.html", context, status=status)


def _safe_next(request) -> str | None:
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return None


@workspace_required(Role.MEMBER)
@require_POST
def alliance_move(request, alliance_id: int):
    """Move to another stage. From htmx, answer the part of the page to swap (stage panel or board)."""
    alliance = get_alliance(request, alliance_id)
    form = MoveForm(request.POST)
    error = ""
    if not form.is_valid():
        error = "Étape inconnue : choisissez une des étapes proposées."
    else:
        try:
            alliance = actions.move_alliance(
                alliance=alliance,
                workspace=request.workspace,
                user=request.user,
                to_stage=form.cleaned_data["to_stage"],
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as exc:
            error = _messages_of(exc)
        except actions.NotLead as exc:
            error = str(exc)
    done = "" if error else f"« {alliance.name} » passe à l'étape « {Stage(alliance.stage).label} »."
    if not error and alliance.stage == Stage.FORMALISED and request.POST.get("panel") == "board":
        done += " " + OBJECTIVES_INVITATION  # issue 25 (the detail page's stage panel shows it with its link)
    target = _safe_next(request)
    if request.htmx and request.POST.get("panel") == "board":
        from urllib.parse import urlsplit

        from django.http import QueryDict

        query = QueryDict(urlsplit(target).query) if target else QueryDict()
        context = _board_context(request, queries.AllianceFilters.from_params(query))
        return render(request, "web/alliances/_board.html", {**context, "error": error, "done": done})
    if request.htmx:
        alliance = get_alliance(request, alliance.pk)
        context = _detail_context(request, alliance)
        return render(request, "web/alliances/_stage.html", {**context, "error": error, "done": done})
    if error:
        messages.error(request, error)
    else:
        messages.success(request, done)
    return redirect(target or reverse("web:alliance_detail", args=[alliance.pk]))


@workspace_required(Role.MEMBER)
@require_POST
def alliance_invite(request, alliance_id: int):
    alliance = get_alliance(request, alliance_id)
    form = InvitePartyForm(request.POST)
    if not form.is_valid():
        messages.error(
            request, "Invitation non envoyée : " + " ".join(str(e) for errs in form.errors.values() for e in errs)
        )
        return redirect("web:alliance_detail", alliance.pk)
    party = next((p for p in alliance.parties.all() if p.pk == form.cleaned_data["party"]), None)
    if party is None:
        messages.error(request, "Cette organisation n'est pas partie à l'alliance.")
        return redirect("web:alliance_detail", alliance.pk)
    try:
        actions.invite_party(
            alliance=alliance,
            workspace=request.workspace,
            user=request.user,
            party=party,
            email=form.cleaned_data["email"],
            request=request,
        )
    except ValidationError as exc:
        messages.error(request, _messages_of(exc))
    else:
        messages.success(request, f"{party.organization} est invitée à partager l'alliance.")
    return redirect("web:alliance_detail", alliance.pk)


@workspace_required(Role.VIEWER)
@verified_required(actions.ANSWER_INVITATIONS)
def alliance_invitations(request):
    invitations = actions.pending_invitations_for(request.workspace)
    return render(request, "web/alliances/invitations.html", {"invitations": invitations})


def _invitation(request, invitation_id: int) -> PartyInvitation:
    check_pk(invitation_id)
    return get_visible_or_404(actions.pending_invitations_for(request.workspace), pk=invitation_id)


@workspace_required(Role.ADMIN)
@verified_required(actions.ANSWER_INVITATIONS)
@require_POST
def alliance_invitation_accept(request, invitation_id: int):
    invitation = _invitation(request, invitation_id)
    try:
        party = actions.accept_party_invitation(
            invitation=invitation, workspace=request.workspace, user=request.user, request=request
        )
    except ValidationError as exc:
        messages.error(request, _messages_of(exc))
        return redirect("web:alliance_invitations")
    messages.success(request, f"Vous partagez maintenant l'alliance « {party.alliance.name} ».")
    return redirect("web:alliance_detail", party.alliance_id)


@workspace_required(Role.ADMIN)
@verified_required(actions.ANSWER_INVITATIONS)
@require_POST
def alliance_invitation_decline(request, invitation_id: int):
    invitation = _invitation(request, invitation_id)
    try:
        actions.decline_party_invitation(
            invitation=invitation, workspace=request.workspace, user=request.user, request=request
        )
    except ValidationError as exc:
        messages.error(request, _messages_of(exc))
    else:
        messages.success(request, f"Invitation à « {invitation.party.alliance.name} » déclinée.")
    return redirect("web:alliance_invitations")


@workspace_required(Role.ADMIN)
@require_POST
def alliance_leave(request, alliance_id: int):
    alliance = get_alliance(request, alliance_id)
    try:
        actions.leave_alliance(alliance=alliance, workspace=request.workspace, user=request.user)
    except ValidationError as exc:
        messages.error(request, _messages_of(exc))
        return redirect("web:alliance_detail", alliance.pk)
    messages.success(request, f"Votre organisation a quitté l'alliance « {alliance.name} » ; son historique reste.")
    return redirect("web:alliance_list")


@workspace_required(Role.ADMIN)
@require_POST
def alliance_hand_over(request, alliance_id: int):
    """The lead hands its role over to another party that shares the alliance (decision 0016)."""
    from django.core.exceptions import PermissionDenied

    alliance = get_alliance(request, alliance_id)
    form = HandOverForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Rôle non transmis : choisissez l'organisation qui pilotera l'alliance.")
        return redirect("web:alliance_detail", alliance.pk)
    try:
        party = actions.hand_over_lead(
            alliance=alliance,
            workspace=request.workspace,
            user=request.user,
            party_id=form.cleaned_data["party"],
            reason=form.cleaned_data["reason"],
        )
    except PermissionDenied as exc:
        messages.error(request, str(exc))
    except ValidationError as exc:
        messages.error(request, "Rôle non transmis : " + _messages_of(exc))
    else:
        messages.success(
            request,
            f"{party.organization} pilote désormais l'alliance : elle décide de son étape et de sa description ; "
            "votre organisation lui propose ses changements.",
        )
    return redirect("web:alliance_detail", alliance.pk)


@workspace_required(Role.MEMBER)
@require_POST
def alliance_note(request, alliance_id: int):
    alliance = get_alliance(request, alliance_id)
    form = AllianceNoteForm(request.POST)
    if form.is_valid():
        try:
            actions.add_alliance_note(
                alliance=alliance, workspace=request.workspace, user=request.user, text=form.cleaned_data["text"]
            )
        except ValidationError as exc:
            messages.error(request, _messages_of(exc))
        else:
            messages.success(request, "Note enregistrée (visible seulement dans votre espace).")
    else:
        messages.error(request, "La note est vide ou dépasse 5 000 caractères.")
    return redirect("web:alliance_detail", alliance.pk)


@workspace_required(Role.VIEWER)
def alliance_timeline(request, alliance_id: int):
    alliance = get_alliance(request, alliance_id)
    try:
        until = parse_date((request.GET.get("jusqu_au") or "")[:10])
    except ValueError:  # well formed but impossible (2026-02-30): show the latest events
        until = None
    skip = request.GET.get("passer") or ""
    skip = int(skip) if skip.isdecimal() and len(skip) < 9 else 0  # events of that day already shown
    events, older = overview.timeline(alliance, request.workspace, until=until, skip=skip)
    contribution_url = _url_of_id("web:contribution_detail")
    for event in events:  # up to 150 events: one reverse() for all, not one per contribution
        if event.kind == "contribution":
            event.obj.detail_url = contribution_url(event.obj.pk)  # type: ignore[attr-defined]  # for the template
    return render(
        request, "web/alliances/timeline.html", {"alliance": alliance, "events": events, "older": older, "until": until}
    )


@workspace_required(Role.MEMBER)
@require_POST
def alliance_propose(request, alliance_id: int):
    """A party that does not lead proposes a stage to the lead (decision 0016)."""
    alliance = get_alliance(request, alliance_id)
    form = ProposeStageForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Proposition non envoyée : choisissez une des étapes proposées.")
        return redirect("web:alliance_detail", alliance.pk)
    try:
        actions.propose_change(
            alliance=alliance,
            workspace=request.workspace,
            user=request.user,
            to_stage=form.cleaned_data["to_stage"],
            reason=form.cleaned_data["reason"],
        )
    except ValidationError as exc:
        messages.error(request, "Proposition non envoyée : " + _messages_of(exc))
    else:
        messages.success(
            request,
            f"Proposition envoyée au pilote : passer à « {Stage(form.cleaned_data['to_stage']).label} ». "
            "Il l'acceptera ou la refusera ; sa réponse s'affichera ici et dans la chronologie.",
        )
    return redirect("web:alliance_detail", alliance.pk)


def _answer(request, alliance_id: int, proposal_id: int, accept: bool):
    alliance = get_alliance(request, alliance_id)
    proposal = get_visible_or_404(Proposal.objects.filter(alliance=alliance), pk=proposal_id)
    proposal.alliance = alliance  # its parties already loaded
    form = AnswerForm(request.POST)
    answer = form.cleaned_data["answer"] if form.is_valid() else ""
    decide = actions.accept_proposal if accept else actions.refuse_proposal
    try:
        decide(proposal=proposal, workspace=request.workspace, user=request.user, answer=answer)
    except ValidationError as exc:
        messages.error(request, "Réponse non enregistrée : " + _messages_of(exc))
    except actions.NotLead as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request, "Proposition acceptée : le changement est fait." if accept else "Proposition refusée."
        )
    return redirect("web:alliance_detail", alliance.pk)


@workspace_required(Role.MEMBER)
@require_POST
def alliance_proposal_accept(request, alliance_id: int, proposal_id: int):
    return _answer(request, alliance_id, proposal_id, accept=True)


@workspace_required(Role.MEMBER)
@require_POST
def alliance_proposal_refuse(request, alliance_id: int, proposal_id: int):
    return _answer(request, alliance_id, proposal_id, accept=False)
