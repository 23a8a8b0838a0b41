"""French labels of the journal's action names, families and objects (what the owners read on screen and in CSV).

Every action name recorded anywhere in the code has its label here: ``tests/audit/test_labels.py`` reads the
source for ``action="…"`` and fails on a name without one. A name recorded before a label existed still shows,
as "family label — name".
"""

from __future__ import annotations

FAMILIES: dict[str, str] = {
    "auth": "Connexion et compte",
    "membership": "Membres et rôles",
    "invitation": "Invitations dans l'espace",
    "api_token": "Jetons d'API",
    "claim": "Revendication de l'organisation",
    "join_request": "Demandes à rejoindre l'espace",
    "eligibility": "Habilitation à émettre des reçus",
    "receipt": "Reçus fiscaux",
    "accounting": "Export comptable",
    "import": "Imports",
    "export": "Exports",
    "archive": "Archive complète",
    "backup": "Sauvegardes",
    "sharing": "Partage d'alliances",
    "alliance": "Alliances",
    "alliance_settings": "Réglages des alliances",
    "contribution": "Contributions",
    "interaction": "Échanges des alliances",
    "agreement": "Accords des alliances",
    "organization": "Annuaire",
    "observatory": "Observatoire",
    "evaluation": "Évaluations des alliances",
    "audit": "Journal d'audit",
    "privacy": "Données personnelles (RGPD)",
}

ACTIONS: dict[str, str] = {
    # accounts (workspaces/actions.py, workspaces/signals.py, the account pages)
    "auth.login": "Connexion",
    "auth.login_failed": "Échec de connexion",
    "auth.logout": "Déconnexion",
    "auth.signed_up": "Inscription",
    "auth.email_verification_sent": "Lien de vérification de l'adresse envoyé",
    "auth.email_verified": "Adresse e-mail vérifiée",
    "auth.email_change_requested": "Changement d'adresse e-mail demandé",
    "auth.email_change_refused": "Changement d'adresse e-mail refusé (mot de passe erroné)",
    "auth.email_changed": "Adresse e-mail changée",
    "auth.profile_changed": "Profil modifié",
    "auth.password_changed": "Mot de passe changé",
    "auth.password_reset_requested": "Réinitialisation du mot de passe demandée",
    "auth.password_reset": "Mot de passe réinitialisé",
    "membership.role_changed": "Rôle modifié",
    "membership.revoked": "Membre retiré",
    "invitation.sent": "Invitation envoyée",
    "invitation.accepted": "Invitation acceptée",
    "invitation.cancelled": "Invitation annulée",
    "api_token.created": "Jeton d'API créé",
    "api_token.revoked": "Jeton d'API révoqué",
    # claims (organisation claims, join requests, eligibility)
    "claim.submitted": "Revendication déposée",
    "claim.approved": "Revendication approuvée",
    "claim.refused": "Revendication refusée",
    "claim.superseded": "Revendication close : une autre a été approuvée",
    "join_request.made": "Demande à rejoindre l'espace déposée",
    "join_request.accepted": "Demande à rejoindre l'espace acceptée",
    "join_request.refused": "Demande à rejoindre l'espace refusée",
    "eligibility.changed": "Habilitation modifiée",
    # receipts
    "receipt.issued": "Reçu émis",
    "receipt.cancelled": "Reçu annulé",
    "receipt.sent": "Reçu envoyé par e-mail au donateur",
    "accounting.exported": "Export comptable téléchargé",
    # exchange
    "import.started": "Import lancé",
    "import.finished": "Import terminé",
    "import.failed": "Import en échec",
    "import.undone": "Import annulé",
    "export.downloaded": "Export téléchargé",
    "archive.downloaded": "Archive complète téléchargée",
    "backup.created": "Sauvegarde de l'instance réalisée",
    "backup.restored": "Sauvegarde de l'instance restaurée",
    # alliances
    "alliance_settings.changed": "Délai de refroidissement des relations modifié",
    "alliance.created_from_funder": "Alliance ouverte avec un financeur du diagnostic",
    "sharing.invitation_sent": "Invitation à partager une alliance envoyée",
    "sharing.invitation_accepted": "Invitation à partager une alliance acceptée",
    "sharing.invitation_declined": "Invitation à partager une alliance refusée",
    "contribution.corrected": "Contribution corrigée (avant / après)",
    "interaction.corrected": "Échange corrigé (avant / après)",
    "agreement.corrected": "Accord corrigé (avant / après)",
    "organization.corrected": "Fiche d'organisation corrigée (avant / après)",
    "sharing.lead_handed_over": "Rôle de pilote transmis",
    "sharing.proposal_made": "Changement proposé au pilote d'une alliance",
    "sharing.proposal_accepted": "Proposition acceptée par le pilote de l'alliance",
    "sharing.proposal_refused": "Proposition refusée par le pilote de l'alliance",
    # observatory
    "observatory.consent_changed": "Participation à l'observatoire modifiée",
    "observatory.snapshot_forced": "Instantané de l'observatoire publié hors calendrier (forcé)",
    # evaluations answered from outside (evaluation/actions.py)
    "evaluation.link_created": "Lien personnel de réponse à une évaluation envoyé",
    "evaluation.link_revoked": "Lien personnel de réponse à une évaluation révoqué",
    "evaluation.answered_by_link": "Réponses à une évaluation envoyées par lien personnel",
    # the journal itself
    "audit.exported": "Journal d'audit exporté",
    # personal data (privacy/actions.py)
    "privacy.exported": "Données d'une personne exportées",
    "privacy.erased": "Données d'une personne effacées ou anonymisées",
    "privacy.purged": "Purge des données personnelles échues",
    "auth.account_deleted": "Compte supprimé par son titulaire",
}

TARGETS: dict[str, str] = {
    "Receipt": "Reçu",
    "ImportJob": "Import",
    "PartyInvitation": "Invitation de partage",
    "Workspace": "Espace",
    "Membership": "Adhésion",
    "Invitation": "Invitation",
    "ApiToken": "Jeton d'API",
    "User": "Compte",
    "Eligibility": "Habilitation",
    "Organization": "Organisation",
    "Interaction": "Échange",
    "Agreement": "Accord",
    "Alliance": "Alliance",
    "BatchRun": "Lot de reçus",
    "ResponseLink": "Lien de réponse à une évaluation",
}


def family_of(action: str) -> str:
    return action.split(".", 1)[0]


def action_label(action: str) -> str:
    if action in ACTIONS:
        return ACTIONS[action]
    family = FAMILIES.get(family_of(action))
    return f"{family} — {action}" if family else action


def target_label(target_type: str) -> str:
    return TARGETS.get(target_type, target_type)
