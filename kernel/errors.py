"""One family for the refusals services raise: `DomainError(message, code=...)`.

A service refuses with a subclass whose `status` and `code` say what kind of refusal it is; the
message is written for the person who asked (translated where it reaches residents). The HTTP
layers map the family in one place each: api/errors.py for the API, consortium/middleware.py for
pages that let one escape. Nothing here knows HTTP beyond the status number it suggests.
"""

from __future__ import annotations


class DomainError(Exception):
    status = 400
    code = "invalid"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code

    def __str__(self) -> str:
        return str(self.message)


class NotPermitted(DomainError):
    """The actor's roles do not allow this (never "this record is not yours": that is a 404)."""

    status = 403
    code = "permission_denied"


class RuleBroken(DomainError):
    """The request conflicts with the state of the records (a business rule)."""

    status = 409
    code = "conflict"
