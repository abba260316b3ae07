"""`Authorization: Bearer <token>` for scripts and members' systems.

It only says who is calling. What they may see is decided like every other request: their
membership and roles, loaded by the base view (api/base.py), which sets the member scope.
"""

from __future__ import annotations

from typing import Any

from rest_framework import authentication, exceptions
from rest_framework.request import Request

from api.services import api_token_authenticate


class BearerTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request: Request) -> tuple[Any, Any] | None:
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(
                "Send the header as: Authorization: Bearer <token>."
            )
        try:
            raw = header[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed("The token is not valid.") from None
        # Neither the token table nor the user table is member-owned: no scope is needed here.
        token = api_token_authenticate(raw)
        if token is None:
            raise exceptions.AuthenticationFailed(
                "The token is not valid, has expired or was revoked."
            )
        return token.user, token

    def authenticate_header(self, request: Request) -> str:
        return f'{self.keyword} realm="api"'
