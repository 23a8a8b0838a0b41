"""The complete archive of a workspace (ZIP: ``maillage.json`` + uploaded files), and reading it back.

Reading it back replays every row through the domain actions (create_organization, add_contact,
create_alliance, move_alliance, record_contribution, log_interaction, record_agreement…), in one transaction:
an archive lands whole or not at all. Natural keys recorded per item make a second import of it a no-op.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections import Counter
from datetime import date
from decimal import Decimal
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from maillage.alliances import actions as alliance_actions
from maillage.alliances.models import Agreement, Alliance, AllianceNote, Interaction, Party
from maillage.audit.actions import record_event
from maillage.contributions import actions as contribution_actions
from maillage.contributions.models import Contribution
from maillage.core.hostile import nul_in_json
from maillage.core.text import normalize
from maillage.exchange import stored
from maillage.exchange.export import organizations_of
from maillage.exchange.models import ImportedRow, ImportJob, JobStatus
from maillage.exchange.outcomes import BatchRefused, Plan, record_outcome
from maillage.exchange.readers import FileRefused, check_zip_limits
from maillage.organizations import actions as org_actions
from maillage.organizations.models import Contact, Organization, PrivateNote

FORMAT = "maillage-archive"
VERSION = 1
MAX_ARCHIVE_UNCOMPRESSED = 500 * 1024 * 1024


def _d(value):
    return value.isoformat() if value else None


def _n(value):
    return str(value) if value is not None else None


def build_archive(workspace, *, user=None, request=None) -> bytes:
    """Everything the workspace sees, as JSON, plus its alliances' signed agreements. Journaled
    (``archive.downloaded``)."""
    record_event(action="archive.downloaded", actor=user, workspace=workspace, request=request)
    orgs = list(organizations_of(workspace))
    alliances = list(
        Alliance.objects.visible_to(workspace).prefetch_related("parties", "stage_changes").order_by("created_at", "id")
    )
    alliance_ids = [a.pk for a in alliances]
    data: dict = {
        "format": FORMAT,
        "version": VERSION,
        "exported_at": timezone.now().isoformat(),
        "workspace": {"name": workspace.name, "organization": workspace.organization_id},
        "organizations": [
            {
                "ref": o.pk,
                "kind": o.kind,
                "name": o.name,
                "siren": o.siren,
                "siret": o.siret,
                "rna": o.rna,
                "commune": o.commune_id,
                "naf": o.naf_id,
                "website": o.website,
                "description": o.description,
                "territory_key": o.territory_key,
                "causes": [c.code for c in o.causes.all()],
            }
            for o in orgs
        ],
        "contacts": [
            {
                "ref": c.pk,
                "organization": c.organization_id,
                "name": c.name,
                "role": c.role,
                "email": c.email,
                "phone": c.phone,
            }
            for c in Contact.objects.visible_to(workspace).order_by("id")
        ],
        "notes": [
            {"organization": n.organization_id, "text": n.text, "tags": n.tags}
            for n in PrivateNote.objects.visible_to(workspace).order_by("created_at", "id")
        ],
        "alliances": [],
        "contributions": [],
        "interactions": [],
        "agreements": [],
        "alliance_notes": [
            {"alliance": n.alliance_id, "text": n.text}
            for n in AllianceNote.objects.visible_to(workspace).filter(alliance_id__in=alliance_ids).order_by("id")
        ],
    }
    for a in alliances:
        parties = [p for p in a.parties.all() if p.left_at is None]
        data["alliances"].append(
            {
                "ref": a.pk,
                "name": a.name,
                "purpose": a.purpose,
                "forms": a.forms,
                "territory_level": a.territory_level,
                "territory_code": a.territory_code,
                "starts_on": _d(a.starts_on),
                "ends_on": _d(a.ends_on),
                "stage": a.stage,
                "stages": [{"to": s.to_stage, "reason": s.reason} for s in a.stage_changes.all() if s.from_stage],
                "parties": [
                    {"organization": p.organization_id, "role": p.role, "commitment": p.commitment} for p in parties
                ],
            }
        )
    party_org = dict(Party.objects.filter(alliance_id__in=alliance_ids).values_list("pk", "organization_id"))
    for c in (
        Contribution.objects.filter(alliance_id__in=alliance_ids)
        .prefetch_related("skills_lines", "counterparts")
        .order_by("created_at", "id")
    ):
        data["contributions"].append(
            {
                "ref": c.pk,
                "alliance": c.alliance_id,
                "giver": party_org[c.giver_id],
                "receiver": party_org[c.receiver_id],
                "kind": c.kind,
                "status": c.status,
                "description": c.description,
                "value": _n(c.value),
                "valuation_method": c.valuation_method,
                "evidence": c.evidence,
                "promised_on": _d(c.promised_on),
                "received_on": _d(c.received_on),
                "hours": _n(c.hours),
                "hourly_rate": _n(c.hourly_rate),
                "signed_timesheet": c.signed_timesheet,
                "skills_lines": [
                    {
                        "employee_name": s.employee_name,
                        "employee_role": s.employee_role,
                        "month": _d(s.month),
                        "hours": _n(s.hours),
                        "monthly_cost": _n(s.monthly_cost),
                        "monthly_hours": _n(s.monthly_hours),
                    }
                    for s in c.skills_lines.all()
                ],
                "counterparts": [{"description": cp.description, "value": _n(cp.value)} for cp in c.counterparts.all()],
            }
        )
    for i in (
        Interaction.objects.filter(alliance_id__in=alliance_ids)
        .prefetch_related("attendances", "contacts")
        .order_by("occurred_on", "id")
    ):
        own = i.workspace_id == workspace.pk
        data["interactions"].append(
            {
                "ref": i.pk,
                "alliance": i.alliance_id,
                "kind": i.kind,
                "occurred_on": _d(i.occurred_on),
                "duration_minutes": i.duration_minutes,
                "subject": i.subject,
                "notes": i.notes if own else "",
                "attendance": [
                    {"organization": party_org[at.party_id], "people": at.people} for at in i.attendances.all()
                ],
                "contacts": [c.pk for c in i.contacts.all() if c.workspace_id == workspace.pk] if own else [],
            }
        )
    files: dict[str, bytes] = {}
    for ag in Agreement.objects.filter(alliance_id__in=alliance_ids).order_by("signed_on", "id"):
        entry = {
            "ref": ag.pk,
            "alliance": ag.alliance_id,
            "kind": ag.kind,
            "title": ag.title,
            "signed_on": _d(ag.signed_on),
            "duration_months": ag.duration_months,
            "amount": _n(ag.amount),
            "renewal_on": _d(ag.renewal_on),
            "file": None,
        }
        if ag.file:
            try:
                with ag.file.open("rb") as handle:
                    files[f"files/agreement-{ag.pk}.pdf"] = handle.read()
                entry["file"] = f"files/agreement-{ag.pk}.pdf"
            except OSError:
                entry["file"] = None
        data["agreements"].append(entry)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("maillage.json", json.dumps(data, ensure_ascii=False, indent=1))
        for name, content in files.items():
            archive.writestr(name, content)
    return out.getvalue()


def read_archive(content: bytes | Path) -> tuple[dict, zipfile.ZipFile]:
    try:
        archive = zipfile.ZipFile(content if isinstance(content, Path) else io.BytesIO(content))
        check_zip_limits(archive.infolist(), max_total=MAX_ARCHIVE_UNCOMPRESSED)
        data = json.loads(archive.read("maillage.json"))
    except FileRefused:
        raise
    except RecursionError as exc:
        raise FileRefused(
            "maillage.json est imbriqué trop profondément : ce n'est pas une archive de Maillage."
        ) from exc
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, EOFError, NotImplementedError) as exc:
        raise FileRefused("L'archive est illisible ou incomplète (maillage.json manquant ou abîmé).") from exc
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise FileRefused("Ce ZIP n'est pas une archive exportée par Maillage.")
    if data.get("version") != VERSION:
        raise FileRefused(f"Version d'archive {data.get('version')} non prise en charge (attendue : {VERSION}).")
    check_shape(data)
    return data, archive


SECTIONS: tuple[str, ...] = ("organizations", "contacts", "notes", "alliances", "contributions", "interactions")
SECTIONS += ("agreements", "alliance_notes")
MAX_DEPTH = 16  # an export nests four levels deep; anything far deeper is not one of ours


def check_shape(data: dict) -> None:
    """Refuse, before any replay, what no export of Maillage contains: sections that are not lists of objects,
    a ``workspace`` that is not an object, deep nesting, NUL characters (PostgreSQL cannot store them)."""
    if not isinstance(data.get("workspace") or {}, dict):
        raise FileRefused("maillage.json : « workspace » doit être un objet JSON.")
    for section in SECTIONS:
        entries = data.get(section) or []
        if not isinstance(entries, list):
            raise FileRefused(f"maillage.json : « {section} » doit être une liste d'objets JSON.")
        for index, entry in enumerate(entries):
            if not isinstance(entry, dict):
                raise FileRefused(
                    f"maillage.json : l'élément n° {index + 1} de « {section} » n'est pas un objet JSON "
                    f"({type(entry).__name__})."
                )
    try:
        where = nul_in_json(data, max_depth=MAX_DEPTH)
    except ValueError as exc:
        raise FileRefused(f"maillage.json : {exc} ; une archive de Maillage n'en a pas tant.") from exc
    if where is not None:
        raise FileRefused(f"maillage.json : {where} contient un caractère nul (\\u0000) ; retirez-le.")


def _count(data: dict) -> int:
    return sum(
        len(data.get(k) or [])
        for k in (
            "organizations",
            "contacts",
            "notes",
            "alliances",
            "contributions",
            "interactions",
            "agreements",
            "alliance_notes",
        )
    )


class Replay:
    """Replays an archive into ``job.workspace`` through the domain actions; ``report`` collects refusals."""

    def __init__(self, job: ImportJob, data: dict, archive: zipfile.ZipFile, *, strict: bool):
        self.job, self.data, self.archive, self.strict = job, data, archive, strict
        self.ws, self.user = job.workspace, job.created_by
        self.orgs: dict = {}
        self.contacts: dict = {}
        self.alliances: dict = {}
        self.report: list[list] = []
        self.records: list[ImportedRow] = []
        self.seen: Counter = Counter()
        self.known_keys: dict[str, int] = {
            key: pk
            for key, pk in ImportedRow.objects.visible_to(self.ws)
            .filter(entity="archive")
            .values_list("natural_key", "object_id")
            if pk is not None
        }
        self.done = 0

    def _key(self, *parts, repeatable=False) -> str:
        base = "\x1f".join(map(str, parts))
        n = self.seen[base] if repeatable else 0
        self.seen[base] += 1
        return hashlib.sha256(f"{base}\x1f{n}".encode()).hexdigest()

    def _step(self, section: str, index: int, label: str, func) -> None:
        try:
            if self.strict:
                func()
            else:
                with transaction.atomic():
                    func()
        except ValidationError as exc:
            messages = exc.messages
            if self.strict:
                raise ValidationError(f"{section} n° {index + 1} (« {label} ») : {' ; '.join(messages)}") from exc
            for message in messages:
                self.report.append([index + 1, section, label, message])
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            message = f"Donnée manquante ou mal formée ({exc.__class__.__name__} : {exc})."
            if self.strict:
                raise ValidationError(f"{section} n° {index + 1} (« {label} ») : {message}") from exc
            self.report.append([index + 1, section, label, message])
        self.done += 1

    def _record(self, key: str, model: str, pk: int, created: bool = True) -> None:
        self.records.append(
            ImportedRow(
                job=self.job,
                workspace=self.ws,
                entity="archive",
                natural_key=key,
                row_number=self.done + 1,
                model=model,
                object_id=pk,
                created=created,
            )
        )
        self.known_keys[key] = pk

    def run(self) -> None:
        d = self.data
        own_ref = (d.get("workspace") or {}).get("organization")
        for i, o in enumerate(d.get("organizations") or []):
            self._step("organisation", i, o.get("name", ""), lambda o=o, own=own_ref: self.organization(o, own))
        for i, c in enumerate(d.get("contacts") or []):
            self._step("contact", i, c.get("name", ""), lambda c=c: self.contact(c))
        for i, n in enumerate(d.get("notes") or []):
            self._step("note", i, n.get("text", "")[:40], lambda n=n: self.note(n))
        for i, a in enumerate(d.get("alliances") or []):
            self._step("alliance", i, a.get("name", ""), lambda a=a, own=own_ref: self.alliance(a, own))
        for i, c in enumerate(d.get("contributions") or []):
            self._step("contribution", i, c.get("description", ""), lambda c=c: self.contribution(c))
        for i, x in enumerate(d.get("interactions") or []):
            self._step("échange", i, x.get("subject", ""), lambda x=x: self.interaction(x))
        for i, g in enumerate(d.get("agreements") or []):
            self._step("convention", i, g.get("title", ""), lambda g=g: self.agreement(g))
        for i, n in enumerate(d.get("alliance_notes") or []):
            self._step("note d'alliance", i, n.get("text", "")[:40], lambda n=n: self.alliance_note(n))

    # --- one method per section, each through the domain action ---
    def organization(self, o: dict, own_ref) -> None:
        if o["ref"] == own_ref:
            self.orgs[o["ref"]] = self.ws.organization
            return
        found = None
        if o.get("territory_key"):
            found = Organization.objects.filter(territory_key=o["territory_key"]).first()
        for field in ("siret", "siren", "rna"):
            if found is None and o.get(field):
                found = Organization.objects.filter(**{field: o[field]}).first()
        if found is None:
            found = Organization.objects.filter(name_search=normalize(o["name"]), commune_id=o.get("commune")).first()
        key = self._key("org", o.get("siren") or o.get("rna") or o.get("territory_key") or normalize(o["name"]))
        if found is None:
            if o.get("territory_key"):
                raise ValidationError(f"Collectivité « {o['name']} » absente du référentiel de cette instance.")
            found = org_actions.create_organization(
                data={
                    k: o.get(k) or ""
                    for k in ("kind", "name", "siren", "siret", "rna", "commune", "naf", "website", "description")
                }
                | {"causes": o.get("causes") or []},
                created_by=self.user,
                workspace=self.ws,
            )
            if key not in self.known_keys:
                self._record(key, "organizations.Organization", found.pk)
        self.orgs[o["ref"]] = found

    def contact(self, c: dict) -> None:
        org = self.orgs[c["organization"]]
        key = self._key("contact", org.pk, normalize(c["name"]), (c.get("email") or "").lower())
        if key in self.known_keys:
            self.contacts[c["ref"]] = self.known_keys[key]
            return
        contact = org_actions.add_contact(
            workspace=self.ws,
            organization=org,
            name=c["name"],
            role=c.get("role", ""),
            email=c.get("email", ""),
            phone=c.get("phone", ""),
        )
        self.contacts[c["ref"]] = contact.pk
        self._record(key, "organizations.Contact", contact.pk)

    def note(self, n: dict) -> None:
        org = self.orgs[n["organization"]]
        key = self._key("note", org.pk, hashlib.sha256(n["text"].encode()).hexdigest(), repeatable=True)
        if key in self.known_keys:
            return
        note = org_actions.add_private_note(
            workspace=self.ws, organization=org, text=n["text"], tags=n.get("tags", ""), author=self.user
        )
        self._record(key, "organizations.PrivateNote", note.pk)

    def alliance(self, a: dict, own_ref) -> None:
        key = self._key("alliance", normalize(a["name"]))
        if key in self.known_keys:
            self.alliances[a["ref"]] = Alliance.objects.prefetch_related("parties").get(pk=self.known_keys[key])
            return
        own = next((p for p in a["parties"] if p["organization"] == own_ref), None)
        partners = [
            (self.orgs[p["organization"]], p["role"], p.get("commitment", ""))
            for p in a["parties"]
            if p["organization"] != own_ref
        ]
        alliance = alliance_actions.create_alliance(
            workspace=self.ws,
            user=self.user,
            name=a["name"],
            forms=a["forms"],
            partners=partners,
            own_role=own["role"] if own else "lead",
            own_commitment=(own or {}).get("commitment", ""),
            purpose=a.get("purpose", ""),
            territory_level=a.get("territory_level", ""),
            territory_code=a.get("territory_code", ""),
            starts_on=date.fromisoformat(a["starts_on"]) if a.get("starts_on") else None,
            ends_on=date.fromisoformat(a["ends_on"]) if a.get("ends_on") else None,
        )
        for move in a.get("stages") or []:
            alliance = alliance_actions.move_alliance(
                alliance=alliance, workspace=self.ws, user=self.user, to_stage=move["to"], reason=move.get("reason", "")
            )
        self.alliances[a["ref"]] = Alliance.objects.prefetch_related("parties").get(pk=alliance.pk)
        self._record(key, "alliances.Alliance", alliance.pk)

    def _party(self, alliance, org_ref):
        org = self.orgs[org_ref]
        return next(p for p in alliance.parties.all() if p.organization_id == org.pk)

    def contribution(self, c: dict) -> None:
        alliance = self.alliances[c["alliance"]]
        key = self._key(
            "contribution",
            alliance.pk,
            c["giver"],
            c["receiver"],
            c["kind"],
            c["value"],
            c.get("promised_on"),
            c.get("received_on"),
            normalize(c["description"]),
            repeatable=True,
        )
        if key in self.known_keys:
            return
        day = lambda v: date.fromisoformat(v) if v else None  # noqa: E731
        made = contribution_actions.record_contribution(
            alliance=alliance,
            workspace=self.ws,
            user=self.user,
            giver=self._party(alliance, c["giver"]),
            receiver=self._party(alliance, c["receiver"]),
            kind=c["kind"],
            description=c["description"],
            value=c.get("value"),
            valuation_method=c.get("valuation_method", ""),
            status=c["status"],
            promised_on=day(c.get("promised_on")),
            received_on=day(c.get("received_on")),
            evidence=c.get("evidence", ""),
            hours=c.get("hours"),
            hourly_rate=c.get("hourly_rate"),
            signed_timesheet=bool(c.get("signed_timesheet")),
            skills_lines=[
                contribution_actions.SkillsInput(
                    employee_name=s["employee_name"],
                    employee_role=s.get("employee_role", ""),
                    month=date.fromisoformat(s["month"]),
                    hours=Decimal(s["hours"]),
                    monthly_cost=Decimal(s["monthly_cost"]),
                    monthly_hours=Decimal(s["monthly_hours"]),
                )
                for s in c.get("skills_lines") or []
            ],
            counterparts=[
                contribution_actions.CounterpartInput(description=x["description"], value=Decimal(x["value"]))
                for x in c.get("counterparts") or []
            ],
        )
        self._record(key, "contributions.Contribution", made.pk)

    def interaction(self, x: dict) -> None:
        alliance = self.alliances[x["alliance"]]
        key = self._key(
            "interaction",
            alliance.pk,
            x["kind"],
            x["occurred_on"],
            x["duration_minutes"],
            normalize(x.get("subject", "")),
            repeatable=True,
        )
        if key in self.known_keys:
            return
        attendance = {self._party(alliance, at["organization"]).pk: int(at["people"]) for at in x["attendance"]}
        made = alliance_actions.log_interaction(
            alliance=alliance,
            workspace=self.ws,
            user=self.user,
            kind=x["kind"],
            occurred_on=date.fromisoformat(x["occurred_on"]),
            duration_minutes=int(x["duration_minutes"]),
            subject=x.get("subject", ""),
            notes=x.get("notes", ""),
            attendance=attendance or None,
            contacts=Contact.objects.visible_to(self.ws).filter(
                pk__in=[self.contacts[c] for c in x.get("contacts", []) if c in self.contacts]
            ),
        )
        self._record(key, "alliances.Interaction", made.pk)

    def agreement(self, g: dict) -> None:
        alliance = self.alliances[g["alliance"]]
        key = self._key("agreement", alliance.pk, g["kind"], normalize(g["title"]), g["signed_on"])
        if key in self.known_keys:
            return
        upload = None
        if g.get("file"):
            upload = ContentFile(self.archive.read(g["file"]), name="convention.pdf")
        made = alliance_actions.record_agreement(
            alliance=alliance,
            workspace=self.ws,
            user=self.user,
            kind=g["kind"],
            title=g["title"],
            signed_on=date.fromisoformat(g["signed_on"]),
            duration_months=g.get("duration_months"),
            amount=Decimal(g["amount"]) if g.get("amount") else None,
            renewal_on=date.fromisoformat(g["renewal_on"]) if g.get("renewal_on") else None,
            file=upload,
        )
        self._record(key, "alliances.Agreement", made.pk)

    def alliance_note(self, n: dict) -> None:
        alliance = self.alliances[n["alliance"]]
        key = self._key("alliance_note", alliance.pk, hashlib.sha256(n["text"].encode()).hexdigest(), repeatable=True)
        if key in self.known_keys:
            return
        made = alliance_actions.add_alliance_note(alliance=alliance, workspace=self.ws, user=self.user, text=n["text"])
        self._record(key, "alliances.AllianceNote", made.pk)


class _Rollback(Exception):
    pass


def validate_archive(job: ImportJob):
    try:
        data, archive = read_archive(stored.read_bytes(job))
    except FileRefused as exc:
        job.status, job.message = JobStatus.FAILED, str(exc)
        job.save(update_fields=["status", "message"])
        return Plan()
    replay = Replay(job, data, archive, strict=False)
    try:
        with transaction.atomic():
            replay.run()
            raise _Rollback
    except _Rollback:
        pass
    job.report = replay.report
    job.total_rows = _count(data)
    job.rejected_rows = len({(r[0], r[1]) for r in replay.report})
    job.accepted_rows = job.total_rows - job.rejected_rows
    job.status = JobStatus.VALIDATED
    job.save(update_fields=["report", "total_rows", "accepted_rows", "rejected_rows", "status"])
    return Plan(total=job.total_rows, report=replay.report)


def run_archive(job: ImportJob) -> None:
    """All or nothing: the whole archive in one transaction."""
    data, archive = read_archive(stored.read_bytes(job))
    total = _count(data)
    ImportJob.objects.filter(pk=job.pk).update(total_rows=total, batches_total=1)
    replay = Replay(job, data, archive, strict=True)
    try:
        with transaction.atomic():
            replay.run()
            ImportedRow.objects.bulk_create(replay.records)
            ImportJob.objects.filter(pk=job.pk).update(
                processed_rows=total,
                created_rows=F("created_rows") + len(replay.records),
                skipped_rows=total - len(replay.records),
                batches_done=1,
                status=JobStatus.DONE,
                finished_at=timezone.now(),
                message="",
            )
            record_outcome(job, JobStatus.DONE)
    except ValidationError as exc:
        raise BatchRefused(
            f"Archive refusée en entier, rien n'a été enregistré : {' ; '.join(exc.messages[:3])}"
        ) from exc
