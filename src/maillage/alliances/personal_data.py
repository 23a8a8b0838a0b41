"""Personal data of the alliances: who was present at an exchange, names written in reports and notes, e-mail
addresses of sharing invitations, the signed agreements' files."""

from __future__ import annotations

from maillage.core.personal_data import DELETE, REDACT, Source, erase_files, files_containing

SOURCES = [
    Source(
        key="attendances",
        label="Présences aux échanges",
        model="alliances.Interaction_contacts",
        workspace="interaction__workspace",
        match=("contact__name", "contact__email"),
        show=("contact__name", "interaction__occurred_on", "interaction__subject"),
        describe=lambda row: f"{row.contact.name}, présent(e) le {row.interaction.occurred_on:%d/%m/%Y}",
        erase=DELETE,
        category="contacts des organisations partenaires",
    ),
    Source(
        key="interactions",
        label="Échanges (objet et compte rendu)",
        model="alliances.Interaction",
        workspace="workspace",
        match=("subject", "notes"),
        show=("occurred_on", "subject", "notes"),
        erase=REDACT,
        text=("subject", "notes"),
        category="personnes nommées dans des notes libres",
    ),
    Source(
        key="alliance_notes",
        label="Notes privées sur les alliances",
        model="alliances.AllianceNote",
        workspace="workspace",
        match=("text",),
        show=("alliance", "text", "created_at"),
        erase=REDACT,
        text=("text",),
        category="personnes nommées dans des notes libres",
    ),
    Source(
        key="party_invitations",
        label="Invitations à partager une alliance",
        model="alliances.PartyInvitation",
        workspace="invited_by_workspace",
        match=("email",),
        show=("email", "created_at"),
        anonymise={"email": ""},
        category="contacts des organisations partenaires",
    ),
    Source(
        key="agreement_files",
        label="Accords signés (fichiers déposés)",
        model="alliances.Agreement",
        workspace="created_by_workspace",
        match=("file",),
        show=("title", "signed_on", "file"),
        custom_find=files_containing("file"),
        custom_erase=erase_files("file"),
        category="personnes nommées dans des fichiers déposés",
    ),
]
