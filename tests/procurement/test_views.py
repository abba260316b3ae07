"""Pages, and for every URL: charlie (member B) is refused member A's objects."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from members.scoping import member_scope
from procurement.models import Contract, ContractDocument, ContractStatus, JoinIntent, SpendRecord
from tests.procurement.conftest import contract_make, participation_make, spend_make
from tests.procurement.files import pdf_bytes

pytestmark = [pytest.mark.django_db]


@pytest.fixture
def private_storage(settings, tmp_path):  # noqa: ANN001, ANN201
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path, "base_url": None},
        },
    }
    return tmp_path


@pytest.fixture
def a_only(member_a):  # noqa: ANN001, ANN201
    """A live contract only member A takes part in, with A's figures and spend."""
    contract = contract_make(member_a, "JP-A-ONLY", title="Aldgate insurance")
    participation_make(member_a, contract, "987654.00", "876543.00")
    spend_make(member_a, contract, date(2026, 4, 1), "24680.00")
    return contract


def document_make(contract: Contract, member, private_storage) -> ContractDocument:  # noqa: ANN001
    document = ContractDocument(
        contract=contract,
        title="Terms",
        original_name="terms.pdf",
        kind="pdf",
        size=9,
        uploaded_by_member=member,
    )
    document.file.save("x", SimpleUploadedFile("terms.pdf", b"%PDF-1.7\n"), save=False)
    document.save()
    return document


def test_contract_list_shows_own_savings_and_consortium_totals(client, alice, a_only):
    client.force_login(alice)
    response = client.get(reverse("procurement:contract_list"))
    assert response.status_code == 200
    assert b"JP-A-ONLY" in response.content


@pytest.mark.ownership("procurement:contract_list", "procurement:spend_list")
def test_it_checks_ownership_of_contract_and_spend_lists(client, charlie, a_only):
    client.force_login(charlie)
    listing = client.get(reverse("procurement:contract_list"))
    spend = client.get(reverse("procurement:spend_list"))
    assert listing.status_code == spend.status_code == 200
    for response in (listing, spend):
        assert b"JP-A-ONLY" not in response.content
        assert b"987,654" not in response.content and b"24,680" not in response.content


@pytest.mark.ownership(
    "procurement:contract_detail",
    "procurement:participation_edit",
    "procurement:intent",
    "procurement:document_upload",
    "procurement:pipeline",
    "procurement:contract_edit",
)
def test_it_checks_ownership_of_a_contract_member_b_has_no_part_in(client, charlie, a_only):
    client.force_login(charlie)
    for name in (
        "contract_detail",
        "participation_edit",
        "intent",
        "document_upload",
        "pipeline",
        "contract_edit",
    ):
        url = reverse(f"procurement:{name}", args=[a_only.pk])
        assert client.get(url).status_code == 404, name
        if name not in ("contract_detail", "pipeline"):  # GET only
            assert client.post(url, {"baseline_annual_cost": "1"}).status_code == 404, name
    with member_scope(a_only.lead_member_id):
        assert not JoinIntent.objects.exists()


@pytest.mark.ownership("procurement:pipeline", "procurement:contract_edit")
def test_it_checks_ownership_of_the_pipeline_and_edits_for_a_participant(
    client, charlie, member_a, member_b
):
    contract = contract_make(member_a, "JP-SHARED")
    participation_make(member_b, contract)
    client.force_login(charlie)
    assert client.get(reverse("procurement:contract_detail", args=[contract.pk])).status_code == 200
    assert client.get(reverse("procurement:pipeline", args=[contract.pk])).status_code == 403
    response = client.post(
        reverse("procurement:contract_edit", args=[contract.pk]),
        {"reference": "HACKED", "title": "x", "category": "it", "status": "live"},
    )
    assert response.status_code == 403
    assert Contract.objects.get(pk=contract.pk).reference == "JP-SHARED"


