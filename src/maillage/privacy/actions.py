"""Actions of the privacy area (GDPR): export a person's data, erase it (with the legal holds written in the
sources), purge what is past its retention, delete one's own account. Pages, API and CLI call these alone."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from maillage.audit.actions import record_event
from maillage.audit.guard import redaction_allowed
from maillage.audit.models import AuditEvent
from maillage.core.personal_data import ANONYMISE, DELETE, ERASED, REDACT, Source, redact, redact_value, sources
from maillage.core.roles import Role, role_at_least
from maillage.core.spreadsheets import neutralise
from maillage.privacy.models import HeldErasure
from maillage.privacy.queries import Found, clean_query, find_person, held_until, rows_as_dicts
from maillage.workspaces.models import ApiToken, Invitation, JoinRequest, Membership, Workspace


def _require_admin(workspace, role: str | None) -> None:
    if workspace is None or not role_at_least(role, Role.ADMIN):
        raise PermissionDenied(
            "Seuls les administrateurs et propriétaires de l'espace gèrent les données personnelles."
        )


def _json_default(value: Any):
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return str(value)


def _csv(rows: list[dict[str, Any]]) -> bytes:
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    headers = list(rows[0]) if rows else []
    writer.writerow(headers)
    for row in rows:
        cells = []
        for value in row.values():
            value = neutralise(value)
            if isinstance(value, Decimal):
                value = str(value).replace(".", ",")
            elif isinstance(value, datetime):
                value = timezone.localtime(value).strftime("%d/%m/%Y %H:%M") if timezone.is_aware(value) else value
            elif isinstance(value, date):
                value = value.strftime("%d/%m/%Y")
            elif isinstance(value, dict | list):
                value = json.dumps(value, ensure_ascii=False, default=_json_default)
            cells.append(value)
        writer.writerow(cells)
    return buffer.getvalue().encode("utf-8")


def export_person(*, workspace, user, role: str | None, query: str, request=None) -> bytes:
    """A ZIP of everything the workspace holds about the person: ``donnees.json`` (every source, French labels) and
    one CSV per source (right of access, art. 15; portability, art. 20). Journaled without the name."""
    _require_admin(workspace, role)
    query = clean_query(query)
    found = find_person(workspace, query)
    now = timezone.now()
    document = {
        "espace": workspace.name,
        "recherche": query,
        "exporté le": now.isoformat(),
        "sources": [
            {
                "source": f.source.label,
                "nombre": f.count,
                "conservé jusqu'au (obligation légale)": {str(k): v.isoformat() for k, v in f.held.items()},
                "lignes": rows_as_dicts(f),
            }
            for f in found
        ],
    }
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("donnees.json", json.dumps(document, ensure_ascii=False, indent=1, default=_json_default))
        for f in found:
            archive.writestr(f"{f.source.key}.csv", _csv(rows_as_dicts(f)))
        archive.writestr("LISEZMOI.txt", README.format(workspace=workspace.name, date=f"{now:%d/%m/%Y}"))
    record_event(
        action="privacy.exported",
        actor=user,
        workspace=workspace,
        details={"sources": {f.source.key: f.count for f in found}},
        request=request,
    )
    return output.getvalue()


README = """Données personnelles détenues par l'espace « {workspace} » de Maillage, exportées le {date}.

