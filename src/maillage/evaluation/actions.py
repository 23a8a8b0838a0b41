"""Evaluation actions: open, answer, share early, close, remind. Called alike by pages, API and commands.

Every action takes the acting ``workspace``; a workspace that is not an active party of the alliance gets 404
(existence not disclosed). Errors are ``ValidationError`` keyed by field (a question's code for an answer), in French.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from maillage.alliances.actions import party_of
from maillage.alliances.models import Alliance, Party
from maillage.core.mail import send_after_commit
from maillage.core.roles import Role
from maillage.evaluation.models import (
    Answer,
    Audience,
    Evaluation,
    EvaluationStatus,
    Question,
    QuestionKind,
    Response,
)
from maillage.evaluation.questionnaire import current_questionnaire
from maillage.organizations.models import PUBLIC_KINDS, Kind

MAX_TEXT = 1000
REMINDER_INTERVAL = timedelta(hours=20)


def audience_for(organization) -> str:
    """The variant of the performance questions a party answers, from the kind of its organisation."""
    if organization.kind == Kind.COMPANY:
        return Audience.COMPANY
    if organization.kind in PUBLIC_KINDS:
        return Audience.PUBLIC
    return Audience.ASSOCIATION


def questions_for(questionnaire, audience: str) -> list[Question]:
    return [q for q in questionnaire.questions.all() if q.asked_to(audience)]


def _check_period(label: str, start: date | None, end: date | None) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if not label:
        errors["period_label"] = ["Nommez la période évaluée (par ex. « Année 2025 » ou « Fin du projet »)."]
    elif len(label) > 100:
        errors["period_label"] = ["Le nom de la période compte 100 caractères au plus."]
    if start is None:
        errors["period_start"] = ["Indiquez le début de la période (JJ/MM/AAAA)."]
    if end is None:
        errors["period_end"] = ["Indiquez la fin de la période (JJ/MM/AAAA)."]
    if start and end:
        if end < start:
            errors["period_end"] = ["La fin de la période précède son début : corrigez l'une des deux dates."]
        elif (end - start).days > 366 * 10:
            errors["period_end"] = ["Une période évaluée dure dix ans au plus : découpez-la."]
        for field, day in (("period_start", start), ("period_end", end)):
            if not date(1990, 1, 1) <= day <= date(2100, 12, 31):
                errors[field] = ["Date hors de la plage admise (1990–2100)."]
    return errors


@transaction.atomic
def open_evaluation(
    *, alliance: Alliance, workspace, user, period_label: str, period_start: date | None, period_end: date | None
) -> Evaluation:
    """Open an evaluation of the alliance for a period; every party sharing the alliance is asked to answer."""
    party_of(alliance, workspace)
    label = (period_label or "").strip()
    errors = _check_period(label, period_start, period_end)
    if (
        not errors
        and Evaluation.objects.filter(alliance=alliance, period_start=period_start, period_end=period_end).exists()
    ):
        errors["period_start"] = [
            f"Une évaluation de cette alliance existe déjà pour la période du {period_start:%d/%m/%Y} au "
            f"{period_end:%d/%m/%Y} : ouvrez-la plutôt que d'en créer une autre."
        ]
    if errors:
        raise ValidationError(errors)
    evaluation = Evaluation.objects.create(
        alliance=alliance,
        questionnaire=current_questionnaire(),
        period_label=label,
        period_start=period_start,
        period_end=period_end,
        opened_by_workspace=workspace,
        opened_by=user,
    )
    parties = [p for p in alliance.parties.select_related("organization") if p.left_at is None and p.workspace_id]
    Response.objects.bulk_create(
        Response(
            evaluation=evaluation,
            party=p,
            questionnaire=evaluation.questionnaire,
            audience=audience_for(p.organization),
        )
        for p in parties
    )
    return evaluation


def response_for(evaluation: Evaluation, party: Party) -> Response:
    """The party's response sheet (created for a party that joined after the evaluation was opened)."""
    response, _ = Response.objects.get_or_create(
        evaluation=evaluation,
        party=party,
        defaults={"questionnaire": evaluation.questionnaire, "audience": audience_for(party.organization)},
    )
    return response


