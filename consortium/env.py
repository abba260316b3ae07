"""Strict readers for settings that come from the environment.

A value that cannot be parsed is an error that names the variable, so a typo in a deployment
fails at start-up instead of quietly falling back to a default. Any secret may instead be read
from a file named by `<NAME>_FILE` (Docker and Kubernetes secrets).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


class EnvError(ImproperlyConfigured):
    """A setting in the environment has a value we cannot use."""


class Env:
    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        self.environ = os.environ if environ is None else environ

    def raw(self, name: str) -> str | None:
        file_name = self.environ.get(f"{name}_FILE")
        if file_name:
            try:
                return Path(file_name).read_text(encoding="utf-8").strip()
            except OSError as exc:
                raise EnvError(f"{name}_FILE: cannot read {file_name!r} ({exc.strerror})") from exc
        value = self.environ.get(name)
        if value is None or value.strip() == "":
            return None
        return value.strip()

    def str(self, name: str, default: str | None = None) -> str | None:
        value = self.raw(name)
        return default if value is None else value

    def required(self, name: str, why: str) -> str:
        value = self.raw(name)
        if value is None:
            raise EnvError(f"{name} must be set ({why})")
        return value

    def bool(self, name: str, default: bool) -> bool:
        value = self.raw(name)
        if value is None:
            return default
        lowered = value.lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
        raise EnvError(f"{name} must be a boolean (true/false, 1/0, yes/no, on/off), got {value!r}")

    def int(self, name: str, default: int, *, minimum: int | None = None) -> int:
        value = self.raw(name)
        if value is None:
            return default
        try:
            number = int(value)
        except ValueError:
            raise EnvError(f"{name} must be a whole number, got {value!r}") from None
        if minimum is not None and number < minimum:
            raise EnvError(f"{name} must be at least {minimum}, got {number}")
        return number

    def list(self, name: str, default: Iterable[str] = ()) -> list[str]:
        value = self.raw(name)
        if value is None:
            return list(default)
        return [item.strip() for item in value.split(",") if item.strip()]

    def choice(self, name: str, default: str, choices: Iterable[str]) -> str:
        allowed = list(choices)
        value = self.raw(name) or default
        if value not in allowed:
            raise EnvError(f"{name} must be one of {', '.join(allowed)}, got {value!r}")
        return value

    def url(self, name: str, schemes: Iterable[str]) -> str | None:
        value = self.raw(name)
        if value is None:
            return None
        allowed = tuple(schemes)
        scheme = value.split("://", 1)[0] if "://" in value else ""
        if scheme not in allowed:
            raise EnvError(
                f"{name} must be a URL starting with {' or '.join(s + '://' for s in allowed)}, "
                f"got a value starting with {scheme + '://' if scheme else 'no scheme'}"
            )
        return value
