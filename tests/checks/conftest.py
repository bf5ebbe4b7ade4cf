import pytest


@pytest.fixture(scope="session")
def corpus(shared):
    """``../shared/corpus/records`` (tests skip where it is absent, and fail in CI; the product never needs it)."""
    return shared("corpus/records")
