"""Pages of the evaluation area: open an evaluation, answer, cross view, share, close, remind, report (page + PDF)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from maillage.alliances.actions import party_of
from maillage.alliances.models import Alliance
from maillage.core.roles import Role, role_at_least
from maillage.core.tenancy import get_visible_or_404, workspace_required
from maillage.evaluation import actions
from maillage.evaluation.models import (
    NOT_KNOWN,
    Evaluation,
    Objective,
    Response,
    ResponseLink,
)
from maillage.evaluation.report import cross_context, evaluations_for, render_pdf, report_context
from maillage.web.forms import apply_errors
from maillage.web.forms.evaluation import NSP, AnswerForm, LinkForm, ObjectiveForm, OpenEvaluationForm

WRITE_REFUSED = "Votre rôle dans cet espace ne permet pas cette action (lecture seule)."


def answers_from_post(post, questions, objectives) -> dict:
    """The posted answers, « nsp » where the box « ne sait pas / non applicable » is ticked."""
    keys = [q.code for q in questions] + [f"{actions.OBJECTIVE_PREFIX}{o.pk}" for o in objectives]
    return {key: (NOT_KNOWN if post.get(key + NSP) else post.get(key, "")) for key in keys}


def initial_answers(response) -> dict:
    if response is None:
        return {}
    initial = {a.question.code: a.value for a in response.answers.all()}
    initial.update({f"{actions.OBJECTIVE_PREFIX}{r.objective_id}": r.shown for r in response.objective_results.all()})
    return initial


def _require_writer(request) -> None:
    if not role_at_least(request.workspace_role, Role.MEMBER):
        raise PermissionDenied(WRITE_REFUSED)


def _list_context(request, form=None) -> dict:
    workspace = request.workspace
    evaluations = list(
        Evaluation.objects.visible_to(workspace)
        .select_related("alliance", "questionnaire")
        .annotate(
            asked=Count("responses", distinct=True),
            answered=Count("responses", filter=Q(responses__submitted_at__isnull=False), distinct=True),
        )
    )
    own = {
        r.evaluation_id: r
        for r in Response.objects.filter(evaluation__in=[e.pk for e in evaluations], party__workspace=workspace)
    }
    for evaluation in evaluations:
        evaluation.own_response = own.get(evaluation.pk)  # type: ignore[attr-defined]  # for the template
    alliances = list(Alliance.objects.visible_to(workspace).only("id", "name").order_by("name"))
    # Decision 0017: the evaluations a party that left answered in, for periods before it left (its own answers).
    former = list(actions.former_evaluations(workspace).select_related("alliance").order_by("-period_end"))
    # The start page's « to send » link fills the form in (alliance, period).
    initial = {
        k: request.GET[k][:100] for k in ("alliance", "period_label", "period_start", "period_end") if k in request.GET
    }
    return {
        "evaluations": evaluations,
        "former": former,
        "form": form or OpenEvaluationForm(alliances, initial=initial),
        "has_alliances": bool(alliances),
    }


@workspace_required(Role.VIEWER)
def evaluation_list(request):
    return render(request, "web/evaluation/list.html", _list_context(request))


@workspace_required(Role.MEMBER)
@require_POST
def evaluation_open(request):
    visible = Alliance.objects.visible_to(request.workspace)
    alliance = get_visible_or_404(visible, pk=request.POST.get("alliance"))
    form = OpenEvaluationForm(list(visible.only("id", "name").order_by("name")), request.POST)
    if form.is_valid():
        try:
            evaluation = actions.open_evaluation(
                alliance=alliance,
                workspace=request.workspace,
                user=request.user,
                period_label=form.cleaned_data["period_label"],
                period_start=form.cleaned_data["period_start"],
                period_end=form.cleaned_data["period_end"],
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(
                request,
                f"L'évaluation « {evaluation.period_label} » est ouverte : chaque partie peut maintenant répondre.",
            )
            return redirect("web:evaluation_detail", evaluation_id=evaluation.pk)
    return render(request, "web/evaluation/list.html", _list_context(request, form), status=400)


def _evaluation(request, evaluation_id: int) -> Evaluation:
    return get_visible_or_404(evaluations_for(request.workspace), pk=evaluation_id)


@workspace_required(Role.VIEWER)
def evaluation_detail(request, evaluation_id: int):
    evaluation = _evaluation(request, evaluation_id)
    context = cross_context(evaluation, request.workspace)
    context["own_response"] = next(
        (r for r in evaluation.responses.all() if r.party_id == context["own_party"].pk), None
    )
    context["is_opener"] = evaluation.opened_by_workspace_id == request.workspace.pk
    context["pending_count"] = sum(1 for c in context["view"].columns if c.state == "pending")
    context.update(_links_context(evaluation))
    return render(request, "web/evaluation/detail.html", context)


LINK_STATES = {
    "active": "en attente de réponse",
    "used": "réponses envoyées",
    "expired": "expiré",
    "revoked": "révoqué",
}


def _outside_parties(evaluation: Evaluation) -> list:
    submitted = {r.party_id for r in evaluation.responses.all() if r.is_submitted}
    return [
        p
        for p in evaluation.alliance.parties.all()
        if p.workspace_id is None and p.left_at is None and p.pk not in submitted
    ]


def _links_context(evaluation: Evaluation, link_form=None) -> dict:
    now = timezone.now()
    links = list(
        ResponseLink.objects.filter(response__evaluation=evaluation).select_related("response__party__organization")
    )
    for link in links:
        # attached for the template
        link.state_code = link.state(now)  # type: ignore[attr-defined]
        link.state_label = LINK_STATES[link.state_code]  # type: ignore[attr-defined]
    outside = _outside_parties(evaluation)
    return {
        "links": links,
        "outside_parties": outside,
        "link_form": link_form or LinkForm(outside),
        "link_days": actions.LINK_VALID_DAYS,
    }


@workspace_required(Role.VIEWER)
def evaluation_answer(request, evaluation_id: int):
    try:
        evaluation = _evaluation(request, evaluation_id)
    except Http404:  # a party that left: its own answers of a period before it left (decision 0017), nothing else
        evaluation = get_visible_or_404(
            actions.former_evaluations(request.workspace).select_related("alliance", "questionnaire"),
            pk=evaluation_id,
        )
    own = actions.answering_party(evaluation, request.workspace)
    left = own.left_at is not None
    response = next((r for r in evaluation.responses.all() if r.party_id == own.pk), None)
    audience = response.audience if response else actions.audience_for(own.organization)
    questionnaire = response.questionnaire if response else evaluation.questionnaire
    questions = actions.questions_for(questionnaire, audience)
    objectives = actions.objectives_for(evaluation, own)
    initial = initial_answers(response)
    readonly = evaluation.is_closed or not role_at_least(request.workspace_role, Role.MEMBER)
    status = 200
    if request.method == "POST":
        _require_writer(request)
        form = AnswerForm(questions, request.POST, objectives=objectives)
        form.is_valid()
        answers = answers_from_post(request.POST, questions, objectives)
        party = None
        if request.POST.get("party"):
            party = next((p for p in evaluation.alliance.parties.all() if str(p.pk) == request.POST["party"]), None)
            if party is None:
                form.add_error(None, "Cette organisation n'est pas partie à l'alliance évaluée.")
        if not form.errors:
            try:
                actions.save_answers(
                    evaluation=evaluation,
                    workspace=request.workspace,
                    user=request.user,
                    answers=answers,
                    party=party,
                    submit=request.POST.get("action") == "send",
                )
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                if request.POST.get("action") == "send":
                    messages.success(request, "Vos réponses sont envoyées. Merci !")
                else:
                    messages.info(request, "Brouillon enregistré : vos réponses ne sont pas encore envoyées.")
                if left:
                    return redirect("web:evaluation_list")
                return redirect("web:evaluation_detail", evaluation_id=evaluation.pk)
        status = 400
    else:
        form = AnswerForm(questions, initial=initial, objectives=objectives, disabled=readonly)
    return render(
        request,
        "web/evaluation/answer.html",
        {
            "evaluation": evaluation,
            "own_party": own,
            "left": left,
            "response": response,
            "form": form,
            "readonly": readonly,
            "audience_label": dict(actions.Audience.choices)[audience],
        },
        status=status,
    )


def _post_action(request, evaluation_id: int, run, success: str | Callable[[Any], str]):
    evaluation = _evaluation(request, evaluation_id)
    try:
        result = run(evaluation)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, success if isinstance(success, str) else success(result))
    return redirect("web:evaluation_detail", evaluation_id=evaluation.pk)


@workspace_required(Role.MEMBER)
@require_POST
def evaluation_share(request, evaluation_id: int):
    shared = request.POST.get("shared", "1") == "1"
    return _post_action(
        request,
        evaluation_id,
        lambda e: actions.share_early(evaluation=e, workspace=request.workspace, user=request.user, shared=shared),
        "Vos réponses sont visibles des autres parties dès leur envoi."
        if shared
        else "Vos réponses resteront privées jusqu'à la clôture.",
    )


@workspace_required(Role.MEMBER)
@require_POST
def evaluation_close(request, evaluation_id: int):
    return _post_action(
        request,
        evaluation_id,
        lambda e: actions.close_evaluation(evaluation=e, workspace=request.workspace, user=request.user),
        "L'évaluation est clôturée : toutes les parties voient désormais toutes les réponses envoyées.",
    )


@workspace_required(Role.MEMBER)
@require_POST
def evaluation_remind(request, evaluation_id: int):
    return _post_action(
        request,
        evaluation_id,
        lambda e: actions.send_reminders(evaluation=e, workspace=request.workspace, user=request.user),
        lambda parties: (
            f"Relance envoyée à : {', '.join(str(p.organization) for p in parties)}."
            if parties
            else "Personne à relancer (toutes les parties ont répondu ou ont été relancées depuis moins de 20 heures)."
        ),
    )


@workspace_required(Role.VIEWER)
def evaluation_report(request, evaluation_id: int):
    evaluation = _evaluation(request, evaluation_id)
    return render(request, "web/evaluation/report.html", report_context(evaluation, request.workspace))


@workspace_required(Role.VIEWER)
def evaluation_report_pdf(request, evaluation_id: int):
    evaluation = _evaluation(request, evaluation_id)
    pdf = render_pdf(report_context(evaluation, request.workspace), base_url=request.build_absolute_uri("/"))
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="bilan-partenariat-{evaluation.pk}.pdf"'
    return response


@workspace_required(Role.MEMBER)
@require_POST
def evaluation_link(request, evaluation_id: int):
    """Send a personal link to a party without a workspace (single use, 30 days, revocable)."""
    evaluation = _evaluation(request, evaluation_id)
    outside = _outside_parties(evaluation)
    form = LinkForm(outside, request.POST)
    if form.is_valid():
        party = next(p for p in outside if p.pk == form.cleaned_data["party"])
        try:
            actions.create_response_link(
                evaluation=evaluation,
                party=party,
                workspace=request.workspace,
                user=request.user,
                email=form.cleaned_data["email"],
                url_for=lambda token: request.build_absolute_uri(reverse("web:evaluation_outside", args=[token])),
                request=request,
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(
                request,
                f"Lien personnel envoyé à {form.cleaned_data['email']} pour « {party.organization} » "
                f"(valable {actions.LINK_VALID_DAYS} jours, une seule fois).",
            )
            return redirect("web:evaluation_detail", evaluation_id=evaluation.pk)
    context = cross_context(evaluation, request.workspace)
    context["own_response"] = next(
        (r for r in evaluation.responses.all() if r.party_id == context["own_party"].pk), None
    )
    context["is_opener"] = evaluation.opened_by_workspace_id == request.workspace.pk
    context["pending_count"] = sum(1 for c in context["view"].columns if c.state == "pending")
    context.update(_links_context(evaluation, form))
    return render(request, "web/evaluation/detail.html", context, status=400)


@workspace_required(Role.MEMBER)
@require_POST
def evaluation_link_revoke(request, evaluation_id: int, link_id: int):
    evaluation = _evaluation(request, evaluation_id)
    link = get_visible_or_404(ResponseLink.objects.filter(response__evaluation=evaluation), pk=link_id)
    return _post_action(
        request,
        evaluation_id,
        lambda e: actions.revoke_response_link(link=link, workspace=request.workspace, user=request.user),
        "Lien révoqué : il ne permet plus de répondre.",
    )


def evaluation_outside(request, token: str):
    """The questionnaire of a party without an account, reached through its personal link (no login)."""
    link, state = actions.link_from_token(token)
    if link is None:
        return render(
            request,
            "web/evaluation/outside.html",
            {"gone": "Ce lien n'existe pas : vérifiez qu'il a été copié en entier depuis l'e-mail."},
            status=404,
        )
    if state != "active":
        return render(request, "web/evaluation/outside.html", {"gone": actions.LINK_GONE[state]}, status=410)
    response = link.response
    evaluation = response.evaluation
    questions = actions.questions_for(response.questionnaire, response.audience)
    objectives = actions.objectives_for(evaluation, response.party)
    status = 200
    if request.method == "POST":
        form = AnswerForm(questions, request.POST, objectives=objectives)
        form.is_valid()
        try:
            actions.answer_by_link(
                token=token, answers=answers_from_post(request.POST, questions, objectives), request=request
            )
        except ValidationError as exc:
            apply_errors(form, exc)
            status = 400
        else:
            return render(
                request,
                "web/evaluation/outside.html",
                {"done": True, "evaluation": evaluation, "party": response.party},
            )
    else:
        form = AnswerForm(questions, initial=initial_answers(response), objectives=objectives)
    return render(
        request,
        "web/evaluation/outside.html",
        {
            "evaluation": evaluation,
            "party": response.party,
            "form": form,
            "audience_label": dict(actions.Audience.choices)[response.audience],
            "questionnaire": response.questionnaire,
        },
        status=status,
    )


def _objectives_context(request, alliance, form=None) -> dict:
    own = party_of(alliance, request.workspace)
    objectives = list(Objective.objects.filter(alliance=alliance).select_related("party__organization"))
    return {
        "alliance": alliance,
        "own_party": own,
        "common": [o for o in objectives if o.party_id is None],
        "by_party": [o for o in objectives if o.party_id is not None],
        "form": form or ObjectiveForm(),
        "lead": actions._lead_party(alliance),
    }


@workspace_required(Role.VIEWER)
def evaluation_objectives(request, alliance_id: int):
    """The objectives of an alliance: each party's own and the common-good one, with their indicators."""
    alliance = get_visible_or_404(
        Alliance.objects.visible_to(request.workspace).prefetch_related("parties__organization"), pk=alliance_id
    )
    status = 200
    if request.method == "POST":
        _require_writer(request)
        form = ObjectiveForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                actions.declare_objective(alliance=alliance, workspace=request.workspace, user=request.user, **data)
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                messages.success(request, f"Objectif « {data['title']} » déclaré.")
                return redirect("web:evaluation_objectives", alliance_id=alliance.pk)
        status = 400
    else:
        form = None
    return render(
        request, "web/evaluation/objectives.html", _objectives_context(request, alliance, form), status=status
    )


@workspace_required(Role.MEMBER)
@require_POST
def evaluation_objective_withdraw(request, alliance_id: int, objective_id: int):
    alliance = get_visible_or_404(
        Alliance.objects.visible_to(request.workspace).prefetch_related("parties__organization"), pk=alliance_id
    )
    objective = get_visible_or_404(Objective.objects.filter(alliance=alliance), pk=objective_id)
    try:
        actions.withdraw_objective(objective=objective, workspace=request.workspace, user=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"Objectif « {objective.title} » retiré.")
    return redirect("web:evaluation_objectives", alliance_id=alliance.pk)
