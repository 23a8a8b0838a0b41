"""Creating an import job from an upload: checks first, then the mapping guessed from the headers."""

from __future__ import annotations

from maillage.exchange.fields import guess_mapping
from maillage.exchange.models import Entity, ImportJob
from maillage.exchange.readers import FileRefused, content_hash, read_table, sniff_format


def create_job(*, workspace, user, entity: str, filename: str, content: bytes) -> ImportJob:
    """Refuse a bad file with a French message (``FileRefused``); otherwise an UPLOADED job with a mapping."""
    if entity not in Entity.values:
        raise FileRefused(f"Contenu inconnu « {entity} » : choisissez parmi {', '.join(Entity.values)}.")
    file_format = sniff_format(content)
    mapping: dict[str, str] = {}
    if entity == Entity.ARCHIVE:
        if file_format != "zip":
            raise FileRefused("Une archive complète est le fichier ZIP exporté par Maillage.")
        from maillage.exchange.archive import read_archive

        read_archive(content)
    else:
        if file_format == "zip":
            raise FileRefused("Ce fichier est une archive Maillage : choisissez « Archive complète ».")
        table = read_table(content)
        mapping = guess_mapping(entity, table.headers)
    return ImportJob.objects.create(
        workspace=workspace,
        created_by=user,
        entity=entity,
        filename=(filename or "fichier")[:255],
        file_format=file_format,
        content_hash=content_hash(content),
        content=content,
        mapping=mapping,
    )
