"""Class test for finding 7: every accepted upload type is checked by its structure. A file with
the right first bytes and the wrong inside is refused with a clear form error (never a 500), and
real files of each type still pass."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from procurement.imports import SpendFileError, read_rows
from procurement.models import ContractDocument, DocumentKind
from procurement.services import _EXTENSIONS
from tests.procurement.conftest import contract_make
from tests.procurement.files import LOOK_ALIKES, docx_bytes, pdf_bytes, xlsx_bytes

pytestmark = pytest.mark.django_db

GOOD = {
    "pdf": ("terms.pdf", pdf_bytes),
    "docx": ("spec.docx", docx_bytes),
    "xlsx": ("prices.xlsx", xlsx_bytes),
    "csv": ("prices.csv", lambda: b"item,price\nbrick,1.20\n"),
}


def test_every_accepted_type_has_a_good_file_and_a_look_alike() -> None:
    accepted = {str(kind) for kind in _EXTENSIONS.values()}
    assert accepted == set(GOOD) == {k.value for k in DocumentKind}
    looked_alike = {name.rsplit(".", 1)[1] for name, _, _ in LOOK_ALIKES}
    # CSV has no magic number to imitate; its check is that it is UTF-8 text without NULs.
    assert looked_alike == accepted - {"csv"}


def _upload(client, contract, name: str, data: bytes):
    url = reverse("procurement:document_upload", args=[contract.pk])
    return client.post(url, {"title": "Terms", "file": SimpleUploadedFile(name, data)})


@pytest.mark.parametrize(("name", "data", "message"), LOOK_ALIKES, ids=[c[0] for c in LOOK_ALIKES])
def test_a_look_alike_is_refused_with_a_form_error(
    client, alice, member_a, settings, name, data, message
):
    settings.MAX_UPLOAD_BYTES = 10 * 1024 * 1024
    contract = contract_make(member_a)
    client.force_login(alice)
    response = _upload(client, contract, name, data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not ContractDocument.objects.filter(contract=contract).exists()


@pytest.mark.parametrize("kind", sorted(GOOD))
def test_a_real_file_of_each_type_is_accepted(client, alice, member_a, settings, tmp_path, kind):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path, "base_url": None},
        },
    }
    contract = contract_make(member_a)
    client.force_login(alice)
    name, make = GOOD[kind]
    response = _upload(client, contract, name, make())
    assert response.status_code == 302, response.content.decode()[-2000:]
    document = ContractDocument.objects.get(contract=contract)
    assert document.kind == kind


@pytest.mark.parametrize("name", ["xl-folder.xlsx", "macro.xlsx"])
def test_the_spend_import_checks_its_workbooks_the_same_way(name):
    data = next(d for n, d, _ in LOOK_ALIKES if n == name)
    with pytest.raises(SpendFileError, match="XLSX|macros"):
        read_rows(io.BytesIO(data), name)
    # A real workbook opens and gets as far as its rows.
    with pytest.raises(SpendFileError, match="no rows"):
        read_rows(io.BytesIO(xlsx_bytes()), "spend.xlsx")
