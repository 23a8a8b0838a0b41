"""The audit journal of logins (``auth.login``, ``auth.login_failed``, ``auth.logout``), whatever the entry point,
and the username under which django-axes counts failures (the address in lower case)."""

from __future__ import annotations

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed

from maillage.audit.actions import record_event


def axes_username(request, credentials=None) -> str:
    """``AXES_USERNAME_CALLABLE``: lock ``Admin@A.test`` and ``admin@a.test`` as one username."""
    from django.conf import settings

    field = settings.AXES_USERNAME_FORM_FIELD
    if credentials:
        value = credentials.get(field)
    else:
        value = getattr(request, "data", request.POST).get(field) if request is not None else None
    return str(value or "").strip().lower()[:254]


def _logged_in(sender, request, user, **kwargs) -> None:
    record_event(action="auth.login", actor=user, request=request)


def _login_failed(sender, credentials, request=None, **kwargs) -> None:
    from maillage.workspaces.models import User

    email = axes_username(request, credentials)
    user = User.objects.filter(email=email).first() if email else None
    details: dict[str, object] = {"email": email}
    if getattr(request, "axes_locked_out", False):
        details["locked"] = True
    record_event(action="auth.login_failed", actor=user, details=details, request=request)


def _logged_out(sender, request, user, **kwargs) -> None:
    if user is not None:
        record_event(action="auth.logout", actor=user, request=request)


def connect() -> None:
    user_logged_in.connect(_logged_in, dispatch_uid="maillage.audit.login")
    user_login_failed.connect(_login_failed, dispatch_uid="maillage.audit.login_failed")
    user_logged_out.connect(_logged_out, dispatch_uid="maillage.audit.logout")
