from pathlib import Path

import pytest

CORPUS = (Path(__file__).resolve().parents[2] / ".." / "shared" / "corpus" / "records").resolve()


@pytest.fixture(scope="session")
def corpus():
    """``../shared/corpus/records`` (tests skip where it is absent; the product never needs it)."""
    if not CORPUS.is_dir():
        pytest.skip("../shared/corpus/records is not available")
    return CORPUS


@pytest.fixture
def make_folder(tmp_path):
    """Write ``{rel: text|bytes}`` into a fresh dated folder and return its path."""

    def make(files: dict, name: str = "2026-05-01_Example") -> Path:
        root = tmp_path / name
        root.mkdir(parents=True, exist_ok=True)
        for rel, content in files.items():
            p = root / rel
            p.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                p.write_bytes(content)
            else:
                p.write_text(content, encoding="utf-8")
        return root

    return make
