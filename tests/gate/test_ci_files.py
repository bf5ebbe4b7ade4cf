"""action.yml and .pre-commit-hooks.yaml: shape, no script injection, no torch, hook folder mapping."""

from __future__ import annotations

import os
import shlex
import subprocess
import tomllib
from pathlib import Path

import pytest

yaml = pytest.importorskip("yaml")
ROOT = Path(__file__).resolve().parents[2]


def test_action_is_composite_and_splices_nothing_into_scripts():
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    assert action["runs"]["using"] == "composite"
    steps = action["runs"]["steps"]
    runs = [s for s in steps if "run" in s]
    assert runs and all(s.get("shell") == "bash" for s in runs)
    for s in runs:
        assert "${{" not in s["run"], f"expression spliced into a script: {s['run']}"
    assert any('pip install' in s["run"] and '"$GITHUB_ACTION_PATH"' in s["run"] for s in runs)
    assert any("golfcheck" in s["run"] and "--format github" in s["run"] for s in runs)
    assert "pull_request_target" not in "".join(s["run"] for s in runs)


def test_action_installs_without_torch():
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    assert not any(d.lower().startswith(("torch", "sentencepiece")) for d in deps)


def test_ci_doc_workflow_is_pull_request_with_full_history():
    text = (ROOT / "docs" / "ci.md").read_text()
    block = text.split("```yaml\n", 1)[1].split("```", 1)[0]
    wf = yaml.safe_load(block)
    assert list(wf[True]) == ["pull_request"]  # YAML reads the key `on` as True
    steps = wf["jobs"]["gate"]["steps"]
    assert steps[0]["with"]["fetch-depth"] == 0
    upload = next(s for s in steps if "upload-sarif" in s.get("uses", ""))
    assert "head.repo.full_name == github.repository" in upload["if"]


def test_precommit_hooks(tmp_path):
    hooks = {h["id"]: h for h in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())}
    assert hooks["golfcheck-audit"]["entry"].startswith("golfcheck audit")
    check = hooks["golfcheck-check"]
    fake = tmp_path / "bin" / "golfcheck"
    fake.parent.mkdir()
    fake.write_text('#!/bin/sh\necho "ran: $*"\n[ "$2" != "records/track_10min_16mb/2026-05-02_Bad" ]\n')
    fake.chmod(0o755)
    files = ["records/track_10min_16mb/2026-05-01_Good/README.md", "records/track_10min_16mb/2026-05-01_Good/a.log",
             "records/track_non_record_16mb/2026-05-03_Other/train_gpt.py",
             "records/track_10min_16mb/2026-05-02_Bad/train_gpt.py"]
    env = {**os.environ, "PATH": f"{fake.parent}{os.pathsep}{os.environ['PATH']}"}
    proc = subprocess.run(shlex.split(check["entry"]) + files, capture_output=True, text=True, env=env)
    assert proc.stdout.splitlines() == [
        "ran: check records/track_10min_16mb/2026-05-01_Good",
        "ran: check records/track_10min_16mb/2026-05-02_Bad",
        "ran: check records/track_non_record_16mb/2026-05-03_Other",
    ]
    assert proc.returncode == 1  # one folder failed, all were checked
