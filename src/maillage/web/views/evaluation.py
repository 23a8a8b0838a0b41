"""Pages of the evaluation area: open an evaluation, answer, cross view, share, close, remind, report (page + PDF)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from maillage.alliances.actions import party_of
from maillage.alliances.models import Alliance
from maillage.core.roles import Role, role_at_least
from maillage.core.tenancy import get_visible_or_404, workspace_required
from maillage.evaluation import actions
from maillage.evaluation.models import Evaluation, Impact, QuestionKind, Response
from maillage.evaluation.report import cross_context, evaluations_for, render_pdf, report_context
from maillage.web.forms import apply_errors

WRITE_REFUSED = "Votre rôle dans cet espace ne permet pas cette action (lecture seule)."


class OpenEvaluationForm(forms.Form):
    alliance = forms.TypedChoiceField(label="Alliance évaluée", coerce=int, choices=[])
    period_label = forms.CharField(
        label="Période", max_length=100, help_text="Par exemple « Année 2025 » ou « Fin du projet potager »"
    )
    period_start = forms.DateField(label="Du", widget=forms.DateInput(attrs={"type": "date"}))
    period_end = forms.DateField(label="Au", widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, alliances, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["alliance"].choices = [(a.pk, a.name) for a in alliances]


class AnswerForm(forms.Form):
    """One field per question of the party's variant; values are checked by the action (French messages)."""

    def __init__(self, questions, *args, disabled: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.questions = questions
        for q in questions:
            if q.kind == QuestionKind.SCALE:
                choices = [(str(i), f"{i} – {label}") for i, label in enumerate(q.scale_labels, start=1)]
                field = forms.Field(label=q.text, required=False, widget=forms.RadioSelect(choices=choices))
            elif q.kind == QuestionKind.NUMBER:
                field = forms.Field(
                    label=q.text,
                    required=False,
                    widget=forms.NumberInput(attrs={"min": q.min_value, "max": q.max_value, "step": "1"}),
                    help_text=f"En {q.unit}, de {q.min_value} à {q.max_value:,}".replace(",", " "),
                )
            else:
                field = forms.Field(
                    label=q.text, required=False, widget=forms.Textarea(attrs={"rows": 2, "maxlength": 1000})
                )
            field.disabled = disabled
            if q.help_text:
                field.help_text = q.help_text
            self.fields[q.code] = field

    def groups(self):
        return [
            (impact.label, [self[q.code] for q in self.questions if q.impact == impact])
            for impact in Impact
            if any(q.impact == impact for q in self.questions)
        ]


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
        evaluation.own_response = own.get(evaluation.pk)
    alliances = list(Alliance.objects.visible_to(workspace).only("id", "name").order_by("name"))
    return {"evaluations": evaluations, "form": form or OpenEvaluationForm(alliances), "has_alliances": bool(alliances)}


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
    return render(request, "web/evaluation/detail.html", context)


@workspace_required(Role.VIEWER)
def evaluation_answer(request, evaluation_id: int):
    evaluation = _evaluation(request, evaluation_id)
    own = party_of(evaluation.alliance, request.workspace)
    response = next((r for r in evaluation.responses.all() if r.party_id == own.pk), None)
    audience = response.audience if response else actions.audience_for(own.organization)
    questionnaire = response.questionnaire if response else evaluation.questionnaire
    questions = actions.questions_for(questionnaire, audience)
    initial = {}
    if response is not None:
        initial = {a.question.code: a.value for a in response.answers.all()}
    readonly = evaluation.is_closed or not role_at_least(request.workspace_role, Role.MEMBER)
    status = 200
    if request.method == "POST":
        _require_writer(request)
        form = AnswerForm(questions, request.POST)
        form.is_valid()
        answers = {q.code: request.POST.get(q.code, "") for q in questions}
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
                return redirect("web:evaluation_detail", evaluation_id=evaluation.pk)
        status = 400
    else:
        form = AnswerForm(questions, initial=initial, disabled=readonly)
    return render(
        request,
        "web/evaluation/answer.html",
        {
            "evaluation": evaluation,
            "own_party": own,
            "response": response,
            "form": form,
            "readonly": readonly,
            "audience_label": dict(actions.Audience.choices)[audience],
        },
        status=status,
    )


def _post_action(request, evaluation_id: int, run, success: str):
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
