"""Access matrix of the observatory: public pages and API, a workspace's position, the staff refresh."""

from __future__ import annotations

from tests.access.common import PUBLIC, ROLES, api_expect, expect


def extend_world(world) -> None:
    pass


def web_matrix(w) -> dict:
    staff_only = expect(viewer=403, member=403, admin=403, owner=403, other_workspace=403, revoked=403)
    return {
        "observatory_home": ("get", {}, {}, PUBLIC),
        "observatory_open_data": ("get", {}, {}, PUBLIC),
        "observatory_data_csv": ("get", {}, {"niveau": "region"}, PUBLIC),
        "observatory_data_json": ("get", {}, {"niveau": "france"}, PUBLIC),
        "observatory_definitions_csv": ("get", {}, {}, PUBLIC),
        "observatory_story_csv": ("get", {"table": "couverture"}, {"niveau": "departement"}, PUBLIC),
        "observatory_story_json": ("get", {"table": "survie"}, {"niveau": "france"}, PUBLIC),
        "observatory_definitions_json": ("get", {}, {}, PUBLIC),
        "observatory_territory": ("get", {"level": "departement", "code": "69"}, {}, PUBLIC),
        "observatory_position": ("get", {}, {}, expect()),
        "observatory_refresh": ("get", {}, {}, staff_only),
    }


def api_matrix(w) -> dict:
    public = dict.fromkeys(ROLES, 200) | api_expect(200, 200, anonymous=200)
    return {
        ("GET", "/api/v1/observatory/indicators"): (public, None, {}),
        ("GET", "/api/v1/observatory/cells"): (public, None, {}),
        ("GET", "/api/v1/observatory/cells.csv"): (public, None, {}),
        ("GET", "/api/v1/observatory/territories/{level}/{code}"): (public, None, {"level": "region", "code": "84"}),
        ("GET", "/api/v1/observatory/territories/{level}/{code}/story"): (
            public,
            None,
            {"level": "region", "code": "84"},
        ),
    }


def body_for(kind):
    return kind
