"""Pages to manage one's member (staff, invitations, roles, leavers), the consortium
administrator's invitations, and the page an invitation link opens.

HTTP in and out only: the services in members/services.py make every change and check who may
make it; objects come from the access helpers (same 404 for missing and not yours).
"""

from __future__ import annotations

from allauth.account.adapter import get_adapter
from django.contrib import messages
from django.db.models import Prefetch, Q
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from accounts.adapter import INVITATION_EMAIL_SESSION_KEY, INVITATION_SESSION_KEY
from accounts.models import User
from members.access import access_invitation_by_id, access_membership_by_id, not_found
from members.actor import Actor, MemberActor
from members.forms import ConfirmForm, ConsortiumInviteForm, InviteStaffForm, RolesForm
from members.models import Invitation, Member, MemberRole, Membership, MembershipRole
from members.pages import staff_page
from members.permissions import Perm
from members.scoping import consortium_scope
from members.services import (
    InvitationError,
    StaffError,
    invitation_accept,
    invitation_create,
    invitation_find_open,
    invitation_revoke,
    membership_deactivate,
    membership_roles_set,
)


def _own_member(actor: MemberActor) -> Member:
    return Member.objects.get(pk=actor.member_id)


def _open_invitations_q() -> Q:
    return Q(accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now())


# --- A member's staff ----------------------------------------------------------------------------


@staff_page(Perm.MANAGE_STAFF, member=True)
@require_http_methods(["GET"])
def staff_list(request: HttpRequest, actor: MemberActor) -> HttpResponse:
    member = _own_member(actor)
    memberships = (
        Membership.objects.for_member(member.pk)
        .select_related("user")
        .prefetch_related(
            Prefetch(
                "roles", queryset=MembershipRole.objects.for_member(member.pk).order_by("role")
            )
        )
        .order_by("deactivated_at", "user__full_name", "user__email")
    )
    invitations = (
        Invitation.objects.for_member(member.pk)
        .filter(_open_invitations_q())
        .order_by("-created_at")
    )
    return render(
        request,
        "members/staff_list.html",
        {
            "member": member,
            "active": [m for m in memberships if m.is_active],
            "leavers": [m for m in memberships if not m.is_active],
            "invitations": invitations,
            "role_labels": dict(MemberRole.choices),
        },
    )


@staff_page(Perm.MANAGE_STAFF, member=True)
@require_http_methods(["GET", "POST"])
def invitation_create_view(request: HttpRequest, actor: MemberActor) -> HttpResponse:
    member = _own_member(actor)
    form = InviteStaffForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            # The member is always the actor's own; anything else in the POST body is ignored.
            invitation = invitation_create(
                actor=actor,
                email=form.cleaned_data["email"],
                member_roles=form.cleaned_data["roles"],
                member=member,
            )
        except InvitationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(
                request,
                _("Invitation sent to %(email)s. The link works for 14 days.")
                % {"email": invitation.email},
            )
            return redirect("members:staff_list")
    return render(request, "members/invite.html", {"form": form, "member": member})


@staff_page(Perm.MANAGE_STAFF, member=True)
@require_http_methods(["GET", "POST"])
def staff_detail(request: HttpRequest, actor: MemberActor, membership_id: int) -> HttpResponse:
    membership = access_membership_by_id(actor, membership_id)
    current = sorted(
        MembershipRole.objects.for_member(membership.member_id)
        .filter(membership=membership)
        .values_list("role", flat=True)
    )
    form = RolesForm(request.POST if request.method == "POST" else None, initial={"roles": current})
    if request.method == "POST" and form.is_valid():
        try:
            membership_roles_set(
                actor=actor, membership=membership, roles=form.cleaned_data["roles"]
            )
        except StaffError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Roles saved."))
            return redirect("members:staff_list")
    return render(
        request,
        "members/staff_detail.html",
        {
            "membership": membership,
            "form": form,
            "is_self": membership.user_id == actor.user_id,
        },
    )


@staff_page(Perm.MANAGE_STAFF, member=True)
@require_http_methods(["GET", "POST"])
def staff_deactivate(request: HttpRequest, actor: MemberActor, membership_id: int) -> HttpResponse:
    membership = access_membership_by_id(actor, membership_id)
    form = ConfirmForm(request.POST if request.method == "POST" else None)
    error = ""
    if request.method == "POST" and form.is_valid():
        try:
            membership_deactivate(actor=actor, membership=membership)
        except StaffError as exc:
            error = exc.message
        else:
            messages.success(
                request, _("The account is deactivated. They have been signed out everywhere.")
            )
            return redirect("members:staff_list")
    return render(
        request,
        "members/staff_deactivate.html",
        {"membership": membership, "error": error},
        status=400 if error else 200,
    )


@staff_page(Perm.MANAGE_STAFF, member=True)
@require_http_methods(["GET", "POST"])
def invitation_revoke_view(
    request: HttpRequest, actor: MemberActor, invitation_id: int
) -> HttpResponse:
    invitation = access_invitation_by_id(actor, invitation_id)
    return _revoke(request, actor, invitation, "members:staff_list")


