"""Management commands set the scope once, like every other entry point (layer 3).

A command that touches member-owned rows subclasses ScopedCommand and implements
`handle_scoped()`. The operator says which member it acts for (`--member <slug>`), or asks for an
explicit, audited consortium scope with a reason (`--consortium --reason "..."`); the scope is
reset when the command ends, whatever happens.
"""

from __future__ import annotations

from argparse import ArgumentParser
from contextlib import AbstractContextManager
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from members.models import Member
from members.scoping import consortium_scope, member_scope


class ScopedCommand(BaseCommand):
    def add_arguments(self, parser: ArgumentParser) -> None:
        group = parser.add_mutually_exclusive_group(required=True)
        group.add_argument("--member", help="the slug of the member to act for")
        group.add_argument(
            "--consortium",
            action="store_true",
            help="act across all members (audited; needs --reason)",
        )
        parser.add_argument("--reason", default="", help="why a consortium scope is needed")

    def scope_for(self, options: dict[str, Any]) -> AbstractContextManager[Any]:
        if options["consortium"]:
            if not options["reason"].strip():
                raise CommandError("--consortium needs --reason (it is written to the audit log)")
            return consortium_scope(reason=f"command {self.__module__}: {options['reason']}")
        member = Member.objects.filter(slug=options["member"]).first()
        if member is None:
            raise CommandError(f"No member with the slug {options['member']!r}.")
        return member_scope(member.pk)

    def handle(self, *args: Any, **options: Any) -> Any:
        with self.scope_for(options):
            return self.handle_scoped(*args, **options)

    def handle_scoped(self, *args: Any, **options: Any) -> Any:
        raise NotImplementedError("ScopedCommand subclasses implement handle_scoped()")
