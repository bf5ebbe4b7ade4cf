"""``validate --run "CMD"``: run the user's command once per seed and keep one log per seed.

This is the only place golfcheck executes anything, and only on the user's explicit command.
Each run gets ``SEED`` in its environment and the submission folder as cwd; its output is
streamed to stderr and written line by line to ``train_seed<N>.log`` (a new name if that file
exists — an existing log is never overwritten), so finished logs survive a failed or
interrupted run.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, TextIO

DEFAULT_SEEDS = (42, 314, 999, 1234, 2025, 1337, 7, 0, 1, 2)
TAIL_LINES = 20


@dataclass
class RunOutcome:
    seed: int
    log: str  # relative to the folder
    returncode: int | None
    tail: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    def to_dict(self) -> dict:
        return {"seed": self.seed, "log": self.log, "returncode": self.returncode, "ok": self.ok,
                "tail": self.tail if not self.ok else []}


def new_log_path(folder: Path, seed: int) -> Path:
    """``train_seed<N>.log``, or ``train_seed<N>_run<k>.log`` when that exists."""
    p = folder / f"train_seed{seed}.log"
    k = 2
    while p.exists():
        p = folder / f"train_seed{seed}_run{k}.log"
        k += 1
    return p


def run_one(folder: Path, command: str, seed: int, stream: TextIO | None = None) -> RunOutcome:
    stream = stream or sys.stderr
    path = new_log_path(folder, seed)
    env = dict(os.environ, SEED=str(seed))
    tail: deque[str] = deque(maxlen=TAIL_LINES)
    rc: int | None = None
    with open(path, "x", encoding="utf-8", errors="replace") as log:
        try:
            proc = subprocess.Popen(command, shell=True, cwd=folder, env=env, stdout=subprocess.PIPE,
                                    stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        except OSError as exc:
            msg = f"golfcheck: could not start the command: {exc}"
            log.write(msg + "\n")
            return RunOutcome(seed, path.name, None, [msg])
        try:
            assert proc.stdout is not None
            for raw in iter(proc.stdout.readline, b""):
                line = raw.decode("utf-8", errors="replace")
                log.write(line)
                log.flush()
                tail.append(line.rstrip("\n"))
                stream.write(f"[seed {seed}] {line}" if line.endswith("\n") else f"[seed {seed}] {line}\n")
                stream.flush()
            rc = proc.wait()
        except BaseException:
            proc.kill()
            proc.wait()
            raise
    return RunOutcome(seed, path.name, rc, list(tail))


def run_seeds(folder: str | Path, command: str, seeds: list[int], stream: TextIO | None = None,
              on_done: Callable[[RunOutcome], None] | None = None) -> list[RunOutcome]:
    folder = Path(folder)
    out = []
    for i, seed in enumerate(seeds, 1):
        (stream or sys.stderr).write(f"golfcheck: run {i}/{len(seeds)}: SEED={seed} {command}\n")
        r = run_one(folder, command, seed, stream)
        out.append(r)
        if on_done:
            on_done(r)
    return out
