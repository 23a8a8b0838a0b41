"""The French territorial reference data: régions, départements, EPCI, communes, and the NAF nomenclature.

Loaded from the files in ``data/`` (derived from @etalab/decoupage-administratif 6.0.0 and
@socialgouv/codes-naf 1.1.1 by ``scripts/fetch_reference_data.py``); never edited by hand.
"""

from __future__ import annotations

from django.db import models


class Zone(models.TextChoices):
    METRO = "metro", "Métropole"
    DROM = "drom", "Département ou région d'outre-mer"
    COM = "com", "Collectivité d'outre-mer"


class Region(models.Model):
    code = models.CharField("code INSEE", max_length=3, primary_key=True)
    name = models.CharField("nom", max_length=100)
    zone = models.CharField(max_length=5, choices=Zone.choices)
    chef_lieu = models.CharField("chef-lieu (code INSEE)", max_length=5)

    class Meta:
        ordering = ["name"]
        verbose_name = "région"

    def __str__(self) -> str:
        return self.name

    @property
    def is_collectivite_outre_mer(self) -> bool:
        return self.zone == Zone.COM


class Departement(models.Model):
    code = models.CharField("code INSEE", max_length=3, primary_key=True)
    name = models.CharField("nom", max_length=100)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="departements")
    zone = models.CharField(max_length=5, choices=Zone.choices)
    chef_lieu = models.CharField("chef-lieu (code INSEE)", max_length=5)

    class Meta:
        ordering = ["code"]
        verbose_name = "département"

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class Epci(models.Model):
    class Kind(models.TextChoices):
        CC = "CC", "Communauté de communes"
        CA = "CA", "Communauté d'agglomération"
        CU = "CU", "Communauté urbaine"
        METRO = "METRO", "Métropole"
        MET69 = "MET69", "Métropole de Lyon"

    siren = models.CharField("SIREN", max_length=9, primary_key=True)
    name = models.CharField("nom", max_length=200)
    kind = models.CharField("nature", max_length=5, choices=Kind.choices)
    financing = models.CharField("régime fiscal", max_length=10, blank=True)
    population = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["name"]
        verbose_name = "EPCI"
        verbose_name_plural = "EPCI"

    def __str__(self) -> str:
        return self.name


class Commune(models.Model):
    """A commune in force, or one of the 45 municipal arrondissements of Paris, Lyon and Marseille.

    Arrondissements carry ``parent`` (their commune) and no SIREN: the commune is the legal body. They exist
    so that an address in "Lyon 3e" is placed precisely, while the partner is the commune of Lyon.
    """

    class Kind(models.TextChoices):
        COMMUNE = "commune", "Commune"
        ARRONDISSEMENT = "arrondissement", "Arrondissement municipal"

    code = models.CharField("code INSEE", max_length=5, primary_key=True)
    name = models.CharField("nom", max_length=100)
    name_search = models.CharField(max_length=100, db_index=True)
    kind = models.CharField(max_length=14, choices=Kind.choices, default=Kind.COMMUNE)
    zone = models.CharField(max_length=5, choices=Zone.choices, default=Zone.METRO)
    departement = models.ForeignKey(Departement, on_delete=models.PROTECT, related_name="communes")
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="communes")
    epci = models.ForeignKey(Epci, on_delete=models.PROTECT, null=True, blank=True, related_name="communes")
    parent = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="arrondissements")
    siren = models.CharField("SIREN", max_length=9, blank=True)
    population = models.PositiveIntegerField(default=0)
    postal_codes = models.CharField("codes postaux", max_length=200, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = "commune"

    def __str__(self) -> str:
        return f"{self.name} ({self.departement_id})"

    @property
    def postal_code_list(self) -> list[str]:
        return self.postal_codes.split()

    @property
    def main_postal_code(self) -> str:
        return self.postal_codes.split()[0] if self.postal_codes else ""


class Naf(models.Model):
    """One entry of the NAF rév. 2 nomenclature: division (``88``), group (``88.9``), class, sub-class (``88.99B``)."""

    code = models.CharField(max_length=6, primary_key=True)
    label = models.CharField("libellé", max_length=300)

    class Meta:
        ordering = ["code"]
        verbose_name = "code NAF"

    def __str__(self) -> str:
        return f"{self.code} – {self.label}"

    @property
    def is_subclass(self) -> bool:
        return len(self.code) == 6


class ReferenceDataVersion(models.Model):
    """Which version of the shipped files is loaded, so that loading is skipped when nothing changed."""

    name = models.CharField(max_length=50, primary_key=True)
    checksum = models.CharField(max_length=64)
    loaded_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.name} {self.checksum[:12]}"
