"""Every WeasyPrint render refuses every URL (finding 8): one shared fetcher, used by each call."""

from __future__ import annotations

import ast
from pathlib import Path
from types import SimpleNamespace

import pytest

import kernel.pdf_fetch
import learning.certificates
import reports.render.pdf

ROOT = Path(__file__).resolve().parents[2]
HOSTILE = (
    '<p>Hello</p><img src="http://127.0.0.1:1/x">'
    '<img src="file:///etc/passwd"><link rel="stylesheet" href="http://169.254.169.254/">'
)


def _html_calls(tree: ast.AST) -> list[ast.Call]:
    return [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and (
            (isinstance(node.func, ast.Name) and node.func.id == "HTML")
            or (isinstance(node.func, ast.Attribute) and node.func.attr == "HTML")
        )
    ]


def test_every_weasyprint_html_call_passes_the_shared_refusing_fetcher() -> None:
    calls = 0
    for path in ROOT.rglob("*.py"):
        parts = set(path.relative_to(ROOT).parts)
        if parts & {".venv", "var", "tests", "bench", "migrations", "node_modules"}:
            continue
        for call in _html_calls(ast.parse(path.read_text(), str(path))):
            calls += 1
            fetchers = [k.value for k in call.keywords if k.arg == "url_fetcher"]
            where = f"{path.relative_to(ROOT)}:{call.lineno}"
            assert fetchers, f"{where} renders with WeasyPrint's default fetcher"
            value = fetchers[0]
            assert (
                isinstance(value, ast.Call)
                and isinstance(value.func, ast.Name)
                and value.func.id == "refusing_url_fetcher"
            ), f"{where} must pass url_fetcher=refusing_url_fetcher()"
    assert calls >= 2  # the report pack and the certificate: the scan found them


@pytest.fixture
def fetches(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    asked: list[str] = []
    real = kernel.pdf_fetch.refused

    def watch(url: str) -> None:
        asked.append(url)
        real(url)

    monkeypatch.setattr(kernel.pdf_fetch, "refused", watch)
    return asked


def test_a_report_with_urls_in_it_renders_without_fetching(
    monkeypatch: pytest.MonkeyPatch, fetches: list[str]
) -> None:
    monkeypatch.setattr(reports.render.pdf, "board_pack_html", lambda report: HOSTILE)
    pdf = reports.render.pdf.render_pdf(SimpleNamespace())  # type: ignore[arg-type]
    assert pdf.startswith(b"%PDF-")
    assert "http://127.0.0.1:1/x" in fetches
    assert "file:///etc/passwd" in fetches


def test_a_certificate_with_urls_in_it_renders_without_fetching(
    monkeypatch: pytest.MonkeyPatch, fetches: list[str]
) -> None:
    monkeypatch.setattr(learning.certificates, "render_to_string", lambda *a, **k: HOSTILE)
    booking = SimpleNamespace(
        completed_at=object(),
        attendee_user=SimpleNamespace(full_name="Alice", email="a@example.org"),
        session=SimpleNamespace(course=SimpleNamespace(provider=None)),
    )
    pdf = learning.certificates.certificate_pdf(booking=booking)  # type: ignore[arg-type]
    assert pdf.startswith(b"%PDF-")
    assert "http://127.0.0.1:1/x" in fetches
    assert "file:///etc/passwd" in fetches