def _parse(question: Question, raw) -> tuple[dict, str | None]:
    """The stored value of one answer, or a French error saying what is wrong and how to fix it."""
    empty = raw is None or (isinstance(raw, str) and not raw.strip())
    if question.kind == QuestionKind.TEXT:
        text = "" if empty else str(raw).strip()
        if len(text) > MAX_TEXT:
            return {}, f"Réponse trop longue ({len(text)} caractères) : {MAX_TEXT} caractères au plus."
        return {"text_value": text}, None
    if empty:
        return {}, None
    if question.kind == QuestionKind.SCALE:
        if isinstance(raw, bool):
            raw = "?"
        try:
            value = int(str(raw).strip())
        except ValueError:
            value = None
        if value is None or not 1 <= value <= 5:
            return {}, (
                f"« {raw} » est hors de l'échelle : choisissez une note entière de 1 ({question.scale_labels[0].lower()}) "
                f"à 5 ({question.scale_labels[-1].lower()})."
            )
        return {"scale_value": value}, None
    try:
        number = Decimal(str(raw).strip().replace(",", ".").replace(" ", "").replace("\u202f", ""))
    except InvalidOperation:
        number = None
    if isinstance(raw, bool) or number is None or not number.is_finite():
        return {}, f"« {raw} » n'est pas un nombre : écrivez par exemple 12."
    low, high = question.min_value, question.max_value
    if (low is not None and number < low) or (high is not None and number > high):
        return {}, f"{raw} est hors des limites admises : entre {low} et {high:,} {question.unit}.".replace(",", " ")
    return {"number_value": number.quantize(Decimal("0.01"))}, None


@transaction.atomic
def save_answers(
    *,
    evaluation: Evaluation,
    workspace,
    user,
    answers: Mapping[str, object],
    party: Party | None = None,
    submit: bool = False,
) -> Response:
    """Record the acting party's answers (they replace its previous ones); ``submit`` sends them.

    A party answers only for itself, from its own workspace: ``party``, when given, must be that party.
    """
    own = party_of(evaluation.alliance, workspace)
    if party is not None and party.pk != own.pk:
        raise ValidationError(
            {
                "party": [
                    f"Vous agissez pour « {own.organization} » : vous ne pouvez pas répondre au nom de "
                    f"« {party.organization} ». Chaque partie répond depuis son propre espace."
                ]
            }
        )
    evaluation = Evaluation.objects.select_for_update().get(pk=evaluation.pk)
    if evaluation.is_closed:
        raise ValidationError({"evaluation": ["Cette évaluation est clôturée : ses réponses ne se modifient plus."]})
    response = response_for(evaluation, own)
    questions = {q.code: q for q in questions_for(response.questionnaire, response.audience)}
    errors: dict[str, list[str]] = {}
    unknown = sorted(set(answers) - set(questions))
    if unknown:
        errors["answers"] = [
            f"Question(s) inconnue(s) pour votre questionnaire (version {response.questionnaire.version}) : "
            f"{', '.join(map(str, unknown[:10]))}."
        ]
    rows = []
    for code, question in questions.items():
        stored, error = _parse(question, answers.get(code))
        if error:
            errors[code] = [error]
        elif submit and question.kind == QuestionKind.SCALE and "scale_value" not in stored:
            errors[code] = ["Choisissez une note de 1 à 5 pour envoyer vos réponses (ou enregistrez un brouillon)."]
        elif stored and (stored.get("text_value", None) != ""):
            rows.append(Answer(response=response, question=question, **stored))
    if errors:
        raise ValidationError(errors)
    response.answers.all().delete()
    Answer.objects.bulk_create(rows)
    if submit:
        response.submitted_at = timezone.now()
        response.submitted_by = user
    response.save()
    return response


@transaction.atomic
def share_early(*, evaluation: Evaluation, workspace, user, shared: bool = True) -> Response:
    """Let the other parties see the acting party's answers before the evaluation is closed (or stop it)."""
    own = party_of(evaluation.alliance, workspace)
    if evaluation.is_closed:
        raise ValidationError({"evaluation": ["L'évaluation est clôturée : toutes les réponses sont déjà partagées."]})
    response = response_for(evaluation, own)
    response.shared_early = bool(shared)
    response.save(update_fields=["shared_early", "updated_at"])
    return response


