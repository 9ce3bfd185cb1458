# syntax=docker/dockerfile:1
# newsclaims: build the virtualenv in one stage, run it as a non-root user in a slim one.
# The entrypoint applies migrations (`newsclaims migrate`) and then execs uvicorn.
# No secret is baked in: the API-key pepper and the database password arrive at run time as files
# (NEWSCLAIMS_API_KEY_PEPPER_FILE, NEWSCLAIMS_DATABASE_PASSWORD_FILE; see compose.yaml), and
# .dockerignore keeps secrets/ and .env out of the build context. The root file system can be
# mounted read-only: only /data (a volume) and /tmp (a tmpfs) are written.

FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /src
COPY pyproject.toml requirements.lock README.md ./
COPY app ./app
# pinned by the lock file; the spaCy model is a pip package, so nothing is downloaded at run time
RUN pip install -c requirements.lock . && find /opt/venv -name '__pycache__' -prune -exec rm -rf {} +

FROM python:3.11-slim AS runtime
RUN groupadd --system --gid 10001 newsclaims \
 && useradd --system --uid 10001 --gid newsclaims --home-dir /app --shell /usr/sbin/nologin newsclaims \
 && mkdir -p /data && chown newsclaims:newsclaims /data
COPY --from=build /opt/venv /opt/venv
WORKDIR /app
COPY alembic.ini ./
COPY migrations ./migrations
COPY docker/entrypoint.sh /usr/local/bin/newsclaims-entrypoint
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    NEWSCLAIMS_DATA_DIR=/data \
    HOST=0.0.0.0 \
    PORT=8000
USER newsclaims
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/livez' % os.environ.get('PORT', '8000'), timeout=2)"]
ENTRYPOINT ["/usr/local/bin/newsclaims-entrypoint"]
