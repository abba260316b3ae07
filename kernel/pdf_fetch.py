"""The one URL fetcher every WeasyPrint render uses: it refuses every URL.

Our PDF templates are self-contained (inline CSS, no images or fonts by URL), so a fetch can only
come from a value someone typed into a report or a course: refusing all of them means a rendered
PDF can never make the server request http://127.0.0.1/... or read file:///etc/passwd.
"""

from __future__ import annotations

from typing import Any


class FetchRefused(ValueError):
    pass


def refusing_url_fetcher() -> Any:
    """A fetcher for `weasyprint.HTML(..., url_fetcher=refusing_url_fetcher())`."""
    # Imported here so kernel stays importable without WeasyPrint's native libraries loaded.
    from weasyprint.urls import URLFetcher

    class _RefusingFetcher(URLFetcher):
        # WeasyPrint 70 calls the fetcher and reads its private options, so a subclass of its
        # own class (not a bare function) is the supported way to replace every fetch.
        def fetch(self, url: str, headers: object = None) -> Any:
            refused(url)

    return _RefusingFetcher()


def refused(url: str) -> None:
    """Called for each URL a render asks for; a test can watch it."""
    raise FetchRefused(f"PDF rendering fetches nothing: {url[:80]}")
