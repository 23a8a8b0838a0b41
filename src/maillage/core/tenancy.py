"""Tenancy in one place: which workspace a request acts for, and what it may see.

Every private row carries a ``workspace``; views and API endpoints read them only through
``WorkspaceScopedQuerySet.visible_to(workspace)`` or :func:`get_visible_or_404`, so that an object of another
workspace answers 404 and a list never holds another workspace's rows.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import TYPE_CHECKING, Any, Self, TypeVar

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.db import models
from django.db.models.expressions import BaseExpression
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect

from maillage.core.roles import Role, role_at_least

if TYPE_CHECKING:
    from maillage.workspaces.models import Workspace

M = TypeVar("M", bound=models.Model)


class WorkspaceRequest(HttpRequest):
    """A request as the views see it once ``CurrentWorkspaceMiddleware`` ran (for the type checker only)."""

    workspace: Workspace | None
    workspace_role: str | None


class WorkspaceScopedQuerySet(models.QuerySet[M]):
    """Rows that belong to one workspace. ``visible_to(None)`` is empty, never everything.

    The one implementation of ``visible_to``: every model with a workspace (directly or through its alliance)
    gets its manager from this queryset. A model says how a row reaches its workspace by ``scope_lookup`` (a
    lookup to the workspace, ``"workspace"`` by default), or by overriding :meth:`scope` when the rule is not a
    plain lookup (an alliance is visible to the workspaces of its active parties).
    """

    scope_lookup: str = "workspace"

    def scope(self, workspace: Workspace) -> models.Q | BaseExpression:
        """The condition that keeps the rows of ``workspace`` (never called with ``None``)."""
        return models.Q(**{self.scope_lookup: workspace})

    def visible_to(self, workspace: Workspace | None) -> Self:
        if workspace is None:
            return self.none()
        return self.filter(self.scope(workspace))


class ThroughAllianceQuerySet(WorkspaceScopedQuerySet[M]):
    """Rows that are visible with their alliance (contributions, evaluations): the alliance's rule, reused."""

    def scope(self, workspace: Workspace) -> models.Q:
        from django.apps import apps

        alliance = apps.get_model("alliances", "Alliance")
        return models.Q(alliance__in=alliance.objects.visible_to(workspace))


def get_visible_or_404(queryset: models.QuerySet[M], **lookup: Any) -> M:
    """One object from an already scoped queryset, or 404 (never 403: existence is not disclosed)."""
    try:
        return queryset.get(**lookup)
    except (ObjectDoesNotExist, ValueError, TypeError) as exc:
        raise Http404("Objet introuvable.") from exc


View = Callable[..., HttpResponse]


def workspace_required(minimum: str = Role.VIEWER) -> Callable[[View], View]:
    """View decorator: a logged-in user acting for a current workspace with at least ``minimum`` role.

    Without a workspace the user is sent to create or choose one; with too low a role the answer is 403
    (the workspace is theirs, only the action is refused).
    """

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapper(request: WorkspaceRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                from django.contrib.auth.views import redirect_to_login

                return redirect_to_login(request.get_full_path())
            if getattr(request, "workspace", None) is None:
                return redirect(settings.WORKSPACE_CHOICE_URL)
            if not role_at_least(request.workspace_role, minimum):
                raise PermissionDenied("Votre rôle dans cet espace ne permet pas cette action.")
            return view(request, *args, **kwargs)

        wrapper.minimum_role = minimum  # type: ignore[attr-defined]  # a function's attribute, read by the access matrix
        return wrapper

    return decorator
