"""The accessibility statement (RGAA), public."""

from django.urls import path

from maillage.web.views import accessibility

urlpatterns = [
    path("accessibilite/", accessibility.statement, name="accessibility"),
]
