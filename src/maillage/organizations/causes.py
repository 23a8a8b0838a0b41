"""The fixed taxonomy of causes, shared by associations' fields of action and companies' CSR priorities.

Written down in docs/causes.md. The codes are stable (API, imports, observatory); labels may be reworded.
The first seven follow the sector split of INJEP, *Chiffres clés de la vie associative* 2019; the others are
the priorities companies name most for their mécénat and CSR (Admical barometer 2024).
"""

from __future__ import annotations

CAUSES: list[tuple[str, str, str]] = [
    ("sport", "Sport", "Pratique sportive, clubs, sport-santé"),
    ("culture", "Culture et patrimoine", "Création, diffusion, patrimoine, pratiques artistiques"),
    ("loisirs_vie_sociale", "Loisirs et vie sociale", "Loisirs, animation locale, lien social, tourisme social"),
    ("social_sante", "Action sociale et santé", "Solidarité, précarité, handicap, grand âge, santé, aide alimentaire"),
    ("droits_citoyennete", "Droits et citoyenneté", "Défense des droits et des causes, démocratie, égalité"),
    ("education_jeunesse", "Éducation et jeunesse", "Éducation, formation, jeunesse, réussite scolaire"),
    ("developpement_local", "Économie et développement local", "Développement économique local, ESS, commerce"),
    ("emploi_insertion", "Emploi et insertion", "Insertion par l'activité économique, accès à l'emploi"),
    ("environnement", "Environnement et transition", "Climat, biodiversité, alimentation durable, énergie"),
    ("humanitaire_international", "Solidarité internationale", "Aide humanitaire, développement, urgence"),
    ("recherche_innovation", "Recherche et innovation", "Recherche, innovation sociale, numérique pour tous"),
]

CAUSE_LABELS = {code: label for code, label, _ in CAUSES}


def sync_causes() -> None:
    from maillage.organizations.models import Cause

    for position, (code, label, description) in enumerate(CAUSES):
        Cause.objects.update_or_create(
            code=code, defaults={"label": label, "description": description, "position": position}
        )
