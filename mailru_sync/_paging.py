"""Paging through listings: one engine, one rule per method (the tables live per platform).

Why a table: every listing pages differently (Mail.ru ``stream.get`` continues after the id of
the last event seen and ignores ``offset``; OK sends an opaque ``anchor`` with ``has_more``, and
``photos.getAlbums`` spells them ``pagingAnchor``/``hasMore``). A wrong guess loops forever or
silently yields one page, so each method's rule is written down once, as data
(``mailru_sync.mailru.paging``, ``mailru_sync.ok.paging``), and :func:`iterate` applies it.

Ending: a page-based listing ends on an empty page (even when the platform says there is more:
``has_more: true`` with no items is not a promise worth another request) or when the platform
says there is no more (``has_more: false``). A short page alone never ends it: a platform that
caps the page below the size asked for would otherwise lose everything after the first page.

Never looping: a cursor or anchor seen before anywhere in the listing, or (for offsets) a page
identical to any earlier page, raises :class:`~mailru_sync.PagingError`: a cycle of any length is
caught, not only the same page twice. And every request counts toward :data:`MAX_REQUESTS` per
listing, empty pages included, so even pages that never repeat cannot run for ever.

Progress (``progress=True``): a bar shows a total when one is known before the items arrive:
``max_items``, the length of a listing answered whole, or the count the platform reports with
the first page (OK's ``totalCount``, asked for with ``detectTotalCount`` only while a bar is
shown, so a plain iteration sends exactly what it did before).
"""

from __future__ import annotations

import hashlib
import importlib
import json
import sys
from collections.abc import Callable, Iterator, Mapping
from typing import Any, Literal, NamedTuple, Protocol

from .exceptions import ConfigurationError, PagingError, ResponseError

__all__ = ["MAX_REQUESTS", "Paging", "by_anchor", "by_offset", "by_skip", "iterate", "unpaged"]

Style = Literal["skip", "offset", "anchor", "unpaged"]

#: Requests one listing may make (empty pages included) before it raises PagingError: at the
#: largest pages that is a million items; a longer walk should be split (``max_items``, or
#: calling the method directly with a cursor).
MAX_REQUESTS = 10_000


class Paging(NamedTuple):
    """How one listing method pages. Build rows with :func:`by_skip`, :func:`by_offset`,
    :func:`by_anchor` or :func:`unpaged`."""

    style: Style
    #: Parameter carrying the page size (``limit``, ``count``); ``None`` for unpaged lists.
    size_param: str | None = None
    #: Largest page the platform serves: the default page size, and the cap of ``page_size``.
    max_size: int = 100
    #: Parameter carrying the position (``skip``, ``offset``, ``anchor``, ``pagingAnchor``).
    cursor_param: str | None = None
    #: Key of the items in a dict result; ``None`` = the result is the list of items.
    items_key: str | None = None
    #: Item field whose value is the next ``skip`` (skip style).
    id_key: str = "id"
    #: Result keys of the next anchor and of the "more pages" flag (anchor style).
    anchor_key: str = "anchor"
    more_key: str = "has_more"
    #: Direction parameter (anchor style), sent as ``FORWARD`` unless the call gives one.
    direction_param: str | None = None
    #: Parameter asking the platform to count the whole listing (OK ``detectTotalCount``),
    #: sent only while a progress bar is shown, and the result key of that count.
    total_param: str | None = None
    total_key: str | None = None


class Lister(Protocol):
    """What paging needs of a session: its paging table and its ``call``."""

    @property
    def PAGING(self) -> Mapping[str, Paging]: ...

    def call(self, method: str, params: Mapping[str, Any] | None = None) -> Any: ...



def by_skip(*, max_size: int = 100, id_key: str = "id") -> Paging:
    """Mail.ru feeds: ``skip`` = id of the last item seen, ``limit`` = page size; a list result."""
    return Paging("skip", "limit", max_size, "skip", id_key=id_key)


def by_offset(*, max_size: int = 100, size_param: str = "limit") -> Paging:
    """``offset`` = items to skip, ``limit`` = page size; a list result."""
    return Paging("offset", size_param, max_size, "offset")


def by_anchor(
    items_key: str,
    *,
    max_size: int = 100,
    cursor: str = "anchor",
    more: str = "has_more",
    direction: str = "direction",
    total_param: str | None = None,
    total_key: str | None = None,
) -> Paging:
    """OK: ``anchor``, ``direction``, ``count`` in; ``{items_key: [...], anchor, has_more}`` out.

    ``total_param``/``total_key``: how the listing reports its whole length, if it can.
    """
    return Paging(
        "anchor",
        "count",
        max_size,
        cursor,
        items_key=items_key,
        anchor_key=cursor,
        more_key=more,
        direction_param=direction,
        total_param=total_param,
        total_key=total_key,
    )


def unpaged(items_key: str | None = None) -> Paging:
    """A listing the platform returns whole in one answer (``iter`` still yields its items)."""
    return Paging("unpaged", items_key=items_key)


