"""Where people land after signing in."""

from __future__ import annotations

import pytest
from django.test import RequestFactory

from accounts.adapter import AccountAdapter

pytestmark = pytest.mark.django_db


def test_a_resident_lands_on_their_applications(resident_user) -> None:
    request = RequestFactory().get("/")
    request.user = resident_user
    assert AccountAdapter(request).get_login_redirect_url(request) == "/apply/mine/"


def test_staff_land_on_their_work(alice) -> None:
    request = RequestFactory().get("/")
    request.user = alice
    assert AccountAdapter(request).get_login_redirect_url(request) == "/dashboard/"
