"""How a session is finished after its constructors ran: ``token=`` then the store win.

Why a step after construction: the platform classes set the token fields from their positional
arguments in their own ``__init__``, after ``BaseSession.__init__`` ran. The precedence (the
``token=`` option, then the store's token, then the positional arguments) is decided here, in
one place, once the outermost ``__init__`` has returned. Each session class's ``help()`` also
gets the list of options every session accepts.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ._options import OPTIONS_NOTE, options_paragraph
from ._tokens import checked_token

if TYPE_CHECKING:
    from .stores import TokenStore

__all__ = ["AppliesSavedToken"]


class AppliesSavedToken:
    """Mixin of ``BaseSession``: run :meth:`_after_init` after the outermost ``__init__``."""

    if TYPE_CHECKING:
        _initial_token: Mapping[str, Any] | None
        store: TokenStore | None

        def apply_token(self, token: Mapping[str, Any], *, notify: bool = True) -> None: ...

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """Run :meth:`_after_init` once the outermost ``__init__`` of a session finished.

        Why: ``token=`` (and a stored token) must win over what the platform classes set up
        from their positional arguments, which happens after ``BaseSession.__init__`` ran.
        """
        super().__init_subclass__(**kwargs)
        doc = cls.__dict__.get("__doc__")
        if doc and not cls.__name__.startswith("_") and OPTIONS_NOTE not in doc:
            cls.__doc__ = f"{doc.rstrip()}\n\n    {options_paragraph()}\n"
        init = cls.__dict__.get("__init__")
        if init is None or getattr(init, "_mailru_wrapped", False):
            return

        @functools.wraps(init)
        def wrapped(self: AppliesSavedToken, *args: Any, **options: Any) -> None:
            depth = self.__dict__.get("_init_depth", 0)
            self.__dict__["_init_depth"] = depth + 1
            try:
                init(self, *args, **options)
            finally:
                self.__dict__["_init_depth"] = depth
            if depth == 0:
                self._after_init()

        wrapped._mailru_wrapped = True  # type: ignore[attr-defined]
        cls.__init__ = wrapped  # type: ignore[method-assign, assignment]

    def _after_init(self) -> None:
        """Apply ``token=``, else the store's token, over what the constructor set."""
        token = self._initial_token
        if token is None and self.store is not None:
            token = checked_token(self.store.load(), type(self).__name__)
        if token:
            self.apply_token(token, notify=False)
