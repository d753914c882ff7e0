"""``aiookru.exceptions`` under its upstream path.

Both platforms raise from one tree (``except mailru_sync.Error`` catches OK's errors too), so
every name keeps its home in :mod:`mailru_sync.exceptions` and is re-exported here unchanged:
``mailru_sync.ok.exceptions.APIError is mailru_sync.APIError``.
"""

from __future__ import annotations

from ..exceptions import *  # noqa: F403  (the one tree, re-exported name for name)
from ..exceptions import __all__ as __all__
