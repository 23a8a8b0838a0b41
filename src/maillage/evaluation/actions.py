"""Evaluation actions: open, answer, share early, close, remind. Called alike by pages, API and commands.

Every action takes the acting ``workspace``; a workspace that is not an active party of the alliance gets 404
(existence not disclosed). Errors are ``ValidationError`` keyed by field (a question's code for an answer), in French.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Mapping
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.http import Http404
from django.utils import timezone

from maillage.alliances.actions import party_of
from maillage.alliances.models import Alliance, Party, PartyRole
from maillage.audit.actions import record_event
from maillage.core.mail import send_after_commit
from maillage.core.roles import Role
from maillage.evaluation.models import (
    NOT_KNOWN,
    Answer,
    Audience,
    Evaluation,
    EvaluationStatus,
    Measure,
    Objective,
    ObjectiveResult,
    Question,
    QuestionKind,
    Response,
    ResponseLink,
)
from maillage.evaluation.questionnaire import current_questionnaire
from maillage.organizations.models import PUBLIC_KINDS, Kind
from maillage.workspaces.models import Membership

MAX_TEXT = 1000
REMINDER_INTERVAL = timedelta(hours=20)
LINK_VALID_DAYS = 30
OBJECTIVE_PREFIX = "objective_"
NOT_KNOWN_WORDS = {NOT_KNOWN, "ne sait pas", "non applicable", "nsp/na", "na", "n/a"}


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


def _check_alliance_dates(
    alliance: Alliance, start: date | None, end: date | None, what: str, *, looks_ahead: bool = False
) -> dict:
    """A period outside the alliance's dates is refused: nothing of the alliance can be evaluated there."""
    errors: dict[str, list[str]] = {}
    if start and alliance.starts_on and start < alliance.starts_on:
        errors["period_start"] = [
            f"L'alliance « {alliance.name} » a commencé le {alliance.starts_on:%d/%m/%Y} : {what} ne peut pas "
            f"commencer avant. Commencez-la le {alliance.starts_on:%d/%m/%Y} ou plus tard."
        ]
    if end and alliance.ends_on and end > alliance.ends_on:
        errors["period_end"] = [
            f"L'alliance « {alliance.name} » prend fin le {alliance.ends_on:%d/%m/%Y} : {what} ne peut pas finir "
            f"après. Terminez-la le {alliance.ends_on:%d/%m/%Y} au plus tard."
        ]
    if not looks_ahead and start and start > timezone.localdate():
        errors["period_start"] = [
            f"La période commence le {start:%d/%m/%Y}, dans le futur : on évalue ce qui a déjà eu lieu."
        ]
    return errors


@transaction.atomic
def open_evaluation(
    *, alliance: Alliance, workspace, user, period_label: str, period_start: date | None, period_end: date | None
) -> Evaluation:
    """Open an evaluation of the alliance for a period; every party sharing the alliance is asked to answer."""
    party_of(alliance, workspace)
    label = (period_label or "").strip()
    errors = _check_period(label, period_start, period_end)
    if not errors:
        errors = _check_alliance_dates(alliance, period_start, period_end, "la période évaluée")
    if errors:
        raise ValidationError(errors)
    assert period_start is not None and period_end is not None  # _check_period refused a missing date
    if Evaluation.objects.filter(alliance=alliance, period_start=period_start, period_end=period_end).exists():
        raise ValidationError(
            {
                "period_start": [
                    f"Une évaluation de cette alliance existe déjà pour la période du {period_start:%d/%m/%Y} au "
                    f"{period_end:%d/%m/%Y} : ouvrez-la plutôt que d'en créer une autre."
                ]
            }
        )
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


def former_evaluations(workspace):
    """Evaluations a party that LEFT the alliance answered in, for periods that started before it left.

    Decision 0017: such a party keeps access to its own answers there — it sees them, and reopens and corrects them
    until the evaluation is closed — and to nothing else (not the alliance, not the other parties' answers, not the
    evaluations of periods that started after it left).
    """
    if workspace is None:
        return Evaluation.objects.none()
    return (
        Evaluation.objects.filter(
            responses__party__workspace=workspace,
            responses__party__left_at__isnull=False,
            responses__party__left_at__date__gt=F("period_start"),
        )
        .exclude(alliance__in=Alliance.objects.visible_to(workspace))  # still a party: the usual pages
        .distinct()
    )


