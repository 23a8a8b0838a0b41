"""Import jobs and what they created: the basis of progress, idempotency and undo."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from maillage.core.tenancy import WorkspaceScopedQuerySet


class Entity(models.TextChoices):
    ORGANIZATION = "organization", "Organisations"
    CONTACT = "contact", "Contacts"
    ALLIANCE = "alliance", "Alliances et leurs parties"
    CONTRIBUTION = "contribution", "Contributions"
    INTERACTION = "interaction", "Échanges (interactions)"
    DONATION = "donation", "Dons de particuliers (reçus fiscaux ; CSV, XLSX ou export HelloAsso)"
    ARCHIVE = "archive", "Archive complète d'un espace (ZIP)"


class JobStatus(models.TextChoices):
    UPLOADED = "uploaded", "Déposé"
    VALIDATED = "validated", "Vérifié"
    QUEUED = "queued", "En attente"
    RUNNING = "running", "En cours"
    DONE = "done", "Terminé"
    FAILED = "failed", "Échoué"
    UNDONE = "undone", "Annulé"


def import_upload_to(instance, filename: str) -> str:
    return f"imports/{instance.workspace_id}/{instance.content_hash[:16]}-{instance.pk or 'new'}.bin"


class ImportJob(models.Model):
    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.CASCADE, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    entity = models.CharField("contenu", max_length=14, choices=Entity.choices)
    filename = models.CharField("fichier", max_length=255)
    file_format = models.CharField(max_length=8)  # csv, xlsx, zip
    content_hash = models.CharField(max_length=64, db_index=True)
    content = models.BinaryField(blank=True)  # the file of a job uploaded before ``UploadChunk``; now empty
    # The person's choice when the detected ones were wrong (CSV only); empty: detected.
    encoding = models.CharField("encodage", max_length=16, blank=True)
    delimiter = models.CharField("séparateur", max_length=1, blank=True)
    # The file parsed once, at upload (or when the separator or encoding changes): the mapping, the check and the
    # run read this compact form, not the file (``exchange/parsed.py``): here what is known before the rows
    # (headers, line numbers, unreadable rows, why this encoding and separator), the rows in ``ParsedChunk``.
    # Empty when the file could not be read.
    parsed = models.BinaryField(null=True, editable=False)
    mapping = models.JSONField(default=dict, help_text="column index (str) → field name")
    decisions = models.JSONField(default=dict, help_text="row number (str) → organisation id or 'new'")
    # What the check decided, kept for the run (a kind with ``revise``: organisations): the mapping and parsed
    # chunks it was made on, the directory's last id then, the counts; the accepted rows in ``CheckedChunk``.
    checked = models.JSONField(default=dict, editable=False)
    status = models.CharField(max_length=10, choices=JobStatus.choices, default=JobStatus.UPLOADED)
    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    accepted_rows = models.PositiveIntegerField(default=0)
    rejected_rows = models.PositiveIntegerField(default=0)
    created_rows = models.PositiveIntegerField(default=0)
    skipped_rows = models.PositiveIntegerField(default=0, help_text="already imported (same natural key)")
    matched_rows = models.PositiveIntegerField(default=0, help_text="already in the directory: matched, not created")
    batches_done = models.PositiveIntegerField(default=0)
    batches_total = models.PositiveIntegerField(default=0)
    report = models.JSONField(default=list, help_text="rejected rows: [row, column, value, message]")
    preview = models.JSONField(default=list, help_text="the first accepted rows, as they will be saved")
    proposals = models.JSONField(default=list, help_text="uncertain organisation matches to confirm")
    message = models.TextField(blank=True)
    worker_pid = models.IntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = WorkspaceScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "import"

    def __str__(self) -> str:
        return f"Import {self.pk} ({self.filename})"

    @property
    def percent(self) -> int:
        if not self.total_rows:
            return 100 if self.status == JobStatus.DONE else 0
        return min(100, round(100 * self.processed_rows / self.total_rows))

    @property
    def is_active(self) -> bool:
        return self.status in {JobStatus.QUEUED, JobStatus.RUNNING}


class UploadChunk(models.Model):
    """A slice of an import's file as it was uploaded (``stored.CHUNK_BYTES``): the file is written here a slice at
    a time from Django's temporary file, never held whole in memory, and read back the same way when it must be
    read again (another encoding or separator, an archive, personal data). ``ImportJob.content`` holds the file of
    the jobs uploaded before (``exchange/stored.py``)."""

    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="+", db_index=False)
    index = models.PositiveIntegerField()
    data = models.BinaryField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["job", "index"], name="upload_chunk_job_index")]

    def __str__(self) -> str:
        return f"{self.job_id}:{self.index}"


class ParsedChunk(models.Model):
    """A run of rows of an import's parsed file (zlib-compressed JSON, ``parsed.CHUNK_ROWS`` rows): the steps
    read them back one chunk at a time, so memory does not grow with the file (``exchange/parsed.py``)."""

    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="+", db_index=False)
    index = models.PositiveIntegerField()
    rows = models.BinaryField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["job", "index"], name="parsed_chunk_job_index")]

    def __str__(self) -> str:
        return f"{self.job_id}:{self.index}"


class CheckedChunk(models.Model):
    """A run of the accepted rows as the check decided them (zlib-compressed JSON, in the kind's compact form):
    the run reads them back and re-verifies only what may have changed since, instead of checking the file again
    (decision 0011). Valid while ``ImportJob.checked`` matches the job's mapping and parsed chunks."""

    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="+", db_index=False)
    index = models.PositiveIntegerField()
    rows = models.BinaryField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["job", "index"], name="checked_chunk_job_index")]

    def __str__(self) -> str:
        return f"{self.job_id}:{self.index}"


class ImportedRow(models.Model):
    """One row written by an import: its natural key makes a re-import skip it, its object makes undo possible.

    The natural key is unique per workspace and entity, so two concurrent imports can never both create it.
    An import writes one of these per row: the foreign keys have no index of their own, the two below start with
    them (``job``, ``workspace``) and serve their lookups, so each record updates three indexes, not five.
    """

    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="rows", db_index=False)
    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.CASCADE, related_name="+", db_index=False)
    entity = models.CharField(max_length=14, choices=Entity.choices)
    natural_key = models.CharField(max_length=64)
    row_number = models.PositiveIntegerField()
    model = models.CharField(max_length=40, help_text="app_label.ModelName of the created object")
    object_id = models.BigIntegerField(null=True)
    created = models.BooleanField(default=True, help_text="False when the row matched an existing object")

    objects = WorkspaceScopedQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace", "entity", "natural_key"], name="imported_row_unique_key")
        ]
        indexes = [models.Index(fields=["job", "model"], name="imported_row_job_idx")]

    def __str__(self) -> str:
        return f"{self.entity} {self.natural_key[:12]}"
