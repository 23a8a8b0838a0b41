"""What every page needs to choose its words: which side of an alliance the current workspace mostly stands on."""

from django.http import HttpRequest

from maillage.contributions.queries import is_giver_side


def side(request: HttpRequest) -> dict:
    workspace = getattr(request, "workspace", None)
    return {"giver_side": workspace is not None and is_giver_side(workspace.organization)}
