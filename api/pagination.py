"""Cursor pagination: stable pages however many rows arrive meanwhile, and no COUNT(*) over a
member's whole history (a page costs one query, whatever the table's size)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions
from rest_framework.pagination import Cursor, CursorPagination


class ApiCursorPagination(CursorPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    # Views set `ordering` (and OrderingFilter lets the caller choose among `ordering_fields`).
    ordering = "-id"

    def decode_cursor(self, request: Any) -> Cursor | None:
        try:
            return super().decode_cursor(request)
        except exceptions.NotFound:
            # A damaged or made-up cursor is bad input, not a missing page.
            raise exceptions.ValidationError({"cursor": ["This cursor is not valid."]}) from None

    def paginate_queryset(self, queryset: Any, request: Any, view: Any = None) -> Any:
        try:
            return super().paginate_queryset(queryset, request, view)
        except (DjangoValidationError, ValueError, TypeError):
            # A well-formed cursor whose position does not fit the ordering field.
            raise exceptions.ValidationError({"cursor": ["This cursor is not valid."]}) from None

    def get_page_size(self, request: Any) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        if raw is not None:
            try:
                size = int(raw)
            except ValueError:
                size = 0
            if not 1 <= size <= self.max_page_size:
                raise exceptions.ValidationError(
                    {"page_size": [f"Choose a page size from 1 to {self.max_page_size}."]}
                )
            return size
        return self.page_size
