"""A scripted transport adapter: the boundary for tests that need exact bytes or odd responses.

Mounted on a session with ``session.mount("https://", adapter)``, it records every prepared
request and answers from a script, without sockets. This is requests' own extension point
(``BaseAdapter``), not a patch of ``Session.send``.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import requests
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict


@dataclass
class Canned:
    """One scripted answer."""

    body: bytes | str = b"{}"
    status: int = 200
    headers: Mapping[str, str] = field(
        default_factory=lambda: {"Content-Type": "application/json;charset=utf-8"}
    )
    raise_exc: BaseException | None = None


class CannedAdapter(BaseAdapter):
    """Answers each request with the next scripted :class:`Canned` (the last one repeats)."""

    def __init__(self, script: Iterable[Canned] | Callable[[requests.PreparedRequest], Canned]):
        super().__init__()
        self.requests: list[requests.PreparedRequest] = []
        self.kwargs: list[dict[str, Any]] = []
        self._script = script if callable(script) else list(script)

    def _next(self, request: requests.PreparedRequest) -> Canned:
        if callable(self._script):
            return self._script(request)
        if len(self._script) > 1:
            return self._script.pop(0)
        return self._script[0]

    def send(  # type: ignore[override]
        self, request: requests.PreparedRequest, **kwargs: Any
    ) -> requests.Response:
        self.requests.append(request)
        self.kwargs.append(kwargs)
        canned = self._next(request)
        if canned.raise_exc is not None:
            raise canned.raise_exc
        response = requests.Response()
        response.status_code = canned.status
        body = canned.body.encode("utf-8") if isinstance(canned.body, str) else canned.body
        response.raw = io.BytesIO(body)  # read lazily, as from a socket
        response.headers = CaseInsensitiveDict(canned.headers)
        response.url = request.url or ""
        response.request = request
        response.encoding = "utf-8"
        return response

    def close(self) -> None:
        pass


def json_ok(obj: str = "{}") -> Canned:
    return Canned(body=obj)
