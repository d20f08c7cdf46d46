#!/bin/bash
# bench/backup.sh - how long a full base backup takes with sgbackup
# (sgbackup_start: server-side zstd, parallel multipart uploads) next to
# pgBackRest 2.45 (backup --type=full, process-max 2, zstd 3) against the
# same RADOS Gateway over TLS, in one run, so the ratio is comparable.
#
# One cluster is loaded with pgbench data plus a table of random hex text
# (so that the backup does not compress to nothing) and stopped; its data
# directory is copied twice: one copy archives WAL with sgbackup's archive
# module, the other with pgBackRest archive-push (each tool's backup waits
# for the WAL of its end to be archived).  Each tool then takes a full
# backup twice, in alternating order; the wall-clock seconds, the stored
# (compressed) MB and the ratio pgBackRest seconds / sgbackup seconds are
# printed.  Every sgbackup backup is downloaded with awscli, unpacked with
# zstd and tar, and must pass pg_verifybackup -n.
#
# Run as root (PostgreSQL runs as "postgres") or as an ordinary user.
# Needs: sgbackup built and installed (make install), pgbackrest, awscli
# (/usr/bin/aws), zstd, the test gateway (scripts/rgw.sh; started if not
# running, and then stopped on exit unless SG_KEEP_SERVERS=1).
#
# Environment:
#   BENCH_SCALE=30         pgbench scale (about 450 MB)
#   BENCH_TEXT_MB=150      MB of random hex text (compresses about 2x)
#   BENCH_ROUNDS=2         backups per tool (the order alternates)
#   BENCH_QUIET_WAIT=30    seconds a backup waits for other jobs to leave the
#                          CPUs idle (the figures are noisy otherwise)
#   BENCH_TIMEOUT=1800     seconds one backup may take
#   BENCH_SGBACKUP_CONF    more postgresql.conf lines for the sgbackup cluster
#                          (e.g. "sgbackup.upload_concurrency = 8")
#   BENCH_KEEP=1           keep the work folder (and the objects)
#   BENCH_RGW_DIR=/tmp/sgbackup-rgw
#   BENCH_PORT=55449       port of the template cluster; the sgbackup and
#                          pgBackRest clusters use the next two
#   PGBIN=/usr/lib/postgresql/15/bin
# Exit status: 0 when every backup was taken and every sgbackup backup passed
# pg_verifybackup; 1 otherwise.  Speed is reported, never asserted.

set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(dirname "$BENCH_DIR")
. "$REPO/scripts/lib.sh"
# shellcheck source=bench/lib.sh
. "$REPO/bench/lib.sh"

PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
SCALE=${BENCH_SCALE:-30}
TEXT_MB=${BENCH_TEXT_MB:-150}
ROUNDS=${BENCH_ROUNDS:-2}
QUIET_WAIT=${BENCH_QUIET_WAIT:-30}
TIMEOUT=${BENCH_TIMEOUT:-1800}
KEEP=${BENCH_KEEP:-0}
RGW_DIR=${BENCH_RGW_DIR:-/tmp/sgbackup-rgw}
BASE_PORT=${BENCH_PORT:-55449}
PG_USER=postgres
RUN=$(date +%Y%m%d-%H%M%S)-$$
AWS=/usr/bin/aws
export LC_ALL=C

WORK=
RUNNING=()			# data directories of servers started by this script
PREFIXES=()			# object prefixes written by this run
FAILED=0
SG_PREFIX=bench-$RUN-backup-sgbackup
PB_PREFIX=bench-$RUN-backup-pgbackrest

declare -A PORT_OF		# data directory -> port
declare -A SECONDS_OF	# "tool round" -> seconds of that backup
declare -A STORED_OF	# "tool round" -> stored MB of that backup
declare -A BUSY_OF		# "tool round" -> CPU share of others just before
declare -A NAME_OF		# "tool round" -> backup name / label
SG_SIZE_MB=

# ----- helpers -----------------------------------------------------------



# psql_on PGDATA ARGS...: psql on the server of PGDATA, for at most TIMEOUT s
psql_on()
{
	local pgdata=$1
	shift
	as_pg timeout "$TIMEOUT" "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$WORK/sock" \
		-p "${PORT_OF[$pgdata]}" -U postgres -d postgres "$@"
}

