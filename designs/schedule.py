"""Running jobs over configurations on a thread pool, longest first (``Config.work_rank``), so the
last jobs of a pool are short; results come back in the order given."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Callable, Sequence, TypeVar

from .registry import Config

__all__ = ["run_longest_first"]

T = TypeVar("T")
R = TypeVar("R")


def run_longest_first(items: Sequence[T], job: Callable[[T], R], jobs: int,
                      config_of: Callable[[T], Config] = lambda item: item) -> list[R]:
    """``[job(item) for item in items]`` on ``jobs`` threads, started longest first."""
    ranks = [config_of(item).work_rank() for item in items]
    order = sorted(range(len(items)), key=lambda k: ranks[k])
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        done = dict(pool.map(lambda k: (k, job(items[k])), order))
    return [done[k] for k in range(len(items))]