def former_party(evaluation: Evaluation, workspace) -> Party:
    """The party through which a workspace that left the alliance answered this evaluation, or 404."""
    for response in Response.objects.filter(evaluation=evaluation, party__workspace=workspace).select_related(
        "party__organization"
    ):
        party = response.party
        if party.left_at is not None and timezone.localdate(party.left_at) > evaluation.period_start:
            return party
    raise Http404("Évaluation introuvable.")


def answering_party(evaluation: Evaluation, workspace) -> Party:
    """The party that answers for ``workspace``: its active party, else the party it was before leaving (0017)."""
    try:
        return party_of(evaluation.alliance, workspace)
    except Http404:
        return former_party(evaluation, workspace)


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
    if isinstance(raw, str) and raw.strip().lower() in NOT_KNOWN_WORDS:
        return {"not_known": True}, None
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
                f"à 5 ({question.scale_labels[-1].lower()}), ou « {NOT_KNOWN} » (ne sait pas / non applicable)."
            )
        return {"scale_value": value}, None
    number = _decimal(raw)
    if number is None:
        return {}, f"« {raw} » n'est pas un nombre : écrivez par exemple 12, ou « {NOT_KNOWN} » si vous ne savez pas."
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

    A party answers only for itself, from its own workspace: ``party``, when given, must be that party. A party
    that left answers (corrects) only an evaluation of a period that started before it left (decision 0017).
    """
    own = answering_party(evaluation, workspace)
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
    return _record(response_for(evaluation, own), evaluation, answers, user=user, submit=submit)


def objectives_for(evaluation: Evaluation, party: Party) -> list[Objective]:
    """The objectives a party reports on in an evaluation: its own and the common-good ones, for the period."""
    return [
        o
        for o in Objective.objects.filter(
            alliance_id=evaluation.alliance_id,
            period_start__lte=evaluation.period_end,
            period_end__gte=evaluation.period_start,
        ).order_by(F("party_id").asc(nulls_first=True), "id")
        if o.party_id is None or o.party_id == party.pk
    ]


def _parse_result(raw) -> tuple[dict, str | None]:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return {}, None
    if isinstance(raw, str) and raw.strip().lower() in NOT_KNOWN_WORDS:
        return {"not_known": True}, None
    number = _decimal(raw)
    if number is None or abs(number) >= Decimal("1e12"):
        return {}, f"« {raw} » n'est pas un nombre : écrivez la valeur atteinte (par exemple 12), ou « {NOT_KNOWN} »."
    return {"value": number.quantize(Decimal("0.01"))}, None


def _decimal(raw) -> Decimal | None:
    if isinstance(raw, bool):
        return None
    try:
        number = Decimal(str(raw).strip().replace(",", ".").replace(" ", "").replace("\u202f", ""))
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _record(response: Response, evaluation: Evaluation, answers: Mapping[str, object], *, user, submit: bool):
    """Replace a response's answers and objective results; ``submit`` sends them (every scale answered)."""
    questions = {q.code: q for q in questions_for(response.questionnaire, response.audience)}
    objectives = {f"{OBJECTIVE_PREFIX}{o.pk}": o for o in objectives_for(evaluation, response.party)}
    errors: dict[str, list[str]] = {}
    unknown = sorted(set(map(str, answers)) - set(questions) - set(objectives))
    if unknown:
        errors["answers"] = [
            f"Question(s) inconnue(s) pour votre questionnaire (version {response.questionnaire.version}) : "
            f"{', '.join(unknown[:10])}."
        ]
    rows = []
    for code, question in questions.items():
        stored, error = _parse(question, answers.get(code))
        if error:
            errors[code] = [error]
        elif submit and question.kind == QuestionKind.SCALE and not stored:
            errors[code] = [
                "Choisissez une note de 1 à 5, ou « Ne sait pas / non applicable », pour envoyer vos réponses "
                "(ou enregistrez un brouillon)."
            ]
        elif stored and (stored.get("text_value", None) != ""):
            rows.append(Answer(response=response, question=question, **stored))
    results = []
    for key, objective in objectives.items():
        stored, error = _parse_result(answers.get(key))
        if error:
            errors[key] = [error]
        elif stored:
            results.append(ObjectiveResult(response=response, objective=objective, **stored))
    if errors:
        raise ValidationError(errors)
    response.answers.all().delete()
    response.objective_results.all().delete()
    Answer.objects.bulk_create(rows)
    ObjectiveResult.objects.bulk_create(results)
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
    emails = _recipients([p.workspace_id for p, _ in pending if p.workspace_id is not None])
    reminded = []
    for party, response in pending:
        recipients = sorted(set(emails.get(party.workspace_id, []) if party.workspace_id is not None else []))
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


