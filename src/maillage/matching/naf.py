"""What a company's activity (its NAF rév. 2 code) gives: skills domains and goods sub-types.

A soft signal for matching: an accounting firm (69.20Z) fits a need for accounting skills even when it has not
published an offer, or has filed its offer under another cause. The table maps NAF prefixes (division, group or
class, as published by INSEE) to the matching's skills domains and goods sub-types; the longest prefix wins.
"""

from __future__ import annotations

from functools import lru_cache

# NAF prefix → skills domains (matching.models.SkillDomain codes).
NAF_SKILLS: dict[str, tuple[str, ...]] = {
    "69.20": ("comptabilite",),  # activités comptables
    "64": ("comptabilite",),  # services financiers
    "65": ("comptabilite",),  # assurance
    "66": ("comptabilite",),  # auxiliaires de services financiers
    "69.10": ("juridique",),  # activités juridiques
    "58.2": ("numerique",),  # édition de logiciels
    "62": ("numerique",),  # programmation, conseil et autres activités informatiques
    "63": ("numerique",),  # services d'information
    "95.1": ("numerique",),  # réparation d'ordinateurs
    "73": ("communication",),  # publicité et études de marché
    "70.21": ("communication",),  # conseil en relations publiques et communication
    "74.10": ("communication",),  # design
    "59": ("communication",),  # production de films, vidéo
    "18": ("communication",),  # imprimerie
    "70.22": ("gestion",),  # conseil pour les affaires et autres conseils de gestion
    "70.1": ("gestion",),  # activités des sièges sociaux
    "78": ("rh",),  # activités liées à l'emploi
    "49": ("logistique",),  # transports terrestres
    "52": ("logistique",),  # entreposage et services auxiliaires des transports
    "53": ("logistique",),  # activités de poste et de courrier
    "41": ("batiment",),  # construction de bâtiments
    "42": ("batiment",),  # génie civil
    "43": ("batiment",),  # travaux de construction spécialisés
    "71.1": ("batiment",),  # architecture et ingénierie
    "85": ("formation",),  # enseignement
    "82.30": ("collecte",),  # organisation de salons et congrès (événements de collecte)
}
# NAF prefix → goods sub-types (matching.models.GoodsType codes).
NAF_GOODS: dict[str, tuple[str, ...]] = {
    "18.1": ("impression",),  # imprimerie
    "82.19": ("impression",),  # photocopie, préparation de documents
    "68": ("locaux",),  # activités immobilières
    "55": ("locaux",),  # hébergement (salles)
    "52.10": ("stockage",),  # entreposage et stockage
    "45": ("vehicule",),  # commerce et réparation d'automobiles
    "77.1": ("vehicule",),  # location de véhicules
    "26.2": ("informatique",),  # fabrication d'ordinateurs
    "46.51": ("informatique",),  # commerce de gros d'ordinateurs
    "47.41": ("informatique",),  # commerce de détail d'ordinateurs
    "31": ("mobilier",),  # fabrication de meubles
    "47.59": ("mobilier",),  # commerce de détail de meubles
    "10": ("alimentaire",),  # industries alimentaires
    "46.3": ("alimentaire",),  # commerce de gros alimentaire
    "47.11": ("alimentaire",),  # supérettes et supermarchés
}


def _lookup(table: dict[str, tuple[str, ...]], code: str | None) -> frozenset[str]:
    if not code:
        return frozenset()
    for length in range(len(code), 1, -1):
        found = table.get(code[:length])
        if found:
            return frozenset(found)
    return frozenset()


@lru_cache(maxsize=4096)
def skills_of(code: str | None) -> frozenset[str]:
    return _lookup(NAF_SKILLS, code)


@lru_cache(maxsize=4096)
def goods_of(code: str | None) -> frozenset[str]:
    return _lookup(NAF_GOODS, code)
