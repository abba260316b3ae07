"""Real files of each accepted upload type, and look-alikes with the right first bytes."""

from __future__ import annotations

import io
import zipfile
import zlib
from functools import cache

CONTENT_TYPES = (
    '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
    'content-types"><Default Extension="xml" ContentType="application/xml"/></Types>'
)


@cache
def pdf_bytes() -> bytes:
    """A real PDF, as WeasyPrint (the portal's own renderer) writes one."""
    from weasyprint import HTML

    from kernel.pdf_fetch import refusing_url_fetcher

    return HTML(
        string="<h1>Terms</h1><p>Schedule 1</p>", url_fetcher=refusing_url_fetcher()
    ).write_pdf()


def office_bytes(main_part: str, extra: dict[str, bytes] | None = None) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr(main_part, "<document/>")
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return out.getvalue()


def docx_bytes(extra: dict[str, bytes] | None = None) -> bytes:
    return office_bytes("word/document.xml", extra)


@cache
def xlsx_bytes() -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    workbook.active.append(["contract", "quarter", "amount"])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _zip(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


def _pdf_with(body: bytes) -> bytes:
    return (
        b"%PDF-1.7\n1 0 obj\n" + body + b"\nendobj\nxref\n0 1\ntrailer\n<<>>\nstartxref\n9\n%%EOF\n"
    )


def _compressed_pdf_with(body: bytes) -> bytes:
    stream = zlib.compress(body)
    return _pdf_with(b"<< /Type /ObjStm /Filter /FlateDecode >>\nstream\n" + stream + b"endstream")


def _pypdf_written(*, pages: int = 1, js: str = "", attachment: bytes = b"") -> bytes:
    """A well-formed PDF (written by pypdf, not by the portal's renderer), so the check must look
    past its structure to refuse what it carries."""
    from pypdf import PdfWriter
    from pypdf.actions import JavaScript

    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=72, height=72)
    if js:
        writer.add_open_action(JavaScript(js))
    if attachment:
        writer.add_attachment("setup.exe", attachment)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


PAGE = b"<< /Type /Page /Parent 2 0 R >>"
BOMB = b"\0" * (120 * 1024 * 1024)

# (file name, content, words the form error must hold): right magic, wrong structure.
LOOK_ALIKES = [
    ("html.pdf", b"%PDF-1.7\n<html><script>alert(1)</script></html>", "not PDF"),
    ("junk.pdf", b"%PDF-1.4 x", "not PDF"),
    ("nopages.pdf", _pypdf_written(pages=0), "no pages"),
    ("js-valid.pdf", _pypdf_written(js="app.alert(1)"), "scripts"),
    ("attached-valid.pdf", _pypdf_written(attachment=b"MZ\x90"), "attached"),
    ("orphan-pages.pdf", _pdf_with(b"<< /Type /Catalog >>" + PAGE), "not PDF"),
    ("js.pdf", _pdf_with(PAGE + b"<< /S /JavaScript /JS (app.alert(1)) >>"), "scripts"),
    ("hidden-js.pdf", _pdf_with(PAGE + b"<< /S /J#61vaScript >>"), "scripts"),
    ("launch.pdf", _pdf_with(PAGE + b"<< /S /Launch /F (cmd.exe) >>"), "scripts"),
    ("attached.pdf", _compressed_pdf_with(PAGE + b"<< /EmbeddedFiles 3 0 R >>"), "attached"),
    ("word-folder.docx", _zip({"word/evil.exe": b"MZ"}), "not Word"),
    ("exe.docx", docx_bytes({"word/media/setup.exe": b"MZ\x90"}), "program"),
    ("script.docx", docx_bytes({"customXml/run.ps1": b"iex"}), "program"),
    ("macro.docx", docx_bytes({"word/vbaProject.bin": b"\xd0\xcf"}), "macros"),
    ("traversal.docx", docx_bytes({"../../etc/cron.d/x": b"* * * * *"}), "unsafe name"),
    ("bomb.docx", docx_bytes({"word/media/big.xml": BOMB}), "unpacks"),
    ("truncated.docx", docx_bytes()[:200], "not Word"),
    ("xl-folder.xlsx", _zip({"xl/x.xml": b"<x/>"}), "not Excel"),
    ("macro.xlsx", office_bytes("xl/workbook.xml", {"xl/vbaProject.bin": b"x"}), "macros"),
]
