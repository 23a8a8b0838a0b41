"""Needs, offers and calls for projects that workspaces publish, and what matching keeps of its suggestions.

What a workspace publishes (``status == published``) is public to every workspace: it is what feeds the
others' suggestions. Drafts and closed items stay private to their workspace. ``AllianceOrigin`` records which
suggestion an alliance was started from, so that the observatory can tell which suggestions became alliances.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from maillage.core.tenancy import WorkspaceScopedQuerySet


class Status(models.TextChoices):
    DRAFT = "draft", "Brouillon"
    PUBLISHED = "published", "Publié"
    CLOSED = "closed", "Clos"


class ItemKind(models.TextChoices):
    """What a need asks for, or what an offer gives."""

    SKILLS = "skills", "Compétences"
    GOODS = "goods", "Biens ou locaux"
    FUNDING = "funding", "Financement"
    PARTNER = "partner", "Partenaire pour co-construire"


class SkillDomain(models.TextChoices):
    ACCOUNTING = "comptabilite", "Comptabilité et finance"
    LEGAL = "juridique", "Droit"
    DIGITAL = "numerique", "Numérique et informatique"
    COMMUNICATION = "communication", "Communication"
    MANAGEMENT = "gestion", "Gestion de projet et stratégie"
    HR = "rh", "Ressources humaines"
    LOGISTICS = "logistique", "Logistique et transport"
    BUILDING = "batiment", "Bâtiment et travaux"
    TRAINING = "formation", "Formation et pédagogie"
    FUNDRAISING = "collecte", "Recherche de fonds"


class GoodsType(models.TextChoices):
    """What kind of goods a need asks for or an offer gives: a printing offer does not fit a storage need."""

    PREMISES = "locaux", "Salle ou locaux"
    STORAGE = "stockage", "Stockage"
    COMPUTERS = "informatique", "Matériel informatique"
    VEHICLE = "vehicule", "Véhicule"
    PRINTING = "impression", "Impression et reprographie"
    FURNITURE = "mobilier", "Mobilier et équipement"
    FOOD = "alimentaire", "Denrées alimentaires"
    OTHER = "autre", "Autre bien"


class TerritoryLevel(models.TextChoices):
    COMMUNE = "commune", "Commune"
    EPCI = "epci", "Intercommunalité"
    DEPARTEMENT = "departement", "Département"
    REGION = "region", "Région"
    NATIONAL = "national", "France entière"


class ItemQuerySet(WorkspaceScopedQuerySet):
    def published(self):
        return self.filter(status=Status.PUBLISHED)

    def readable_by(self, workspace):
        """What a workspace may read: everything published, plus its own drafts and closed items."""
        if workspace is None:
            return self.published()
        return self.filter(Q(status=Status.PUBLISHED) | Q(workspace=workspace))


class Item(models.Model):
    """Fields shared by needs, offers and calls for projects (abstract)."""

    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.CASCADE, related_name="+")
    # The workspace's organisation, denormalised so that suggestions retrieve and group without a join.
    organization = models.ForeignKey("organizations.Organization", on_delete=models.CASCADE, related_name="+")
    status = models.CharField("statut", max_length=10, choices=Status.choices, default=Status.DRAFT)
    title = models.CharField("intitulé", max_length=200)
    description = models.TextField("description", max_length=2000, blank=True)
    # Normalised title, description and skills domains (``domaine<code>``), for accent-insensitive search.
    search_text = models.TextField(blank=True, editable=False)
    causes = models.JSONField("causes", default=list)
    # Bit i set when the cause at position i (organizations.causes.CAUSES) is among ``causes``: a cause filter in SQL.
    cause_mask = models.PositiveIntegerField(default=0, editable=False)
    territory_level = models.CharField("échelle", max_length=12, choices=TerritoryLevel.choices)
    territory_code = models.CharField("territoire (code)", max_length=9, blank=True)
    territory_name = models.CharField("territoire", max_length=200, blank=True)
    # Denormalised from the territory, for retrieval by the territorial hierarchy (null above its level).
    commune = models.ForeignKey(
        "territories.Commune", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    epci = models.ForeignKey("territories.Epci", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    departement = models.ForeignKey(
        "territories.Departement", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    region = models.ForeignKey("territories.Region", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    starts_on = models.DateField("début", null=True, blank=True)
    ends_on = models.DateField("fin", null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ItemQuerySet.as_manager()

    class Meta:
        abstract = True
        ordering = ["-published_at", "-id"]

    def __str__(self) -> str:
        return self.title

    @property
    def is_published(self) -> bool:
        return self.status == Status.PUBLISHED

    @property
    def cause_labels(self) -> list[str]:
        from maillage.organizations.causes import CAUSE_LABELS

        return [CAUSE_LABELS.get(code, code) for code in self.causes]


def _item_indexes(prefix: str) -> list[models.Index]:
    return [
        models.Index(fields=["status", "epci", "published_at"], name=f"{prefix}_epci_idx"),
        models.Index(fields=["status", "departement", "published_at"], name=f"{prefix}_dep_idx"),
        models.Index(fields=["status", "region", "published_at"], name=f"{prefix}_region_idx"),
        models.Index(fields=["status", "territory_level", "published_at"], name=f"{prefix}_level_idx"),
        models.Index(fields=["workspace", "status"], name=f"{prefix}_workspace_idx"),
        models.Index(fields=["organization", "status"], name=f"{prefix}_org_idx"),
    ]


class Need(Item):
    """What an association asks for: skills (domain, hours, period), goods or premises, funding, a partner."""

    kind = models.CharField("type de besoin", max_length=10, choices=ItemKind.choices)
    skill_domain = models.CharField("domaine de compétences", max_length=20, choices=SkillDomain.choices, blank=True)
    goods_type = models.CharField(
        "type de bien", max_length=20, choices=GoodsType.choices, blank=True, default="", db_default=""
    )
    hours = models.PositiveIntegerField("heures", null=True, blank=True)
    amount = models.DecimalField("montant recherché (€)", max_digits=12, decimal_places=2, null=True, blank=True)

    class Meta(Item.Meta):
        verbose_name = "besoin"
        indexes = _item_indexes("need")


class Offer(Item):
    """What a company or foundation gives: skills (domains, hours a year), goods, a mécénat budget, a partnership."""

    kind = models.CharField("type d'offre", max_length=10, choices=ItemKind.choices)
    skill_domains = models.JSONField("domaines de compétences", default=list, blank=True)
    goods_types = models.JSONField("types de biens", default=list, blank=True, db_default=[])
    hours_per_year = models.PositiveIntegerField("heures par an", null=True, blank=True)
    budget = models.DecimalField("budget de mécénat (€)", max_digits=12, decimal_places=2, null=True, blank=True)

    class Meta(Item.Meta):
        verbose_name = "offre"
        indexes = _item_indexes("offer")

    @property
    def skill_domain_labels(self) -> list[str]:
        return [SkillDomain(d).label for d in self.skill_domains if d in SkillDomain.values]

    @property
    def goods_type_labels(self) -> list[str]:
        return [GoodsType(g).label for g in self.goods_types if g in GoodsType.values]


class CallForProjects(Item):
    """A call for projects of a public body: causes, territory, budget and deadline."""

    budget = models.DecimalField("enveloppe (€)", max_digits=12, decimal_places=2, null=True, blank=True)
    deadline = models.DateField("date limite de dépôt", null=True, blank=True)
    url = models.URLField("page de l'appel", blank=True)

    class Meta(Item.Meta):
        verbose_name = "appel à projets"
        verbose_name_plural = "appels à projets"
        indexes = _item_indexes("call")

    @property
    def kind(self) -> str:
        return ItemKind.FUNDING

    def get_kind_display(self) -> str:
        return "Appel à projets"


class AllianceOrigin(models.Model):
    """The suggestion an alliance was started from: who acted, for whom, on which item, with which score."""

    alliance = models.OneToOneField("alliances.Alliance", on_delete=models.CASCADE, related_name="matching_origin")
    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.CASCADE, related_name="+")
    organization = models.ForeignKey("organizations.Organization", on_delete=models.PROTECT, related_name="+")
    target = models.ForeignKey("organizations.Organization", on_delete=models.PROTECT, related_name="+")
    need = models.ForeignKey(Need, on_delete=models.SET_NULL, null=True, blank=True, related_name="origins")
    offer = models.ForeignKey(Offer, on_delete=models.SET_NULL, null=True, blank=True, related_name="origins")
    call = models.ForeignKey(CallForProjects, on_delete=models.SET_NULL, null=True, blank=True, related_name="origins")
    source = models.CharField(max_length=10, default="item")  # item | partner | network
    score = models.PositiveSmallIntegerField()
    reasons = models.JSONField(default=list)
    method_version = models.CharField(max_length=10)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = WorkspaceScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["workspace", "target"], name="origin_workspace_idx")]

    def __str__(self) -> str:
        return f"Suggestion → {self.alliance_id}"


class AlertSubscription(models.Model):
    """A workspace's wish to receive, by e-mail, the new needs or offers that match it."""

    class Frequency(models.TextChoices):
        DAILY = "daily", "Chaque jour"
        WEEKLY = "weekly", "Chaque semaine"

    workspace = models.OneToOneField("workspaces.Workspace", on_delete=models.CASCADE, related_name="matching_alert")
    active = models.BooleanField("recevoir les alertes", default=True)
    frequency = models.CharField("fréquence", max_length=10, choices=Frequency.choices, default=Frequency.WEEKLY)
    min_score = models.PositiveSmallIntegerField("score minimal", default=30)
    last_sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = WorkspaceScopedQuerySet.as_manager()

    def __str__(self) -> str:
        return f"Alertes de {self.workspace}"