# s3 ARGS...: awscli against the gateway over TLS
s3()
{
	AWS_ACCESS_KEY_ID="$SG_TEST_S3_ACCESS_KEY" \
	AWS_SECRET_ACCESS_KEY="$SG_TEST_S3_SECRET_KEY" \
	AWS_DEFAULT_REGION="$SG_TEST_S3_REGION" \
	AWS_REQUEST_CHECKSUM_CALCULATION=when_required \
	AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null \
	"$AWS" --endpoint-url "$SG_TEST_S3_HTTPS" --ca-bundle "$SG_TEST_S3_CA_FILE" "$@"
}

# stored_mb PREFIX: MB (2^20 bytes) of the objects under PREFIX/
stored_mb()
{
	# awscli exits 1 when there is none
	{ s3 s3 ls --recursive "s3://$SG_TEST_S3_BUCKET/$1/" || true; } |
		awk '{ s += $3 } END { printf "%.1f", s / 1048576 }'
}

# seconds_since T0_MS: seconds, with milliseconds, from T0_MS until now
seconds_since()
{
	awk -v a="$1" -v b="$(now_ms)" 'BEGIN { printf "%.3f", (b - a) / 1000 }'
}

# cpu_busy_ticks: clock ticks all CPUs spent on anything but idle and iowait
cpu_busy_ticks()
{
	awk '$1 == "cpu" { print $2 + $3 + $4 + $7 + $8 + $9; exit }' /proc/stat
}

# wait_quiet: wait up to QUIET_WAIT seconds for other processes to use at
# most 10% of the CPUs (over one second); prints the share last seen
wait_quiet()
{
	local deadline busy share hz
	hz=$(getconf CLK_TCK)
	deadline=$(( $(now_ms) + QUIET_WAIT * 1000 ))
	while true; do
		busy=$(cpu_busy_ticks)
		sleep 1
		share=$(awk -v a="$busy" -v b="$(cpu_busy_ticks)" -v hz="$hz" -v n="$(nproc)" \
			'BEGIN { printf "%.2f", (b - a) / hz / n }')
		if awk -v s="$share" 'BEGIN { exit !(s <= 0.10) }' ||
			[ "$(now_ms)" -ge "$deadline" ]; then
			echo "$share"
			return
		fi
	done
}

# ----- servers -----------------------------------------------------------



# make_template: WORK/template holds a stopped cluster with pgbench data and
# table r of random hex text
make_template()
{
	local pgdata=$WORK/template t0 rows
	PORT_OF[$pgdata]=$BASE_PORT
	as_pg "$PGBIN/initdb" -D "$pgdata" -U postgres --auth=trust --no-sync \
		-E UTF8 --locale=C >"$pgdata.initdb.log" 2>&1 ||
		{ cat "$pgdata.initdb.log" >&2; die "initdb failed"; }
	pg_write "$pgdata/postgresql.conf" -a <<EOF

# bench/backup.sh
listen_addresses = ''
unix_socket_directories = '$WORK/sock'
shared_buffers = 256MB
wal_level = replica
max_wal_size = 4GB
checkpoint_timeout = 1h
autovacuum = off
include_if_exists = 'bench.conf'
EOF
	pg_start "$pgdata" PGPORT="$BASE_PORT"
	t0=$(now_ms)
	as_pg "$PGBIN/pgbench" -i -q -s "$SCALE" -h "$WORK/sock" -p "$BASE_PORT" \
		-U postgres postgres >"$WORK/pgbench.log" 2>&1 ||
		{ cat "$WORK/pgbench.log" >&2; die "pgbench -i failed"; }
	# a row of 4 md5 strings takes about 160 bytes on disk
	rows=$(( TEXT_MB * 1048576 / 160 ))
	psql_on "$pgdata" <<EOF
create table r as
	select i as id, md5(random()::text) || md5(random()::text) ||
		md5(random()::text) || md5(random()::text) as s
	from generate_series(1, $rows) as i;
vacuum (freeze, analyze) r;
checkpoint;
EOF
	DB_MB=$(psql_on "$pgdata" -At -c \
		"select round(pg_database_size('postgres') / 1048576.0)")
	pg_stop "$pgdata"
	msg "template: database of $DB_MB MB ($(( ($(now_ms) - t0) / 1000 )) s)"
}

# copy_template NAME PORT: a copy of the template for one tool, on PORT
copy_template()
{
	local dst=$WORK/$1
	rm -rf "$dst"
	cp -a "$WORK/template" "$dst"
	rm -f "$dst/postmaster.pid"
	PORT_OF[$dst]=$2
	pg_write "$dst/bench.conf" <<<"port = $2"
}

