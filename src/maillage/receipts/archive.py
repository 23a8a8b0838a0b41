"""A ZIP of a year's receipts (their PDFs, and the cancellation notice of each cancelled one), for the association's
files or its accountant: ``maillage receipts_zip --workspace ID --year 2025 --output recus-2025.zip``."""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import TYPE_CHECKING

from maillage.receipts.models import Receipt, gift_year_bounds
from maillage.receipts.pdf import pdf_filename, render_cancellation_pdf, render_receipt_pdf

if TYPE_CHECKING:
    from maillage.workspaces.models import Workspace


def write_year_zip(workspace: Workspace, year: int, output: Path) -> int:
    """Write the PDFs of the receipts of ``year``'s gifts into ``output``. Returns the number of receipts."""
    start, end = gift_year_bounds(year)
    receipts = (
        Receipt.objects.visible_to(workspace)
        .filter(issuer_id=workspace.organization_id, gift_date__range=(start, end))
        .select_related("issuer_details", "replaces")
        .order_by("year", "number")
    )
    count = 0
    with zipfile.ZipFile(output, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for receipt in receipts.iterator(chunk_size=200):
            archive.writestr(pdf_filename(receipt), render_receipt_pdf(receipt))
            if receipt.is_cancelled:
                archive.writestr(pdf_filename(receipt, cancellation=True), render_cancellation_pdf(receipt))
            count += 1
    return count
