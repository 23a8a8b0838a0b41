"""API of the evaluation area: questionnaires, evaluations, answers, scores, reports (no business rule here)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db.models import F
from django.http import Http404, HttpResponse
from django.urls import reverse
from django.utils import timezone
from ninja import Field, Router, Schema, Status
from ninja.errors import HttpError

from maillage.alliances.models import Alliance
from maillage.api.auth import require_role
from maillage.core.tenancy import get_visible_or_404
from maillage.evaluation import actions
from maillage.evaluation.models import Evaluation, Objective, Questionnaire, ResponseLink
from maillage.evaluation.questionnaire import CODE, current_questionnaire
from maillage.evaluation.report import cross_context, evaluations_for, render_pdf, report_context

router = Router(tags=["Évaluation"])


class QuestionOut(Schema):
    code: str
    impact: str
    audience: str
    kind: str
    text: str
    help_text: str
    scale_labels: list[str]
    scale_type: str = Field(..., description="agreement (compte dans le score), level, change ou share")
    min_value: int | None
    max_value: int | None
    unit: str


class QuestionnaireOut(Schema):
    version: int
    title: str
    introduction: str
    published_on: date
    questions: list[QuestionOut]


class PartyState(Schema):
    party_id: int
    organization: str
    audience: str
    state: str = Field(..., description="own, visible, hidden (envoyée, visible à la clôture) ou pending")


class EvaluationOut(Schema):
    id: int
    alliance_id: int
    alliance_name: str
    period_label: str
    period_start: date
    period_end: date
    status: str
    questionnaire_version: int
    opened_by_workspace_id: int


class EvaluationDetail(EvaluationOut):
    parties: list[PartyState]


class EvaluationIn(Schema):
    alliance_id: int
    period_label: str = Field(..., max_length=100)
    period_start: date
    period_end: date


class AnswersIn(Schema):
    answers: dict[str, Any] = Field(
        ...,
        description=(
            "code de question → valeur (1 à 5, nombre ou texte ; « nsp » pour ne sait pas / non applicable) ; "
            "objective_<id> → résultat atteint pour un objectif"
        ),
    )
    party_id: int | None = Field(None, description="facultatif : votre propre partie")
    submit: bool = Field(False, description="true pour envoyer, false pour un brouillon")


class ResponseOut(Schema):
    party_id: int
    organization: str
    audience: str
    questionnaire_version: int
    submitted_at: datetime | None
    shared_early: bool
    answers: dict[str, Any]


class ShareIn(Schema):
    shared: bool = True


class RemindersOut(Schema):
    reminded: list[str]


class ImpactScore(Schema):
    impact: str
    label: str
    score: int | None
    mean: Decimal | None
    spread: Decimal | None
    diverges: bool
    divergent_questions: list[str]
    party_means: dict[str, Decimal | None]
    answered: int = Field(..., description="parties dont la vue (envoyée, visible) fonde le score")
    concerned: int = Field(..., description="parties de la période")
    not_known: int = Field(..., description="réponses « ne sait pas / non applicable »")
    coverage: str
    views: str = Field(..., description="aucune vue, une seule vue, convergentes ou divergentes")


class ObjectiveResultOut(Schema):
    party: str
    value: Decimal | None
    not_known: bool
    progress: Decimal | None = Field(None, description="% du chemin entre la valeur de départ et la cible")


class ObjectiveOut(Schema):
    id: int
    owner: str
    title: str
    indicator: str
    unit: str
    baseline: Decimal
    target: Decimal
    period_start: date
    period_end: date
    results: list[ObjectiveResultOut]
    measured: Decimal | None
    flags: list[str]


class FlagOut(Schema):
    party: str
    what: str
    declared: str
    measured: str
    message: str


class HistoryRow(Schema):
    evaluation_id: int
    period_label: str
    period_end: date
    status: str
    scores: dict[str, int | None]


class KindOut(Schema):
    kind: str
    count: int
    received: Decimal
    promised: Decimal
    hours: Decimal


class IndicatorsOut(Schema):
    by_kind: list[KindOut]
    total_value: Decimal
    skills_hours: Decimal
    people_engaged: int
    interactions: int
    interaction_minutes: int
    invested_hours: Decimal
    relationship_months: int | None
    association_share: Decimal | None


class ScoresOut(Schema):
    method: str
    impacts: list[ImpactScore]
    objectives: list[ObjectiveOut]
    flags: list[FlagOut] = Field(..., description="déclarations éloignées de ce que Maillage a mesuré")
    history: list[HistoryRow]
    indicators: IndicatorsOut


def evaluation_out(e: Evaluation) -> dict:
    return {
        "id": e.pk,
        "alliance_id": e.alliance_id,
        "alliance_name": e.alliance.name,
        "period_label": e.period_label,
        "period_start": e.period_start,
        "period_end": e.period_end,
        "status": e.status,
        "questionnaire_version": e.questionnaire.version,
        "opened_by_workspace_id": e.opened_by_workspace_id,
    }


def _evaluation(request, evaluation_id: int) -> Evaluation:
    return get_visible_or_404(evaluations_for(request.workspace), pk=evaluation_id)


def _answerable(request, evaluation_id: int) -> Evaluation:
    """An evaluation of an alliance the workspace is a party of, or (decision 0017) one it answered before leaving."""
    try:
        return _evaluation(request, evaluation_id)
    except Http404:
        return get_visible_or_404(
            actions.former_evaluations(request.workspace).select_related("alliance", "questionnaire"),
            pk=evaluation_id,
        )


def _questionnaire_out(q: Questionnaire) -> dict:
    return {
        "version": q.version,
        "title": q.title,
        "introduction": q.introduction,
        "published_on": q.published_on,
        "questions": [
            {
                "code": x.code,
                "impact": x.impact,
                "audience": x.audience,
                "kind": x.kind,
                "text": x.text,
                "help_text": x.help_text,
                "scale_labels": x.scale_labels,
                "scale_type": x.scale_type,
                "min_value": x.min_value,
                "max_value": x.max_value,
                "unit": x.unit,
            }
            for x in q.questions.all()
        ],
    }


@router.get("/questionnaires/current", response=QuestionnaireOut, summary="Le questionnaire en vigueur")
def get_current_questionnaire(request):
    return _questionnaire_out(current_questionnaire())


@router.get("/questionnaires/{int:version}", response=QuestionnaireOut, summary="Une version du questionnaire")
def get_questionnaire(request, version: int):
    return _questionnaire_out(get_visible_or_404(Questionnaire.objects.filter(code=CODE), version=version))


@router.get("", response=list[EvaluationOut], summary="Évaluations de mes alliances")
def list_evaluations(request):
    return [
        evaluation_out(e)
        for e in Evaluation.objects.visible_to(request.workspace).select_related("alliance", "questionnaire")
    ]


@router.post("", response={201: EvaluationDetail}, summary="Ouvrir une évaluation d'une alliance")
def open_evaluation(request, payload: EvaluationIn):
    require_role(request)
    alliance = get_visible_or_404(Alliance.objects.visible_to(request.workspace), pk=payload.alliance_id)
    evaluation = actions.open_evaluation(
        alliance=alliance,
        workspace=request.workspace,
        user=request.user,
        period_label=payload.period_label,
        period_start=payload.period_start,
        period_end=payload.period_end,
    )
    return Status(201, _detail(request, evaluation.pk))


def _detail(request, evaluation_id: int) -> dict:
    evaluation = _evaluation(request, evaluation_id)
    view = cross_context(evaluation, request.workspace)["view"]
    return {
        **evaluation_out(evaluation),
        "parties": [
            {"party_id": c.party_id, "organization": c.name, "audience": c.audience, "state": c.state}
            for c in view.columns
        ],
    }


@router.get("/{int:evaluation_id}", response=EvaluationDetail, summary="Une évaluation et l'état des réponses")
def get_evaluation(request, evaluation_id: int):
    return _detail(request, evaluation_id)


def _response_out(r) -> dict:
    return {
        "party_id": r.party_id,
        "organization": r.party.organization.name,
        "audience": r.audience,
        "questionnaire_version": r.questionnaire.version,
        "submitted_at": r.submitted_at,
        "shared_early": r.shared_early,
        "answers": {a.question.code: a.value for a in r.answers.all()},
    }


@router.get("/{int:evaluation_id}/answers", response=list[ResponseOut], summary="Les réponses que je peux voir")
def list_answers(request, evaluation_id: int):
    evaluation = _answerable(request, evaluation_id)
    own = actions.answering_party(evaluation, request.workspace)
    return [
        _response_out(r)
        for r in evaluation.responses.select_related("questionnaire", "party__organization").prefetch_related(
            "answers__question"
        )
        # a party that left sees its own answers only (decision 0017)
        if (r.party_id == own.pk if own.left_at else actions.can_see(r, own.pk, evaluation))
    ]


@router.put("/{int:evaluation_id}/answers", response=ResponseOut, summary="Répondre (brouillon ou envoi)")
def put_answers(request, evaluation_id: int, payload: AnswersIn):
    require_role(request)
    evaluation = _answerable(request, evaluation_id)
    party = None
    if payload.party_id is not None:
        party = next((p for p in evaluation.alliance.parties.all() if p.pk == payload.party_id), None)
        if party is None:
            raise HttpError(422, "party_id : cette organisation n'est pas partie à l'alliance évaluée.")
    response = actions.save_answers(
        evaluation=evaluation,
        workspace=request.workspace,
        user=request.user,
        answers=payload.answers,
        party=party,
        submit=payload.submit,
    )
    return _response_out(response)


@router.post("/{int:evaluation_id}/share", response=ResponseOut, summary="Partager mes réponses avant la clôture")
def share(request, evaluation_id: int, payload: ShareIn):
    require_role(request)
    evaluation = _evaluation(request, evaluation_id)
    return _response_out(
        actions.share_early(
            evaluation=evaluation, workspace=request.workspace, user=request.user, shared=payload.shared
        )
    )


@router.post("/{int:evaluation_id}/close", response=EvaluationOut, summary="Clôturer l'évaluation")
def close(request, evaluation_id: int):
    require_role(request)
    evaluation = _evaluation(request, evaluation_id)
    return evaluation_out(
        actions.close_evaluation(evaluation=evaluation, workspace=request.workspace, user=request.user)
    )


@router.post("/{int:evaluation_id}/reminders", response=RemindersOut, summary="Relancer les parties sans réponse")
def remind(request, evaluation_id: int):
    require_role(request)
    evaluation = _evaluation(request, evaluation_id)
    parties = actions.send_reminders(evaluation=evaluation, workspace=request.workspace, user=request.user)
    return {"reminded": [p.organization.name for p in parties]}


@router.get("/{int:evaluation_id}/scores", response=ScoresOut, summary="Scores, divergences, indicateurs, historique")
def scores(request, evaluation_id: int):
    evaluation = _evaluation(request, evaluation_id)
    context = report_context(evaluation, request.workspace)
    view, indicators = context["view"], context["indicators"]
    names = {c.party_id: c.name for c in view.columns}
    return {
        "method": context["score_method"],
        "impacts": [
            {
                "impact": i.impact,
                "label": i.label,
                "score": i.score,
                "mean": i.mean,
                "spread": i.spread,
                "diverges": i.diverges,
                "divergent_questions": [r.code for r in i.divergent_rows],
                "party_means": {names[pid]: m for pid, m in i.party_means.items()},
                "answered": i.answered,
                "concerned": i.concerned,
                "not_known": i.not_known,
                "coverage": i.coverage,
                "views": i.views,
            }
            for i in view.impacts
        ],
        "objectives": [
            {
                "id": line.objective.pk,
                "owner": line.owner,
                "title": line.objective.title,
                "indicator": line.objective.indicator,
                "unit": line.objective.unit,
                "baseline": line.objective.baseline,
                "target": line.objective.target,
                "period_start": line.objective.period_start,
                "period_end": line.objective.period_end,
                "results": [
                    {"party": r.party, "value": r.value, "not_known": r.not_known, "progress": r.progress}
                    for r in line.results
                ],
                "measured": line.measured,
                "flags": line.flags,
            }
            for line in context["objectives"]
        ],
        "flags": [vars(f) for f in context["flags"]],
        "history": [
            {
                "evaluation_id": row["evaluation"].pk,
                "period_label": row["evaluation"].period_label,
                "period_end": row["evaluation"].period_end,
                "status": row["evaluation"].status,
                "scores": row["scores"],
            }
            for row in context["history"]
        ],
        "indicators": {
            "by_kind": [
                {"kind": k.kind, "count": k.count, "received": k.received, "promised": k.promised, "hours": k.hours}
                for k in indicators.by_kind
            ],
            "total_value": indicators.total_value,
            "skills_hours": indicators.skills_hours,
            "people_engaged": indicators.people_engaged,
            "interactions": indicators.interactions,
            "interaction_minutes": indicators.interaction_minutes,
            "invested_hours": indicators.invested_hours,
            "relationship_months": indicators.relationship_months,
            "association_share": indicators.association_share,
        },
    }


@router.get("/{int:evaluation_id}/report.pdf", summary="Bilan de partenariat (PDF)")
def report_pdf(request, evaluation_id: int):
    evaluation = _evaluation(request, evaluation_id)
    pdf = render_pdf(report_context(evaluation, request.workspace), base_url=request.build_absolute_uri("/"))
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="bilan-partenariat-{evaluation.pk}.pdf"'
    return response


# --- Objectives of an alliance (each party's own, and the common-good one stated by the lead party) ---


class ObjectiveIn(Schema):
    common_good: bool = Field(False, description="true : l'objectif d'intérêt général (partie pilote)")
    title: str = Field(..., max_length=300)
    indicator: str = Field(..., max_length=200)
    unit: str = Field(..., max_length=30)
    baseline: str = Field(..., max_length=20, description="valeur de départ, par ex. 0")
    target: str = Field(..., max_length=20, description="cible, par ex. 100")
    period_start: date
    period_end: date
    measure: str = Field("", description="chiffre mesuré à rapprocher (facultatif)")


class DeclaredObjectiveOut(Schema):
    id: int
    alliance_id: int
    common_good: bool
    party_id: int | None
    owner: str
    title: str
    indicator: str
    unit: str
    baseline: Decimal
    target: Decimal
    period_start: date
    period_end: date
    measure: str


def _alliance(request, alliance_id: int) -> Alliance:
    return get_visible_or_404(
        Alliance.objects.visible_to(request.workspace).prefetch_related("parties__organization"), pk=alliance_id
    )


def _objective_out(o: Objective) -> dict:
    return {
        "id": o.pk,
        "alliance_id": o.alliance_id,
        "common_good": o.party_id is None,
        "party_id": o.party_id,
        "owner": o.party.organization.name if o.party is not None else "Intérêt général",
        "title": o.title,
        "indicator": o.indicator,
        "unit": o.unit,
        "baseline": o.baseline,
        "target": o.target,
        "period_start": o.period_start,
        "period_end": o.period_end,
        "measure": o.measure,
    }


@router.get(
    "/alliances/{int:alliance_id}/objectives",
    response=list[DeclaredObjectiveOut],
    summary="Les objectifs d'une alliance (de chaque partie et d'intérêt général)",
)
def list_objectives(request, alliance_id: int):
    alliance = _alliance(request, alliance_id)
    return [
        _objective_out(o)
        for o in Objective.objects.filter(alliance=alliance)
        .select_related("party__organization")
        .order_by(F("party_id").asc(nulls_first=True), "id")
    ]


@router.post(
    "/alliances/{int:alliance_id}/objectives",
    response={201: DeclaredObjectiveOut},
    summary="Déclarer un objectif (le vôtre, ou celui d'intérêt général si vous êtes la partie pilote)",
)
def declare_objective(request, alliance_id: int, payload: ObjectiveIn):
    require_role(request)
    alliance = _alliance(request, alliance_id)
    objective = actions.declare_objective(
        alliance=alliance, workspace=request.workspace, user=request.user, **payload.dict()
    )
    return Status(201, _objective_out(Objective.objects.select_related("party__organization").get(pk=objective.pk)))


@router.delete(
    "/alliances/{int:alliance_id}/objectives/{int:objective_id}",
    response={204: None},
    summary="Retirer un objectif sur lequel personne n'a encore rapporté",
)
def withdraw_objective(request, alliance_id: int, objective_id: int):
    require_role(request)
    alliance = _alliance(request, alliance_id)
    objective = get_visible_or_404(Objective.objects.filter(alliance=alliance), pk=objective_id)
    actions.withdraw_objective(objective=objective, workspace=request.workspace, user=request.user)
    return Status(204, None)


# --- Personal links: a party without a Maillage workspace answers from outside (decision 0017) ---


class LinkIn(Schema):
    party_id: int
    email: str = Field(..., max_length=254)


class LinkOut(Schema):
    id: int
    evaluation_id: int
    party_id: int
    organization: str
    email: str
    state: str = Field(..., description="active, used, expired ou revoked")
    created_at: datetime
    expires_at: datetime


def _link_out(link: ResponseLink) -> dict:
    response = link.response
    return {
        "id": link.pk,
        "evaluation_id": response.evaluation_id,
        "party_id": response.party_id,
        "organization": response.party.organization.name,
        "email": link.email,
        "state": link.state(timezone.now()),
        "created_at": link.created_at,
        "expires_at": link.expires_at,
    }


def _links(evaluation: Evaluation):
    return ResponseLink.objects.filter(response__evaluation=evaluation).select_related("response__party__organization")


@router.get("/{int:evaluation_id}/links", response=list[LinkOut], summary="Les liens personnels envoyés")
def list_links(request, evaluation_id: int):
    return [_link_out(link) for link in _links(_evaluation(request, evaluation_id))]


@router.post(
    "/{int:evaluation_id}/links",
    response={201: LinkOut},
    summary="Envoyer un lien personnel à une partie sans espace Maillage (une fois, 30 jours, révocable)",
    description="Le lien part par e-mail à l'adresse donnée ; il n'est jamais renvoyé par l'API.",
)
def create_link(request, evaluation_id: int, payload: LinkIn):
    require_role(request)
    evaluation = _evaluation(request, evaluation_id)
    party = next((p for p in evaluation.alliance.parties.all() if p.pk == payload.party_id), None)
    if party is None:
        raise HttpError(422, "party_id : cette organisation n'est pas partie à l'alliance évaluée.")
    link, _ = actions.create_response_link(
        evaluation=evaluation,
        party=party,
        workspace=request.workspace,
        user=request.user,
        email=payload.email,
        url_for=lambda token: request.build_absolute_uri(reverse("web:evaluation_outside", args=[token])),
        request=request,
    )
    return Status(201, _link_out(_links(evaluation).get(pk=link.pk)))


@router.post("/{int:evaluation_id}/links/{int:link_id}/revoke", response=LinkOut, summary="Révoquer un lien personnel")
def revoke_link(request, evaluation_id: int, link_id: int):
    require_role(request)
    evaluation = _evaluation(request, evaluation_id)
    link = get_visible_or_404(_links(evaluation), pk=link_id)
    actions.revoke_response_link(link=link, workspace=request.workspace, user=request.user, request=request)
    return _link_out(_links(evaluation).get(pk=link.pk))
