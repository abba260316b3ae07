from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from learning.models import Course, CourseSession
from members.actor import Actor
from members.models import Member
from members.scoping import user_scope
from members.selectors import actor_for_user


def course_make(provider: Member, **kwargs: Any) -> Course:
    defaults: dict[str, Any] = {
        "title": "Safeguarding adults: level 2",
        "description": "Recognise abuse and neglect, and know what to do.",
        "audience": "both",
    }
    defaults.update(kwargs)
    return Course.objects.create(provider=provider, **defaults)


def session_make(
    course: Course, capacity: int = 10, cost: str = "50.00", **kwargs: Any
) -> CourseSession:
    starts = kwargs.pop("starts_at", timezone.now() + timedelta(days=14))
    return CourseSession.objects.create(
        course=course,
        starts_at=starts,
        ends_at=starts + timedelta(hours=3),
        venue="Community hall, 1 High Street",
        capacity=capacity,
        cost_per_place=Decimal(cost),
        **kwargs,
    )


def actor_of(user: Any) -> Actor:
    with user_scope(user.pk):
        return actor_for_user(user)


@pytest.fixture
def course(member_a: Member) -> Course:
    return course_make(member_a)
