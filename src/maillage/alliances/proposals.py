"""Who decides in a shared alliance (decision 0016): the lead party's workspace; the others propose.

- The workspaces of the active parties whose role is « pilote » decide the stage (:func:`move_alliance`) and the
  description (:func:`update_alliance`). When no lead party is bound to a workspace (the lead has no account or
  left the shared space), nobody would be there to answer: every active party decides, as before the rule.
- Every other party proposes (:func:`propose_change`); the lead accepts (the change is made in its name, the
  proposer named in the stage log) or refuses with an answer. Proposals and answers are on the timeline and in
  the audit journal.
- What each party gives (contributions), the exchanges it joins (interactions), its notes and agreements stay
  open to every active party: they are its own record of the alliance, not decisions about it.

Re-exported by :mod:`maillage.alliances.actions` (one place to find every action of the area).
"""

from __future__ import annotations

from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from maillage.alliances.lifecycle import Stage, allowed_moves, is_allowed
from maillage.alliances.models import Alliance, PartyRole, Proposal, ProposalKind, ProposalStatus
from maillage.audit.actions import record_event

DESCRIPTION_FIELDS = ("name", "purpose", "forms", "territory_level", "territory_code", "starts_on", "ends_on")


class NotLead(PermissionDenied):
    """The workspace acts for a party of the alliance, but not for the party that leads it."""


def lead_parties(alliance: Alliance) -> list:
    return [p for p in alliance.parties.all() if p.role == PartyRole.LEAD and p.left_at is None and p.workspace_id]


def is_lead(alliance: Alliance, workspace) -> bool:
    """Whether ``workspace`` decides the stage and the description of ``alliance``."""
    leads = lead_parties(alliance)
    if not leads:
        return any(p.workspace_id == workspace.pk and p.left_at is None for p in alliance.parties.all())
    return any(p.workspace_id == workspace.pk for p in leads)


def require_lead(alliance: Alliance, workspace, what: str) -> None:
    if not is_lead(alliance, workspace):
        names = ", ".join(str(p.organization) for p in lead_parties(alliance))
        raise NotLead(
            f"Seule l'organisation pilote de l'alliance ({names}) décide {what}. "
            "Proposez-lui le changement depuis la page de l'alliance : elle l'acceptera ou le refusera."
        )


def _clean_changes(changes: dict) -> dict:
    unknown = set(changes) - set(DESCRIPTION_FIELDS)
    if unknown:
        raise ValidationError({field: ["Ce champ ne se propose pas ici."] for field in sorted(unknown)})
    cleaned = {}
    for key, value in changes.items():
        cleaned[key] = value.isoformat() if isinstance(value, date) else value
    if "name" in cleaned and not (cleaned["name"] or "").strip():
        raise ValidationError({"name": ["Le nom est obligatoire (200 caractères au plus)."]})
    if not cleaned:
        raise ValidationError({"changes": ["Indiquez au moins un changement à proposer."]})
    return cleaned


@transaction.atomic
def propose_change(
    *, alliance: Alliance, workspace, user, to_stage: str = "", changes: dict | None = None, reason: str = ""
) -> Proposal:
    """A party that does not lead proposes a stage (``to_stage``) or a new description (``changes``)."""
    from maillage.alliances.actions import party_of

    party = party_of(alliance, workspace)
    if is_lead(alliance, workspace):
        raise ValidationError(
            "Votre organisation pilote cette alliance : changez directement son étape ou sa description."
        )
    reason = (reason or "").strip()
    if len(reason) > 2000:
        raise ValidationError({"reason": ["La raison compte 2 000 caractères au plus."]})
    if to_stage:
        if to_stage not in Stage.values:
            raise ValidationError({"to_stage": [f"Étape inconnue « {to_stage[:40]} »."]})
        if not is_allowed(alliance.stage, to_stage):
            possible = ", ".join(Stage(s).label.lower() for s in allowed_moves(alliance.stage)) or "aucune"
            raise ValidationError(
                {
                    "to_stage": [
                        f"Passage impossible depuis « {Stage(alliance.stage).label} ». Étapes possibles : {possible}."
                    ]
                }
            )
        if to_stage == Stage.ABANDONED and not reason:
            raise ValidationError({"reason": ["Indiquez pourquoi vous proposez d'abandonner l'alliance."]})
        proposal = Proposal(alliance=alliance, kind=ProposalKind.STAGE, to_stage=to_stage)
    else:
        proposal = Proposal(alliance=alliance, kind=ProposalKind.DESCRIPTION, changes=_clean_changes(changes or {}))
    proposal.reason, proposal.by_workspace, proposal.by = reason, workspace, user
    proposal.save()
    record_event(
        action="sharing.proposal_made",
        actor=user,
        workspace=workspace,
        target=alliance,
        details={"proposal": proposal.pk, "kind": proposal.kind, "to_stage": to_stage, "party": party.pk},
    )
    from maillage.alliances.handover import tell_the_lead

    tell_the_lead(proposal, workspace, user)
    return proposal


def _pending(proposal: Proposal, workspace, what: str) -> Proposal:
    require_lead(proposal.alliance, workspace, what)
    proposal = Proposal.objects.select_for_update().get(pk=proposal.pk)
    if not proposal.is_pending:
        raise ValidationError(f"Cette proposition a déjà reçu sa réponse ({proposal.get_status_display().lower()}).")
    return proposal


@transaction.atomic
def accept_proposal(*, proposal: Proposal, workspace, user, answer: str = "") -> Proposal:
    """The lead accepts: the change is made in its name (the proposer is named in the stage log's reason)."""
    from maillage.alliances import actions

    alliance = proposal.alliance
    proposal = _pending(proposal, workspace, "des propositions")
    proposer = proposal.by_workspace.organization.name if proposal.by_workspace else "une partie"
    if proposal.kind == ProposalKind.STAGE:
        reason = f"Proposé par {proposer}" + (f" : {proposal.reason}" if proposal.reason else "")
        actions.move_alliance(
            alliance=alliance, workspace=workspace, user=user, to_stage=proposal.to_stage, reason=reason[:2000]
        )
    else:
        changes = dict(proposal.changes)
        for key in ("starts_on", "ends_on"):
            if changes.get(key):
                changes[key] = date.fromisoformat(changes[key])
        actions.update_alliance(alliance=alliance, workspace=workspace, user=user, **changes)
    return _decide(proposal, ProposalStatus.ACCEPTED, workspace, user, answer, "sharing.proposal_accepted")


@transaction.atomic
def refuse_proposal(*, proposal: Proposal, workspace, user, answer: str = "") -> Proposal:
    proposal = _pending(proposal, workspace, "des propositions")
    return _decide(proposal, ProposalStatus.REFUSED, workspace, user, answer, "sharing.proposal_refused")


def _decide(proposal: Proposal, status: str, workspace, user, answer: str, action: str) -> Proposal:
    answer = (answer or "").strip()
    if len(answer) > 2000:
        raise ValidationError({"answer": ["La réponse compte 2 000 caractères au plus."]})
    proposal.status, proposal.answer = status, answer
    proposal.decided_by_workspace, proposal.decided_by, proposal.decided_at = workspace, user, timezone.now()
    proposal.save(update_fields=["status", "answer", "decided_by_workspace", "decided_by", "decided_at"])
    record_event(
        action=action,
        actor=user,
        workspace=workspace,
        target=proposal.alliance,
        details={"proposal": proposal.pk, "kind": proposal.kind, "answer": answer[:200]},
    )
    return proposal
