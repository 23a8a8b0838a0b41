"""Charts as inline SVG built on the server: the same markup shows in the page and in the WeasyPrint PDF.

Each chart has a ``<title>`` and ``role="img"`` with an ``aria-label``; the figures are always also in a table.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

PALETTE = ["#0b5cad", "#b35900", "#1e6b34", "#7a3e9d", "#a4161a", "#4a5460"]
ROW = 26
LABEL_WIDTH = 210
BAR_WIDTH = 330
WIDTH = LABEL_WIDTH + BAR_WIDTH + 80


def _num(value) -> str:
    if isinstance(value, Decimal | float):
        text = f"{value:,.1f}".replace(",", "\u202f").replace(".", ",")
        return text[:-2] if text.endswith(",0") else text
    return f"{value:,}".replace(",", "\u202f")


def hbar(rows: Sequence[tuple[str, object]], *, title: str, unit: str = "", maximum=None, colors=None) -> SafeString:
    """Horizontal bars: one row per (label, value); ``maximum`` fixes the scale (e.g. 100 for scores)."""
    values = [Decimal(str(v)) for _, v in rows if v is not None]
    top = Decimal(str(maximum)) if maximum else (max(values) if values else Decimal("1")) or Decimal("1")
    height = ROW * len(rows) + 30
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" aria-label="{escape(title)}" '
        f'viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}" font-family="sans-serif" font-size="12">',
        f"<title>{escape(title)}</title>",
        f'<text x="0" y="14" font-weight="bold">{escape(title)}</text>',
    ]
    for index, (label, value) in enumerate(rows):
        y = 24 + index * ROW
        color = (colors or PALETTE)[index % len(colors or PALETTE)]
        short = label if len(label) <= 34 else label[:33] + "…"
        parts.append(f'<text x="0" y="{y + 15}">{escape(short)}</text>')
        if value is None:
            parts.append(f'<text x="{LABEL_WIDTH}" y="{y + 15}" fill="#4a5460">non renseigné</text>')
            continue
        width = int(Decimal(str(value)) / top * BAR_WIDTH) if top else 0
        parts.append(
            f'<rect x="{LABEL_WIDTH}" y="{y + 3}" width="{max(width, 1)}" height="{ROW - 8}" fill="{color}"></rect>'
        )
        parts.append(f'<text x="{LABEL_WIDTH + max(width, 1) + 5}" y="{y + 15}">{_num(value)}{escape(unit)}</text>')
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 (every text is escaped above)


def stacked(segments: list[tuple[str, object]], *, title: str) -> SafeString:
    """One bar split in shares (in %), with a legend: the share of each source of resources."""
    total = sum((Decimal(str(v)) for _, v in segments if v), Decimal("0")) or Decimal("1")
    height = 40 + 18 * len(segments)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" aria-label="{escape(title)}" '
        f'viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}" font-family="sans-serif" font-size="12">',
        f"<title>{escape(title)}</title>",
    ]
    x = Decimal("0")
    span = Decimal(WIDTH - 10)
    for index, (_, value) in enumerate(segments):
        if not value:
            continue
        width = Decimal(str(value)) / total * span
        parts.append(
            f'<rect x="{x:.1f}" y="4" width="{width:.1f}" height="20" fill="{PALETTE[index % len(PALETTE)]}"></rect>'
        )
        x += width
    for index, (label, value) in enumerate(segments):
        y = 40 + index * 18
        parts.append(f'<rect x="0" y="{y - 10}" width="12" height="12" fill="{PALETTE[index % len(PALETTE)]}"></rect>')
        parts.append(f'<text x="18" y="{y}">{escape(label)} : {_num(value or 0)} %</text>')
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 (every text is escaped above)
