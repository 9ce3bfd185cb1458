#!/bin/sh
# Container entrypoint: apply the database migrations, then replace this shell with the server
# (uvicorn becomes PID 1 and receives SIGTERM directly, for a graceful shutdown).
#   --forwarded-allow-ips   X-Forwarded-* believed only from the gateway (the same list the app
#                           uses, NEWSCLAIMS_TRUSTED_PROXIES);
#   --timeout-graceful-shutdown 50
#                           in-flight requests get 50 s to finish after SIGTERM, inside the
#                           orchestrator's 60 s grace period (compose stop_grace_period);
#   --no-server-header      do not advertise the server software;
#   --http app.core.server:HttpProtocol
#                           uvicorn's httptools protocol, writing each response in one send()
#                           (app/core/server.py).
set -eu
newsclaims migrate
exec uvicorn app.main:app --host "${HOST:-0.0.0.0}" --port "${PORT:-8000}" --proxy-headers \
    --forwarded-allow-ips "${NEWSCLAIMS_TRUSTED_PROXIES:-127.0.0.1}" \
    --timeout-graceful-shutdown 50 --no-server-header --http app.core.server:HttpProtocol "$@"
