#!/usr/bin/env bash
# A PostgreSQL image for deploy/flotilla-ha.yml on a machine that cannot pull `postgres:16`:
# Debian's own PostgreSQL server (apt-get install postgresql), the C libraries it links and a
# /bin/sh, FROM scratch. It answers to the official image's settings — POSTGRES_USER,
# POSTGRES_PASSWORD_FILE, POSTGRES_DB, PGDATA — so the stack file works with either.
# Usage: scripts/postgres-image.sh [TAG]     (default flotilla-postgres:local; DOCKER_HOST honoured)
set -euo pipefail
cd "$(dirname "$0")/.."
tag=${1:-flotilla-postgres:local}
target=${CARGO_TARGET_DIR:-$HOME/.cache/flotilla/target}
context=$target/postgres-image
root=$context/root
say() { printf 'postgres-image: %s\n' "$*" >&2; }

bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -x "$bin/postgres" ] || { say "no PostgreSQL server here (apt-get install -y postgresql)"; exit 1; }
version=$(basename "$(dirname "$bin")")
lib=/usr/lib/postgresql/$version/lib share=/usr/share/postgresql/$version

rm -rf "$context" && mkdir -p "$root/bin" "$root/tmp" "$root/var/lib/postgresql/data" "$root$bin" "$root$lib"
for tool in postgres initdb; do cp -L "$bin/$tool" "$root$bin/"; done
# Server modules initdb and a plain server load; not the JIT (LLVM) nor contrib.
cp -L "$lib"/plpgsql.so "$lib"/dict_snowball.so "$lib"/*_and_*.so "$lib"/libpqwalreceiver.so \
  "$lib"/pgoutput.so "$root$lib/"
mkdir -p "$root$(dirname "$share")" "$root/etc" "$root/usr/share"
cp -rL "$share" "$root$share" && rm -rf "$root$share/man"
# Debian's server reads time zones from the system's database.
cp -r /usr/share/zoneinfo "$root/usr/share/"
cp -L /bin/dash "$root/bin/sh"
scripts/copy-libraries.sh "$root" "$root$bin"/* "$root$lib"/*.so /bin/dash
echo 'postgres:x:999:999:PostgreSQL:/var/lib/postgresql:/bin/sh' >"$root/etc/passwd"
echo 'postgres:x:999:' >"$root/etc/group"
chmod 1777 "$root/tmp"

cat >"$root/entrypoint" <<'EOF'
#!/bin/sh
# First start: a cluster owned by POSTGRES_USER with the password from POSTGRES_PASSWORD_FILE
# (scram-sha-256 from any address), and the database POSTGRES_DB. Then the server.
set -eu
: "${PGDATA:=/var/lib/postgresql/data}" "${POSTGRES_USER:=postgres}"
: "${POSTGRES_DB:=$POSTGRES_USER}" "${POSTGRES_PASSWORD_FILE:?a file holding the password}"
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  initdb -D "$PGDATA" -U "$POSTGRES_USER" --pwfile="$POSTGRES_PASSWORD_FILE" \
    --auth=scram-sha-256 --locale=C --encoding=UTF8 >/dev/null
  echo 'host all all all scram-sha-256' >>"$PGDATA/pg_hba.conf"
  if [ "$POSTGRES_DB" != postgres ]; then
    echo "CREATE DATABASE \"$POSTGRES_DB\";" | postgres --single -D "$PGDATA" postgres >/dev/null
  fi
fi
exec postgres -D "$PGDATA" -c listen_addresses='*' -c unix_socket_directories=/tmp
EOF
chmod 0755 "$root/entrypoint"

cat >"$context/Dockerfile" <<EOF
FROM scratch
COPY root/ /
COPY --chown=999:999 data/ /var/lib/postgresql/data/
ENV PATH=$bin:/bin TZ=UTC PGDATA=/var/lib/postgresql/data
USER 999:999
VOLUME /var/lib/postgresql/data
EXPOSE 5432
STOPSIGNAL SIGINT
ENTRYPOINT ["/entrypoint"]
EOF
rmdir "$root/var/lib/postgresql/data" && mkdir -m 0700 "$context/data"
docker build -q -t "$tag" "$context" >/dev/null
say "$tag: PostgreSQL $version, $(( $(docker image inspect "$tag" --format '{{.Size}}') / 1000000 )) MB"