donnees.json : toutes les données trouvées, source par source, avec des libellés en français.
<source>.csv : les mêmes lignes, un fichier par source (séparateur point-virgule, UTF-8).
Les lignes « conservé jusqu'au » sont gardées par obligation légale (reçus fiscaux : 6 ans, LPF art. L. 102 B).
"""


def _identities(found: list[Found], query: str) -> list[str]:
    """The searched words plus the identifying values of the rows found (name, e-mail, address of a contact or a
    donor): replaced in free text and in the journal too."""
    terms = {query}
    for f in found:
        if f.source.erase == REDACT or f.source.custom_find is not None or f.source.refused:
            continue
        for row in f.rows:
            for path in f.source.match:
                if "__" in path:
                    continue
                value = getattr(row, path, None)
                if isinstance(value, str) and len(value.strip()) >= 3 and value.strip() != ERASED:
                    terms.add(value.strip())
    return sorted(terms, key=len, reverse=True)


def erase_rows(source: Source, queryset, terms: list[str]) -> int:
    """Erase the rows as their source says (delete, anonymise, redact the terms, or its own way)."""
    if source.custom_erase is not None:
        return source.custom_erase(queryset, terms)
    if source.erase == DELETE:
        count = queryset.count()
        queryset.delete()
        return count
    count = 0
    model = queryset.model
    for row in queryset:
        values: dict[str, Any] = {}
        if source.erase == ANONYMISE:
            for name, value in source.anonymise.items():
                values[name] = value(row) if callable(value) else value
        for name in source.text:
            values[name] = redact(getattr(row, name) or "", terms)
        if values:
            model._default_manager.filter(pk=row.pk).update(**values)
            count += 1
    return count


# Order: the rows that point to others first (presences before contacts), the journal last.
def _ordered(found: list[Found]) -> list[Found]:
    return sorted(found, key=lambda f: (f.source.key == "journal", f.source.erase != DELETE))


@transaction.atomic
def erase_person(*, workspace, user, role: str | None, query: str, request=None) -> dict[str, Any]:
    """Erase or anonymise everything the workspace holds about the person (right to erasure, art. 17).

    The rows the law keeps (an issued receipt, a gift that has one: LPF art. L. 102 B) are recorded as
    :class:`HeldErasure` and erased by the daily purge when their hold ends; user accounts are refused (their
    holder deletes them). Totals keep their numbers: gifts and skills lines are anonymised, not deleted. Journaled
    with counts, never the name. Returns ``{"erased": {source: n}, "held": {source: n}, "refused": {source: why}}``.
    """
    _require_admin(workspace, role)
    query = clean_query(query)
    found = find_person(workspace, query)
    terms = _identities(found, query)
    result: dict[str, Any] = {"erased": {}, "held": {}, "refused": {}, "held_until": {}}
    for f in _ordered(found):
        source = f.source
        if source.refused:
            result["refused"][source.label] = source.refused
            continue
        for pk, until in f.held.items():
            HeldErasure.objects.update_or_create(
                source=source.key,
                object_id=pk,
                defaults={
                    "workspace": workspace,
                    "hold_until": until,
                    "reason": source.hold_reason[:300],
                    "requested_by": user,
                },
            )
        if f.held:
            result["held"][source.label] = len(f.held)
            result["held_until"][source.label] = max(f.held.values()).isoformat()
        free = [row.pk for row in f.rows if row.pk not in f.held]
        if free:
            queryset = source.model_class._default_manager.filter(pk__in=free)
            result["erased"][source.label] = erase_rows(
                source, queryset, terms if source.erase == REDACT or source.custom_erase else [query]
            )
    # Free text elsewhere in the workspace may name the person by an identity found on a row (the e-mail of the
    # contact searched by name): replaced too.
    if len(terms) > 1:
        for f in find_person(workspace, query, terms=terms):
            if f.source.erase == REDACT or f.source.key == "journal":
                erase_rows(f.source, f.source.model_class._default_manager.filter(pk__in=[r.pk for r in f.rows]),
                           terms)  # fmt: skip
    record_event(
        action="privacy.erased",
        actor=user,
        workspace=workspace,
        details={
            "erased": {f.source.key: result["erased"].get(f.source.label, 0) for f in found},
            "held": {f.source.key: len(f.held) for f in found if f.held},
        },
        request=request,
    )
    return result


def purge_personal_data(*, today: date | None = None) -> dict[str, int]:
    """Daily: erase the held rows whose hold has ended, then every row past its source's retention (except the
    rows still held by the law). Journaled with the counts; returns ``{source key: rows erased}``."""
    today = today or timezone.localdate()
    counts: dict[str, int] = {}
    by_key = {s.key: s for s in sources()}
    for held in HeldErasure.objects.filter(hold_until__lt=today).order_by("hold_until", "id"):
        source = by_key.get(held.source)
        with transaction.atomic():
            if source is None:
                held.delete()
                continue
            queryset = source.model_class._default_manager.filter(pk=held.object_id)
            row = queryset.first()
            if row is None:
                held.delete()
                continue
            until = held_until(source, row, today)
            if until is not None:  # still kept (a new receipt): wait again
                HeldErasure.objects.filter(pk=held.pk).update(hold_until=until)
                continue
            erased = erase_rows(source, queryset, [])
            counts[source.key] = counts.get(source.key, 0) + erased
            if source.erase != DELETE or not queryset.exists():
                held.delete()
    for source in sources():
        if source.retention is None:
            continue
        with transaction.atomic():
            expired = source.retention.expired(source.model_class._default_manager.all(), today)
            rows = list(expired.order_by("pk")[:10000])
            free = [row.pk for row in rows if held_until(source, row, today) is None]
            if free:
                erased = erase_rows(source, source.model_class._default_manager.filter(pk__in=free), [])
                if erased:
                    counts[source.key] = counts.get(source.key, 0) + erased
    if counts:
        record_event(action="privacy.purged", details={"erased": counts, "date": today.isoformat()})
    return counts


def retention_rules() -> list[tuple[Source, str]]:
    """Each source's retention in French, with its configured period (for the register and the pages)."""
    rules = []
    for source in sources():
        if source.retention is None:
            continue
        n = getattr(settings, source.retention.setting, "") if source.retention.setting else ""
        rules.append((source, source.retention.describe.format(n=n)))
    return rules


