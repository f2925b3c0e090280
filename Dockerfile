# syntax=docker/dockerfile:1
# BuurtBank: multi-stage build, runs as a non-root user, serves `buurtbank serve --workers 2` on port 8000.
# Production needs BUURTBANK_SECRET_KEY and usually BUURTBANK_DATABASE_URL=postgresql+psycopg://...
# Migrations: `buurtbank migrate` (or `alembic upgrade head`, run in /app) inside the image; `serve` also
# migrates at start.

FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH

# 1. The dependencies alone, read from pyproject.toml: this layer is rebuilt only when pyproject.toml
#    changes, so a code change does not reinstall numpy, SciPy and OR-Tools.
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
        > /tmp/requirements.txt \
    && pip install --no-cache-dir -r /tmp/requirements.txt

# 2. The sources, installed without touching the dependencies.
COPY README.md ./
COPY api ./api
COPY domain ./domain
COPY store ./store
COPY services ./services
COPY scheduler ./scheduler
COPY buurtbank ./buurtbank
COPY stats ./stats
COPY migrations ./migrations
RUN pip install --no-cache-dir --no-deps .

FROM python:3.11-slim AS runtime
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    PATH=/opt/venv/bin:$PATH \
    BUURTBANK_ENVIRONMENT=production \
    BUURTBANK_ANTENNAS_DIR=/app/antennas \
    BUURTBANK_DATABASE_URL=sqlite:////data/buurtbank.db
# A fixed numeric id, so that a volume's owner is the same on every host (chown 10001 on the host side).
RUN groupadd --system --gid 10001 buurtbank \
    && useradd --system --uid 10001 --gid buurtbank --home-dir /app --shell /usr/sbin/nologin buurtbank \
    && mkdir -p /app /data \
    && chown buurtbank:buurtbank /data
COPY --from=build /opt/venv /opt/venv
WORKDIR /app
# Owned by root and read-only for the service. alembic.ini finds its scripts in /app/migrations
# (script_location = %(here)s/migrations).
COPY alembic.ini ./
COPY migrations ./migrations
COPY antennas ./antennas
USER 10001:10001
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/v1/health', timeout=4).status == 200 else 1)"]
# Two API processes behind port 8000 and the scheduler once, in the supervising process. With PostgreSQL,
# set --workers to the cores you give the container (each process keeps up to 42 connections: README); on the
# default SQLite file, more processes only speed up reads (writes are serialised by the database file either way).
CMD ["buurtbank", "serve", "--host", "0.0.0.0", "--port", "8000", "--workers", "2", "--no-access-log"]
