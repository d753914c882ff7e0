"""Mail.ru Platform error codes (official table, api.mail.ru reference pages)."""

from __future__ import annotations

from ..exceptions import (
    APIError,
    InvalidApplicationError,
    InvalidParamError,
    PermissionDeniedError,
    ServiceUnavailableError,
    SessionExpiredError,
    SignatureError,
    UnknownMethodError,
)

__all__ = ["ERROR_CLASSES"]

#: Mail.ru ``error_code`` → exception class; codes not listed raise plain :class:`APIError`.
ERROR_CLASSES: dict[int, type[APIError]] = {
    2: UnknownMethodError,  # Unknown method called.
    3: ServiceUnavailableError,  # Service Unavailable. Please try again later.
    100: InvalidParamError,  # One of the parameters specified is missing or invalid.
    102: SessionExpiredError,  # User authorization failed: the session key or uid is incorrect.
    103: InvalidApplicationError,  # Application lookup failed: the application id is not correct.
    104: SignatureError,  # Incorrect signature.
    105: PermissionDeniedError,  # Application is not installed for this user.
    200: PermissionDeniedError,  # Permission error.
    202: PermissionDeniedError,  # Access to this object is denied.
}
