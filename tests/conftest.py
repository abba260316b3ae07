"""Shared fixtures: the test database set-up, and the cast everyone knows.

The cast (STYLE.md): alice and bob work at member A, charlie at member B, plus a resident of A,
a consortium coordinator and a board member of A. Staff have TOTP enrolled, so the MFA gate lets
them through when a test signs them in with `client.force_login`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from django.conf import settings

from tests.factories import (
    MemberFactory,
    ResidentFactory,
    UserFactory,
    consortium_role_grant,
    staff_create,
)


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix: None) -> None:
    # The test database is created and migrated by the owning role, exactly like production
    # migrations. Row-level security is FORCEd, so it binds this role too.
    if settings.DATABASE_OWNER_URL:
        from consortium.db import use_owner_credentials

        use_owner_credentials(settings.DATABASE_OWNER_URL)


@pytest.fixture(autouse=True, scope="session")
def _texts_go_to_a_temporary_folder(tmp_path_factory: pytest.TempPathFactory) -> None:
    """The file backend (the test default, like the demo's) writes here, never to var/sms/;
    a test that reads the files gives itself its own folder (tests/notifications/conftest.py)."""
    settings.SMS_FILE_PATH = tmp_path_factory.mktemp("sms")


@pytest.fixture(autouse=True)
def _ownership_markers_are_observed(request: pytest.FixtureRequest) -> Iterator[None]:
    """A test marked `ownership("name", ...)` must request each URL it names (the URL meta-test
    counts the markers; this makes the marker a fact about the test, not a comment)."""
    declared = {name for marker in request.node.iter_markers("ownership") for name in marker.args}
    if not declared:
        yield
        return
    from django.core.signals import request_started
    from django.urls import Resolver404, resolve

    requested: set[str] = set()

    def record(sender: object, environ: dict[str, str], **kwargs: object) -> None:
        with contextlib.suppress(Resolver404):
            requested.add(resolve(environ["PATH_INFO"]).view_name)

    request_started.connect(record, weak=False, dispatch_uid="ownership-observer")
    try:
        yield
    finally:
        request_started.disconnect(dispatch_uid="ownership-observer")
    missing = declared - requested
    if missing:
        pytest.fail(
            f"marked ownership({', '.join(sorted(missing))}) but never requested it",
            pytrace=False,
        )


@dataclass
class Cast:
    member_a: object
    member_b: object
    alice: object
    bob: object
    charlie: object
    resident: object
    resident_user: object
    coordinator: object
    board_member: object
    dpo: object


@pytest.fixture
def member_a():  # noqa: ANN201
    return MemberFactory(name="Aldgate Homes", short_name="Aldgate", slug="aldgate")


@pytest.fixture
def member_b():  # noqa: ANN201
    return MemberFactory(name="Brixton Housing Co-op", short_name="Brixton", slug="brixton")


@pytest.fixture
def alice(member_a):  # noqa: ANN001, ANN201
    """Caseworker and service lead at member A."""
    return staff_create(member_a, "alice@a.example", ["caseworker", "service_lead"], "Alice Adams")


@pytest.fixture
def bob(member_a):  # noqa: ANN001, ANN201
    """Member administrator at member A."""
    return staff_create(member_a, "bob@a.example", ["member_admin"], "Bob Brown")


@pytest.fixture
def charlie(member_b):  # noqa: ANN001, ANN201
    """Caseworker, service lead and member administrator at member B: every member-B power."""
    return staff_create(
        member_b,
        "charlie@b.example",
        ["caseworker", "service_lead", "member_admin", "dpo", "board"],
        "Charlie Clarke",
    )


@pytest.fixture
def dpo(member_a):  # noqa: ANN001, ANN201
    return staff_create(member_a, "dpo@a.example", ["dpo"], "Dana Patel")


@pytest.fixture
def board_member(member_a):  # noqa: ANN001, ANN201
    return staff_create(member_a, "board@a.example", ["board"], "Bea Board")


@pytest.fixture
def coordinator(db):  # noqa: ANN001, ANN201
    user = UserFactory(email="coordinator@consortium.example", full_name="Cora Ordinator")
    consortium_role_grant(user, "coordinator")
    return user


@pytest.fixture
def resident_user(member_a):  # noqa: ANN001, ANN201
    return UserFactory(email="resident@example.org", full_name="Ravi Resident")


@pytest.fixture
def resident(member_a, resident_user):  # noqa: ANN001, ANN201
    return ResidentFactory(member=member_a, user=resident_user, email=resident_user.email)


@pytest.fixture
def cast(
    member_a, member_b, alice, bob, charlie, resident, resident_user, coordinator, board_member, dpo
) -> Iterator[Cast]:  # noqa: ANN001
    yield Cast(
        member_a=member_a,
        member_b=member_b,
        alice=alice,
        bob=bob,
        charlie=charlie,
        resident=resident,
        resident_user=resident_user,
        coordinator=coordinator,
        board_member=board_member,
        dpo=dpo,
    )
