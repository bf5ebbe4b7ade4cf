from pathlib import Path

import pytest

CORPUS = (Path(__file__).resolve().parents[2] / ".." / "shared" / "corpus" / "records").resolve()


@pytest.fixture(scope="session")
def corpus():
    """``../shared/corpus/records`` (tests skip where it is absent; the product never needs it)."""
    if not CORPUS.is_dir():
        pytest.skip("../shared/corpus/records is not available")
    return CORPUS


