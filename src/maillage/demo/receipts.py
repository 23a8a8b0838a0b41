"""Demo step: the demo association declares its eligibility, records two gifts of individuals, and issues the
receipts of every received gift that the law allows (company gifts of the demo alliances, if any exist).

Idempotent: nothing is declared, recorded or issued twice; runs after the alliances step and does nothing harmful
when there are no alliances.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.utils import timezone

from maillage.contributions.models import Contribution
from maillage.receipts import actions
from maillage.receipts.batch import pending_contributions
from maillage.receipts.models import IndividualGift

ASSOCIATION = "Les Jardins Partagés du Rhône"


def _demo_signature():
    """A drawn scribble as the demo signatory's scanned signature (a receipt is never issued unsigned)."""
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (240, 80), "white")
    ImageDraw.Draw(image).line(
        [(10, 60), (40, 20), (60, 55), (90, 15), (120, 60), (150, 30), (180, 50), (230, 25)], fill="navy", width=3
    )
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return SimpleUploadedFile("signature-demo.png", buffer.getvalue(), content_type="image/png")


def seed(ctx: dict) -> None:
    workspace = ctx["workspaces"].get(ASSOCIATION)
    user = ctx["users"].get("demo@maillage.test")
    if workspace is None or user is None:
        return
    if actions.eligibility_of(workspace) is None:
        actions.declare_eligibility(
            workspace=workspace,
            user=user,
            data={
                "status": "interet_general",
                "art_200": True,
                "art_238_bis": True,
                "evidence_kind": "rescrit",
                "evidence_reference": "Rescrit n° 2023-69-0412 (DDFiP du Rhône)",
                "evidence_date": date(2023, 9, 14),
                "purpose": "Créer et animer des jardins partagés et pédagogiques dans la métropole de Lyon",
                "address": "24 rue Francis de Pressensé, 69100 Villeurbanne",
                "signatory_name": "Camille Martin",
                "signatory_role": "Présidente",
            },
            signature=_demo_signature(),
        )
    today = timezone.localdate()
    if not IndividualGift.objects.visible_to(workspace).exists():
        for name, address, amount, days, method in (
            ("Paul Lefèvre", "3 place Bellecour, 69002 Lyon", "150.00", 40, "cheque"),
            ("Inès Bouvier", "8 cours Émile Zola, 69100 Villeurbanne", "60.00", 12, "virement"),
        ):
            actions.record_individual_gift(
                workspace=workspace,
                user=user,
                donor_name=name,
                donor_address=address,
                amount=amount,
                received_on=today - timedelta(days=days),
                payment_method=method,
            )
    years = {
        d.year
        for d in Contribution.objects.visible_to(workspace)
        .filter(receiver__organization_id=workspace.organization_id, received_on__isnull=False)
        .values_list("received_on", flat=True)
        if d is not None  # filtered out above: the type checker does not see the filter
    } | {today.year}
    for year in sorted(years):
        for contribution in pending_contributions(workspace, year):
            try:
                actions.issue_receipt(
                    workspace=workspace,
                    user=user,
                    contribution=contribution,
                    legal_form="SAS",
                    street="(adresse de démonstration)",
                    payment_method="virement",
                )
            except ValidationError:
                continue  # refused by the law (service contract, sponsoring, unsigned timesheet…): left as is
    for gift in IndividualGift.objects.visible_to(workspace).filter(receipts__isnull=True):
        actions.issue_receipt(workspace=workspace, user=user, individual_gift=gift)
