"""OK.ru error codes (apiok.ru/en/dev/errors; names as in the platform's ``error_msg``)."""

from __future__ import annotations

from ..exceptions import (
    APIError,
    InvalidApplicationError,
    InvalidParamError,
    PermissionDeniedError,
    RateLimitError,
    ServiceUnavailableError,
    SessionError,
    SessionExpiredError,
    SignatureError,
    UnknownMethodError,
)

__all__ = ["ERROR_CLASSES"]

#: OK ``error_code`` → exception class; codes not listed raise plain :class:`APIError`.
ERROR_CLASSES: dict[int, type[APIError]] = {
    2: ServiceUnavailableError,  # SERVICE
    3: UnknownMethodError,  # METHOD
    7: RateLimitError,  # ACTION_BLOCKED
    8: RateLimitError,  # FLOOD_BLOCKED
    9: RateLimitError,  # IP_BLOCKED
    10: PermissionDeniedError,  # PERMISSION_DENIED
    11: RateLimitError,  # LIMIT_REACHED
    26: RateLimitError,  # TOTAL_LIMIT_REACHED
    100: InvalidParamError,  # PARAM
    101: InvalidApplicationError,  # PARAM_API_KEY
    102: SessionExpiredError,  # PARAM_SESSION_EXPIRED
    103: SessionError,  # PARAM_SESSION_KEY
    104: SignatureError,  # PARAM_SIGNATURE
    200: PermissionDeniedError,  # PARAM_PERMISSION
    453: SessionError,  # SESSION_REQUIRED
    900: InvalidApplicationError,  # NO_SUCH_APP
}
