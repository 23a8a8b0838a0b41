from ninja import NinjaAPI

from maillage.api import (
    alliances,
    audit,
    diagnostic,
    errors,
    evaluation,
    exchange,
    giving,
    matching,
    observatory,
    privacy,
    receipts,
)
from maillage.api.alliances import contributions_all
from maillage.api.auth import TokenAuth
from maillage.api.organizations import router as organizations_router
from maillage.api.territories import router as territories_router
from maillage.api.workspace import router as workspace_router

api = NinjaAPI(
    title="API Maillage",
    version="1",
    description="Les alliances stratégiques des associations. Authentification : en-tête "
    "`Authorization: Bearer <jeton>`, jeton créé dans Espace › Jetons API. Messages d'erreur en français.",
    auth=TokenAuth(),
    urls_namespace="api",
)
errors.install(api)
api.add_router("/", workspace_router)
api.add_router("/organizations", organizations_router)
api.add_router("/territories", territories_router)
# One router per area, each in its own module (one owner per file).
api.add_router("/alliances", alliances.router)
api.add_router("/contributions", contributions_all.router)
api.add_router("/receipts", receipts.router)
api.add_router("/giving", giving.router)
api.add_router("/evaluations", evaluation.router)
api.add_router("/diagnostic", diagnostic.router)
api.add_router("/observatory", observatory.router)
api.add_router("/matching", matching.router)
api.add_router("/exchange", exchange.router)
api.add_router("/audit", audit.router)
api.add_router("/privacy", privacy.router)
