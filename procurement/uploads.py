"""Uploaded files are checked by their structure, not only by their first bytes.

A `%PDF` header followed by HTML, or any ZIP holding a `word/` folder, used to pass. Each accepted
type now has to be what it says: a PDF with the body, cross-reference and trailer of one and at
least one page, and no scripts, launch actions or attached files; an Office file a readable ZIP with
its content-types part and main part, no executables or macros inside, no path tricks and a
bounded size once unpacked. pypdf is not installed, so the PDF check is our own (a parser would
be stricter; this refuses every crafted case we know of and is cheap).
"""

from __future__ import annotations

import io
import re
import zipfile
import zlib
from pathlib import PurePosixPath


class BadUpload(ValueError):
    """The file is not the type it claims; the message is for the person uploading it."""


# Unpacked, an Office file may be this much larger than the upload limit allows: real documents
# compress about 3-10x; a zip bomb compresses thousands of times.
MAX_UNPACKED_BYTES = 100 * 1024 * 1024
MAX_MEMBERS = 5000
_EXECUTABLE = frozenset(
    {".exe", ".dll", ".bat", ".cmd", ".com", ".js", ".vbs", ".ps1", ".scr", ".msi", ".jar"}
    | {".sh", ".hta", ".lnk", ".wsf", ".cpl"}
)
_MACROS = frozenset({"vbaproject.bin", "vbadata.xml"})
OFFICE_MAIN_PART = {"docx": "word/document.xml", "xlsx": "xl/workbook.xml"}


def office_check(data: bytes, *, kind: str, label: str) -> None:
    """A DOCX or XLSX: a sound ZIP with its own parts and nothing that runs."""
    not_it = BadUpload(f"The file's content is not {label}.")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, OSError):
        raise not_it from None
    with archive:
        members = archive.infolist()
        if len(members) > MAX_MEMBERS:
            raise BadUpload("The file holds too many parts to be a real document.")
        names = {m.filename for m in members}
        if "[Content_Types].xml" not in names or OFFICE_MAIN_PART[kind] not in names:
            raise not_it
        for member in members:
            _member_name_check(member.filename)
        if sum(m.file_size for m in members) > MAX_UNPACKED_BYTES:
            raise BadUpload("The file unpacks to far more than a document should.")
        # The sizes in the directory can lie: count what actually comes out, and let the CRC
        # check catch a damaged archive.
        unpacked = 0
        try:
            for member in members:
                with archive.open(member) as part:
                    while chunk := part.read(1 << 16):
                        unpacked += len(chunk)
                        if unpacked > MAX_UNPACKED_BYTES:
                            raise BadUpload("The file unpacks to far more than a document should.")
        except BadUpload:
            raise
        # Damaged, encrypted or exotically compressed parts: not a document we can vouch for.
        except (
            zipfile.BadZipFile,
            zlib.error,
            EOFError,
            NotImplementedError,
            RuntimeError,
            ValueError,
            OSError,
        ):
            raise not_it from None


def _member_name_check(name: str) -> None:
    path = PurePosixPath(name.replace("\\", "/"))
    if name.startswith(("/", "\\")) or ".." in path.parts or ":" in name:
        raise BadUpload("The file holds a part with an unsafe name.")
    if path.suffix.lower() in _EXECUTABLE:
        raise BadUpload("The file holds a program; documents with programs inside are refused.")
    if path.name.lower() in _MACROS:
        raise BadUpload("The file holds macros; save it without macros (as .docx or .xlsx).")


_PDF_HEADER = re.compile(rb"\A%PDF-[12]\.\d")
_OBJECT = re.compile(rb"\d+\s+\d+\s+obj\b")
_STREAM = re.compile(rb"stream\r?\n(.*?)endstream", re.S)
_PAGE = re.compile(rb"/Type\s*/Page(?![a-zA-Z])")
# Names that run something or carry another file: a portal document needs none of them.
_ACTIVE = re.compile(
    rb"/(JavaScript|JS|Launch|EmbeddedFiles?|RichMedia|XFA|SubmitForm|ImportData)\b"
)
_NAME_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")
_MARKUP = re.compile(rb"<\s*(html|script|body|iframe|svg)\b|<!doctype", re.I)
_MAX_INFLATED = 50 * 1024 * 1024


def pdf_check(data: bytes) -> None:
    """A PDF: header, objects, a trailer to find them by, a page, and nothing active."""
    not_it = BadUpload("The file's content is not PDF.")
    if not _PDF_HEADER.match(data):
        raise not_it
    tail = data[-2048:]
    if b"%%EOF" not in tail or b"startxref" not in tail or not _OBJECT.search(data):
        raise not_it
    # A PDF is binary objects, never a web page: a page pasted after the header is refused.
    if _MARKUP.search(data):
        raise not_it
    text = _NAME_ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), data + _inflated(data))
    if not _PAGE.search(text):
        raise BadUpload("The PDF has no pages.")
    if _ACTIVE.search(text):
        raise BadUpload("The PDF holds scripts, actions or attached files; export it without them.")


def _inflated(data: bytes) -> bytes:
    """The compressed streams unpacked (bounded), so pages and actions hidden in object streams
    are seen too. Streams that are not Flate (images) are skipped."""
    out = bytearray()
    for match in _STREAM.finditer(data):
        inflater = zlib.decompressobj()
        try:
            out += inflater.decompress(match.group(1), _MAX_INFLATED - len(out))
        except zlib.error:
            continue
        if len(out) >= _MAX_INFLATED:
            break
    return bytes(out)
