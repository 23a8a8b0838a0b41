"""Decision 0016, continued: the lead's admins hear of a proposal by e-mail, and the lead hands its role over.

Re-exported by :mod:`maillage.alliances.actions`.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from maillage.alliances.lead import lead_parties, require_lead
from maillage.alliances.lifecycle import Stage
from maillage.alliances.models import Alliance, Party, PartyRole, Proposal, ProposalKind
from maillage.audit.actions import record_event


def _lead_admins(alliance: Alliance) -> list[str]:
    """The e-mail addresses of the owners and admins of the lead parties' workspaces."""
    from maillage.core.roles import Role
    from maillage.workspaces.models import Membership

    workspaces = [p.workspace_id for p in lead_parties(alliance)]
    if not workspaces:
        return []
    emails = (
        Membership.objects.active()
        .filter(workspace_id__in=workspaces, role__in=[Role.OWNER, Role.ADMIN])
        .values_list("user__email", flat=True)
    )
    return sorted({e for e in emails if e})


def tell_the_lead(proposal: Proposal, workspace, user) -> None:
    """An e-mail to the lead's owners and admins once the proposal is committed (never when it is rolled back)."""
    from maillage.core.mail import send_after_commit

    recipients = _lead_admins(proposal.alliance)
    if not recipients:
        return
    alliance = proposal.alliance
    if proposal.kind == ProposalKind.STAGE:
        what = f"de passer l'alliance à l'étape « {Stage(proposal.to_stage).label} »"
    else:
        what = "de modifier la description de l'alliance (" + ", ".join(sorted(proposal.changes)) + ")"
    reason = f"\n\nSa raison : {proposal.reason}" if proposal.reason else ""
    send_after_commit(
        subject=f"{workspace.organization} propose un changement pour l'alliance « {alliance.name} »",
        message=(
            f"Bonjour,\n\n{user} ({workspace.organization}) propose {what}.{reason}\n\n"
            "Votre organisation pilote cette alliance : c'est à elle de décider. Ouvrez l'alliance dans Maillage "
            "pour accepter ou refuser la proposition (votre réponse est visible de toutes les parties)."
        ),
        recipient_list=recipients,
    )


# --- handing the lead role over ------------------------------------------------------------------------------------


@transaction.atomic
def hand_over_lead(*, alliance: Alliance, workspace, user, party_id: int, reason: str = "") -> Party:
    """The lead hands its role over to another active party that shares the alliance (has a workspace); the
    former lead becomes a partner. Journaled; the pending proposals are answered by the new lead."""
    from maillage.alliances.actions import party_of

    own = party_of(alliance, workspace)
    require_lead(alliance, workspace, "de transmettre le rôle de pilote")
    target = Party.objects.select_for_update().filter(alliance=alliance, pk=party_id).first()
    if target is None or target.left_at is not None:
        raise ValidationError({"party": ["Choisissez une partie active de cette alliance."]})
    if target.workspace_id is None:
        raise ValidationError(
            {
                "party": [
                    f"{target.organization} ne partage pas encore l'alliance (pas d'espace sur Maillage) : "
                    "invitez-la d'abord, elle pourra piloter une fois l'invitation acceptée."
                ]
            }
        )
    if target.workspace_id == workspace.pk:
        raise ValidationError({"party": ["Votre organisation pilote déjà : choisissez une autre partie."]})
    reason = (reason or "").strip()
    if len(reason) > 2000:
        raise ValidationError({"reason": ["La raison compte 2 000 caractères au plus."]})
    former = [p for p in alliance.parties.all() if p.workspace_id == workspace.pk and p.role == PartyRole.LEAD]
    if not former and own.role == PartyRole.LEAD:
        former = [own]
    Party.objects.filter(pk__in=[p.pk for p in former]).update(role=PartyRole.PARTNER)
    target.role = PartyRole.LEAD
    target.save(update_fields=["role"])
    Alliance.objects.filter(pk=alliance.pk).update(updated_at=timezone.now())
    record_event(
        action="sharing.lead_handed_over",
        actor=user,
        workspace=workspace,
        target=alliance,
        details={
            "from": str(workspace.organization),
            "to": str(target.organization),
            "party": target.pk,
            "reason": reason[:500],
        },
    )
    return target
