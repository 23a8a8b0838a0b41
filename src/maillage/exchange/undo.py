"""Undoing an import as one operation: delete what it created, or refuse and say what depends on it."""

from __future__ import annotations

from collections import defaultdict

from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import router, transaction
from django.db.models import ProtectedError, RestrictedError
from django.db.models.deletion import Collector
from django.utils import timezone

from maillage.alliances import totals as alliance_totals
from maillage.audit.actions import record_event
from maillage.contributions import totals as contribution_totals
from maillage.contributions.models import Contribution
from maillage.exchange.models import ImportedRow, ImportJob, JobStatus

# Rows an action writes along with the object it creates: deleting them with it is part of undoing it.
COMPANIONS = {
    "alliances.Party",
    "alliances.StageChange",
    "alliances.Attendance",
    "alliances.PartyTime",
    "alliances.Interaction_contacts",
    "organizations.SearchToken",
    "organizations.Organization_causes",
    "contributions.SkillsLine",
    "contributions.Counterpart",
    "contributions.ReceivedSum",
    "exchange.ImportedRow",
}
ORDER = [
    "contributions.Contribution",
    "alliances.Interaction",
    "alliances.Agreement",
    "alliances.Alliance",
    "organizations.Contact",
    "organizations.Organization",
]
NAMES = {
    "receipts.IndividualGift": "don(s) de particulier(s)",
    "contributions.Contribution": "contribution(s)",
    "alliances.Interaction": "échange(s)",
    "alliances.Agreement": "convention(s)",
    "alliances.Alliance": "alliance(s)",
    "alliances.AllianceNote": "note(s) d'alliance",
    "alliances.PartyInvitation": "invitation(s)",
    "organizations.Contact": "contact(s)",
    "organizations.Organization": "organisation(s)",
    "organizations.PrivateNote": "note(s) privée(s)",
    "workspaces.Workspace": "espace(s) de travail",
}


def _label(model) -> str:
    return f"{model._meta.app_label}.{model._meta.object_name}"


@transaction.atomic
def undo_import(*, job: ImportJob, user=None, request=None) -> int:
    """Delete every row the job created, in one transaction; refuse if anything else depends on them."""
    job = ImportJob.objects.select_for_update().get(pk=job.pk)
    if job.status == JobStatus.UNDONE:
        raise ValidationError("Cet import a déjà été annulé.")
    if job.is_active:
        raise ValidationError("L'import est en cours : attendez qu'il se termine pour l'annuler.")
    created: defaultdict[str, set[int]] = defaultdict(set)
    for model, pk in ImportedRow.objects.filter(job=job, created=True).values_list("model", "object_id"):
        if pk is not None:  # a created row always names its object
            created[model].add(pk)
    imported = Contribution.objects.filter(created_by_workspace=job.workspace_id, import_job=job)  # decision 0005
    for pk in imported.values_list("pk", flat=True):
        created["contributions.Contribution"].add(pk)
    # The sums kept on write lose what goes (a refusal below rolls this back with the rest).
    contribution_totals.add_received(
        contribution_totals.items(Contribution.objects.filter(pk__in=created.get("contributions.Contribution", ()))),
        sign=-1,
    )
    minutes = alliance_totals.minutes_of_interactions(created.get("alliances.Interaction", ()))
    alliance_totals.add_minutes({party: -m for party, m in minutes.items()})
    # One model after another, dependents first (a contribution protects the party it comes from): inside this
    # transaction, a refusal at any step rolls back the steps before it.
    for label in sorted(created, key=lambda m: ORDER.index(m) if m in ORDER else len(ORDER)):
        objects = list(apps.get_model(label).objects.filter(pk__in=created[label]))
        if objects:
            _delete_checked(objects, created)
    total = sum(len(v) for v in created.values())
    ImportedRow.objects.filter(job=job).delete()
    job.status = JobStatus.UNDONE
    job.finished_at = timezone.now()
    job.message = f"Import annulé : {total} ligne(s) créée(s) supprimée(s)."
    job.save(update_fields=["status", "finished_at", "message"])
    record_event(
        action="import.undone",
        actor=user,
        workspace=job.workspace,
        target=job,
        details={"filename": job.filename, "entity": job.entity, "deleted_rows": total},
        request=request,
    )
    return total


def _delete_checked(objects: list, created: dict) -> None:
    collector = Collector(using=router.db_for_write(ImportJob))
    try:
        collector.collect(objects)
    except (ProtectedError, RestrictedError) as exc:
        refused: defaultdict[str, int] = defaultdict(int)
        for obj in exc.protected_objects if isinstance(exc, ProtectedError) else exc.restricted_objects:
            refused[_label(type(obj))] += 1
        raise ValidationError(_refusal(refused)) from exc
    counted: defaultdict[str, int] = defaultdict(int)
    for model, instances in collector.data.items():
        label = _label(model)
        if label not in COMPANIONS:
            counted[label] += sum(1 for obj in instances if obj.pk not in created.get(label, ()))
    for qs in collector.fast_deletes:
        label = _label(qs.model)
        if label not in COMPANIONS:
            counted[label] += qs.exclude(pk__in=created.get(label, ())).count()
    blockers = {k: v for k, v in counted.items() if v}
    if blockers:
        raise ValidationError(_refusal(blockers))
    collector.delete()


def _refusal(blockers: dict) -> str:
    detail = ", ".join(f"{n} {NAMES.get(label, label)}" for label, n in sorted(blockers.items()))
    return (
        "Impossible d'annuler cet import : des données saisies depuis dépendent des lignes qu'il a créées "
        f"({detail}). Supprimez-les d'abord, ou gardez l'import."
    )
