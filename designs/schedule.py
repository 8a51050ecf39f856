"""Where independent jobs run: a thread pool on this machine (the default), or a Dask cluster
(``dask_executor``: a ``LocalCluster`` of N worker processes, or a running scheduler). Every
study submits its jobs through ``run_longest_first``, which uses the executor the command line
chose (``using``) and otherwise ``jobs`` threads. Jobs start longest first
(``Config.work_rank``), so the last jobs of a pool are short; results come back in the order
given.

A job sent to Dask is pickled (cloudpickle): a ``Config`` travels as its design's name and
parameters (``Config.__reduce__``). Workers must see the same file system as this process
(the build folders), as a ``LocalCluster`` or a cluster on a shared disk does. A worker that
dies loses no finished result: every synthesis and simulation stores its result in its own
folder (``designs.files.store_result``) as it ends, and Dask runs the lost jobs again on
another worker, where they find what was stored."""

from __future__ import annotations

import contextlib
import contextvars
from concurrent.futures import ThreadPoolExecutor
from typing import Callable, Iterator, Sequence, TypeVar

from .errors import UsageError
from .registry import Config

__all__ = ["run_longest_first", "ThreadExecutor", "DaskExecutor", "using", "dask_executor",
           "current_executor"]

T = TypeVar("T")
R = TypeVar("R")


class ThreadExecutor:
    """``jobs`` threads of this process."""

    def __init__(self, jobs: int):
        self.jobs = max(1, jobs)
        self.name = f"{self.jobs} thread{'s' * (self.jobs > 1)}"

    def map(self, job: Callable[[T], R], items: Sequence[T], order: list[int]) -> list[R]:
        with ThreadPoolExecutor(max_workers=self.jobs) as pool:
            done = dict(pool.map(lambda k: (k, job(items[k])), order))
        return [done[k] for k in range(len(items))]


class DaskExecutor:
    """A Dask ``distributed.Client`` (made by ``connect`` on first use, so a command checks
    its input before any cluster starts): each job a task, submitted in ``order`` (earlier
    first)."""

    def __init__(self, connect: Callable[[], object], name: str, announce=print):
        self._connect, self._client, self.name, self._announce = connect, None, name, announce

    @property
    def client(self):
        if self._client is None:
            self._client = self._connect()
            self._announce(f"jobs run on {self.name}")
        return self._client

    def map(self, job: Callable[[T], R], items: Sequence[T], order: list[int]) -> list[R]:
        from distributed import as_completed
        futures = {self.client.submit(job, items[k], pure=False, priority=len(order) - rank): k
                   for rank, k in enumerate(order)}
        done = {}
        for future in as_completed(futures):
            done[futures[future]] = future.result()
        return [done[k] for k in range(len(items))]


_EXECUTOR: contextvars.ContextVar = contextvars.ContextVar("baps_executor", default=None)


def current_executor(jobs: int):
    """The executor ``using`` set, or ``jobs`` threads."""
    return _EXECUTOR.get() or ThreadExecutor(jobs)


@contextlib.contextmanager
def using(executor) -> Iterator:
    """Run every ``run_longest_first`` of this thread on ``executor`` inside the block."""
    token = _EXECUTOR.set(executor)
    try:
        yield executor
    finally:
        _EXECUTOR.reset(token)


@contextlib.contextmanager
def dask_executor(workers: int | None = None, scheduler: str | None = None,
                  announce=print) -> Iterator:
    """A ``DaskExecutor`` on a new ``LocalCluster`` of ``workers`` processes (one thread each,
    on the loopback address), or on the running scheduler at ``scheduler``
    (``tcp://host:8786``); the cluster starts at the first job and closes at the end of the
    block. ``announce`` tells where the jobs run, once they start."""
    if (workers is None) == (scheduler is None):
        raise UsageError("give exactly one of --dask N and --scheduler ADDRESS")
    if workers is not None and not 1 <= workers <= 256:
        raise UsageError(f"--dask {workers}: allowed: 1 to 256 workers")
    with contextlib.ExitStack() as stack:
        def connect():
            from distributed import Client, LocalCluster
            if scheduler is None:
                cluster = stack.enter_context(LocalCluster(
                    n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                    dashboard_address=":0"))
                return stack.enter_context(Client(cluster))
            try:
                return stack.enter_context(Client(scheduler, timeout=10))
            except (OSError, TimeoutError, ValueError) as err:
                raise UsageError(f"--scheduler {scheduler}: no Dask scheduler answered "
                                 f"({type(err).__name__}); allowed: the address of a running "
                                 "scheduler, tcp://HOST:PORT") from None
        name = (f"Dask LocalCluster, {workers} worker{'s' * (workers > 1)}" if scheduler is None
                else f"Dask scheduler {scheduler}")
        yield DaskExecutor(connect, name, announce)


def run_longest_first(items: Sequence[T], job: Callable[[T], R], jobs: int,
                      config_of: Callable[[T], Config] = lambda item: item) -> list[R]:
    """``[job(item) for item in items]``, started longest first, on the executor the command
    chose (``using``) or on ``jobs`` threads."""
    ranks = [config_of(item).work_rank() for item in items]
    order = sorted(range(len(items)), key=lambda k: ranks[k])
    return current_executor(jobs).map(job, items, order)
