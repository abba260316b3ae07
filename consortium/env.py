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

# The reader's methods are named after the types they return (env.str, env.bool, ...), which
# shadows the builtins inside the class body: annotate with these aliases instead.
Str = str
Bool = bool
Int = int
List = list

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


class EnvError(ImproperlyConfigured):
    """A setting in the environment has a value we cannot use."""


class Env:
    def __init__(self, environ: Mapping[Str, Str] | None = None) -> None:
        self.environ = os.environ if environ is None else environ

    def raw(self, name: Str) -> Str | None:
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

    def str(self, name: Str, default: Str | None = None) -> Str | None:
        value = self.raw(name)
        return default if value is None else value

    def required(self, name: Str, why: Str) -> Str:
        value = self.raw(name)
        if value is None:
            raise EnvError(f"{name} must be set ({why})")
        return value

    def bool(self, name: Str, default: Bool) -> Bool:
        value = self.raw(name)
        if value is None:
            return default
        lowered = value.lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
        raise EnvError(f"{name} must be a boolean (true/false, 1/0, yes/no, on/off), got {value!r}")

    def int(self, name: Str, default: Int, *, minimum: Int | None = None) -> Int:
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

    def list(self, name: Str, default: Iterable[Str] = ()) -> List[Str]:
        value = self.raw(name)
        if value is None:
            return list(default)
        return [item.strip() for item in value.split(",") if item.strip()]

    def choice(self, name: Str, default: Str, choices: Iterable[Str]) -> Str:
        allowed = list(choices)
        value = self.raw(name) or default
        if value not in allowed:
            raise EnvError(f"{name} must be one of {', '.join(allowed)}, got {value!r}")
        return value

    def url(self, name: Str, schemes: Iterable[Str]) -> Str | None:
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