def _revoke(request: HttpRequest, actor: Actor, invitation: Invitation, back: str) -> HttpResponse:
    error = ""
    if request.method == "POST":
        try:
            invitation_revoke(actor=actor, invitation=invitation)
        except InvitationError as exc:
            error = exc.message
        else:
            messages.success(request, _("The invitation is revoked: its link no longer works."))
            return redirect(back)
    return render(
        request,
        "members/invitation_revoke.html",
        {"invitation": invitation, "error": error, "back": back},
        status=400 if error else 200,
    )


# --- The consortium administrator ----------------------------------------------------------------


def _consortium_invitations() -> list[Invitation]:
    with consortium_scope(reason="list consortium invitations"):
        return list(
            Invitation.objects.select_related("member")
            .filter(_open_invitations_q())
            .filter(Q(member__isnull=True) | Q(member_roles=[MemberRole.MEMBER_ADMIN]))
            .order_by("-created_at")
        )


@staff_page(Perm.INVITE_MEMBER_ADMINS, member=False)
@require_http_methods(["GET", "POST"])
def consortium_invitations(request: HttpRequest, actor: Actor) -> HttpResponse:
    form = ConsortiumInviteForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        member = form.cleaned_data["member"]
        try:
            invitation = invitation_create(
                actor=actor,
                email=form.cleaned_data["email"],
                member_roles=[MemberRole.MEMBER_ADMIN] if member else [],
                consortium_roles=form.cleaned_data["consortium_roles"],
                member=member,
            )
        except InvitationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(
                request, _("Invitation sent to %(email)s.") % {"email": invitation.email}
            )
            return redirect("members:consortium_invitations")
    return render(
        request,
        "members/consortium_invitations.html",
        {"form": form, "invitations": _consortium_invitations()},
    )


@staff_page(Perm.INVITE_MEMBER_ADMINS, member=False)
@require_http_methods(["GET", "POST"])
def consortium_invitation_revoke(
    request: HttpRequest, actor: Actor, invitation_id: int
) -> HttpResponse:
    invitation = next(
        (i for i in _consortium_invitations() if str(i.pk) == str(invitation_id)), None
    )
    if invitation is None:
        raise not_found()
    return _revoke(request, actor, invitation, "members:consortium_invitations")


# --- Opening an invitation link ------------------------------------------------------------------


@never_cache
@require_http_methods(["GET", "POST"])
def invitation_accept_view(request: HttpRequest, token: str) -> HttpResponse:
    """The link in the invitation email.

    Someone new is sent to sign up (open only while the invitation is in their session, with the
    invited address fixed and already verified); someone with an account signs in and confirms.
    Roles are given by members.services.invitation_accept either way, then staff set up MFA.
    """
    invitation = invitation_find_open(token=token)
    if invitation is None:
        return render(request, "members/invitation_invalid.html", status=404)
    user = request.user
    if user.is_authenticated:
        if user.email.lower() != invitation.email.lower():
            return render(
                request,
                "members/invitation_accept.html",
                {"invitation": invitation, "wrong_user": True},
                status=403,
            )
        error = ""
        if request.method == "POST":
            try:
                invitation_accept(invitation_id=invitation.pk, user=user)
            except InvitationError as exc:
                error = exc.message
            else:
                messages.success(request, _("Welcome. Your new role is ready."))
                return redirect("dashboard")
        return render(
            request,
            "members/invitation_accept.html",
            {"invitation": invitation, "error": error},
            status=400 if error else 200,
        )
    existing = User.objects.filter(email__iexact=invitation.email).first()
    if existing is not None and not existing.is_active:
        # A leaver invited back. Accepting changes state, so it takes a POST (mail scanners
        # open links with GET); then they sign in as before.
        if request.method == "POST":
            try:
                invitation_accept(invitation_id=invitation.pk, user=existing, reactivate=True)
            except InvitationError as exc:
                return render(
                    request,
                    "members/invitation_accept.html",
                    {"invitation": invitation, "error": exc.message},
                    status=400,
                )
            messages.success(
                request, _("Welcome back. Sign in with your password, or reset it if you forgot.")
            )
            return redirect("account_login")
        return render(request, "members/invitation_accept.html", {"invitation": invitation})
    if request.method == "POST":
        return redirect(request.path)
    if existing is not None:
        # They already have an account: sign in (with MFA if they have it), then confirm here.
        query = urlencode({"next": request.path})
        return HttpResponseRedirect(f"{reverse('account_login')}?{query}")
    # Someone new: remember the invitation for the sign-up form, which is closed otherwise.
    request.session[INVITATION_SESSION_KEY] = invitation.pk
    request.session[INVITATION_EMAIL_SESSION_KEY] = invitation.email
    get_adapter(request).stash_verified_email(request, invitation.email)
    return redirect("account_signup")
