"""Real temporary git repositories shaped like the challenge repository, with a PR branch."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from golfcheck.checks.examples import TRAIN_GPT, good_files

TRACK = "records/track_10min_16mb"


class PrRepo:
    """A repository with a merged record on ``main`` and a ``pr`` branch to add a submission on."""

    def __init__(self, root: Path):
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        self.git("init", "-q", "-b", "main")
        self.write("README.md", "# Parameter Golf\n")
        self.write("train_gpt.py", TRAIN_GPT)
        self.write(f"{TRACK}/2026-03-17_Merged/README.md", "# Merged record\n")
        self.write(f"{TRACK}/2026-03-17_Merged/submission.json", "{}\n")
        self.base = self.commit("base")
        self.git("checkout", "-q", "-b", "pr")

    def git(self, *args: str) -> str:
        env = {**os.environ, "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull}
        cmd = ["git", "-C", str(self.root), "-c", "user.name=Test", "-c", "user.email=test@example.invalid",
               "-c", "commit.gpgsign=false", *args]
        return subprocess.run(cmd, check=True, capture_output=True, text=True, env=env).stdout.strip()

    def write(self, rel: str, content: str | bytes) -> Path:
        p = self.root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            p.write_bytes(content)
        else:
            p.write_text(content, encoding="utf-8")
        return p

    def symlink(self, rel: str, target: str) -> None:
        p = self.root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        os.symlink(target, p)

    def add_submission(self, name: str = "2026-05-01_Tiny", files: dict | None = None, track: str = TRACK,
                       code: str = TRAIN_GPT) -> str:
        folder = f"{track}/{name}"
        self.write(f"{folder}/train_gpt.py", code)
        for rel, text in (good_files() if files is None else files).items():
            self.write(f"{folder}/{rel}", text)
        return folder

    def commit(self, message: str = "pr") -> str:
        self.git("add", "-A")
        self.git("commit", "-q", "-m", message)
        return self.git("rev-parse", "HEAD")


@pytest.fixture
def repo(tmp_path) -> PrRepo:
    return PrRepo(tmp_path / "parameter-golf")
