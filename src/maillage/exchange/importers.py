"""Which importer checks and writes each entity: the runner's table. Its own module, above ``rows`` and
``individual_gifts`` (the receipts area's rows), so that neither imports the other.
"""

from typing import Any

from maillage.exchange.individual_gifts import IndividualGiftRows
from maillage.exchange.models import Entity
from maillage.exchange.rows import AllianceRows, ContactRows, ContributionRows, InteractionRows, OrganizationRows

IMPORTERS: dict[str, Any] = {  # by entity: each has repeatable, plan, dry_run_actions, execute (duck-typed)
    Entity.ORGANIZATION: OrganizationRows(),
    Entity.CONTACT: ContactRows(),
    Entity.ALLIANCE: AllianceRows(),
    Entity.CONTRIBUTION: ContributionRows(),
    Entity.INTERACTION: InteractionRows(),
    Entity.DONATION: IndividualGiftRows(),
}
