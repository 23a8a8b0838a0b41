from ninja import NinjaAPI

from maillage.api import errors
from maillage.api.auth import TokenAuth
from maillage.api.directory import router as directory_router
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
api.add_router("/organizations", directory_router)
api.add_router("/territories", territories_router)
