from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse

SESSION_WORKSPACE_KEY = "workspace_id"
SESSION_LAST_SEEN_KEY = "last_seen"


class IdleSessionTimeoutMiddleware:
    """Log out a session idle for longer than ``SESSION_IDLE_TIMEOUT`` seconds (30 minutes)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            now = int(time.time())
            last_seen = request.session.get(SESSION_LAST_SEEN_KEY)
            if last_seen is not None and now - int(last_seen) > settings.SESSION_IDLE_TIMEOUT:
                logout(request)
            else:
                # Write at most once a minute, so that a page does not always rewrite the session.
                if last_seen is None or now - int(last_seen) > 60:
                    request.session[SESSION_LAST_SEEN_KEY] = now
        return self.get_response(request)
