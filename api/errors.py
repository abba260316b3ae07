"""One error format for every API response that is not a success:

    {"error": {"code": "machine_code", "message": "Human message", "fields": {"name": ["..."]}}}

The services raise domain errors (kernel/errors.py) with messages fit for a person, and each
error class states its HTTP status and stable machine code; this module is the one place the API
turns them into responses. Anything unexpected stays a 500
(and is logged by Django), never dressed up as something else.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from drf_spectacular.utils import OpenApiResponse
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from kernel.errors import DomainError

logger = logging.getLogger(__name__)


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The request conflicts with the current state of the record."
    default_code = "conflict"


class DomainAPIError(exceptions.APIException):
    """A domain error with the status and code its class states (kernel/errors.py)."""

    def __init__(self, message: str, *, code: str, status_code: int) -> None:
        super().__init__(detail=message, code=code)
        self.status_code = status_code


def _message(exc: Exception) -> str:
    return str(getattr(exc, "message", "") or exc) or "The request could not be completed."


def as_api_exception(exc: Exception) -> Exception:
    if isinstance(exc, exceptions.APIException):
        return exc
    if isinstance(exc, Http404):
        return exceptions.NotFound("Not found.")
    if isinstance(exc, DjangoPermissionDenied):
        return exceptions.PermissionDenied()
    if isinstance(exc, DomainError):
        return DomainAPIError(_message(exc), code=exc.code, status_code=exc.status)
    return exc


def _flatten(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """{"answers": {"q1": ["..."]}} -> {"answers.q1": ["..."]}; lists of messages stay lists."""
    out: dict[str, list[str]] = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            out.update(_flatten(value, name))
    elif isinstance(detail, list):
        if all(not isinstance(item, dict | list) for item in detail):
            out[prefix or "non_field_errors"] = [str(item) for item in detail]
        else:
            for index, item in enumerate(detail):
                out.update(_flatten(item, f"{prefix}.{index}" if prefix else str(index)))
    else:
        out[prefix or "non_field_errors"] = [str(detail)]
    return out


def _first_code(exc: exceptions.APIException) -> str:
    codes = exc.get_codes()
    while isinstance(codes, list | dict):
        if not codes:
            return exc.default_code
        codes = next(iter(codes.values())) if isinstance(codes, dict) else codes[0]
    return str(codes)


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    exc = as_api_exception(exc)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if not isinstance(exc, exceptions.APIException):  # drf handled it, so it is one
        return response
    if isinstance(exc, exceptions.ValidationError):
        fields = _flatten(exc.detail)
        non_field = fields.pop("non_field_errors", [])
        body = {
            "code": "invalid",
            "message": " ".join(non_field) or "Some of the values sent are not valid: see fields.",
            "fields": fields,
        }
    else:
        body = {"code": _first_code(exc), "message": str(exc.detail), "fields": {}}
    if response.status_code >= 500:
        logger.error("api error %s: %s", response.status_code, body["code"])
    # Whatever the service wrote before it refused is rolled back with the request.
    set_rollback()
    response.data = {"error": body}
    return response


# --- OpenAPI -------------------------------------------------------------------------------------


class ErrorBodySerializer(serializers.Serializer):
    # Declared in get_fields: a class attribute called `fields` would hide Serializer.fields.
    def get_fields(self) -> dict[str, serializers.Field]:
        return {
            "code": serializers.CharField(
                help_text="Stable machine-readable code, e.g. `invalid_transition`."
            ),
            "message": serializers.CharField(help_text="What went wrong, for a person."),
            "fields": serializers.DictField(
                child=serializers.ListField(child=serializers.CharField()),
                help_text="Messages per input field (dotted when nested); empty otherwise.",
            ),
        }


class ErrorSerializer(serializers.Serializer):
    error = ErrorBodySerializer()


ERROR_DESCRIPTIONS = {
    400: "Bad input (`invalid`, `invalid_input`, `parse_error`): see `error.fields`.",
    401: "No valid credentials (`not_authenticated`, `authentication_failed`).",
    403: "Signed in, but the roles do not allow this (`permission_denied`, `not_allowed`).",
    404: "Not found, or not yours: the two are indistinguishable on purpose (`not_found`).",
    405: "Method not allowed (`method_not_allowed`).",
    406: "The Accept header asks for a format the API does not produce (`not_acceptable`).",
    409: "The record's state does not allow this (`invalid_transition`, `already_taken`, ...).",
    415: "Unsupported media type (`unsupported_media_type`).",
    422: "The Idempotency-Key was already used with a different body "
    "(`idempotency_key_reused`): send a new key, or the original request unchanged.",
    429: "Too many requests (`throttled`); wait for the seconds in Retry-After.",
}


def errors(*codes: int) -> dict[int, OpenApiResponse]:
    """The error responses of an endpoint, for extend_schema(responses=...). 401, 403, 405,
    406 and 429 can happen on every endpoint and are always included."""
    every = {401, 403, 405, 406, 429}
    return {
        code: OpenApiResponse(ErrorSerializer, description=ERROR_DESCRIPTIONS[code])
        for code in sorted(every | set(codes))
    }
