"""Token authentication: ``Authorization: Bearer mlg_…``, one token per user and workspace."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.utils import timezone
from ninja.security import HttpBearer

from maillage.core.roles import Role, role_at_least
from maillage.workspaces.models import ApiToken, Membership, hash_token


class TokenAuth(HttpBearer):
    def authenticate(self, request, token: str):
        if not token or len(token) > 200:
            return None
        api_token = (
            ApiToken.objects.select_related("user", "workspace")
            .filter(key_hash=hash_token(token), revoked_at__isnull=True, user__is_active=True)
            .first()
        )
        if api_token is None:
            return None
        membership = Membership.objects.active().filter(user=api_token.user, workspace=api_token.workspace).first()
        if membership is None:
            return None
        request.user = api_token.user
        request.workspace = api_token.workspace
        request.workspace_role = membership.role
        now = timezone.now()
        if api_token.last_used_at is None or (now - api_token.last_used_at).total_seconds() > 300:
            ApiToken.objects.filter(pk=api_token.pk).update(last_used_at=now)
        return api_token


def require_role(request, minimum: str = Role.MEMBER) -> None:
    if not role_at_least(getattr(request, "workspace_role", None), minimum):
        raise PermissionDenied("Votre rôle dans cet espace ne permet pas cette action (lecture seule).")