# ----- sgbackup ----------------------------------------------------------

setup_sgbackup()
{
	local pgdata=$WORK/sgbackup
	copy_template sgbackup $((BASE_PORT + 1))
	PREFIXES+=("$SG_PREFIX")
	pg_write "$pgdata/bench.conf" -a <<EOF
shared_preload_libraries = 'sgbackup'
archive_mode = on
archive_library = 'sgbackup'
sgbackup.s3_bucket = '$SG_TEST_S3_BUCKET/$SG_PREFIX'
sgbackup.s3_endpoint = '$SG_TEST_S3_HTTPS'
sgbackup.s3_region = '$SG_TEST_S3_REGION'
sgbackup.s3_force_path_style = on
sgbackup.s3_ca_file = '$SG_TEST_S3_CA_FILE'
${BENCH_SGBACKUP_CONF:-}
EOF
	pg_start "$pgdata" AWS_ACCESS_KEY_ID="$SG_TEST_S3_ACCESS_KEY" \
		AWS_SECRET_ACCESS_KEY="$SG_TEST_S3_SECRET_KEY"
	psql_on "$pgdata" -c 'create extension sgbackup' >/dev/null
}

# backup_sgbackup ROUND: time sgbackup_start(wait => true)
backup_sgbackup()
{
	local round=$1 pgdata=$WORK/sgbackup t0 name seconds row
	t0=$(now_ms)
	if ! name=$(psql_on "$pgdata" -At -c \
		'select sgbackup_start(wait => true)' 2>"$WORK/sgbackup-$round.err"); then
		FAILED=1
		msg "sgbackup backup $round failed: $(cat "$WORK/sgbackup-$round.err")"
		grep -E 'sgbackup|ERROR|FATAL|WARNING|PANIC' "$pgdata.log" |
			tail -n 20 | sed 's/^/    /' >&2 || true
		return
	fi
	seconds=$(seconds_since "$t0")
	SECONDS_OF[sgbackup $round]=$seconds
	NAME_OF[sgbackup $round]=$name
	row=$(psql_on "$pgdata" -At -F ' ' -c \
		"select status, size_bytes, compressed_bytes from sgbackup.backups
		 where name = '$name'")
	STORED_OF[sgbackup $round]=$(stored_mb "$SG_PREFIX/backups/$name")
	SG_SIZE_MB=$(awk -v b="$(cut -d' ' -f2 <<<"$row")" 'BEGIN { printf "%.1f", b / 1048576 }')
	msg "sgbackup $round: $name in $seconds s; status, size_bytes, compressed_bytes: $row"
	[ "${row%% *}" = completed ] ||
		{ FAILED=1; msg "sgbackup backup $name is not listed as completed"; }
}

# verify_sgbackup NAME: download, unpack and pg_verifybackup -n the backup
verify_sgbackup()
{
	local name=$1 dir=$WORK/verify-$1 data
	data=$dir/data
	mkdir -p "$data"
	if ! s3 s3 cp --quiet --recursive "s3://$SG_TEST_S3_BUCKET/$SG_PREFIX/backups/$name/" "$dir/"; then
		FAILED=1
		msg "could not download sgbackup backup $name"
		return
	fi
	if [ ! -f "$dir/base.tar.zst" ] || [ ! -f "$dir/backup_manifest" ]; then
		FAILED=1
		msg "sgbackup backup $name lacks base.tar.zst or backup_manifest: $(ls "$dir")"
		return
	fi
	if ! zstd -q -d -c "$dir/base.tar.zst" | tar -x -C "$data"; then
		FAILED=1
		msg "could not unpack base.tar.zst of sgbackup backup $name"
		return
	fi
	cp "$dir/backup_manifest" "$data/"
	[ "$(id -u)" -ne 0 ] || chown -R "$PG_USER:" "$dir"
	chmod 700 "$data"
	if as_pg "$PGBIN/pg_verifybackup" -n "$data" >"$dir.log" 2>&1; then
		msg "sgbackup backup $name: $(tail -n 1 "$dir.log")"
	else
		FAILED=1
		msg "pg_verifybackup -n failed on sgbackup backup $name:"
		head -n 20 "$dir.log" | sed 's/^/    /' >&2
	fi
	[ "$KEEP" = 1 ] || rm -rf "$dir"
}

# ----- pgBackRest --------------------------------------------------------

setup_pgbackrest()
{
	local pgdata=$WORK/pgbackrest conf=$WORK/pgbackrest.conf hostport host port
	copy_template pgbackrest $((BASE_PORT + 2))
	PREFIXES+=("$PB_PREFIX")
	hostport=${SG_TEST_S3_HTTPS#https://}
	hostport=${hostport%%/*}
	host=${hostport%:*}
	port=${hostport##*:}
	[ "$port" != "$hostport" ] || port=443
	# pgBackRest checks only DNS names in the certificate (the test one
	# names localhost as well as IP:127.0.0.1)
	[ "$host" != 127.0.0.1 ] || host=localhost
	mkdir -p "$WORK/pgbackrest-spool" "$WORK/pgbackrest-log"
	[ "$(id -u)" -ne 0 ] ||
		chown "$PG_USER:" "$WORK/pgbackrest-spool" "$WORK/pgbackrest-log"
	(umask 077; pg_write "$conf") <<EOF
[global]
repo1-type=s3
repo1-path=/$PB_PREFIX
repo1-s3-bucket=$SG_TEST_S3_BUCKET
repo1-s3-endpoint=$host
repo1-storage-port=$port
repo1-storage-ca-file=$SG_TEST_S3_CA_FILE
repo1-s3-uri-style=path
repo1-s3-region=$SG_TEST_S3_REGION
repo1-s3-key=$SG_TEST_S3_ACCESS_KEY
repo1-s3-key-secret=$SG_TEST_S3_SECRET_KEY
repo1-retention-full=$((ROUNDS + 1))
compress-type=zst
compress-level=3
process-max=2
start-fast=y
spool-path=$WORK/pgbackrest-spool
lock-path=$WORK/pgbackrest-spool
log-path=$WORK/pgbackrest-log
log-level-console=warn
log-level-stderr=warn
log-level-file=info

[bench]
pg1-path=$pgdata
pg1-port=${PORT_OF[$pgdata]}
pg1-socket-path=$WORK/sock
pg1-user=postgres
EOF
	pg_write "$pgdata/bench.conf" -a <<EOF
archive_mode = on
archive_command = '/usr/bin/pgbackrest --config=$conf --stanza=bench archive-push %p'
EOF
	pg_start "$pgdata"
	as_pg /usr/bin/pgbackrest --config="$conf" --stanza=bench stanza-create \
		>"$WORK/pgbackrest-stanza.log" 2>&1 ||
		{ cat "$WORK/pgbackrest-stanza.log" >&2; die "pgBackRest stanza-create failed"; }
}

# backup_pgbackrest ROUND: time pgbackrest backup --type=full
backup_pgbackrest()
{
	local round=$1 conf=$WORK/pgbackrest.conf t0 seconds label
	t0=$(now_ms)
	if ! as_pg timeout "$TIMEOUT" /usr/bin/pgbackrest --config="$conf" --stanza=bench \
		backup --type=full >"$WORK/pgbackrest-$round.log" 2>&1; then
		FAILED=1
		msg "pgBackRest backup $round failed:"
		sed 's/^/    /' "$WORK/pgbackrest-$round.log" >&2
		return
	fi
	seconds=$(seconds_since "$t0")
	SECONDS_OF[pgbackrest $round]=$seconds
	label=$(as_pg /usr/bin/pgbackrest --config="$conf" --stanza=bench \
		--output=json info | /usr/bin/python3 -c \
		'import json, sys; print(json.load(sys.stdin)[0]["backup"][-1]["label"])')
	NAME_OF[pgbackrest $round]=$label
	STORED_OF[pgbackrest $round]=$(stored_mb "$PB_PREFIX/backup/bench/$label")
	msg "pgBackRest $round: $label in $seconds s"
}

# ----- report ------------------------------------------------------------

ratio()
{
	awk -v a="$1" -v b="$2" 'BEGIN {
		if (a + 0 > 0 && b + 0 > 0) printf "%.2f", a / b; else printf "-" }'
}

# best TOOL: the fewest seconds of TOOL's backups (empty if none)
best()
{
	local round b=
	for ((round = 1; round <= ROUNDS; round++)); do
		local s=${SECONDS_OF[$1 $round]:-}
		[ -n "$s" ] || continue
		if [ -z "$b" ] || awk -v s="$s" -v b="$b" 'BEGIN { exit !(s < b) }'; then
			b=$s
		fi
	done
	echo "$b"
}

report()
{
	local round sg pb noisy=""
	echo
	echo "Full backup benchmark ($RUN): database $DB_MB MB (pgbench -s $SCALE + $TEXT_MB MB random hex text),"
	echo "sgbackup backup size ${SG_SIZE_MB:--} MB; MB = 2^20 bytes; wall-clock seconds of the backup command"
	echo "sgbackup: sgbackup_start(wait => true), zstd level 1, upload_concurrency default unless BENCH_SGBACKUP_CONF"
	echo "pgBackRest $(/usr/bin/pgbackrest version | awk '{ print $2 }'): backup --type=full, process-max 2, zstd 3, start-fast"
	printf '%-6s | %9s %10s | %9s %10s | %12s\n' round "sgbackup" "" "pgBackRest" "" "pgbr/sg"
	printf '%-6s | %9s %10s | %9s %10s | %12s\n' "" s "stored MB" s "stored MB" ""
	for ((round = 1; round <= ROUNDS; round++)); do
		sg=${SECONDS_OF[sgbackup $round]:-}
		pb=${SECONDS_OF[pgbackrest $round]:-}
		printf '%-6s | %9s %10s | %9s %10s | %12s\n' \
			"$round$( ((round % 2)) && echo ' sg1' || echo ' pb1')" \
			"${sg:--}" "${STORED_OF[sgbackup $round]:--}" \
			"${pb:--}" "${STORED_OF[pgbackrest $round]:--}" \
			"$(ratio "$pb" "$sg")"
	done
	sg=$(best sgbackup)
	pb=$(best pgbackrest)
	printf '%-6s | %9s %10s | %9s %10s | %12s\n' best "${sg:--}" "" "${pb:--}" "" "$(ratio "$pb" "$sg")"
	echo "(sg1: sgbackup ran first in that round; pb1: pgBackRest first)"
	echo "goal: pgBackRest seconds / sgbackup seconds >= 1.5 (best: $(ratio "$pb" "$sg"))"
	for key in "${!BUSY_OF[@]}"; do
		if awk -v b="${BUSY_OF[$key]}" 'BEGIN { exit !(b > 0.10) }'; then
			noisy="$noisy $key ($(awk -v b="${BUSY_OF[$key]}" 'BEGIN { printf "%.0f", b * 100 }')%)"
		fi
	done
	[ -z "$noisy" ] ||
		echo "warning: other processes kept the CPUs busy just before these backups, figures are noisy:$noisy"
}

# ----- set-up and clean-up ----------------------------------------------

# the pgBackRest configuration file of this run, for bench_cleanup
bench_pgbackrest_confs()
{
	[ -z "$WORK" ] || echo "$WORK/pgbackrest.conf"
}

setup()
{
	require_sgbackup
	bench_setup /usr/bin/pgbackrest "$AWS" zstd tar timeout /usr/bin/python3
}

# run TOOL ROUND: one timed backup, after waiting for quiet CPUs
run()
{
	BUSY_OF[$1 $2]=$(wait_quiet)
	msg "round $2: $1 (CPU share of other processes before: ${BUSY_OF[$1 $2]})"
	"backup_$1" "$2"
}

main()
{
	local round t0 key
	t0=$(now_ms)
	setup
	msg "work folder $WORK; gateway $SG_TEST_S3_HTTPS; run $RUN"
	make_template
	setup_sgbackup
	setup_pgbackrest
	[ "$KEEP" = 1 ] || rm -rf "$WORK/template"
	sync
	for ((round = 1; round <= ROUNDS; round++)); do
		if ((round % 2)); then
			run sgbackup "$round"
			run pgbackrest "$round"
		else
			run pgbackrest "$round"
			run sgbackup "$round"
		fi
	done
	for ((round = 1; round <= ROUNDS; round++)); do
		key="sgbackup $round"
		[ -z "${NAME_OF[$key]:-}" ] || verify_sgbackup "${NAME_OF[$key]}"
	done
	pg_stop "$WORK/sgbackup"
	pg_stop "$WORK/pgbackrest"
	report
	msg "done in $(( ($(now_ms) - t0) / 1000 )) s"
	[ "$FAILED" = 0 ] || { msg "some backup failed or did not verify"; exit 1; }
}

main "$@"
