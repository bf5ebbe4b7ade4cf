"""Tests that read ../shared never skip silently: the run says how many skipped and why, and under
GOLFCHECK_REQUIRE_SHARED=1 (set by .ci/run, where ../shared exists) a missing ../shared fails them."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ONE = "tests/cli/test_check_cli.py::test_check_on_an_over_cap_record"


def run(env_extra: dict) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("GOLFCHECK_REQUIRE_SHARED", "GOLFCHECK_SHARED")}
    env.update(env_extra)
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", ONE],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)


def test_a_missing_shared_is_said_and_fails_when_required(tmp_path):
    missing = str(tmp_path / "no-shared-here")
    loose = run({"GOLFCHECK_SHARED": missing})
    assert loose.returncode == 0 and "1 skipped" in loose.stdout
    assert "1 test(s) skipped because ../shared is not available" in loose.stdout
    assert "README.md, 'Tests that read ../shared'" in loose.stdout
    strict = run({"GOLFCHECK_SHARED": missing, "GOLFCHECK_REQUIRE_SHARED": "1"})
    assert strict.returncode == 1 and "GOLFCHECK_REQUIRE_SHARED=1" in strict.stdout


def test_ci_requires_shared():
    text = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "GOLFCHECK_REQUIRE_SHARED=1" in text
