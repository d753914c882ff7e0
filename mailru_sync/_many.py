"""Many independent API calls at once: ``session.call_many(calls, workers=8)``.

Why threads over one session: a blocking client waits out each call's latency; with the
process-wide pool (:mod:`._pools`) ``workers`` threads keep at most ``workers`` connections
busy, so 1,000 reads at 50 ms take ~6 s on 8 workers instead of 50 s, with no new
connection per call.

Each call goes through ``session.call`` on a worker thread, so everything a single call does
still holds: the rate limiter paces all workers together (it is shared and thread-safe), each
call has its own :attr:`~BaseSession.deadline` (a worker's budget scope is its own), a write
is never resent after a failure that may have reached the platform (the pipeline's rule), and a
token refresh is single-flight across the workers. ``call_many`` itself retries nothing.

On OK (unless ``batch=False``), the reads are grouped into ``batch.executeV2`` requests of up
to 50 (:mod:`._batch`), one request per task; writes are always sent one by one, so one
failing write never takes reads down with it and a batch never has to be a write.

Errors, decided once for every task kind:

* a platform error (:class:`~mailru_sync.APIError`) is that call's result
  (``raise_errors=False``, the default, like ``api.batch``), or raised once every call
  finished (``raise_errors=True``: the first in input order);
* any other library error (:class:`~mailru_sync.TransportError`,
  :class:`~mailru_sync.ResponseError`, ...) is treated the same way: in the results, or
  raised after the others finished. When a whole batch request fails, each call of that batch
  gets the same exception;
* an exception that is not the library's (a bug, ``KeyboardInterrupt`` in a worker) is always
  raised after the other calls finished: no worker is left running behind the caller's back.
  A ``KeyboardInterrupt`` in the caller stops workers from starting further calls.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, cast

from ._caller import Caller
from .exceptions import ConfigurationError, Error, ParameterError

if TYPE_CHECKING:
    from .options import CallManyOptions, Unpack

__all__ = ["DEFAULT_WORKERS", "CallsMany", "call_many"]

#: Threads ``call_many`` uses unless told otherwise.
DEFAULT_WORKERS = 8
_BATCH_METHOD = "batch.executeV2"


_Call = tuple[str, Mapping[str, Any] | None]


class _Task:
    """One request's worth of calls: their input positions and how to run them."""

    __slots__ = ("indexes", "run")

    def __init__(self, indexes: list[int], run: Callable[[], list[Any]]) -> None:
        self.indexes = indexes
        self.run = run


class CallsMany:
    """Mixin of ``BaseSession``: ``session.call_many``."""

    def call_many(
        self,
        calls: Iterable[tuple[str, Mapping[str, Any] | None]],
        **options: Unpack[CallManyOptions],
    ) -> list[Any]:
        """Run independent ``(method, params)`` calls concurrently on ``workers`` threads over
        the shared pool; results in order, each the value or its error (see :mod:`._many`)."""
        return call_many(cast(Caller, self), calls, **options)


def call_many(
    session: Caller,
    calls: Iterable[_Call],
    *,
    workers: int = DEFAULT_WORKERS,
    raise_errors: bool = False,
    batch: bool = True,
) -> list[Any]:
    """Run ``calls`` (``(method, params)`` pairs) concurrently; one result per call, in order.

    Each result is the call's decoded value or the library error it produced (see the module
    doc for ``raise_errors`` and for errors that are not the library's). Every pair is checked
    before anything is sent.
    """
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ConfigurationError(f"workers must be an int >= 1, got {workers!r}")
    checked = [_checked(index, call) for index, call in enumerate(calls)]
    tasks = _tasks(session, checked, batch=batch)
    outcomes = _run(tasks, workers)
    results: list[Any] = [None] * len(checked)
    failures: dict[int, BaseException] = {}
    for task, (values, failure) in zip(tasks, outcomes, strict=True):
        for position, index in enumerate(task.indexes):
            if failure is not None:
                failures[index] = failure
                results[index] = failure
            else:
                value = values[position]
                if isinstance(value, Error):  # an APIError inside a batch answer
                    failures[index] = value
                results[index] = value
    foreign = [exc for _, exc in sorted(failures.items()) if not isinstance(exc, Error)]
    if foreign:
        raise foreign[0]
    if raise_errors and failures:
        raise failures[min(failures)]
    return results


def _checked(index: int, call: object) -> _Call:
    if not isinstance(call, (tuple, list)) or len(call) != 2:
        raise ParameterError(
            f"call_many: call #{index} must be a (method, params) pair, got {type(call).__name__}"
        )
    method, params = call
    if not isinstance(method, str) or not method or " " in method:
        raise ParameterError(
            f"call_many: call #{index}: method must be a name like 'users.getInfo'"
        )
    if params is not None and not isinstance(params, Mapping):
        raise ParameterError(f"call_many: call #{index} ({method}): params must be a dict or None")
    return method, params


def _tasks(session: Caller, calls: list[_Call], *, batch: bool) -> list[_Task]:
    """Single calls, and on OK the reads grouped into batches (module doc)."""
    tasks: list[_Task] = []
    reads: list[int] = []
    grouping = batch and session.platform == "ok"
    for index, (method, params) in enumerate(calls):
        if grouping and method != _BATCH_METHOD and not session.is_write(method):
            reads.append(index)
        else:
            tasks.append(_Task([index], _single(session, method, params)))
    if reads:
        from ._batch import MAX_BATCH_SIZE  # the batch engine loads only for OK batches

        for start in range(0, len(reads), MAX_BATCH_SIZE):
            chunk = reads[start : start + MAX_BATCH_SIZE]
            if len(chunk) == 1:  # a batch of one costs the same round trip, and more bytes
                (index,) = chunk
                tasks.append(_Task(chunk, _single(session, *calls[index])))
            else:
                tasks.append(_Task(chunk, _batched(session, [calls[i] for i in chunk])))
    return tasks


def _single(
    session: Caller, method: str, params: Mapping[str, Any] | None
) -> Callable[[], list[Any]]:
    return lambda: [session.call(method, params)]


def _batched(session: Caller, calls: list[_Call]) -> Callable[[], list[Any]]:
    from ._batch import execute_batch

    return lambda: execute_batch(session, calls, raise_errors=False)


def _run(tasks: list[_Task], workers: int) -> list[tuple[list[Any], BaseException | None]]:
    """Run every task on ``min(workers, len(tasks))`` threads; outcomes in task order."""
    outcomes: list[tuple[list[Any], BaseException | None]] = [([], None)] * len(tasks)
    pending = iter(range(len(tasks)))
    lock = threading.Lock()
    stop = threading.Event()

    def work() -> None:
        while not stop.is_set():
            with lock:
                index = next(pending, None)
            if index is None:
                return
            try:
                outcomes[index] = (tasks[index].run(), None)
            except BaseException as exc:  # every outcome is reported; see the module doc
                outcomes[index] = ([], exc)

    threads = [
        threading.Thread(target=work, name=f"mailru_sync-call_many-{n}", daemon=True)
        for n in range(min(workers, len(tasks)))
    ]
    for thread in threads:
        thread.start()
    try:
        for thread in threads:
            thread.join()
    except BaseException:
        stop.set()  # Ctrl-C in the caller: no further call starts
        raise
    return outcomes
