#!/usr/bin/env bash
# Start throwaway servers for the scale-out tests and print the variables that point the tests at them:
#   eval "$(scripts/test-services.sh)"
# PostgreSQL (Debian's postgresql package) on a free port of 127.0.0.1, trust auth, user azur, in a temporary
# directory; the tests create and drop their own databases on it. Needs root (initdb runs as postgres).
# An S3 stand-in: moto's server mode (the S3 protocol over HTTP, not a real store) on a free loopback port,
# when moto is installed; tests without AZUR_TEST_S3_ENDPOINT start their own (tests/s3_store.py).
set -euo pipefail
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
MOTO=$(command -v moto_server || ls "$(dirname "$0")/../.venv/bin/moto_server" 2>/dev/null || true)
if [ -n "$MOTO" ]; then
  S3_PORT=$(free_port)
  nohup "$MOTO" -H 127.0.0.1 -p "$S3_PORT" >/dev/null 2>&1 &
  for _ in $(seq 50); do (exec 3<>"/dev/tcp/127.0.0.1/$S3_PORT") 2>/dev/null && break; sleep 0.2; done
  echo "export AZUR_TEST_S3_ENDPOINT=http://127.0.0.1:$S3_PORT AZUR_TEST_S3_PID=$!"
else
  echo "echo 'test-services: moto is not installed yet; the S3 tests start their own stand-in' >&2"
fi
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
if [ -z "$PGBIN" ]; then
  echo "echo 'test-services: PostgreSQL is not installed (apt-get install postgresql)' >&2"
  exit 0
fi
# A free port, so a server already running (another checkout's) is left alone.
PORT=${AZUR_TEST_PG_PORT:-$(free_port)}
DIR=$(mktemp -d /tmp/azur-pg.XXXXXX)
chown postgres "$DIR"
runuser -u postgres -- "$PGBIN/initdb" -D "$DIR/data" -A trust -U azur >/dev/null
runuser -u postgres -- "$PGBIN/pg_ctl" -D "$DIR/data" -l "$DIR/log" -w \
  -o "-p $PORT -k $DIR -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200" start >/dev/null
echo "export AZUR_TEST_POSTGRES_URL=postgresql+psycopg://azur@127.0.0.1:$PORT/postgres"
echo "export AZUR_TEST_PG_DIR=$DIR"
