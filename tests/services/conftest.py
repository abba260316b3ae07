from tests.applications.conftest import _fresh_rate_limits, offers, service  # noqa: F401
