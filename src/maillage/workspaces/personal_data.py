"""Personal data of the accounts: users (members of the workspace), invitations sent to an address, requests to
join. A user account is deleted by its holder (``workspaces.actions.delete_account``), never by a workspace."""

from __future__ import annotations

from maillage.core.personal_data import DELETE, REDACT, Source

SOURCES = [
    Source(
        key="users",
        label="Comptes utilisateurs (membres de l'espace)",
        model="workspaces.User",
        workspace="memberships__workspace",
        match=("full_name", "email"),
        show=("full_name", "email", "date_joined", "last_login"),
        refused="un compte se supprime par son titulaire (Mon compte › Supprimer mon compte) ; retirez-le des "
        "membres pour lui ôter l'accès à l'espace",
        category="utilisateurs",
    ),
    Source(
        key="invitations",
        label="Invitations dans l'espace",
        model="workspaces.Invitation",
        workspace="workspace",
        match=("email",),
        show=("email", "role", "created_at", "accepted_at"),
        erase=DELETE,
        category="utilisateurs",
    ),
    Source(
        key="join_requests",
        label="Demandes à rejoindre l'espace (message)",
        model="workspaces.JoinRequest",
        workspace="workspace",
        match=("message",),
        show=("user", "message", "created_at"),
        erase=REDACT,
        text=("message",),
        category="utilisateurs",
    ),
]
