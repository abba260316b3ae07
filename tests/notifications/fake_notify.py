"""A local stand-in for GOV.UK Notify's API, enough for the SMS endpoint: a real HTTP server on
a loopback port, so the official client is exercised end to end (its JWT, its requests, its
error handling), nothing of it mocked.

It checks what Notify checks first: the `Authorization: Bearer <JWT>` header, signed HS256 with
the key's secret, `iss` the service id, `iat` within 30 seconds. Then it answers like Notify:
201 with the notification, 400 ValidationError for a number that is not a UK mobile, and
whatever statuses a test queues first (500s for an outage, 429 for the rate limit).
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt

SERVICE_ID = "26785a09-ab16-4eb0-8407-a37497a57506"
SECRET = "3d844edf-8d35-48ac-975b-e847b4f122b0"
API_KEY = f"portal_test-{SERVICE_ID}-{SECRET}"
TEMPLATE_ID = "f33517ff-2a88-4f6e-b855-c550268ce08a"

ERRORS = {
    403: ("AuthError", "Invalid token: API key not found"),
    429: (
        "RateLimitError",
        "Exceeded rate limit for key type LIVE of 3000 requests per 60 seconds",
    ),
    500: ("Exception", "Internal server error"),
}


@dataclass
class FakeNotify:
    port: int = 0
    # Statuses to answer with before behaving normally, one per request.
    queued: list[int] = field(default_factory=list)
    # Every SMS request that passed the token check: its JSON body.
    received: list[dict[str, Any]] = field(default_factory=list)
    token_errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def fail_next(self, *statuses: int) -> None:
        with self.lock:
            self.queued.extend(statuses)

    def _answer(self, handler: BaseHTTPRequestHandler) -> tuple[int, dict[str, Any]]:
        problem = self._check_token(handler.headers.get("Authorization", ""))
        if problem:
            self.token_errors.append(problem)
            return 403, _error(403, "AuthError", problem)
        if handler.path != "/v2/notifications/sms":
            return 404, _error(404, "BadRequestError", "Not found")
        length = int(handler.headers.get("Content-Length", "0"))
        body = json.loads(handler.rfile.read(length) or b"{}")
        with self.lock:
            self.received.append(body)
            status = self.queued.pop(0) if self.queued else None
        if status is not None:
            kind, message = ERRORS.get(status, ("Exception", "Error"))
            return status, _error(status, kind, message)
        if body.get("template_id") != TEMPLATE_ID:
            return 400, _error(400, "BadRequestError", "Template not found")
        phone = "".join(c for c in str(body.get("phone_number", "")) if c.isdigit())
        if phone.startswith("44"):
            phone = "0" + phone[2:]
        if not phone.startswith("07") or len(phone) != 11:
            return 400, _error(400, "ValidationError", "phone_number Not a UK mobile number")
        notification_id = str(uuid.uuid4())
        return 201, {
            "id": notification_id,
            "reference": body.get("reference"),
            "content": {
                "body": body.get("personalisation", {}).get("body", ""),
                "from_number": "GOVUK",
            },
            "uri": f"{self.url}/v2/notifications/{notification_id}",
            "template": {
                "id": TEMPLATE_ID,
                "version": 1,
                "uri": f"{self.url}/services/{SERVICE_ID}/templates/{TEMPLATE_ID}",
            },
        }

    @staticmethod
    def _check_token(header: str) -> str:
        scheme, _, token = header.partition(" ")
        if scheme != "Bearer" or not token:
            return "Unauthorized: authentication token must be provided"
        try:
            claims = jwt.decode(token, key=SECRET, algorithms=["HS256"])
        except jwt.InvalidTokenError as exc:
            return f"Invalid token: {type(exc).__name__}"
        if jwt.get_unverified_header(token).get("typ") != "JWT":
            return "Invalid token: typ"
        if claims.get("iss") != SERVICE_ID:
            return "Invalid token: iss"
        if abs(time.time() - int(claims.get("iat", 0))) > 30:
            return "Invalid token: expired"
        return ""


def _error(status: int, kind: str, message: str) -> dict[str, Any]:
    return {"status_code": status, "errors": [{"error": kind, "message": message}]}


@contextmanager
def fake_notify() -> Iterator[FakeNotify]:
    fake = FakeNotify()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            status, payload = fake._answer(self)
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    fake.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
