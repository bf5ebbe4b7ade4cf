"""A unit that takes too long becomes a GC002 finding; the rest of the batch is still audited."""

import time

import pytest

import golfcheck.api as api
from golfcheck.api import audit_paths
from golfcheck.cli import main
from golfcheck.config import load_config
from golfcheck.engine import Options
from golfcheck.errors import GolfcheckError


def _two_files(tmp_path):
    (tmp_path / "slow.py").write_text("x = 1\n")
    (tmp_path / "fast.py").write_text("y = 2\n")
    return tmp_path


def test_a_unit_past_its_time_limit_is_reported_not_lost(tmp_path, monkeypatch):
    root = _two_files(tmp_path)
    real = api.audit_unit

    def slow_for_one(unit, options):
        if unit.code == ("slow.py",):
            time.sleep(5)
        return real(unit, options)

    monkeypatch.setattr(api, "audit_unit", slow_for_one)
    t0 = time.monotonic()
    report = audit_paths([root], Options(timeout=0.5), jobs=1)
    assert time.monotonic() - t0 < 4
    slow = [f for f in report.findings if f.path.endswith("slow.py")]
    assert [f.rule for f in slow] == ["GC002"]
    assert "after 0.5 s" in slow[0].message and "--timeout" in slow[0].message
    assert any(p.endswith("fast.py") for p in report.files)
    assert any(p.endswith("slow.py") for p in report.files)


def test_no_limit_means_no_alarm(tmp_path, monkeypatch):
    import signal

    root = _two_files(tmp_path)
    report = audit_paths([root], Options(timeout=None), jobs=1)
    assert not [f for f in report.findings if f.rule == "GC002"]
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)


def test_timeout_setting_from_pyproject_and_flag(tmp_path):
    cfg = tmp_path / "pyproject.toml"
    cfg.write_text("[tool.golfcheck]\ntimeout = 12.5\n")
    assert load_config(str(cfg)).timeout == 12.5
    cfg.write_text("[tool.golfcheck]\ntimeout = -1\n")
    with pytest.raises(GolfcheckError, match="timeout must be a non-negative number"):
        load_config(str(cfg))


def test_cli_rejects_a_negative_timeout(tmp_path, capsys):
    (tmp_path / "a.py").write_text("x = 1\n")
    assert main(["audit", str(tmp_path / "a.py"), "--timeout", "-3"]) == 2