# --- Objectives (Le RAMEAU: the evaluation starts from each party's objectives and the common-good objective) ---

# Said when an alliance becomes « formalisée » (page and API): an invitation, never a blocking form.
OBJECTIVES_INVITATION = (
    "L'alliance est formalisée : c'est le moment pour chaque partie de déclarer ses objectifs, et pour la partie "
    "pilote l'objectif d'intérêt général, chacun avec son indicateur (unité, valeur de départ, cible, période). "
    "Les évaluations rendront compte des résultats au regard de ces objectifs."
)


def _lead_party(alliance: Alliance) -> Party | None:
    return next((p for p in alliance.parties.all() if p.role == PartyRole.LEAD and p.left_at is None), None)


@transaction.atomic
def declare_objective(
    *,
    alliance: Alliance,
    workspace,
    user,
    common_good: bool,
    title: str,
    indicator: str,
    unit: str,
    baseline,
    target,
    period_start: date | None,
    period_end: date | None,
    measure: str = "",
) -> Objective:
    """State an objective with its indicator: the acting party's own, or (lead party) the common-good objective.

    Each party states its own objectives; the common-good objective is the alliance's, stated by the lead party
    (by any party when the alliance has no active lead). Its period lies within the alliance's dates.
    """
    own = party_of(alliance, workspace)
    errors: dict[str, list[str]] = {}
    if common_good:
        lead = _lead_party(alliance)
        if lead is not None and lead.pk != own.pk:
            errors["common_good"] = [
                f"L'objectif d'intérêt général est fixé par la partie pilote (« {lead.organization} ») : "
                "proposez-le lui, ou déclarez ici un objectif propre à votre organisation."
            ]
    title, indicator, unit = (str(v or "").strip() for v in (title, indicator, unit))
    if len(title) < 3:
        errors["title"] = ["Écrivez l'objectif en une phrase (par exemple « Rompre l'isolement des aînés »)."]
    elif len(title) > 300:
        errors["title"] = ["L'objectif compte 300 caractères au plus : résumez-le."]
    if not indicator:
        errors["indicator"] = [
            "Nommez l'indicateur qui dira si l'objectif est atteint (par exemple « Aînés visités »)."
        ]
    elif len(indicator) > 200:
        errors["indicator"] = ["L'indicateur compte 200 caractères au plus."]
    if not unit:
        errors["unit"] = ["Indiquez l'unité de l'indicateur (personnes, heures, €, %…)."]
    elif len(unit) > 30:
        errors["unit"] = ["L'unité compte 30 caractères au plus."]
    values = {}
    for field, raw, label in (("baseline", baseline, "la valeur de départ"), ("target", target, "la cible")):
        number = _decimal(raw) if raw not in (None, "") else None
        if number is None or abs(number) >= Decimal("1e12"):
            errors[field] = [f"Indiquez {label} en chiffres (par exemple 0 ou 120)."]
        else:
            values[field] = number.quantize(Decimal("0.01"))
    if not errors.get("baseline") and not errors.get("target") and values["baseline"] == values["target"]:
        errors["target"] = ["La cible est égale à la valeur de départ : indiquez ce que l'alliance doit changer."]
    if measure not in Measure.values:
        errors["measure"] = ["Choisissez une mesure de la liste, ou « Déclaré par les parties seulement »."]
    period = _check_period("objectif", period_start, period_end)
    period.pop("period_label", None)
    errors.update(period)
    if not period:
        errors.update(_check_alliance_dates(alliance, period_start, period_end, "l'objectif", looks_ahead=True))
    if errors:
        raise ValidationError(errors)
    assert period_start is not None and period_end is not None  # _check_period refused a missing date
    return Objective.objects.create(
        alliance=alliance,
        party=None if common_good else own,
        title=title,
        indicator=indicator,
        unit=unit,
        baseline=values["baseline"],
        target=values["target"],
        period_start=period_start,
        period_end=period_end,
        measure=measure,
        created_by_workspace=workspace,
        created_by=user,
    )