@transaction.atomic
def close_evaluation(*, evaluation: Evaluation, workspace, user) -> Evaluation:
    """Close the evaluation: answers are frozen and every party sees every submitted answer."""
    party_of(evaluation.alliance, workspace)
    evaluation = Evaluation.objects.select_for_update().select_related("opened_by_workspace").get(pk=evaluation.pk)
    if evaluation.is_closed:
        raise ValidationError({"evaluation": ["Cette évaluation est déjà clôturée."]})
    if evaluation.opened_by_workspace_id != workspace.pk:
        raise ValidationError(
            {
                "evaluation": [
                    f"Seul l'espace qui a ouvert l'évaluation (« {evaluation.opened_by_workspace} ») peut la clôturer."
                ]
            }
        )
    if not evaluation.responses.filter(submitted_at__isnull=False).exists():
        raise ValidationError(
            {"evaluation": ["Aucune partie n'a encore envoyé ses réponses : relancez-les avant de clôturer."]}
        )
    evaluation.status = EvaluationStatus.CLOSED
    evaluation.closed_at = timezone.now()
    evaluation.closed_by = user
    evaluation.save(update_fields=["status", "closed_at", "closed_by"])
    return evaluation


def _recipients(workspace_ids: list[int]) -> dict[int, list[str]]:
    from maillage.workspaces.models import Membership

    by_workspace: dict[int, list[str]] = {}
    rows = (
        Membership.objects.active()
        .filter(workspace_id__in=workspace_ids, role__in=[Role.OWNER, Role.ADMIN, Role.MEMBER])
        .values_list("workspace_id", "user__email")
    )
    for workspace_id, email in rows:
        by_workspace.setdefault(workspace_id, []).append(email)
    return by_workspace


@transaction.atomic
def send_reminders(*, evaluation: Evaluation, workspace=None, user=None, force: bool = False) -> list[Party]:
    """E-mail the members of every party that has not sent its answers; returns the parties reminded.

    A party reminded less than 20 hours ago is skipped (``force`` overrides), so that a button pressed twice or a
    daily command never floods anyone. ``workspace`` (when a person asks) must be a party of the alliance.
    """
    if workspace is not None:
        party_of(evaluation.alliance, workspace)
    if evaluation.is_closed:
        raise ValidationError({"evaluation": ["L'évaluation est clôturée : plus personne n'est à relancer."]})
    now = timezone.now()
    parties = [
        p
        for p in evaluation.alliance.parties.select_related("organization")
        if p.left_at is None and p.workspace_id and (workspace is None or p.workspace_id != workspace.pk)
    ]
    responses = {r.party_id: r for r in evaluation.responses.all()}
    pending = []
    for party in parties:
        response = responses.get(party.pk) or response_for(evaluation, party)
        if response.is_submitted:
            continue
        if not force and response.last_reminded_at and now - response.last_reminded_at < REMINDER_INTERVAL:
            continue
        pending.append((party, response))
    emails = _recipients([p.workspace_id for p, _ in pending])
    reminded = []
    for party, response in pending:
        recipients = sorted(set(emails.get(party.workspace_id, [])))
        if not recipients:
            continue
        send_after_commit(  # once the reminder dates are saved
            subject=f"Évaluation de l'alliance « {evaluation.alliance.name} » : votre avis est attendu",
            message=(
                f"Bonjour,\n\nL'évaluation « {evaluation.period_label} » de l'alliance « {evaluation.alliance.name} » "
                f"(du {evaluation.period_start:%d/%m/%Y} au {evaluation.period_end:%d/%m/%Y}) attend les réponses de "
                f"{party.organization}.\n\nConnectez-vous à l'espace de {party.organization} sur Maillage, puis ouvrez "
                "« Évaluations » : le questionnaire porte sur les trois impacts de l'alliance (performance des "
                "organisations, innovation territoriale, confiance et engagement) et prend une dizaine de minutes.\n\n"
                "Vos réponses restent privées jusqu'à la clôture, sauf si vous choisissez de les partager plus tôt."
            ),
            from_email=None,
            recipient_list=recipients,
        )
        response.last_reminded_at = now
        response.save(update_fields=["last_reminded_at"])
        reminded.append(party)
    return reminded


def can_see(response: Response, viewer_party_id: int | None, evaluation: Evaluation) -> bool:
    """A party sees its own answers; another party's once the evaluation is closed, or once shared early."""
    if response.party_id == viewer_party_id:
        return True
    return response.is_submitted and (evaluation.is_closed or response.shared_early)
