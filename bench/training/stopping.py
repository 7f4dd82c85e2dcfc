"""Stopping a run without losing it: Ctrl-C, SIGTERM and SIGHUP (what a cluster sends before it
pre-empts a job) ask the loop to stop after the current step, which it checkpoints first.

A second Ctrl-C stops at once, keeping the last checkpoint written. Handlers are installed only
in the main thread (Python delivers signals there) and restored afterwards.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from types import FrameType

from derainbench.errors import DerainBenchError

SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name)
)


class TrainingInterruptedError(DerainBenchError):
    """Training stopped by a signal; ``exit_code`` is the shell's 128 + the signal number."""

    def __init__(self, message: str, signal_number: int = signal.SIGINT) -> None:
        super().__init__(message)
        self.exit_code = 128 + int(signal_number)


class StopNow(KeyboardInterrupt):
    """A second interrupt: stop without finishing the step (the last checkpoint stays)."""


class StopRequest:
    """Which signal asked the loop to stop, if any."""

    def __init__(self) -> None:
        self.signal_number: int | None = None

    @property
    def requested(self) -> bool:
        return self.signal_number is not None

    def _handle(self, signal_number: int, frame: FrameType | None) -> None:
        if self.signal_number is not None and signal_number == signal.SIGINT:
            raise StopNow
        self.signal_number = signal_number


@contextlib.contextmanager
def stop_on_signals() -> Iterator[StopRequest]:
    """Turn SIGINT, SIGTERM and SIGHUP into a stop request for the duration."""
    request = StopRequest()
    if threading.current_thread() is not threading.main_thread():
        yield request
        return
    previous = {number: signal.getsignal(number) for number in SIGNALS}
    for number in SIGNALS:
        signal.signal(number, request._handle)
    try:
        yield request
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
