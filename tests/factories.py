"""factory_boy factories. Member-owned rows need a member, and are created inside that member's
scope, so that row-level security (forced even for the owning role) accepts them."""

from __future__ import annotations

from typing import Any

import factory
from allauth.mfa.totp.internal.auth import TOTP
from django.conf import settings

from accounts.models import User
from members.models import (
    ConsortiumRoleAssignment,
    Member,
    Membership,
    MembershipRole,
)
from members.scoping import member_scope
from referrals.models import Application, Referral, Resident
from services.models import Offer, Service, ServiceKind


class MemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Member
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Test Housing Association {n}")
    short_name = factory.Sequence(lambda n: f"THA{n}")
    slug = factory.Sequence(lambda n: f"tha-{n}")
    areas = factory.LazyFunction(lambda: ["E1", "E2"])
    is_synthetic = True


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("email",)

    email = factory.Sequence(lambda n: f"user{n}@example.org")
    full_name = factory.Faker("name", locale="en_GB")
    password = factory.django.Password("correct horse battery staple")


class MemberOwnedFactory(factory.django.DjangoModelFactory):
    """Creates the row inside its member's scope."""

    class Meta:
        abstract = True

    @classmethod
    def _create(cls, model_class: type, *args: Any, **kwargs: Any) -> Any:
        member = kwargs["member"]
        with member_scope(member.pk):
            return super()._create(model_class, *args, **kwargs)


def staff_create(
    member: Member, email: str, roles: list[str], full_name: str = "", *, mfa: bool = True
) -> User:
    user = UserFactory(email=email, full_name=full_name or email.split("@")[0])
    with member_scope(member.pk):
        membership = Membership.objects.create(member=member, user=user)
        for role in roles:
            MembershipRole.objects.create(member=member, membership=membership, role=role)
    if mfa:
        TOTP.activate(user, settings.DEMO_TOTP_SECRET)
    return user


def consortium_role_grant(user: User, role: str, *, mfa: bool = True) -> User:
    ConsortiumRoleAssignment.objects.create(user=user, role=role)
    if mfa and not user.authenticator_set.exists():
        TOTP.activate(user, settings.DEMO_TOTP_SECRET)
    return user


class ServiceKindFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ServiceKind
        django_get_or_create = ("slug",)

    slug = "employment"
    name = "Employment support"


class ServiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Service
        django_get_or_create = ("slug",)

    kind = factory.SubFactory(ServiceKindFactory)
    slug = factory.Sequence(lambda n: f"service-{n}")
    name = factory.Sequence(lambda n: f"Job search support {n}")
    summary = "Help to find work that suits you."
    description = "A work coach helps you look for jobs, write a CV and apply."


class OfferFactory(MemberOwnedFactory):
    class Meta:
        model = Offer

    service = factory.SubFactory(ServiceFactory)
    capacity_per_month = 20
    areas = factory.LazyFunction(lambda: ["E1"])
    languages = factory.LazyFunction(lambda: ["en"])
    delivery_modes = factory.LazyFunction(lambda: ["in_person"])


class ResidentFactory(MemberOwnedFactory):
    class Meta:
        model = Resident

    full_name = factory.Faker("name", locale="en_GB")
    email = factory.Sequence(lambda n: f"resident{n}@example.org")
    postcode = "E1 6AN"
    postcode_district = "E1"
    is_synthetic = True


class ApplicationFactory(MemberOwnedFactory):
    class Meta:
        model = Application

    service = factory.SubFactory(ServiceFactory)
    resident = factory.SubFactory(ResidentFactory, member=factory.SelfAttribute("..member"))
    idempotency_key = factory.Sequence(lambda n: f"key-{n}")
    lawful_basis = "consent"
    data_sharing_text = "We will share your application with the associations named here."
    shared_with_member_ids = factory.LazyAttribute(lambda o: [o.member.pk])


class ReferralFactory(MemberOwnedFactory):
    class Meta:
        model = Referral

    application = factory.SubFactory(ApplicationFactory, member=factory.SelfAttribute("..member"))
    reference = factory.LazyAttribute(lambda o: o.application.reference)
    service = factory.LazyAttribute(lambda o: o.application.service)
    area = "E1"
    is_synthetic = True
