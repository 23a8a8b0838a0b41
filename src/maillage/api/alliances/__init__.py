"""API of the alliances area, mounted at /api/v1/alliances: one module per part, all on one router.

Every route is scoped: an alliance is seen by the workspaces of its active parties only (others get 404, on the
alliance and on everything under it); viewers read, members and above write (403 for viewers); answering an invitation and leaving an alliance
commit the whole workspace: admins and owners only, as in the pages.
"""

from maillage.api.alliances import contributions, core, proposals, records, sharing  # noqa: F401  (they register the routes)
from maillage.api.alliances.common import router

__all__ = ["router"]
