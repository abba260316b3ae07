"""What each role may do, in one place. Views, API permissions and services ask `can()`.

Roles never grant access to another member's records: a permission applies within the actor's
own member scope, and consortium permissions within an audited consortium scope.
"""

from __future__ import annotations

from enum import StrEnum

from members.models import ConsortiumRole, MemberRole


class Perm(StrEnum):
    VIEW_REFERRALS = "view_referrals"
    WORK_REFERRALS = "work_referrals"
    MANAGE_OFFERS = "manage_offers"
    MANAGE_STAFF = "manage_staff"
    VIEW_AUDIT_LOG = "view_audit_log"
    VIEW_MEMBER_REPORTS = "view_member_reports"
    VIEW_ALL_REPORTS = "view_all_reports"
    GENERATE_REPORTS = "generate_reports"
    ROUTE_REFERRALS = "route_referrals"
    VIEW_CONSORTIUM_QUEUES = "view_consortium_queues"
    INVITE_MEMBER_ADMINS = "invite_member_admins"
    INVITE_CONSORTIUM_ROLES = "invite_consortium_roles"
    MANAGE_CATALOGUE = "manage_catalogue"
    MANAGE_PROCUREMENT = "manage_procurement"
    BOOK_LEARNING = "book_learning"
    MANAGE_LEARNING = "manage_learning"
    # Every member's procurement baseline and spend (private to each member otherwise).
    VIEW_MEMBER_COSTS = "view_member_costs"
    USE_API_TOKENS = "use_api_tokens"
    # Reports inputs: a member's delivery costs per service and quarter, its own licensed social
    # value table (member administrator only), and the consortium's targets (coordinator).
    MANAGE_DELIVERY_COSTS = "manage_delivery_costs"
    LOAD_SOCIAL_VALUE_TABLE = "load_social_value_table"
    SET_REPORT_TARGETS = "set_report_targets"
    # The data sharing agreement: a member's DPO signs it for the member; the coordinator
    # publishes its versions and sees who has signed (dataprotection/).
    SIGN_SHARING_AGREEMENT = "sign_sharing_agreement"
    PUBLISH_SHARING_AGREEMENT = "publish_sharing_agreement"


P = Perm
MEMBER_ROLE_PERMS: dict[str, frozenset[Perm]] = {
    MemberRole.CASEWORKER: frozenset(
        {P.VIEW_REFERRALS, P.WORK_REFERRALS, P.BOOK_LEARNING, P.USE_API_TOKENS}
    ),
    MemberRole.SERVICE_LEAD: frozenset(
        {
            P.VIEW_REFERRALS,
            P.WORK_REFERRALS,
            P.MANAGE_OFFERS,
            P.BOOK_LEARNING,
            P.MANAGE_LEARNING,
            P.MANAGE_PROCUREMENT,
            P.MANAGE_DELIVERY_COSTS,
            P.USE_API_TOKENS,
        }
    ),
    MemberRole.MEMBER_ADMIN: frozenset(
        {
            P.MANAGE_STAFF,
            P.MANAGE_PROCUREMENT,
            P.MANAGE_DELIVERY_COSTS,
            P.LOAD_SOCIAL_VALUE_TABLE,
            P.BOOK_LEARNING,
            P.USE_API_TOKENS,
        }
    ),
    MemberRole.DATA_PROTECTION_OFFICER: frozenset(
        {P.VIEW_AUDIT_LOG, P.VIEW_REFERRALS, P.SIGN_SHARING_AGREEMENT, P.USE_API_TOKENS}
    ),
    MemberRole.BOARD: frozenset({P.VIEW_MEMBER_REPORTS}),
}
CONSORTIUM_ROLE_PERMS: dict[str, frozenset[Perm]] = {
    ConsortiumRole.COORDINATOR: frozenset(
        {
            P.ROUTE_REFERRALS,
            P.VIEW_CONSORTIUM_QUEUES,
            P.VIEW_MEMBER_COSTS,
            P.GENERATE_REPORTS,
            P.VIEW_ALL_REPORTS,
            P.SET_REPORT_TARGETS,
            P.PUBLISH_SHARING_AGREEMENT,
            P.USE_API_TOKENS,
        }
    ),
    ConsortiumRole.ADMINISTRATOR: frozenset(
        {
            P.INVITE_MEMBER_ADMINS,
            P.INVITE_CONSORTIUM_ROLES,
            P.MANAGE_CATALOGUE,
            P.USE_API_TOKENS,
        }
    ),
    ConsortiumRole.BOARD: frozenset({P.VIEW_ALL_REPORTS}),
}
# Which member roles a member administrator may give; the consortium administrator may also
# make member administrators.
ROLES_A_MEMBER_ADMIN_GRANTS = frozenset(
    {
        MemberRole.CASEWORKER,
        MemberRole.SERVICE_LEAD,
        MemberRole.DATA_PROTECTION_OFFICER,
        MemberRole.BOARD,
        MemberRole.MEMBER_ADMIN,
    }
)


def perms_for(member_roles: frozenset[str], consortium_roles: frozenset[str]) -> frozenset[Perm]:
    granted: set[Perm] = set()
    for role in member_roles:
        granted |= MEMBER_ROLE_PERMS.get(role, frozenset())
    for role in consortium_roles:
        granted |= CONSORTIUM_ROLE_PERMS.get(role, frozenset())
    return frozenset(granted)
