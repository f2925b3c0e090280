# syntax=docker/dockerfile:1
# BuurtBank: multi-stage build, runs as a non-root user, serves `buurtbank serve --workers 2` on port 8000.
# Production needs BUURTBANK_SECRET_KEY and usually BUURTBANK_DATABASE_URL=postgresql+psycopg://...

FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
COPY pyproject.toml README.md ./
COPY api ./api
COPY domain ./domain
COPY store ./store
COPY services ./services
COPY scheduler ./scheduler
COPY buurtbank ./buurtbank
COPY migrations ./migrations
RUN pip install --upgrade pip && pip install .

FROM python:3.11-slim AS runtime
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    PATH=/opt/venv/bin:$PATH \
    BUURTBANK_ENVIRONMENT=production \
    BUURTBANK_ANTENNAS_DIR=/app/antennas \
    BUURTBANK_DATABASE_URL=sqlite:////data/buurtbank.db
RUN groupadd --system buurtbank && useradd --system --gid buurtbank --home-dir /app --shell /usr/sbin/nologin buurtbank \
    && mkdir -p /app /data && chown buurtbank:buurtbank /data
COPY --from=build /opt/venv /opt/venv
WORKDIR /app
COPY --chown=buurtbank:buurtbank antennas ./antennas
COPY --chown=buurtbank:buurtbank alembic.ini ./
USER buurtbank
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s \
  CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/v1/health').status == 200 else 1)"
# Two API processes behind port 8000 and the scheduler once, in the supervising process. With PostgreSQL,
# raise --workers to the cores you give the container; on the default SQLite file, more processes only
# speed up reads (writes are serialised by the database file either way).
CMD ["buurtbank", "serve", "--host", "0.0.0.0", "--port", "8000", "--workers", "2", "--no-access-log"]
