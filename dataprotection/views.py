"""The data sharing agreement's pages: HTTP in and out.

- A member's data protection officer reads the version in force (and any published to take
  effect later), signs it for their own member, and sees the member's signatures.
- The coordinator publishes versions and sees which member signed which, and who is gated.

Reads come from dataprotection/selectors.py, changes from dataprotection/services.py; a refused
change becomes a message on the page.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dataprotection import selectors
from dataprotection.forms import PublishForm, SignForm
from dataprotection.models import SharingAgreement
from dataprotection.services import (
    AgreementInvalid,
    AgreementNotFound,
    AgreementSuperseded,
    agreement_publish,
    agreement_sign,
)
from members.actor import Actor, MemberActor
from members.models import Member
from members.pages import staff_page
from members.permissions import Perm
from members.scoping import consortium_scope
from members.selectors import member_of

# --- The DPO's page ------------------------------------------------------------------------------


def _own_member(actor: Actor) -> Member:
    found = member_of(actor)
    if found is None:
        raise PermissionDenied
    return found


def _agreement_page(
    request: HttpRequest,
    actor: Actor,
    *,
    forms: dict[int, SignForm] | None = None,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    member = _own_member(actor)
    standing = selectors.member_standing(member_id=member.pk)
    signatures = selectors.member_signatures(member_id=member.pk)
    signed = {s.agreement_id: s for s in signatures}
    # What the DPO may sign: the version in force and any published to take effect later.
    to_sign = [a for a in selectors.agreements_signable(on=standing.on) if a.pk not in signed]
    forms = forms or {}
    sign_forms = [
        (
            agreement,
            forms.get(agreement.pk)
            or SignForm(
                agreement_id=agreement.pk, version=agreement.version, member_name=member.name
            ),
        )
        for agreement in to_sign
    ]
    current_signature = signed.get(standing.current.pk) if standing.current else None
    context = {
        "member": member,
        "standing": standing,
        "sign_forms": sign_forms,
        "current_signature": current_signature,
        "current_text": (
            selectors.agreement_text(agreement_id=standing.current.pk)
            if standing.current and current_signature
            else ""
        ),
        "signatures": signatures,
        "error": error,
        "has_errors": bool(error) or any(form.errors for _agreement, form in sign_forms),
    }
    return render(request, "dataprotection/agreement.html", context, status=status)


@require_GET
@staff_page(Perm.SIGN_SHARING_AGREEMENT, member=True)
def agreement(request: HttpRequest, actor: MemberActor) -> HttpResponse:
    return _agreement_page(request, actor)


@require_POST
@staff_page(Perm.SIGN_SHARING_AGREEMENT, member=True)
def sign(request: HttpRequest, actor: MemberActor, agreement_id: int) -> HttpResponse:
    member = _own_member(actor)
    found = selectors.agreement_get(agreement_id=agreement_id)
    if found is None:
        raise Http404("Not found.")
    form = SignForm(
        request.POST, agreement_id=found.pk, version=found.version, member_name=member.name
    )
    if not form.is_valid():
        return _agreement_page(request, actor, forms={found.pk: form}, status=400)
    try:
        # Only the agreement's id comes from the request; the member is the actor's own.
        signature = agreement_sign(actor=actor, agreement_id=found.pk)
    except AgreementNotFound as exc:
        raise Http404(exc.message) from exc
    except AgreementSuperseded as exc:
        return _agreement_page(request, actor, error=exc.message, status=exc.status)
    messages.success(
        request,
        _("Version %(version)s is signed for %(member)s by %(name)s on %(date)s.")
        % {
            "version": found.version,
            "member": member.name,
            "name": signature.signer_name,
            "date": date_format(selectors.london_date(signature.signed_at), "j F Y"),
        },
    )
    return redirect("dataprotection:agreement")


@require_GET
@staff_page(Perm.SIGN_SHARING_AGREEMENT, Perm.PUBLISH_SHARING_AGREEMENT, member=False)
def version(request: HttpRequest, actor: Actor, agreement_id: int) -> HttpResponse:
    """One version's text: for a DPO with their own member's signature of it, for the
    coordinator with how many members signed it."""
    dpo = actor.can(Perm.SIGN_SHARING_AGREEMENT) and actor.member_id is not None
    coordinator = actor.can(Perm.PUBLISH_SHARING_AGREEMENT)
    if not (dpo or coordinator):
        raise PermissionDenied
    found = selectors.agreement_get(agreement_id=agreement_id)
    if found is None:
        raise Http404("Not found.")
    context: dict[str, Any] = {"agreement": found, "dpo": dpo, "coordinator": coordinator}
    if dpo and actor.member_id is not None:
        context["signature"] = selectors.member_signature(
            member_id=actor.member_id, agreement_id=found.pk
        )
    if coordinator:
        with consortium_scope(
            reason="data protection: signatures of one version", user_id=actor.user_id
        ):
            context["signature_count"] = selectors.signature_count(agreement_id=found.pk)
    return render(request, "dataprotection/version.html", context)


# --- The coordinator's pages ---------------------------------------------------------------------


@require_GET
@staff_page(Perm.PUBLISH_SHARING_AGREEMENT, member=False)
def consortium(request: HttpRequest, actor: Actor) -> HttpResponse:
    reason = "data protection: who signed the agreement"
    with consortium_scope(reason=reason, user_id=actor.user_id):
        overview = selectors.consortium_overview()
    return render(request, "dataprotection/consortium.html", {"overview": overview})


@require_http_methods(["GET", "POST"])
@staff_page(Perm.PUBLISH_SHARING_AGREEMENT, member=False)
def publish(request: HttpRequest, actor: Actor) -> HttpResponse:
    latest = selectors.agreement_latest()
    form = PublishForm(
        request.POST if request.method == "POST" else None,
        initial={"version": _next_version(latest)},
    )
    if request.method == "POST" and form.is_valid():
        try:
            published = agreement_publish(
                actor=actor,
                version=form.cleaned_data["version"],
                text=form.cleaned_data["text"],
                effective_from=form.cleaned_data["effective_from"],
                grace_days=form.cleaned_data["grace_days"],
            )
        except AgreementInvalid as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(
                request,
                _("Version %(version)s is published. It takes effect on %(date)s.")
                % {
                    "version": published.version,
                    "date": date_format(published.effective_from, "j F Y"),
                },
            )
            return redirect("dataprotection:consortium")
    status = 400 if form.is_bound and form.errors else 200
    return render(
        request, "dataprotection/publish.html", {"form": form, "latest": latest}, status=status
    )


def _next_version(latest: SharingAgreement | None) -> str:
    """A suggestion for the form: v1, or one more than a latest "vN"."""
    if latest is None:
        return "v1"
    label = latest.version
    if label[:1] in "vV" and label[1:].isdigit():
        return f"{label[0]}{int(label[1:]) + 1}"
    return ""
