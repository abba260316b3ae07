"""Uploaded files are checked by their structure, not only by their first bytes.

A `%PDF` header followed by HTML, or any ZIP holding a `word/` folder, used to pass. Each accepted
type now has to be what it says: a PDF that pypdf opens, with at least one page, and no scripts,
launch actions or attached files anywhere in it; an Office file a readable ZIP with its
content-types part and main part, no executables or macros inside, no path tricks and a bounded
size once unpacked.
"""

from __future__ import annotations

import io
import re
import zipfile
import zlib
from pathlib import PurePosixPath

from pypdf import PdfReader


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
_STREAM = re.compile(rb"stream\r?\n(.*?)endstream", re.S)
# Names that run something or carry another file: a portal document needs none of them. Looked
# for in every object, reachable or not, so nothing is hidden from the check in an orphan object.
_ACTIVE = re.compile(
    rb"/(JavaScript|JS|Launch|EmbeddedFiles?|RichMedia|XFA|SubmitForm|ImportData)\b"
)
_NAME_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")
_MAX_INFLATED = 50 * 1024 * 1024


def pdf_check(data: bytes) -> None:
    """A PDF: one pypdf can open, with a page, and nothing active."""
    not_it = BadUpload("The file's content is not PDF.")
    if not _PDF_HEADER.match(data):
        raise not_it
    text = _NAME_ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), data + _inflated(data))
    if _ACTIVE.search(text):
        raise BadUpload("The PDF holds scripts, actions or attached files; export it without them.")
    try:
        # Lenient, as PDF readers are: real scanners and office suites write small slips in the
        # cross-reference table that pypdf repairs; a file with no document catalog still fails.
        pages = len(PdfReader(io.BytesIO(data), strict=False).pages)
    # A parser fed hostile bytes fails in many ways (its own errors, and KeyError, ValueError,
    # RecursionError...): every one of them means "not a PDF we accept".
    except Exception as error:  # noqa: BLE001
        raise not_it from error
    if not pages:
        raise BadUpload("The PDF has no pages.")


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
