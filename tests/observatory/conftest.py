import pytest


@pytest.fixture(autouse=True)
def no_minimum_age(settings):
    """Workspaces made by the tests are verified just now: count them at once (the minimum age has its own test)."""
    settings.OBSERVATORY_MIN_AGE_DAYS = 0