class Progress(Protocol):
    """What a progress display offers (``tqdm.auto.tqdm`` and :class:`_Counter`)."""

    total: int | float | None

    def update(self, n: int) -> object: ...

    def refresh(self) -> object: ...

    def close(self) -> object: ...


class Total(NamedTuple):
    """What a pager yields, before the pages, when it learns the length of the whole listing."""

    length: int


#: A pager yields pages of items, and at most one :class:`Total`.
Page = list[Any] | Total


def iterate(
    session: Lister,
    method: str,
    params: Mapping[str, Any] | None = None,
    *,
    max_items: int | None = None,
    page_size: int | None = None,
    progress: bool = False,
) -> Iterator[Any]:
    """Yield every item of listing ``method``, fetching pages lazily (see the module doc).

    Options are checked now, not at the first ``next()``, so a typo fails where it was made.
    """
    rules: Mapping[str, Paging] = session.PAGING
    rule = rules.get(method)
    if rule is None:
        supported = ", ".join(sorted(rules)) or "none"
        raise ConfigurationError(
            f"{method!r} has no paging rule for {type(session).__name__}; supported listings: "
            f"{supported}. Call it directly, or add a row to the session's PAGING table"
        )
    given = dict(params or {})
    if max_items is not None and (
        isinstance(max_items, bool) or not isinstance(max_items, int) or max_items < 0
    ):
        raise ConfigurationError(f"max_items must be an int >= 0 or None, got {max_items!r}")
    size = rule.max_size if page_size is None else page_size
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise ConfigurationError(f"page_size must be an int >= 1, got {page_size!r}")
    if rule.style != "unpaged" and size > rule.max_size:
        raise ConfigurationError(
            f"page_size={size} is more than {method} serves per page ({rule.max_size})"
        )
    for name in (rule.size_param, rule.cursor_param):
        if name is not None and name in given:
            raise ConfigurationError(
                f"{method}.iter sets {name!r} itself; use page_size= (and start from the "
                "beginning), or call the method directly for one page"
            )
    if progress and rule.total_param is not None:
        given.setdefault(rule.total_param, True)  # the count costs the platform: only for a bar
    pages = _PAGERS[rule.style](_Counted(session, method), method, rule, given, size)
    return _limited(pages, method, max_items, progress)


class _Counted:
    """The session as a pager sees it: each call counts toward :data:`MAX_REQUESTS`."""

    __slots__ = ("PAGING", "_method", "_requests", "_session")

    def __init__(self, session: Lister, method: str) -> None:
        self._session = session
        self._method = method
        self._requests = 0
        self.PAGING = session.PAGING

    def call(self, method: str, params: Mapping[str, Any] | None = None) -> Any:
        if self._requests >= MAX_REQUESTS:
            raise PagingError(
                f"{self._method}: {MAX_REQUESTS} requests and the listing has not ended; "
                "stopped instead of walking on (pass max_items=, or page by hand with the "
                "method's cursor)",
                method=self._method,
            )
        self._requests += 1
        return self._session.call(method, params)


Pager = Callable[["Lister", str, Paging, dict[str, Any], int], Iterator[Page]]


def _limited(
    pages: Iterator[Page], method: str, max_items: int | None, progress: bool
) -> Iterator[Any]:
    """The items, at most ``max_items``; the bar (and the first request) wait for ``next()``."""
    bar = _progress(method, max_items) if progress else None
    count = 0
    try:
        if max_items == 0:
            return
        for page in pages:
            if isinstance(page, Total):
                if bar is not None:
                    bar.total = page.length if max_items is None else min(page.length, max_items)
                    bar.refresh()
                continue
            for item in page:
                yield item
                count += 1
                if bar is not None:
                    bar.update(1)
                if max_items is not None and count >= max_items:
                    return
    finally:
        pages_close = getattr(pages, "close", None)
        if callable(pages_close):
            pages_close()
        if bar is not None:
            bar.close()


def _items(session: Lister, method: str, rule: Paging, result: Any) -> list[Any]:
    """The list of items in one answer, or a ResponseError naming what came instead."""
    items = (
        result.get(rule.items_key)
        if (rule.items_key is not None and isinstance(result, Mapping))
        else result
    )
    if rule.items_key is not None and isinstance(result, Mapping) and items is None:
        return []  # OK leaves the key out of an empty page
    if not isinstance(items, list):
        where = f"[{rule.items_key!r}]" if rule.items_key else ""
        raise ResponseError(
            f"{method}: expected a list of items{where}, got {type(items).__name__}; the "
            "paging rule does not match this answer",
            method=method,
        )
    return items


def _unpaged(
    session: Lister, method: str, rule: Paging, params: dict[str, Any], size: int
) -> Iterator[Page]:
    items = _items(session, method, rule, session.call(method, params))
    yield Total(len(items))  # answered whole: its length is the total
    yield items