@transaction.atomic
def withdraw_objective(*, objective: Objective, workspace, user) -> None:
    """Remove an objective nobody has reported on yet (its party, or the lead party for the common good)."""
    own = party_of(objective.alliance, workspace)
    if objective.party_id is not None and objective.party_id != own.pk:
        raise ValidationError({"objective": ["Seule la partie qui a déclaré cet objectif peut le retirer."]})
    if objective.party_id is None:
        lead = _lead_party(objective.alliance)
        if lead is not None and lead.pk != own.pk:
            raise ValidationError(
                {
                    "objective": [
                        f"L'objectif d'intérêt général se retire par la partie pilote (« {lead.organization} »)."
                    ]
                }
            )
    if objective.results.exists():
        raise ValidationError(
            {
                "objective": [
                    "Des résultats ont déjà été rapportés sur cet objectif : il reste, pour que les bilans passés "
                    "gardent leur sens. Déclarez-en un nouveau pour la suite."
                ]
            }
        )
    objective.delete()


# --- Personal links: a party without an account answers from outside ---


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def create_response_link(
    *, evaluation: Evaluation, party: Party, workspace, user, email: str, url_for: Callable[[str], str], request=None
) -> tuple[ResponseLink, str]:
    """Send a personal link to the person who answers for a party without a Maillage workspace.

    Single use (spent when the answers are sent), valid 30 days, revocable; only the SHA-256 of the token is kept
    and a new link revokes the previous one. Returns the link and the token (shown nowhere else than in the e-mail).
    """
    from django.core.validators import validate_email

    party_of(evaluation.alliance, workspace)
    errors: dict[str, list[str]] = {}
    if Evaluation.objects.select_for_update().get(pk=evaluation.pk).is_closed:
        errors["evaluation"] = ["Cette évaluation est clôturée : plus personne ne peut y répondre."]
    if party.alliance_id != evaluation.alliance_id or party.left_at is not None:
        errors["party"] = ["Cette organisation n'est pas (ou plus) partie à l'alliance évaluée."]
    elif party.workspace_id is not None:
        errors["party"] = [
            f"« {party.organization} » a son espace Maillage : elle répond depuis son espace, sans lien personnel."
        ]
    email = (email or "").strip()
    try:
        validate_email(email)
    except ValidationError:
        errors["email"] = ["Adresse e-mail invalide : vérifiez-la (par exemple prenom.nom@exemple.fr)."]
    if errors:
        raise ValidationError(errors)
    response = response_for(evaluation, party)
    if response.is_submitted:
        raise ValidationError({"party": [f"« {party.organization} » a déjà envoyé ses réponses."]})
    now = timezone.now()
    ResponseLink.objects.filter(response=response, used_at__isnull=True, revoked_at__isnull=True).update(revoked_at=now)
    token = secrets.token_urlsafe(32)
    link = ResponseLink.objects.create(
        response=response,
        token_hash=hash_token(token),
        email=email,
        created_by_workspace=workspace,
        created_by=user,
        expires_at=now + timedelta(days=LINK_VALID_DAYS),
    )
    record_event(
        action="evaluation.link_created",
        actor=user,
        workspace=workspace,
        target=link,
        target_label=f"{party.organization} — {evaluation}",
        details={"evaluation": evaluation.pk, "party": party.pk, "email": email},
        request=request,
    )
    send_after_commit(
        subject=f"Évaluation de l'alliance « {evaluation.alliance.name} » : l'avis de {party.organization}",
        message=(
            f"Bonjour,\n\n{workspace} vous invite à donner l'avis de {party.organization} sur l'alliance "
            f"« {evaluation.alliance.name} », pour la période « {evaluation.period_label} » (du "
            f"{evaluation.period_start:%d/%m/%Y} au {evaluation.period_end:%d/%m/%Y}).\n\n"
            f"Ce lien personnel, sans compte à créer, sert une seule fois et vaut {LINK_VALID_DAYS} jours :\n"
            f"{url_for(token)}\n\nNe le transférez pas : il permet de répondre au nom de {party.organization}. "
            "Vos réponses restent privées jusqu'à la clôture de l'évaluation."
        ),
        recipient_list=[email],
    )
    return link, token


