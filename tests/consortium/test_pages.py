from __future__ import annotations

import pytest

from tests.factories import OfferFactory, ServiceFactory

pytestmark = pytest.mark.django_db


def test_home_page_explains_the_portal_and_links_to_sign_in_and_apply(client, member_a) -> None:
    response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Shared services from your housing association" in html
    assert 'href="/accounts/login/"' in html
    assert 'href="/services/"' in html
    assert 'lang="en"' in html and 'dir="ltr"' in html
    assert 'href="#main-content"' in html and 'id="main-content"' in html


def test_home_page_in_a_right_to_left_language_sets_dir_rtl(client) -> None:
    response = client.get("/", headers={"accept-language": "ar"})
    assert 'lang="ar"' in response.content.decode()
    assert 'dir="rtl"' in response.content.decode()


def test_the_catalogue_lists_open_services_with_their_providers(client, member_a, member_b) -> None:
    service = ServiceFactory(name="CV clinic")
    OfferFactory(member=member_a, service=service)
    OfferFactory(member=member_b, service=service)
    response = client.get("/services/")
    assert response.status_code == 200
    assert "CV clinic" in response.content.decode()
    assert "Offered by 2 associations" in response.content.decode()


@pytest.mark.ownership("dashboard")
def test_it_checks_ownership_dashboard_shows_only_ones_own_member(client, cast) -> None:
    client.force_login(cast.charlie)
    response = client.get("/dashboard/")
    assert response.status_code == 200
    html = response.content.decode()
    assert cast.member_b.name in html
    assert cast.member_a.name not in html


def test_dashboard_needs_sign_in(client) -> None:
    response = client.get("/dashboard/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_a_page_that_does_not_exist_is_a_friendly_404(client) -> None:
    response = client.get("/no-such-page/")
    assert response.status_code == 404