@transaction.atomic
def delete_own_account(*, user, password: str, request=None) -> None:
    """A user deletes their own account. Their workspaces' data stays with the workspaces; a sole owner of a
    workspace must first name another owner. The account is anonymised (not deleted: the rows that point to it
    keep their meaning, « compte supprimé »), its memberships and tokens revoked, its name and address replaced in
    the journal, its login attempts forgotten."""

    if not user.is_authenticated:
        raise PermissionDenied("Connectez-vous pour supprimer votre compte.")
    if not user.check_password(password or ""):
        raise ValidationError({"password": ["Mot de passe incorrect : saisissez celui de votre compte."]})
    memberships = Membership.objects.active().filter(user=user, role=Role.OWNER).select_related("workspace")
    alone = [
        m.workspace.name
        for m in memberships
        if not Membership.objects.active().filter(workspace=m.workspace, role=Role.OWNER).exclude(user=user).exists()
    ]
    if alone:
        names = ", ".join(f"« {name} »" for name in sorted(alone))
        raise ValidationError(
            {
                "__all__": [
                    f"Vous êtes le seul propriétaire de {names} : nommez d'abord un autre propriétaire "
                    "(Espace › Membres), puis supprimez votre compte."
                ]
            }
        )
    old = [t for t in (user.email, user.full_name) if t and len(t) >= 3]
    now = timezone.now()
    workspaces = list(Membership.objects.active().filter(user=user).values_list("workspace", flat=True))
    Membership.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=now)
    ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=now)
    JoinRequest.objects.filter(user=user).update(message="")
    Invitation.objects.filter(email__iexact=user.email).delete()
    _forget_login_attempts(user.email)
    user.email = f"compte-supprime-{user.pk}@invalid.invalid"
    user.full_name = "Compte supprimé"
    user.is_active = False
    user.email_verified_at = None
    user.set_unusable_password()
    user.save()

    events = AuditEvent.objects.filter(
        Q(actor_id=user.pk)
        | Q(target_type="User", target_id=str(user.pk))
        | Q(actor_label__in=old)
        | Q(target_label__in=old)  # fmt: skip
    )
    with redaction_allowed(connection):
        for event in events:
            AuditEvent.objects.filter(pk=event.pk).update(
                actor_label=f"Compte supprimé n° {user.pk}"
                if event.actor_id == user.pk
                else redact(event.actor_label, old),
                target_label=redact(event.target_label, old),
                details=_redact_json(event.details, old),
            )
    journaled: list[int | None] = [*workspaces] or [None]  # no workspace: one event without one
    for workspace_id in journaled:
        record_event(
            action="auth.account_deleted",
            actor=user,
            workspace=None if workspace_id is None else _workspace(workspace_id),
            target=user,
            request=request,
        )


def _workspace(pk):
    return Workspace.objects.get(pk=pk)


def _redact_json(value, terms):
    return redact_value(value, terms)


def _forget_login_attempts(email: str) -> None:
    """django-axes keeps the failed logins it locks on, by username (the e-mail)."""
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog

    for model in (AccessAttempt, AccessFailureLog, AccessLog):
        model.objects.filter(username__iexact=email).delete()