@transaction.atomic
def revoke_response_link(*, link: ResponseLink, workspace, user, request=None) -> ResponseLink:
    evaluation = link.response.evaluation
    party_of(evaluation.alliance, workspace)
    link = ResponseLink.objects.select_for_update().get(pk=link.pk)
    if link.used_at:
        raise ValidationError({"link": ["Ce lien a déjà servi : les réponses sont envoyées."]})
    if link.revoked_at:
        raise ValidationError({"link": ["Ce lien est déjà révoqué."]})
    link.revoked_at = timezone.now()
    link.save(update_fields=["revoked_at"])
    record_event(
        action="evaluation.link_revoked",
        actor=user,
        workspace=workspace,
        target=link,
        target_label=f"{link.response.party.organization} — {evaluation}",
        details={"evaluation": evaluation.pk, "party": link.response.party_id},
        request=request,
    )
    return link


LINK_GONE = {
    "revoked": "Ce lien a été révoqué par l'alliance : demandez-en un nouveau à la personne qui vous l'a envoyé.",
    "used": "Ce lien a déjà servi : les réponses ont été envoyées. Merci !",
    "expired": "Ce lien a expiré : demandez-en un nouveau à la personne qui vous l'a envoyé.",
    "closed": "Cette évaluation est clôturée : elle ne reçoit plus de réponses.",
}


def link_from_token(token: str) -> tuple[ResponseLink | None, str]:
    """The link of a token and its state (``active``, ``used``, ``expired``, ``revoked``, ``closed``), or None."""
    if not token or len(token) > 100:
        return None, ""
    link = (
        ResponseLink.objects.select_related(
            "response__party__organization", "response__evaluation__alliance", "response__questionnaire"
        )
        .filter(token_hash=hash_token(token))
        .first()
    )
    if link is None:
        return None, ""
    state = link.state(timezone.now())
    if state == "active" and link.response.evaluation.is_closed:
        state = "closed"
    return link, state


@transaction.atomic
def answer_by_link(*, token: str, answers: Mapping[str, object], request=None) -> Response:
    """Send a party's answers through its personal link; the link is then spent."""
    link, _ = link_from_token(token)
    if link is None:
        raise Http404("Lien introuvable.")
    link = ResponseLink.objects.select_for_update().get(pk=link.pk)
    evaluation = Evaluation.objects.select_for_update().get(pk=link.response.evaluation_id)
    state = link.state(timezone.now())
    if state == "active" and evaluation.is_closed:
        state = "closed"
    if state != "active":
        raise ValidationError({"link": [LINK_GONE[state]]})
    response = _record(link.response, evaluation, answers, user=None, submit=True)
    response.answered_by_link = True
    response.save(update_fields=["answered_by_link"])
    link.used_at = timezone.now()
    link.save(update_fields=["used_at"])
    record_event(
        action="evaluation.answered_by_link",
        workspace=link.created_by_workspace,
        target=link,
        target_label=f"{response.party.organization} — {evaluation}",
        details={"evaluation": evaluation.pk, "party": response.party_id},
        request=request,
    )
    return response
