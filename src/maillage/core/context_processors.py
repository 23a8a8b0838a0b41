from django.http import HttpRequest

from maillage.core.roles import Role, role_at_least


def workspace(request: HttpRequest) -> dict[str, object]:
    role = getattr(request, "workspace_role", None)
    return {
        "current_workspace": getattr(request, "workspace", None),
        "current_role": role,
        "current_role_label": Role(role).label if role else "",
        "can_write": role_at_least(role, Role.MEMBER),
        "can_admin": role_at_least(role, Role.ADMIN),
    }
