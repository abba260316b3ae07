"""Issue an API token for automation: `manage.py api_token_issue --email X --name Y --days N`.

Prints the token (once) on standard output and nothing else there, so a script can capture it:
`TOKEN=$(python manage.py api_token_issue --email ... --name ... --days 30)`.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import User
from api.services import TokenError, api_token_issue
from members.scoping import consortium_scope, member_scope
from members.selectors import actor_for_user


class Command(BaseCommand):
    help = "Issue an API token for a staff user (printed once)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--email", required=True, help="The staff user the token acts as.")
        parser.add_argument("--name", required=True, help="What the token is for.")
        parser.add_argument(
            "--days", type=int, required=True, help="Days until it expires (1-365)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(email__iexact=options["email"].strip()).first()
        if user is None:
            raise CommandError("No user has that email address.")
        actor = actor_for_user(user)
        # The audit row belongs to the user's member (row-level security needs its scope); a
        # consortium-only user's is written under an audited consortium scope.
        scope = (
            member_scope(actor.member_id, user_id=user.pk)
            if actor.member_id is not None
            else consortium_scope(reason="API token issued by management command", user_id=user.pk)
        )
        try:
            with scope:
                issued = api_token_issue(owner=actor, name=options["name"], days=options["days"])
        except TokenError as exc:
            raise CommandError(str(exc)) from exc
        self.stderr.write(
            f"Token {issued.token.prefix} issued; it expires {issued.token.expires_at:%Y-%m-%d}. "
            "It is shown once:"
        )
        self.stdout.write(issued.plaintext)
