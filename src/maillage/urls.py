from django.urls import include, path

from maillage.api.urls import api

urlpatterns = [
    path("api/v1/", api.urls),
    path("", include("maillage.web.urls")),
]

handler400 = "maillage.web.views.errors.bad_request"
handler403 = "maillage.web.views.errors.forbidden"
handler404 = "maillage.web.views.errors.not_found"
handler500 = "maillage.web.views.errors.server_error"
