"""The current workspace of a request, checked against active memberships on every request."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from maillage.core.middleware import SESSION_WORKSPACE_KEY
from maillage.core.tenancy import WorkspaceRequest
from maillage.workspaces.models import Membership


class CurrentWorkspaceMiddleware:
    """Set ``request.workspace`` and ``request.workspace_role`` from the session, checked against memberships."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: WorkspaceRequest) -> HttpResponse:
        request.workspace = None
        request.workspace_role = None
        if request.user.is_authenticated:
            # The organisation comes along: every page chooses its words by its kind (web.context_processors.side).
            memberships = (
                Membership.objects.active().filter(user=request.user).select_related("workspace__organization")
            )
            wanted = request.session.get(SESSION_WORKSPACE_KEY)
            membership = None
            if wanted is not None:
                membership = memberships.filter(workspace_id=wanted).first()
            if membership is None:
                membership = memberships.order_by("created_at").first()
                if membership is not None:
                    request.session[SESSION_WORKSPACE_KEY] = membership.workspace_id
            if membership is not None:
                request.workspace = membership.workspace
                request.workspace_role = membership.role
        return self.get_response(request)
