"""A progress bar on stderr for long audit batches: rich (the ``progress`` extra) when installed,
else one plain line; nothing when stderr is not a terminal or the batch is short."""

from __future__ import annotations

import sys

MIN_UNITS = 8  # below this a batch finishes before a bar is worth drawing


class Progress:
    """The ``progress`` callback of :func:`golfcheck.api.audit_paths`; :meth:`close` it when done."""

    def __init__(self, enabled: bool = True, stream=None, force_terminal: bool | None = None):
        self.stream = stream if stream is not None else sys.stderr
        terminal = self.stream.isatty() if force_terminal is None else force_terminal
        self.enabled = enabled and terminal
        self.force_terminal = force_terminal
        self._bar = None
        self._task = None
        self._plain = False

    def _start(self, total: int) -> None:
        try:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress as Bar, TextColumn, TimeRemainingColumn
        except ImportError:
            self._plain = True
            return
        console = Console(file=self.stream, force_terminal=self.force_terminal)
        self._bar = Bar(TextColumn("audit"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                        console=console, transient=True)
        self._bar.start()
        self._task = self._bar.add_task("audit", total=total)

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled or total < MIN_UNITS:
            return
        if self._bar is None and not self._plain:
            self._start(total)
        if self._bar is not None:
            self._bar.update(self._task, completed=done)
        else:
            self.stream.write(f"\raudited {done}/{total}" + ("\n" if done == total else ""))
            self.stream.flush()

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None
