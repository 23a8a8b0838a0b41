from __future__ import annotations

import pytest

from tests.receipts.factories import gift, make_alliance, make_eligible


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def owner(people):
    return people["owner"]


@pytest.fixture
def eligible(workspace_a, owner):
    return make_eligible(workspace_a, owner)


@pytest.fixture
def alliance(workspace_a, owner):
    return make_alliance(workspace_a, owner)


@pytest.fixture
def money_gift(alliance, workspace_a, owner):
    return gift(alliance, workspace_a, owner)
