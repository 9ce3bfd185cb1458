#!/bin/sh
# Container entrypoint: apply the database migrations, then replace this shell with the server
# (uvicorn becomes PID 1 and receives SIGTERM directly, for a graceful shutdown).
set -eu
newsclaims migrate
exec uvicorn app.main:app --host "${HOST:-0.0.0.0}" --port "${PORT:-8000}" --proxy-headers \
    --forwarded-allow-ips "${FORWARDED_ALLOW_IPS:-127.0.0.1}" "$@"