def _skip(
    session: Lister, method: str, rule: Paging, params: dict[str, Any], size: int
) -> Iterator[Page]:
    assert rule.size_param is not None and rule.cursor_param is not None
    cursor: str | None = None
    seen: set[str] = set()
    while True:
        call = {**params, rule.size_param: size}
        if cursor is not None:
            call[rule.cursor_param] = cursor
        page = _items(session, method, rule, session.call(method, call))
        if not page:
            return
        last = page[-1]
        if not isinstance(last, Mapping) or last.get(rule.id_key) in (None, ""):
            raise ResponseError(
                f"{method}: the last item has no {rule.id_key!r} to continue after",
                method=method,
            )
        cursor = str(last[rule.id_key])
        if cursor in seen:
            raise PagingError(
                f"{method}: the platform answered {rule.cursor_param}={cursor} with a page "
                "ending at the same item again; stopped instead of looping",
                method=method,
            )
        seen.add(cursor)
        yield page


def _fingerprint(page: list[Any]) -> bytes:
    """A digest of a page (a listing remembers one per page, not the pages themselves)."""
    text = json.dumps(page, sort_keys=True, default=repr, ensure_ascii=False)
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).digest()


def _offset(
    session: Lister, method: str, rule: Paging, params: dict[str, Any], size: int
) -> Iterator[Page]:
    assert rule.size_param is not None and rule.cursor_param is not None
    offset = 0
    seen: dict[bytes, int] = {}  # digest of each page -> the offset that returned it
    while True:
        call = {**params, rule.size_param: size, rule.cursor_param: offset}
        page = _items(session, method, rule, session.call(method, call))
        if not page:
            return
        fingerprint = _fingerprint(page)
        if fingerprint in seen:
            raise PagingError(
                f"{method}: {rule.cursor_param}={offset} returned the same page as "
                f"{rule.cursor_param}={seen[fingerprint]}; the platform ignores it or cycles, "
                "stopped instead of looping",
                method=method,
            )
        seen[fingerprint] = offset
        offset += len(page)
        yield page


def _anchor(
    session: Lister, method: str, rule: Paging, params: dict[str, Any], size: int
) -> Iterator[Page]:
    assert rule.size_param is not None and rule.cursor_param is not None
    anchor: str | None = None
    seen: set[str] = set()
    base = dict(params)
    if rule.direction_param is not None:
        base.setdefault(rule.direction_param, "FORWARD")
    while True:
        call = {**base, rule.size_param: size}
        if anchor is not None:
            call[rule.cursor_param] = anchor
        result = session.call(method, call)
        page = _items(session, method, rule, result)
        if anchor is None and rule.total_key is not None and isinstance(result, Mapping):
            reported = result.get(rule.total_key)  # the first page's count, if asked for
            if isinstance(reported, int) and not isinstance(reported, bool) and reported >= 0:
                yield Total(reported)
        flag = result.get(rule.more_key) if isinstance(result, Mapping) else None
        next_anchor = result.get(rule.anchor_key) if isinstance(result, Mapping) else None
        # Without the flag, a non-empty page with an anchor means "maybe more": the next
        # (possibly empty) page decides.
        more = flag is True or (flag is None and next_anchor is not None)
        if not page:  # nothing on this page: whatever the flag says, the listing is over
            return
        yield page
        if not more:
            return
        if not isinstance(next_anchor, str) or not next_anchor:
            raise ResponseError(
                f"{method}: {rule.more_key} is true but the answer has no {rule.anchor_key!r}",
                method=method,
            )
        if next_anchor == anchor or next_anchor in seen:
            raise PagingError(
                f"{method}: the platform sent the same {rule.anchor_key} again while "
                f"{rule.more_key} is true; stopped instead of looping",
                method=method,
            )
        seen.add(next_anchor)
        anchor = next_anchor


_PAGERS: dict[Style, Pager] = {
    "skip": _skip,
    "offset": _offset,
    "anchor": _anchor,
    "unpaged": _unpaged,
}


class _Counter:
    """The plain progress display when tqdm is not installed: a counter on stderr."""

    def __init__(self, method: str, total: int | None) -> None:
        self.method = method
        self.total: int | float | None = total
        self.count = 0

    def refresh(self) -> None:
        """A new total shows with the next line; nothing to redraw now."""

    def update(self, n: int) -> None:
        self.count += n
        if self.count % 50 == 0:
            self._show()

    def _show(self) -> None:
        of = f"/{self.total:g}" if self.total is not None else ""
        sys.stderr.write(f"\r{self.method}: {self.count}{of} items")
        sys.stderr.flush()

    def close(self) -> None:
        self._show()
        sys.stderr.write("\n")
        sys.stderr.flush()


def _progress(method: str, total: int | None) -> Progress:
    """tqdm's notebook-or-terminal bar when installed (extra ``[progress]``), else a counter."""
    try:
        auto = importlib.import_module("tqdm.auto")  # optional: no stubs needed
    except ImportError:
        return _Counter(method, total)
    bar: Progress = auto.tqdm(total=total, desc=method, unit="item")
    return bar
