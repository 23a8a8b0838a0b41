"""Reads of the matching area shared by the pages and the API (one search, not two copies that drift apart)."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from django.db.models import F

from maillage.core.text import normalize
from maillage.matching.models import GoodsType, ItemKind, SkillDomain, Status
from maillage.matching.suggestions import MODELS, cause_mask, current


@dataclass
class ItemFilters:
    q: str = ""
    kind: str = ""
    cause: str = ""
    departement: str = ""
    region: str = ""
    domain: str = ""
    goods: str = ""
    mine: bool = False

    @classmethod
    def clean(cls, **raw) -> ItemFilters:
        """Bounded, normalised filters; unknown kinds, domains and goods sub-types are dropped, never an error."""
        kind = (raw.get("kind") or "")[:20]
        domain = raw.get("domain") or ""
        goods = raw.get("goods") or ""
        return cls(
            q=normalize((raw.get("q") or "")[:200]),
            kind=kind if kind in ItemKind.values else "",
            cause=(raw.get("cause") or "")[:40],
            departement=(raw.get("departement") or "")[:3],
            region=(raw.get("region") or "")[:3],
            domain=domain if domain in SkillDomain.values else "",
            goods=goods if goods in GoodsType.values else "",
            mine=bool(raw.get("mine")),
        )

    def as_dict(self) -> dict:
        return asdict(self)


def search_items(workspace, item_type: str, filters: ItemFilters):
    """Needs, offers or calls a workspace may read, filtered; newest first.

    Others' items: published and still open (past their end date or deadline they are no longer offered).
    ``mine``: the workspace's own items whatever their status or dates.
    """
    qs = MODELS[item_type].objects.readable_by(workspace).select_related("organization", "departement")
    qs = qs.visible_to(workspace) if filters.mine else current(qs.filter(status=Status.PUBLISHED), item_type)
    if filters.kind and item_type != "call":
        qs = qs.filter(kind=filters.kind)
    if filters.cause:
        mask = cause_mask([filters.cause])
        qs = qs.annotate(shared=F("cause_mask").bitand(mask)).filter(shared__gt=0) if mask else qs.none()
    if filters.departement:
        qs = qs.filter(departement_id=filters.departement)
    if filters.region:
        qs = qs.filter(region_id=filters.region)
    if filters.domain and item_type != "call":
        qs = qs.filter(search_text__contains=f"domaine{filters.domain}")
    if filters.goods and item_type == "need":
        qs = qs.filter(goods_type=filters.goods)
    elif filters.goods and item_type == "offer":
        qs = qs.filter(goods_types__icontains=f'"{filters.goods}"')
    for word in filters.q.split()[:5]:
        qs = qs.filter(search_text__contains=word)
    return qs.order_by("-published_at", "-id")
