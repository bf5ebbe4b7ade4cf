"""validate --run: one log per seed, never overwritten, failures keep their logs and tails."""

import sys

from golfcheck.checks.runner import new_log_path, run_seeds

CMD = f"{sys.executable} -c \"import os; print('seed:' + os.environ['SEED']); print('hello')\""
FAIL = f"{sys.executable} -c \"import os, sys; print('about to fail'); sys.exit(3)\""


def test_one_log_per_seed_and_no_overwrite(tmp_path, capsys):
    (tmp_path / "train_seed42.log").write_text("precious\n")
    out = run_seeds(tmp_path, CMD, [42, 7])
    assert [o.ok for o in out] == [True, True]
    assert (tmp_path / "train_seed42.log").read_text() == "precious\n"
    assert out[0].log == "train_seed42_run2.log"
    assert (tmp_path / "train_seed42_run2.log").read_text().startswith("seed:42")
    assert (tmp_path / "train_seed7.log").read_text().startswith("seed:7")
    assert "[seed 7] hello" in capsys.readouterr().err
    assert new_log_path(tmp_path, 42).name == "train_seed42_run3.log"


def test_failed_run_keeps_log_and_tail(tmp_path):
    (o,) = run_seeds(tmp_path, FAIL, [1])
    assert o.returncode == 3 and not o.ok and o.tail == ["about to fail"]
    assert (tmp_path / "train_seed1.log").read_text() == "about to fail\n"
