"""The pages where members record the data the reports need (delivery costs, their own social
value table) and the coordinator sets the targets: validation, all-or-nothing import,
permissions per role and ownership."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from audit.models import AuditEvent, AuditObjectType
from kernel.calendar import current_quarter
from members.scoping import consortium_scope, member_scope
from reports.models import DeliveryCost, SocialValueRate, SocialValueTable, Target
from tests.factories import ServiceFactory, staff_create

pytestmark = pytest.mark.django_db

LAST = current_quarter().previous()


@pytest.fixture
def service(db):  # noqa: ANN001, ANN201
    return ServiceFactory(slug="job-search", name="Job search support")


@pytest.fixture
def other_service(db):  # noqa: ANN001, ANN201
    return ServiceFactory(slug="cv-clinic", name="CV clinic")


def _costs(member) -> list[DeliveryCost]:  # noqa: ANN001
    with member_scope(member.pk):
        return list(DeliveryCost.objects.all().order_by("pk"))


def _cost(member, service, amount: str = "1000.00", quarter=LAST) -> DeliveryCost:  # noqa: ANN001
    with member_scope(member.pk):
        return DeliveryCost.objects.create(
            member=member,
            service=service,
            period_start=quarter.start,
            amount=Decimal(amount),
            note="secret-note-of-" + member.slug,
        )


def _table(member) -> tuple[SocialValueTable | None, list[SocialValueRate]]:  # noqa: ANN001
    with member_scope(member.pk):
        return (
            SocialValueTable.objects.first(),
            list(SocialValueRate.objects.order_by("outcome_type")),
        )


def _csv(text: str, name: str = "table.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode("utf-8"), content_type="text/csv")


def _upload(client, text: str, **extra):  # noqa: ANN001, ANN003, ANN202
    data = {
        "name": "Our licensed values 2026",
        "licence_note": "Licensed from Example Bank, licence 42, for our own reporting.",
        "licence_held": "on",
        "file": _csv(text),
        **extra,
    }
    return client.post(reverse("reports:social_value"), data)


GOOD_CSV = (
    "outcome_type,value_gbp,deadweight_percent,source\n"
    "job_sustained_26,12000.00,20,Example Bank 2026 table 3\n"
    "Training completed,1500,25,Example Bank 2026 table 5\n"
    'qualification,"2,500.50",10.5,Example Bank 2026 table 6\n'
)


# --- Delivery costs ----------------------------------------------------------------------------


def test_a_service_lead_adds_a_delivery_cost(client, alice, member_a, service) -> None:
    client.force_login(alice)
    assert client.get(reverse("reports:cost_add")).status_code == 200
    response = client.post(
        reverse("reports:cost_add"),
        {"service": service.pk, "quarter": LAST.key, "amount": "£12,500.50", "note": "Two staff"},
    )
    assert response.status_code == 302
    [cost] = _costs(member_a)
    assert (cost.service_id, cost.period_start, cost.amount) == (
        service.pk,
        LAST.start,
        Decimal("12500.50"),
    )
    assert cost.entered_by == alice
    page = client.get(reverse("reports:costs")).content.decode()
    assert "Job search support" in page and LAST.label in page and "12,500.50" in page
    with member_scope(member_a.pk):
        assert AuditEvent.objects.filter(
            object_type=AuditObjectType.DELIVERY_COST, object_id=str(cost.pk)
        ).exists()


def test_a_member_admin_edits_a_delivery_cost(client, bob, member_a, service) -> None:
    cost = _cost(member_a, service)
    client.force_login(bob)
    page = client.get(reverse("reports:cost_edit", args=[cost.pk])).content.decode()
    assert "1000.00" in page
    response = client.post(
        reverse("reports:cost_edit", args=[cost.pk]),
        {"service": service.pk, "quarter": LAST.key, "amount": "900", "note": ""},
    )
    assert response.status_code == 302
    [saved] = _costs(member_a)
    assert saved.pk == cost.pk and saved.amount == Decimal("900.00")


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"amount": "-5"}, "amount", "The amount cannot be negative."),
        ({"amount": "lots"}, "amount", "Enter the amount as a number of pounds"),
        ({"amount": "1.234"}, "amount", "Enter the amount to the nearest penny."),
        ({"quarter": "2026Q9"}, "quarter", "Choose a quarter from the list."),
        ({"quarter": "1999Q1"}, "quarter", "Choose a quarter from the list."),
        ({"quarter": ""}, "quarter", "Choose the quarter the cost is for."),
        ({"service": "999999"}, "service", "Choose a service from the catalogue."),
    ],
)
def test_a_bad_delivery_cost_is_refused_with_a_clear_message(
    client, alice, member_a, service, fields, field, message
) -> None:
    client.force_login(alice)
    data = {"service": service.pk, "quarter": LAST.key, "amount": "100", "note": "", **fields}
    response = client.post(reverse("reports:cost_add"), data)
    assert response.status_code == 400
    page = response.content.decode()
    assert message in page
    assert "There is a problem" in page and f'href="#id_{field}"' in page
    assert _costs(member_a) == []


def test_a_second_cost_for_the_same_service_and_quarter_points_to_the_first(
    client, alice, member_a, service
) -> None:
    first = _cost(member_a, service)
    client.force_login(alice)
    response = client.post(
        reverse("reports:cost_add"),
        {"service": service.pk, "quarter": LAST.key, "amount": "5", "note": ""},
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "already recorded" in page
    assert reverse("reports:cost_edit", args=[first.pk]) in page
    assert [c.amount for c in _costs(member_a)] == [Decimal("1000.00")]


def test_editing_a_cost_onto_another_recorded_quarter_is_refused(
    client, alice, member_a, service
) -> None:
    older = current_quarter().previous().previous()
    _cost(member_a, service)
    moved = _cost(member_a, service, quarter=older)
    client.force_login(alice)
    response = client.post(
        reverse("reports:cost_edit", args=[moved.pk]),
        {"service": service.pk, "quarter": LAST.key, "amount": "5", "note": ""},
    )
    assert response.status_code == 400
    assert "already recorded" in response.content.decode()
    assert {c.period_start for c in _costs(member_a)} == {LAST.start, older.start}


@pytest.mark.parametrize("who", ["dpo", "board_member", "coordinator", "caseworker"])
def test_other_roles_cannot_use_the_delivery_cost_pages(
    client, request, member_a, service, who
) -> None:
    if who == "caseworker":
        user = staff_create(member_a, "cw@a.example", ["caseworker"])
    else:
        user = request.getfixturevalue(who)
    cost = _cost(member_a, service)
    client.force_login(user)
    assert client.get(reverse("reports:costs")).status_code == 403
    assert client.get(reverse("reports:cost_add")).status_code == 403
    assert client.get(reverse("reports:cost_edit", args=[cost.pk])).status_code == 403
    response = client.post(
        reverse("reports:cost_add"),
        {"service": service.pk, "quarter": LAST.key, "amount": "5"},
    )
    assert response.status_code == 403
    assert len(_costs(member_a)) == 1


@pytest.mark.ownership("reports:costs", "reports:cost_add", "reports:cost_edit")
def test_it_checks_ownership_charlie_never_sees_or_changes_member_a_costs(
    client, charlie, member_a, member_b, service, other_service
) -> None:
    a_cost = _cost(member_a, service, amount="4321.00")
    client.force_login(charlie)
    page = client.get(reverse("reports:costs")).content.decode()
    assert "4,321.00" not in page and "secret-note-of-aldgate" not in page
    url = reverse("reports:cost_edit", args=[a_cost.pk])
    missing = reverse("reports:cost_edit", args=[a_cost.pk + 1000])
    assert client.get(url).status_code == 404
    assert client.get(missing).status_code == 404
    data = {"service": service.pk, "quarter": LAST.key, "amount": "1", "note": "x"}
    assert client.post(url, data).status_code == 404
    # A forged member id in the form is ignored: the cost is charlie's own member's.
    response = client.post(
        reverse("reports:cost_add"),
        {**data, "service": other_service.pk, "member": member_a.pk, "member_id": member_a.pk},
    )
    assert response.status_code == 302
    assert [(c.pk, c.amount) for c in _costs(member_a)] == [(a_cost.pk, Decimal("4321.00"))]
    [b_cost] = _costs(member_b)
    assert b_cost.service_id == other_service.pk


# --- Social value table ------------------------------------------------------------------------


def test_a_member_admin_loads_a_licensed_table(client, bob, member_a) -> None:
    client.force_login(bob)
    page = client.get(reverse("reports:social_value")).content.decode()
    assert "must hold a licence" in page
    response = _upload(client, GOOD_CSV)
    assert response.status_code == 302
    table, rates = _table(member_a)
    assert table is not None and table.name == "Our licensed values 2026"
    assert not table.is_illustrative and table.loaded_by == bob
    assert "licence 42" in table.source_note and "Example Bank 2026 table 5" in table.source_note
    assert [(r.outcome_type, r.value_gbp, r.deadweight_pct) for r in rates] == [
        ("job_sustained_26", Decimal("12000.00"), Decimal("20.00")),
        ("qualification", Decimal("2500.50"), Decimal("10.50")),
        ("training_completed", Decimal("1500.00"), Decimal("25.00")),
    ]
    page = client.get(reverse("reports:social_value")).content.decode()
    assert "Our licensed values 2026" in page and "licence 42" in page and "12,000.00" in page


def test_loading_a_table_replaces_the_previous_rates(client, bob, member_a) -> None:
    client.force_login(bob)
    assert _upload(client, GOOD_CSV).status_code == 302
    replacement = "outcome_type,value_gbp,deadweight_percent,source\nvolunteering,300,0,Own study\n"
    assert _upload(client, replacement, name="Second table").status_code == 302
    table, rates = _table(member_a)
    assert table is not None and table.name == "Second table"
    assert [r.outcome_type for r in rates] == ["volunteering"]


def test_a_file_with_bad_rows_loads_nothing_and_names_each_bad_line(client, bob, member_a) -> None:
    client.force_login(bob)
    assert _upload(client, GOOD_CSV).status_code == 302
    mixed = (
        "outcome_type,value_gbp,deadweight_percent,source\n"
        "job_sustained_26,99999,20,New source\n"  # line 2: good
        "unicorns,100,10,Somewhere\n"  # line 3: unknown type
        "training_completed,-5,10,Somewhere\n"  # line 4: negative value
        "\n"  # line 5: blank, skipped
        "qualification,100,120,\n"  # line 6: deadweight over 100, no source
        "job_sustained_26,50,10,Dup\n"  # line 7: duplicate of line 2
        "volunteering,ten,5,Somewhere\n"  # line 8: not a number
    )
    response = _upload(client, mixed)
    assert response.status_code == 400
    page = response.content.decode()
    assert "Nothing was loaded" in page
    assert "Line 2:" not in page
    assert "Line 3:" in page and "unicorns" in page
    assert "Line 4:" in page and "cannot be negative" in page
    assert "Line 5:" not in page
    assert "Line 6:" in page and "between 0 and 100" in page and "source is missing" in page
    assert "Line 7:" in page and "already on line 2" in page
    assert "Line 8:" in page and "not a number" in page
    table, rates = _table(member_a)  # the previous table, untouched
    assert table is not None and table.name == "Our licensed values 2026"
    assert {r.outcome_type: r.value_gbp for r in rates}["job_sustained_26"] == Decimal("12000.00")


@pytest.mark.parametrize(
    ("text", "name", "message"),
    [
        ("outcome_type,value_gbp\njob_started,1\n", "t.csv", "missing: deadweight_percent, source"),
        ("outcome_type,value_gbp,deadweight_percent,source\n", "t.csv", "header but no rows"),
        ("not,a,table", "t.xlsx", "Upload a CSV file"),
        ("outcome_type," + "x" * 600_000, "t.csv", "larger than 512 KB"),
        ("outcome_type,value_gbp\n\x00\x01", "t.csv", "not a CSV text file"),
    ],
)
def test_an_unusable_file_is_refused_as_a_whole(client, bob, member_a, text, name, message) -> None:
    client.force_login(bob)
    response = _upload(client, text, file=_csv(text, name))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert _table(member_a) == (None, [])


def test_the_licence_must_be_confirmed(client, bob, member_a) -> None:
    client.force_login(bob)
    data = {
        "name": "Table",
        "licence_note": "Ours",
        "file": _csv(GOOD_CSV),
    }
    response = client.post(reverse("reports:social_value"), data)
    assert response.status_code == 400
    page = response.content.decode()
    assert "holds a licence for these values" in page and 'href="#id_licence_held"' in page
    assert _table(member_a) == (None, [])


@pytest.mark.parametrize("who", ["alice", "dpo", "board_member", "coordinator"])
def test_only_the_member_admin_loads_a_table(client, request, member_a, who) -> None:
    client.force_login(request.getfixturevalue(who))
    assert client.get(reverse("reports:social_value")).status_code == 403
    assert _upload(client, GOOD_CSV).status_code == 403
    assert _table(member_a) == (None, [])


@pytest.mark.ownership("reports:social_value")
def test_it_checks_ownership_charlie_never_sees_or_replaces_member_a_table(
    client, bob, charlie, member_a, member_b
) -> None:
    client.force_login(bob)
    assert _upload(client, GOOD_CSV).status_code == 302
    client.force_login(charlie)
    page = client.get(reverse("reports:social_value")).content.decode()
    assert "Our licensed values 2026" not in page and "licence 42" not in page
    # A forged member id is ignored: charlie's upload loads member B's table only.
    response = _upload(
        client,
        "outcome_type,value_gbp,deadweight_percent,source\nvolunteering,1,0,B's own\n",
        name="Brixton table",
        member=str(member_a.pk),
        member_id=str(member_a.pk),
    )
    assert response.status_code == 302
    a_table, a_rates = _table(member_a)
    assert a_table is not None and a_table.name == "Our licensed values 2026" and len(a_rates) == 3
    b_table, b_rates = _table(member_b)
    assert b_table is not None and b_table.name == "Brixton table"
    assert [r.outcome_type for r in b_rates] == ["volunteering"]


# --- Targets -----------------------------------------------------------------------------------


def _target(key: str) -> Target | None:
    with consortium_scope(reason="test"):
        return Target.objects.filter(figure_key=key).first()


def test_the_coordinator_sets_and_changes_a_target(client, coordinator) -> None:
    client.force_login(coordinator)
    page = client.get(reverse("reports:targets")).content.decode()
    assert (
        "sla_compliance" in page and reverse("reports:target_edit", args=["sla_compliance"]) in page
    )
    url = reverse("reports:target_edit", args=["sla_compliance"])
    data = {"direction": "higher", "green": "90", "amber": "80", "note": "Agreed by the board"}
    assert client.post(url, data).status_code == 302
    target = _target("sla_compliance")
    assert target is not None
    assert (target.green, target.amber, target.direction) == (Decimal(90), Decimal(80), "higher")
    assert target.updated_by == coordinator
    assert client.post(url, {**data, "green": "95"}).status_code == 302
    target = _target("sla_compliance")
    assert target is not None and target.green == Decimal(95)
    with consortium_scope(reason="test"):
        assert (
            AuditEvent.objects.filter(
                object_type=AuditObjectType.REPORT_TARGET, object_id="sla_compliance"
            ).count()
            == 2
        )


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"direction": "higher", "green": "80", "amber": "90"}, "amber must be at or below green"),
        ({"direction": "lower", "green": "48", "amber": "24"}, "amber must be at or above green"),
        ({"direction": "sideways", "green": "1", "amber": "1"}, "higher or lower is better"),
        ({"direction": "higher", "green": "", "amber": "1"}, "Enter the green threshold."),
        ({"direction": "higher", "green": "x", "amber": "1"}, "as a number"),
    ],
)
def test_a_bad_target_is_refused_with_a_clear_message(client, coordinator, data, message) -> None:
    client.force_login(coordinator)
    response = client.post(reverse("reports:target_edit", args=["time_to_accept"]), data)
    assert response.status_code == 400
    page = response.content.decode()
    assert message in page and "There is a problem" in page
    assert _target("time_to_accept") is None


def test_an_unknown_figure_key_is_not_found(client, coordinator) -> None:
    client.force_login(coordinator)
    url = reverse("reports:target_edit", args=["no_such_figure"])
    assert client.get(url).status_code == 404
    data = {"direction": "higher", "green": "2", "amber": "1"}
    assert client.post(url, data).status_code == 404
    assert _target("no_such_figure") is None


@pytest.mark.ownership("reports:targets", "reports:target_edit")
def test_it_checks_ownership_only_the_coordinator_sets_targets(
    client, alice, bob, charlie, board_member
) -> None:
    url = reverse("reports:target_edit", args=["sla_compliance"])
    for user in (alice, bob, charlie, board_member):
        client.force_login(user)
        assert client.get(reverse("reports:targets")).status_code == 403
        assert client.get(url).status_code == 403
        data = {"direction": "higher", "green": "1", "amber": "0"}
        assert client.post(url, data).status_code == 403
    assert _target("sla_compliance") is None


# --- Links from the reports page ---------------------------------------------------------------


def test_the_reports_page_links_each_role_to_the_inputs_it_may_use(
    client, charlie, coordinator, board_member
) -> None:
    client.force_login(charlie)  # service lead, member admin and board at member B
    page = client.get(reverse("reports:list")).content.decode()
    assert reverse("reports:costs") in page and reverse("reports:social_value") in page
    assert reverse("reports:targets") not in page
    client.force_login(coordinator)
    page = client.get(reverse("reports:list")).content.decode()
    assert reverse("reports:targets") in page and reverse("reports:costs") not in page
    client.force_login(board_member)
    page = client.get(reverse("reports:list")).content.decode()
    for name in ("reports:costs", "reports:social_value", "reports:targets"):
        assert reverse(name) not in page


def test_huge_and_odd_decimals_are_row_errors_not_a_crash(client, bob, member_a) -> None:
    """Issue 14, finding 3b: 1E+30 raised decimal.InvalidOperation (a 500)."""
    client.force_login(bob)
    huge = (
        "outcome_type,value_gbp,deadweight_percent,source\n"
        "job_sustained_26,1E+30,20,Somewhere\n"  # line 2
        "training_completed,999999999999,10,Somewhere\n"  # line 3: over numeric(12, 2)
        "qualification,100,1E+30,Somewhere\n"  # line 4: deadweight
        "volunteering,100,999999999999,Somewhere\n"  # line 5
    )
    response = _upload(client, huge)
    assert response.status_code == 400
    page = response.content.decode()
    for line in (2, 3, 4, 5):
        assert f"Line {line}:" in page
    assert "too large" in page
    assert _table(member_a) == (None, [])
