#!/usr/bin/env bash
# The sgbackup demo on a fresh Debian 12 machine, as root (bash scripts/demo.sh;
# sudo is not needed, nor used):
# installs what it needs, builds and installs sgbackup, starts a local S3 server
# (Ceph RADOS Gateway on 127.0.0.1), runs a throwaway PostgreSQL 15 whose WAL
# goes to S3 through archive_library = 'sgbackup', takes a base backup into S3
# with sgbackup_start(), writes more rows, then restores: `sgbackup restore
# LATEST` brings the backup from S3 into a new data directory (checked with
# pg_verifybackup) with the recovery settings, and the server replays WAL
# fetched by restore_command = 'sgbackup wal-fetch'.
# It checks that every row came back.  On exit, also on failure, it stops the
# servers it started (PostgreSQL, and the gateway unless one was already
# running), unless SG_KEEP_SERVERS=1.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
. scripts/lib.sh
[ "$(id -u)" = 0 ] || die "run as root: this installs packages and the extension, and runs PostgreSQL as the user postgres"

bash scripts/install-deps.sh
export PATH=/usr/lib/postgresql/15/bin:$PATH
make -s && make -s install
RGW_DIR=${SG_TEST_RGW_DIR:-/tmp/sgbackup-rgw}
start_gateway "$RGW_DIR"
. "$RGW_DIR/env.sh"

demo=$(mktemp -d /tmp/sgbackup-demo.XXXXXX)
chmod 755 "$demo"
port=54329
prefix="demo-$(date +%s)"
as_pg() { runuser -u postgres -- "$@"; }
psql_demo() { as_pg psql -X -q -A -t -h "$demo" -p $port -d postgres -c "$1"; }
stop_servers() {
	if [ "${SG_KEEP_SERVERS:-0}" = 1 ]; then
		msg "SG_KEEP_SERVERS=1: PostgreSQL keeps running (psql -h $demo -p $port postgres)"
		return
	fi
	as_pg pg_ctl -D "$demo/restored" -m immediate stop >/dev/null 2>&1 || true
	as_pg pg_ctl -D "$demo/data" -m immediate stop >/dev/null 2>&1 || true
}
at_exit stop_servers

# the SGObjectStorage a StackGres user already has, and its secret
write_gateway_storage "$demo" "$demo/objectstorage.yaml" demo-storage "$SG_TEST_S3_BUCKET/$prefix"
chown -R postgres: "$demo"

msg "1. a PostgreSQL server archiving to s3://$SG_TEST_S3_BUCKET/$prefix/wal/"
as_pg initdb -D "$demo/data" -A trust >/dev/null
cat >> "$demo/data/postgresql.conf" <<CONF
port = $port
listen_addresses = ''
unix_socket_directories = '$demo'
shared_preload_libraries = 'sgbackup'
archive_mode = on
archive_library = 'sgbackup'
sgbackup.secrets_directory = '$demo/secrets'
sgbackup.object_storage = 'demo-storage'
CONF
as_pg pg_ctl -D "$demo/data" -l "$demo/server.log" -w start >/dev/null
psql_demo "CREATE EXTENSION sgbackup"
psql_demo "SELECT sgbackup_apply(\$\$$(cat "$demo/objectstorage.yaml")\$\$)"

msg "2. a base backup into S3 with sgbackup_start(), then 100000 rows written after it"
echo "local replication all trust" >> "$demo/data/pg_hba.conf"
psql_demo "SELECT pg_reload_conf()" >/dev/null
backup=$(psql_demo "SELECT sgbackup_start(wait => true)")
psql_demo "SELECT name, status, start_wal, pg_size_pretty(size_bytes) AS size, pg_size_pretty(compressed_bytes) AS stored FROM sgbackup.backups" \
	| sed 's/^/   backup: /'
psql_demo "CREATE TABLE demo AS SELECT g AS id, md5(g::text) AS v FROM generate_series(1, 100000) g"
expected=$(psql_demo "SELECT count(*) || ' rows, ' || md5(string_agg(v, '' ORDER BY id)) FROM demo")
psql_demo "SELECT pg_switch_wal()" >/dev/null
drained() { [ "$(psql_demo 'SELECT backlog FROM sgbackup.archiver')" = 0 ]; }
wait_until 120 "the archiver to drain pg_wal" drained
psql_demo "SELECT last_archived_wal, archived_count, pg_size_pretty(archived_bytes) AS wal, pg_size_pretty(stored_bytes) AS stored FROM sgbackup.archiver" \
	| sed 's/^/   archiver: /'
as_pg pg_ctl -D "$demo/data" -m fast stop >/dev/null

msg "3. what is in the bucket (awscli)"
sg_aws s3 ls --recursive "s3://$SG_TEST_S3_BUCKET/$prefix/" | sed 's/^/   /'
SGBACKUP_SECRETS_DIRECTORY=$demo/secrets sgbackup --config "$demo/objectstorage.yaml" backup-list | sed 's/^/   /'

msg "4. restore: sgbackup restore LATEST (the backup from S3, checked against its manifest), then WAL fetched by sgbackup wal-fetch"
as_pg env SGBACKUP_SECRETS_DIRECTORY="$demo/secrets" \
	sgbackup --config "$demo/objectstorage.yaml" restore LATEST "$demo/restored" | sed 's/^/   /'
as_pg pg_verifybackup -n "$demo/restored" | sed 's/^/   /'
# the restored server does not archive over the demo's own WAL
echo "archive_mode = off" | as_pg tee -a "$demo/restored/postgresql.conf" >/dev/null
as_pg pg_ctl -D "$demo/restored" -l "$demo/restored.log" -w -t 300 start >/dev/null
recovered() { [ "$(psql_demo 'SELECT pg_is_in_recovery()')" = f ]; }
wait_until 120 "recovery to finish" recovered
got=$(psql_demo "SELECT count(*) || ' rows, ' || md5(string_agg(v, '' ORDER BY id)) FROM demo")
msg "   written:  $expected"
msg "   restored: $got"
[ "$got" = "$expected" ] || die "the restored data differs from what was written"
msg "demo passed: archive -> backup -> restore, every row back (files in $demo)"
