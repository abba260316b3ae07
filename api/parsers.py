"""The API's JSON parser: DRF's, with a bound on nesting.

Python's json module recurses once per level, so a body nested a few thousand deep raised
RecursionError (a 500) inside the parser, and anything that walks the parsed data later would
recurse too. No endpoint takes more than a few levels, so a body deeper than MAX_DEPTH is
refused here, for every endpoint at once, with the API's ordinary 400 `parse_error`.
"""

from __future__ import annotations

from typing import Any

from rest_framework import parsers
from rest_framework.exceptions import ParseError

MAX_DEPTH = 32
TOO_DEEP = f"The JSON body is nested too deeply (at most {MAX_DEPTH} levels of objects and lists)."


def json_depth_exceeds(data: Any, limit: int) -> bool:
    """Whether `data` nests objects and lists more than `limit` deep (iterative: it cannot
    itself run out of stack)."""
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            children: Any = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


class JSONParser(parsers.JSONParser):
    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(TOO_DEEP) from None
        if json_depth_exceeds(data, MAX_DEPTH):
            raise ParseError(TOO_DEEP)
        return data
