"""Pages, and for every URL: charlie (member B) is refused member A's objects."""

from __future__ import annotations

import pytest
from django.urls import reverse

from learning.models import Booking, BookingStatus, Course, CourseSession
from members.scoping import member_scope
from tests.factories import MemberFactory, staff_create
from tests.learning.conftest import course_make, session_make
from tests.learning.test_booking import book

pytestmark = [pytest.mark.django_db]


@pytest.fixture
def a_booking(alice, member_a, course):  # noqa: ANN001, ANN201
    """Alice's booking on a course member A runs: member B is no party to it."""
    return book(alice, member_a, session_make(course))


def test_staff_book_a_place_through_the_pages(client, charlie, member_b, course):
    session = session_make(course, capacity=1)
    client.force_login(charlie)
    assert client.get(reverse("learning:course_list")).status_code == 200
    assert client.get(reverse("learning:course_detail", args=[course.pk])).status_code == 200
    url = reverse("learning:session_book", args=[session.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {"attendee": str(charlie.pk)})
    assert response.status_code == 302
    with member_scope(member_b.pk):
        booking = Booking.objects.get()
    assert booking.status == BookingStatus.CONFIRMED
    assert CourseSession.objects.get(pk=session.pk).places_taken == 1
    page = client.get(reverse("learning:booking_list"))
    assert course.title.encode() in page.content
    again = client.post(url, {"attendee": str(charlie.pk)})
    assert again.status_code == 200 and b"error-summary" in again.content


@pytest.mark.ownership("learning:course_list", "learning:course_detail", "learning:session_book")
def test_it_checks_ownership_of_unpublished_courses(client, charlie, member_a):
    draft = course_make(member_a, title="Draft course A", is_published=False)
    session = session_make(draft)
    client.force_login(charlie)
    assert b"Draft course A" not in client.get(reverse("learning:course_list")).content
    assert client.get(reverse("learning:course_detail", args=[draft.pk])).status_code == 404
    book_url = reverse("learning:session_book", args=[session.pk])
    assert client.get(book_url).status_code == 404
    assert client.post(book_url, {"attendee": str(charlie.pk)}).status_code == 404
    assert CourseSession.objects.get(pk=session.pk).places_taken == 0


@pytest.mark.ownership(
    "learning:booking_detail",
    "learning:booking_cancel",
    "learning:offer_accept",
    "learning:certificate",
)
def test_it_checks_ownership_of_bookings(client, alice, charlie, member_a, a_booking):
    with member_scope(member_a.pk):
        from learning import services
        from tests.learning.conftest import actor_of

        services.attendance_record(
            actor=actor_of(alice), booking=a_booking, attended=True, completed=True
        )
    client.force_login(charlie)
    assert client.get(reverse("learning:booking_detail", args=[a_booking.pk])).status_code == 404
    assert client.get(reverse("learning:certificate", args=[a_booking.pk])).status_code == 404
    for name in ("booking_cancel", "offer_accept"):
        assert client.post(reverse(f"learning:{name}", args=[a_booking.pk])).status_code == 404
    with member_scope(member_a.pk):
        a_booking.refresh_from_db()
    assert a_booking.status == BookingStatus.CONFIRMED
    client.force_login(alice)
    response = client.get(reverse("learning:certificate", args=[a_booking.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")


def test_the_provider_and_the_booker_get_the_certificate(
    client, alice, charlie, member_b, member_a
):
    session = session_make(course_make(member_a))
    booking = book(charlie, member_b, session)
    client.force_login(alice)
    register = reverse("learning:session_register", args=[session.pk])
    assert client.get(register).status_code == 200
    response = client.post(register, {"booking": booking.pk, "outcome": "completed"})
    assert response.status_code == 302
    assert client.get(reverse("learning:certificate", args=[booking.pk])).status_code == 200
    client.force_login(charlie)
    assert client.get(reverse("learning:certificate", args=[booking.pk])).status_code == 200
    outsider = staff_create(
        MemberFactory(slug="c", name="C HA", short_name="C"), "c@c.example", ["caseworker"]
    )
    client.force_login(outsider)
    assert client.get(reverse("learning:certificate", args=[booking.pk])).status_code == 404


@pytest.mark.ownership("learning:booking_list", "learning:provider_sessions", "learning:recharges")
def test_it_checks_ownership_of_lists(client, alice, charlie, member_a, a_booking):
    other = MemberFactory(slug="c", name="C HA", short_name="Cmember")
    colleague = staff_create(other, "c@c.example", ["caseworker"])
    book(colleague, other, a_booking.session)  # C pays A: nothing to do with B
    client.force_login(charlie)
    bookings = client.get(reverse("learning:booking_list"))
    provided = client.get(reverse("learning:provider_sessions"))
    recharges = client.get(reverse("learning:recharges"))
    assert a_booking.reference.encode() not in bookings.content
    assert a_booking.session.course.title.encode() not in provided.content
    assert b"Cmember" not in recharges.content
    client.force_login(alice)
    assert b"Cmember" in client.get(reverse("learning:recharges")).content


@pytest.mark.ownership("learning:session_register")
def test_it_checks_ownership_of_the_register(client, charlie, a_booking):
    client.force_login(charlie)
    url = reverse("learning:session_register", args=[a_booking.session_id])
    assert client.get(url).status_code == 404
    assert client.post(url, {"booking": a_booking.pk, "outcome": "absent"}).status_code == 404


def test_every_page_renders_for_a_provider_with_bookings(client, alice, bob, member_a, course):
    session = session_make(course, capacity=1)
    first = book(alice, member_a, session)
    waiting = book(bob, member_a, session)
    client.force_login(alice)
    for url in [
        reverse("learning:course_list") + "?audience=staff",
        reverse("learning:course_detail", args=[course.pk]),
        reverse("learning:session_book", args=[session.pk]),
        reverse("learning:booking_list"),
        reverse("learning:booking_detail", args=[first.pk]),
        reverse("learning:booking_detail", args=[waiting.pk]),
        reverse("learning:provider_sessions"),
        reverse("learning:session_register", args=[session.pk]),
        reverse("learning:recharges"),
    ]:
        response = client.get(url)
        assert response.status_code == 200, url
    register = client.get(reverse("learning:session_register", args=[session.pk])).content
    assert first.reference.encode() in register and waiting.reference.encode() in register


@pytest.mark.ownership("learning:course_create", "learning:session_create")
def test_it_checks_ownership_of_course_and_session_creation(client, charlie, member_b, course):
    client.force_login(charlie)
    url = reverse("learning:session_create", args=[course.pk])
    assert client.get(url).status_code == 404
    data = {
        "starts_at": "2030-05-01T10:00",
        "ends_at": "2030-05-01T13:00",
        "venue": "Hall",
        "capacity": "5",
        "cost_per_place": "10",
    }
    assert client.post(url, data).status_code == 404
    assert not CourseSession.objects.filter(course=course).exists()
    response = client.post(
        reverse("learning:course_create"),
        {
            "title": "First aid",
            "description": "A day.",
            "audience": "staff",
            "is_published": "on",
            "provider": course.provider_id,
        },
    )
    assert response.status_code == 302
    new = Course.objects.get(title="First aid")
    assert new.provider_id == member_b.pk
    response = client.post(reverse("learning:session_create", args=[new.pk]), data)
    assert response.status_code == 302
    assert CourseSession.objects.get(course=new).capacity == 5


def test_a_session_needs_a_place_or_a_link(client, alice, course):
    client.force_login(alice)
    response = client.post(
        reverse("learning:session_create", args=[course.pk]),
        {
            "starts_at": "2030-05-01T10:00",
            "ends_at": "2030-05-01T13:00",
            "capacity": "5",
            "cost_per_place": "0",
        },
    )
    assert response.status_code == 200 and b"online link" in response.content
