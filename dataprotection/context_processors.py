"""The banner on every staff page of a member that must sign the data sharing agreement."""

from __future__ import annotations

import functools
import logging
from typing import Any

from django.db import DatabaseError
from django.http import HttpRequest

from dataprotection.selectors import SharingBanner, sharing_banner
from members.permissions import Perm

logger = logging.getLogger(__name__)


def sharing_agreement(request: HttpRequest) -> dict[str, Any]:
    """`sharing_banner`: read only when a page shows it (base.html), and once per page. Staff
    of a member only: residents, visitors and consortium staff have no member to gate."""
    actor = getattr(request, "actor", None)
    if actor is None or actor.member_id is None or not actor.member_roles:
        return {}
    member_id: int = actor.member_id

    @functools.cache
    def banner() -> SharingBanner | None:
        try:
            return sharing_banner(
                member_id=member_id, is_dpo=actor.can(Perm.SIGN_SHARING_AGREEMENT)
            )
        except DatabaseError:
            # The page is already failing (the 500 page renders this layout too): no banner
            # rather than a second error.
            logger.warning("sharing agreement banner not shown: database error")
            return None

    return {"sharing_banner": banner}