@pytest.mark.ownership("procurement:document_download")
def test_it_checks_ownership_of_documents(
    client, alice, charlie, member_a, member_b, a_only, private_storage
):
    document = document_make(a_only, member_a, private_storage)
    client.force_login(charlie)
    assert (
        client.get(reverse("procurement:document_download", args=[document.pk])).status_code == 404
    )
    client.force_login(alice)
    response = client.get(reverse("procurement:document_download", args=[document.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"%PDF-1.7\n"
    assert response["Content-Type"] == "application/pdf"
    assert "attachment" in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"


def test_a_participant_downloads_documents_of_its_contract(
    client, charlie, member_a, member_b, private_storage
):
    contract = contract_make(member_a, "JP-SHARED")
    participation_make(member_b, contract)
    document = document_make(contract, member_a, private_storage)
    client.force_login(charlie)
    assert (
        client.get(reverse("procurement:document_download", args=[document.pk])).status_code == 200
    )


def test_uploading_a_document_through_the_page(client, alice, a_only, private_storage):
    client.force_login(alice)
    url = reverse("procurement:document_upload", args=[a_only.pk])
    bad = client.post(url, {"title": "Terms", "file": SimpleUploadedFile("t.pdf", b"GIF89a")})
    assert bad.status_code == 200 and b"not PDF" in bad.content
    good = client.post(url, {"title": "Terms", "file": SimpleUploadedFile("t.pdf", pdf_bytes())})
    assert good.status_code == 302
    assert ContractDocument.objects.filter(contract=a_only).count() == 1


@pytest.mark.ownership("procurement:spend_create", "procurement:spend_import")
def test_it_checks_ownership_when_recording_spend(client, charlie, member_a, a_only):
    client.force_login(charlie)
    response = client.post(
        reverse("procurement:spend_create"),
        {"contract": a_only.pk, "quarter": "2026Q1", "amount": "5"},
    )
    assert response.status_code == 200  # the form again, with an error
    upload = SimpleUploadedFile("s.csv", b"contract,quarter,amount\nJP-A-ONLY,2026Q1,5\n")
    response = client.post(reverse("procurement:spend_import"), {"file": upload})
    assert response.status_code == 400
    assert b"Line 2" in response.content
    with member_scope(member_a.pk):
        assert SpendRecord.objects.count() == 1  # A's own, untouched


@pytest.mark.ownership("procurement:contract_create")
def test_it_checks_ownership_when_creating_a_contract(client, charlie, member_a, member_b):
    client.force_login(charlie)
    response = client.post(
        reverse("procurement:contract_create"),
        {
            "reference": "JP-NEW",
            "title": "Energy",
            "category": "energy",
            "status": "planned",
            "lead_member": member_a.pk,
        },
    )
    assert response.status_code == 302
    assert Contract.objects.get(reference="JP-NEW").lead_member_id == member_b.pk


@pytest.mark.ownership("procurement:consortium_overview")
def test_it_checks_ownership_of_the_coordinator_overview(client, charlie, coordinator, a_only):
    client.force_login(charlie)
    assert client.get(reverse("procurement:consortium_overview")).status_code == 403
    client.force_login(coordinator)
    response = client.get(reverse("procurement:consortium_overview"))
    assert response.status_code == 200 and b"Aldgate" in response.content


def test_intent_and_participation_pages(client, alice, charlie, member_a, member_b):
    planned = contract_make(member_a, "JP-PLAN", status=ContractStatus.PLANNED)
    client.force_login(charlie)
    response = client.post(
        reverse("procurement:intent", args=[planned.pk]), {"estimated_annual_spend": "12000"}
    )
    assert response.status_code == 302
    client.force_login(alice)
    response = client.get(reverse("procurement:pipeline", args=[planned.pk]))
    assert response.status_code == 200 and b"Brixton Housing Co-op" in response.content
    planned.status = ContractStatus.LIVE
    planned.save()
    response = client.post(
        reverse("procurement:participation_edit", args=[planned.pk]),
        {"baseline_annual_cost": "100", "contracted_annual_cost": "80", "start_date": "2026-04-01"},
    )
    assert response.status_code == 302
    bad = client.post(
        reverse("procurement:participation_edit", args=[planned.pk]),
        {
            "baseline_annual_cost": "-1",
            "contracted_annual_cost": "x",
            "start_date": "2026-04-01",
            "end_date": "2026-01-01",
        },
    )
    assert bad.status_code == 200 and b"error-summary" in bad.content


def test_every_page_renders_for_a_lead_with_data(client, alice, member_a, a_only, private_storage):
    document_make(a_only, member_a, private_storage)
    planned = contract_make(member_a, "JP-PLAN", status=ContractStatus.PLANNED)
    client.force_login(alice)
    for url in [
        reverse("procurement:contract_list"),
        reverse("procurement:contract_create"),
        reverse("procurement:contract_detail", args=[a_only.pk]),
        reverse("procurement:contract_detail", args=[planned.pk]),
        reverse("procurement:contract_edit", args=[a_only.pk]),
        reverse("procurement:participation_edit", args=[a_only.pk]),
        reverse("procurement:document_upload", args=[a_only.pk]),
        reverse("procurement:pipeline", args=[planned.pk]),
        reverse("procurement:spend_list"),
        reverse("procurement:spend_create"),
        reverse("procurement:spend_import"),
    ]:
        response = client.get(url)
        assert response.status_code == 200, url
    assert b"24,680" in client.get(reverse("procurement:spend_list")).content
