# The portal's image: one image for web (gunicorn), worker and beat (celery) and migrate.
# Build: docker build -t consortium-portal .   Run: docker compose up (see docker-compose.yml).
#
# python:3.12-slim on a named Debian release, so the system package names below stay valid.
FROM python:3.12-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_ENV=production \
    VAR_DIR=/app/var \
    STATIC_ROOT=/app/staticfiles \
    PORT=8000 \
    WEB_CONCURRENCY=3

# WeasyPrint (board report PDFs) needs Pango/HarfBuzz (and cairo for images); Noto fonts cover
# Arabic, Urdu and Bengali as well as Latin scripts; gettext compiles the translations.
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 libcairo2 \
        fonts-dejavu-core fonts-noto-core shared-mime-info gettext \
    && rm -rf /var/lib/apt/lists/*

# The portal runs as an unprivileged user that owns nothing but its data directory.
RUN groupadd --system --gid 10001 portal \
    && useradd --system --uid 10001 --gid portal --home-dir /app --no-create-home portal

WORKDIR /app

# Dependencies first, so a code change does not reinstall them. pyproject.toml pins every one;
# the portal itself runs from /app (the project installs no packages of its own).
COPY pyproject.toml README.md ./
RUN pip install . && pip check

COPY --chown=root:root . .

# Static files are collected (hashed and compressed for WhiteNoise) and translations compiled at
# build time. The SECRET_KEY and hosts here are build-only placeholders: nothing is signed or
# served during the build, and production refuses to start without the real ones.
RUN if [ -d locale ]; then python manage.py compilemessages --ignore=.venv -v 0; fi \
    && SECRET_KEY=build-only-not-a-secret ALLOWED_HOSTS=build.invalid EMAIL_HOST=build.invalid \
        VAR_DIR=/tmp/build-var python manage.py collectstatic --no-input -v 0 \
    && rm -rf /tmp/build-var \
    && mkdir -p /app/var/private \
    && chown -R portal:portal /app/var

USER portal
EXPOSE 8000

# Readiness (/health/ready/): unhealthy only when the database is unreachable; a Redis outage
# reports "degraded" and stays healthy. A restart probe asks liveness: healthcheck.py live.
HEALTHCHECK --interval=30s --timeout=10s --start-period=30s --retries=3 \
    CMD ["python", "deploy/healthcheck.py", "ready"]

# Web by default; docker-compose.yml runs the same image as the worker, beat and migrate.
# gunicorn reads its number of worker processes from WEB_CONCURRENCY.
CMD ["sh", "-c", "exec gunicorn consortium.wsgi:application --bind 0.0.0.0:${PORT} --threads 4 --access-logfile - --graceful-timeout 20 --timeout 60"]
