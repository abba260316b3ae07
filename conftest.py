# Loaded before Django is configured: tests default to the test settings.
import os

os.environ.setdefault("DJANGO_ENV", "test")
