from __future__ import annotations

from django.shortcuts import render

from maillage.organizations.models import Organization
from maillage.territories.models import Commune


def home(request):
    context = {}
    if not request.user.is_authenticated:
        context["directory_size"] = Organization.objects.count()
        context["commune_count"] = Commune.objects.filter(kind=Commune.Kind.COMMUNE).count()
    return render(request, "web/home.html", context)


def health(request):
    from django.http import JsonResponse

    return JsonResponse({"status": "ok"})
