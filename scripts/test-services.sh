#!/usr/bin/env bash
# Start throwaway servers for the scale-out tests and print the variables that point the tests at them:
#   eval "$(scripts/test-services.sh)"
# PostgreSQL (Debian's postgresql package) on a free port of 127.0.0.1, trust auth, user azur, in a temporary
# directory; the tests create and drop their own databases on it. Needs root (initdb runs as postgres).
set -euo pipefail
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
if [ -z "$PGBIN" ]; then
  echo "echo 'test-services: PostgreSQL is not installed (apt-get install postgresql)' >&2"
  exit 0
fi
# A free port, so a server already running (another checkout's) is left alone.
PORT=${AZUR_TEST_PG_PORT:-$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}
DIR=$(mktemp -d /tmp/azur-pg.XXXXXX)
chown postgres "$DIR"
runuser -u postgres -- "$PGBIN/initdb" -D "$DIR/data" -A trust -U azur >/dev/null
runuser -u postgres -- "$PGBIN/pg_ctl" -D "$DIR/data" -l "$DIR/log" -w \
  -o "-p $PORT -k $DIR -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200" start >/dev/null
echo "export AZUR_TEST_POSTGRES_URL=postgresql+psycopg://azur@127.0.0.1:$PORT/postgres"
echo "export AZUR_TEST_PG_DIR=$DIR"
