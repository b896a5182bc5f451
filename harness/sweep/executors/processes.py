"""`processes`: a pool of local worker processes, each computing one run at a time.

A purpose-built pool rather than `concurrent.futures.ProcessPoolExecutor`: when a worker dies
(SIGKILL, out of memory) that pool breaks as a whole and cannot say whose job died, whereas here
each worker's pipe and process sentinel are watched, so exactly the lost job is reported (and
retried by the driver) and only that worker is replaced.
"""

from __future__ import annotations

import os
import signal
from collections import deque
from collections.abc import Collection
from dataclasses import dataclass
from itertools import count
from typing import Any

from harness.api import ConfigError
from harness.executors import Executor, WorkerLost

#: Thread pools a worker sizes to its share of the cores (unless the environment already does):
#: OpenMP (torch's intra-op pool) and the BLAS libraries numpy and scipy use.
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def _worker_main(conn: Any, threads: int = 1) -> None:
    """A worker process: receive jobs, send results, until told to stop (None) or orphaned.

    `threads` is the worker's share of the cores: two workers each spinning up a pool as wide as
    the machine would compete for the same cores. Set before torch or numpy is imported here."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the driver's: a pending one is discarded here
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})  # it started blocked (_start_blocking_ctrl_c)
    for variable in THREAD_VARIABLES:
        os.environ.setdefault(variable, str(threads))
    from harness.sweep.worker import execute

    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return
        if job is None:
            return
        conn.send(execute(job))


def _start_blocking_ctrl_c(process: Any) -> None:
    """Start `process` with SIGINT blocked, which the new interpreter inherits through exec until
    `_worker_main` ignores it: a Ctrl-C to the process group while the worker imports would
    otherwise print its traceback.

    The driver's own Ctrl-C in that instant is held, never lost, and raised once the worker is
    started. Not by ignoring SIGINT here: the disposition is the whole process's, so a Ctrl-C
    that the kernel hands to another of the driver's threads (DuckDB's, torch's; only this one
    blocks it) would be discarded, and the sweep would run on to exit 0."""
    from multiprocessing import resource_tracker

    # multiprocessing starts its resource tracker on a process's first spawn and unblocks SIGINT
    # once the tracker runs, which would undo the block below: start it before blocking
    resource_tracker.ensure_running()
    caught: list[int] = []
    handler = signal.signal(signal.SIGINT, lambda signum, frame: caught.append(signum))
    try:
        blocked = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
        try:
            process.start()
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, blocked)  # a pending Ctrl-C is delivered, to `caught`
    finally:
        signal.signal(signal.SIGINT, handler if handler is not None else signal.SIG_DFL)
    if caught:
        raise KeyboardInterrupt


@dataclass
class _Slot:
    process: Any
    conn: Any
    handle: int | None = None


class ProcessesExecutor(Executor):
    name = "processes"
    description = "a pool of local worker processes (--workers N, default: the CPU count)"
    shares_filesystem = True

    def __init__(self, workers: int | None = None, address: str | None = None) -> None:
        super().__init__(workers, address)
        if address:
            raise ConfigError("--address is for the ray executor; processes run on this machine")
        if workers is not None and workers < 1:
            raise ConfigError(f"--workers must be at least 1, got {workers}")
        self.size = workers or os.cpu_count() or 1
        self._slots: list[_Slot] = []
        self._queue: deque[tuple[int, Any]] = deque()
        self._ids = count()

    def start(self) -> None:
        import multiprocessing

        # spawn, not fork: the driver holds DuckDB and maybe torch threads, which fork does not copy safely
        self._context = multiprocessing.get_context("spawn")
        self._slots = []
        for _ in range(self.size):  # one by one: an interrupted start leaves shutdown() the ones started
            self._slots.append(self._spawn())

    def _spawn(self) -> _Slot:
        parent, child = self._context.Pipe()
        threads = max(1, (os.cpu_count() or 1) // self.size)
        process = self._context.Process(target=_worker_main, args=(child, threads), daemon=True, name="harness-worker")
        try:
            _start_blocking_ctrl_c(process)
        except KeyboardInterrupt:  # the sweep ends: no worker left behind, if one had started yet
            if process.pid is not None:
                process.kill()
                process.join(timeout=5)
            raise
        finally:
            child.close()
        return _Slot(process, parent)

    def submit(self, job: Any) -> int:
        handle = next(self._ids)
        self._queue.append((handle, job))
        self._dispatch()
        return handle

    def _dispatch(self) -> None:
        for i, slot in enumerate(self._slots):
            if slot.handle is None and not slot.process.is_alive():
                self._slots[i] = slot = self._spawn()
            if slot.handle is None and self._queue:
                handle, job = self._queue.popleft()
                try:
                    slot.conn.send(job)
                except (BrokenPipeError, OSError):  # died between jobs: give the job to a fresh worker
                    self._queue.appendleft((handle, job))
                    self._slots[i] = self._spawn()
                    continue
                slot.handle = handle

    def wait(self, handles: Collection[Any], timeout: float | None) -> list[tuple[Any, Any]]:
        from multiprocessing.connection import wait

        self._dispatch()
        busy = [s for s in self._slots if s.handle is not None]
        if not busy:
            return []
        ready = set(wait([s.conn for s in busy] + [s.process.sentinel for s in busy], timeout))
        done: list[tuple[Any, Any]] = []
        for slot in busy:
            if slot.conn not in ready and slot.process.sentinel not in ready:
                continue
            handle = slot.handle
            try:
                if slot.conn.poll():
                    done.append((handle, slot.conn.recv()))
                    slot.handle = None
                    continue
            except (EOFError, OSError):
                pass
            slot.process.join(timeout=5)
            if slot.process.is_alive():  # pipe broke but the process lives on: do not leave it behind
                slot.process.kill()
                slot.process.join(timeout=5)
            code = slot.process.exitcode
            how = f"signal {-code} ({signal.Signals(-code).name})" if code is not None and code < 0 else f"exit code {code}"
            done.append((handle, WorkerLost(f"worker process {slot.process.pid} died ({how})")))
            slot.handle = None
        self._dispatch()
        return done

    def shutdown(self) -> None:
        for slot in self._slots:
            if slot.handle is None and slot.process.is_alive():
                try:
                    slot.conn.send(None)
                except OSError:
                    pass
        for slot in self._slots:
            if slot.handle is not None:  # interrupted mid-run: its samples are safe in the spool
                slot.process.terminate()
        for slot in self._slots:
            slot.process.join(timeout=10)
            if slot.process.is_alive():
                slot.process.kill()
                slot.process.join(timeout=5)
            slot.conn.close()
        self._slots = []

    def describe(self) -> str:
        return f"processes ({self.size} local worker processes)"
