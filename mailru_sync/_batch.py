"""OK batches: many method calls in few ``batch.executeV2`` requests.

Shape (protocol-notes §2.8, from OK's own Android client): parameter ``methods`` is a JSON array
of one-key objects ``{"<method>": {"params": {...}}}``; the answer is an array with one element
per call, ``{"ok": <the method's result>}`` or ``{"fail": <its error object>}``, in order. The
sub-calls are not signed one by one: the ``methods`` JSON text is one parameter of the batch
request and is signed with it, like any other value (ok-js-sdk signs the stringified JSON).

The largest batch: not found in the public docs (**uncertain**). 50 is what this library sends
and what its emulator enforces; ``batch_size=`` lowers it.

Writes: a batch holding a write method is sent as a write (never resent after a failure that
may have reached the platform); a batch of reads is retried like any read.

Partial results: when request k of a multi-request batch fails, the exception raised carries
``partial_results``, the results of requests 1..k-1 in order (their writes happened). With
``raise_errors=True`` the first sub-call's ``APIError`` is raised after its request, and its
``partial_results`` also hold that request's results. An answer with another number of results
than sub-calls sent is a :class:`~mailru_sync.ResponseError` (nothing of it is guessed).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from .exceptions import APIError, ConfigurationError, Error, ParameterError, ResponseError
from .ok.dialect import api_error, extract_error
from .signer import serialize_params

if TYPE_CHECKING:
    from ._caller import Caller

__all__ = ["MAX_BATCH_SIZE", "execute_batch"]

#: Sub-calls per ``batch.executeV2`` request (see the module doc).
MAX_BATCH_SIZE = 50
BATCH_METHOD = "batch.executeV2"


def execute_batch(
    session: Caller,
    calls: Iterable[tuple[str, Mapping[str, Any] | None]],
    *,
    raise_errors: bool = False,
    batch_size: int = MAX_BATCH_SIZE,
) -> list[Any]:
    """Run ``calls`` (``(method, params)`` pairs) in ``ceil(n / batch_size)`` requests.

    Returns one entry per call, in order: the call's result, or the
    :class:`~mailru_sync.APIError` it produced (``raise_errors=True`` raises the first one
    instead, after its batch). Every call is checked and serialized before anything is sent.
    """
    if session.platform != "ok":
        raise ConfigurationError(
            f"batches are an OK.ru feature (batch.executeV2); {type(session).__name__} is a "
            "Mail.ru session: make the calls one by one"
        )
    if (
        isinstance(batch_size, bool)
        or not isinstance(batch_size, int)
        or not (1 <= batch_size <= MAX_BATCH_SIZE)
    ):
        raise ConfigurationError(
            f"batch_size must be an int from 1 to {MAX_BATCH_SIZE}, got {batch_size!r}"
        )
    prepared = [_prepare(index, call) for index, call in enumerate(calls)]
    results: list[Any] = []
    for chunk in _chunks(prepared, batch_size):
        try:
            answered = _run_chunk(session, chunk)
        except Error as exc:
            # Requests 1..k-1 ran (their writes happened): never hide them behind request k.
            exc.partial_results = list(results)
            raise
        results.extend(answered)
        if raise_errors:
            failed = next((r for r in answered if isinstance(r, APIError)), None)
            if failed is not None:
                failed.partial_results = list(results)  # this request's results included
                raise failed
    return results


def _prepare(index: int, call: object) -> tuple[str, dict[str, str]]:
    if not isinstance(call, (tuple, list)) or len(call) != 2:
        raise ParameterError(
            f"batch call #{index} must be a (method, params) pair, got {type(call).__name__}"
        )
    method, params = call
    if not isinstance(method, str) or not method or " " in method:
        raise ParameterError(f"batch call #{index}: method must be a name like 'users.getInfo'")
    if method == BATCH_METHOD:
        raise ParameterError(f"batch call #{index}: batches cannot be nested")
    if params is not None and not isinstance(params, Mapping):
        raise ParameterError(f"batch call #{index} ({method}): params must be a dict or None")
    return method, serialize_params(params or {}, "ok")


def _chunks(
    items: list[tuple[str, dict[str, str]]], size: int
) -> Iterator[list[tuple[str, dict[str, str]]]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _run_chunk(session: Caller, chunk: list[tuple[str, dict[str, str]]]) -> list[Any]:
    methods = [{method: {"params": params}} for method, params in chunk]
    is_write = any(session.is_write(method) for method, _ in chunk)
    answer = session.call(BATCH_METHOD, {"methods": methods}, write=is_write)
    if not isinstance(answer, list) or len(answer) != len(chunk):
        got = f"{len(answer)} results" if isinstance(answer, list) else type(answer).__name__
        raise ResponseError(
            f"{BATCH_METHOD}: expected a list of {len(chunk)} results, got {got}",
            method=BATCH_METHOD,
        )
    results: list[Any] = []
    for (method, _), item in zip(chunk, answer, strict=True):
        results.append(_result(session, method, item))
    return results


def _result(session: Caller, method: str, item: object) -> Any:
    if isinstance(item, Mapping) and "ok" in item:
        return item["ok"]
    if isinstance(item, Mapping) and isinstance(item.get("fail"), Mapping):
        failure = item["fail"]
        error = extract_error(failure, method)
        if error is not None:
            return api_error(error, failure, method)
    raise ResponseError(
        f"{BATCH_METHOD}: a result for {method} is neither {{'ok': ...}} nor a "
        "{'fail': error object}",
        method=BATCH_METHOD,
    )
