# bench/lib.sh - helpers shared by the benchmarks (sourced, never run): running
# PostgreSQL as the ordinary user PG_USER from root, starting and stopping the
# servers a benchmark owns (listed in RUNNING), awscli against the gateway,
# timing on quiet CPUs, the template cluster loaded with pgbench data and
# random hex text, its copies archiving with sgbackup and with pgBackRest and
# their full backups, unpacking and checking an sgbackup backup, and a
# benchmark's set-up and clean-up.
#
# Sets the settings every benchmark shares (PGBIN, BENCH_QUIET_WAIT,
# BENCH_KEEP, BENCH_RGW_DIR: see the benchmarks) and expects REPO and
# TIMEOUT to be set, and msg/die/at_exit/start_gateway/now_ms from
# scripts/lib.sh.  The cluster helpers also use SCALE, TEXT_MB,
# BASE_PORT, ROUNDS, SG_PREFIX, PB_PREFIX, FAILED and the associative arrays
# PORT_OF (data directory -> port), SECONDS_OF, STORED_OF, NAME_OF and
# BUSY_OF ("tool round" -> seconds, stored MB, backup name, CPU share of
# other processes just before), and set DB_MB and SG_SIZE_MB.

# ----- settings every benchmark shares ----------------------------------

PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
QUIET_WAIT=${BENCH_QUIET_WAIT:-30}
KEEP=${BENCH_KEEP:-0}
RGW_DIR=${BENCH_RGW_DIR:-/tmp/sgbackup-rgw}
PG_USER=postgres
RUN=$(date +%Y%m%d-%H%M%S)-$$
AWS=/usr/bin/aws
export LC_ALL=C

WORK=
RUNNING=()			# data directories of servers started by this script
PREFIXES=()			# object prefixes written by this run
FAILED=0

# ----- PostgreSQL --------------------------------------------------------

# as_pg CMD...: run CMD as the PostgreSQL user (the server refuses root)
as_pg()
{
	if [ "$(id -u)" -eq 0 ]; then
		runuser -u "$PG_USER" -- "$@"
	else
		"$@"
	fi
}

# pg_write FILE [-a]: write (-a: append) stdin to FILE as the PostgreSQL user
pg_write()
{
	as_pg tee ${2:+"$2"} "$1" >/dev/null
}

# pg_try_start PGDATA [VAR=VALUE...]: start the server of PGDATA; 1 (with
# the end of its log) if it does not come up
pg_try_start()
{
	local pgdata=$1
	shift
	# env: the server (and so the archiver and the backups) gets the S3 credentials
	if ! as_pg env "$@" "$PGBIN/pg_ctl" -D "$pgdata" -l "$pgdata.log" -w -t 120 \
		start >/dev/null; then
		tail -n 20 "$pgdata.log" >&2
		msg "could not start the server in $pgdata"
		return 1
	fi
	RUNNING+=("$pgdata")
}

pg_start()
{
	pg_try_start "$@" || die "could not start the server in $1"
}

pg_stop()
{
	local pgdata=$1 mode=${2:-fast} i
	as_pg "$PGBIN/pg_ctl" -D "$pgdata" -m "$mode" -w -t 120 stop >/dev/null ||
		msg "could not stop the server in $pgdata"
	for i in "${!RUNNING[@]}"; do
		[ "${RUNNING[$i]}" = "$pgdata" ] && unset 'RUNNING[i]'
	done
	return 0
}

# psql_on PGDATA ARGS...: psql on the server of PGDATA, for at most TIMEOUT s
psql_on()
{
	local pgdata=$1
	shift
	as_pg timeout "$TIMEOUT" "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$WORK/sock" \
		-p "${PORT_OF[$pgdata]}" -U postgres -d postgres "$@"
}

# ----- the gateway -------------------------------------------------------

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

# ----- timing ------------------------------------------------------------

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

# ratio A B: A / B with two decimals, "-" unless both are positive
ratio()
{
	awk -v a="$1" -v b="$2" 'BEGIN {
		if (a + 0 > 0 && b + 0 > 0) printf "%.2f", a / b; else printf "-" }'
}

# best TOOL: the fewest seconds of TOOL's rounds 1..ROUNDS (empty if none)
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

# noisy_warning WHAT: a warning line naming the "tool round" keys of BUSY_OF
# (CPU share of other processes just before) above 10%, if any
noisy_warning()
{
	local key noisy=
	for key in "${!BUSY_OF[@]}"; do
		noisy+=$(awk -v b="${BUSY_OF[$key]}" -v k="$key" \
			'BEGIN { if (b > 0.10) printf " %s (%.0f%%)", k, b * 100 }')
	done
	[ -z "$noisy" ] ||
		echo "warning: other processes kept the CPUs busy just before these $1, figures are noisy:$noisy"
}

# ----- the template cluster ----------------------------------------------

# make_template: WORK/template holds a stopped cluster with pgbench data and
# table r of random hex text; DB_MB is the size of its database
make_template()
{
	local pgdata=$WORK/template t0 rows
	PORT_OF[$pgdata]=$BASE_PORT
	as_pg "$PGBIN/initdb" -D "$pgdata" -U postgres --auth=trust --no-sync \
		-E UTF8 --locale=C >"$pgdata.initdb.log" 2>&1 ||
		{ cat "$pgdata.initdb.log" >&2; die "initdb failed"; }
	pg_write "$pgdata/postgresql.conf" -a <<EOF

# bench/${0##*/}
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

# require_sgbackup: die unless sgbackup is installed into PGBIN's PostgreSQL
require_sgbackup()
{
	[ -f "$("$PGBIN/pg_config" --pkglibdir)/sgbackup.so" ] ||
		die "sgbackup is not installed (run make install at the top of the repository)"
}

# sgbackup_conf PREFIX: postgresql.conf lines loading sgbackup, with the
# gateway under PREFIX as its store, and BENCH_SGBACKUP_CONF
sgbackup_conf()
{
	cat <<EOF
shared_preload_libraries = 'sgbackup'
sgbackup.s3_bucket = '$SG_TEST_S3_BUCKET/$1'
sgbackup.s3_endpoint = '$SG_TEST_S3_HTTPS'
sgbackup.s3_region = '$SG_TEST_S3_REGION'
sgbackup.s3_force_path_style = on
sgbackup.s3_ca_file = '$SG_TEST_S3_CA_FILE'
${BENCH_SGBACKUP_CONF:-}
EOF
}

# setup_sgbackup: WORK/sgbackup, a copy of the template archiving to
# SG_PREFIX with sgbackup's archive module (more settings from
# BENCH_SGBACKUP_CONF), started
setup_sgbackup()
{
	local pgdata=$WORK/sgbackup
	copy_template sgbackup $((BASE_PORT + 1))
	PREFIXES+=("$SG_PREFIX")
	{
		sgbackup_conf "$SG_PREFIX"
		printf '%s\n' "archive_mode = on" "archive_library = 'sgbackup'"
	} | pg_write "$pgdata/bench.conf" -a
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

# sgbackup_download NAME DIR: the objects of sgbackup backup NAME into DIR
# with awscli; 1 if that fails or base.tar.zst or backup_manifest is missing
sgbackup_download()
{
	local name=$1 dir=$2
	mkdir -p "$dir"
	if ! s3 s3 cp --quiet --recursive "s3://$SG_TEST_S3_BUCKET/$SG_PREFIX/backups/$name/" "$dir/"; then
		msg "could not download sgbackup backup $name"
		return 1
	fi
	[ "$(id -u)" -ne 0 ] || chown -R "$PG_USER:" "$dir"
	if [ ! -f "$dir/base.tar.zst" ] || [ ! -f "$dir/backup_manifest" ]; then
		msg "sgbackup backup $name lacks base.tar.zst or backup_manifest: $(ls "$dir")"
		return 1
	fi
}

# the script of untar_zstd, for: bash -o pipefail -c "$UNTAR_ZSTD" untar ARCHIVE DATA
UNTAR_ZSTD='mkdir -m 700 "$2" && zstd -q -d -c "$1" | tar -x -C "$2"'

# untar_zstd ARCHIVE DATA: unpack the zstd-compressed tar ARCHIVE into the
# new directory DATA (mode 700) as the PostgreSQL user
untar_zstd()
{
	as_pg bash -o pipefail -c "$UNTAR_ZSTD" untar "$1" "$2" ||
		{ msg "could not unpack $1 into $2"; return 1; }
}

# verify_pgdata DATA WHAT: pg_verifybackup -n DATA (DATA/backup_manifest),
# saying so for WHAT; 1 if it fails
verify_pgdata()
{
	local data=$1 what=$2
	if as_pg "$PGBIN/pg_verifybackup" -n "$data" >"$data.verify.log" 2>&1; then
		msg "$what: $(tail -n 1 "$data.verify.log")"
	else
		msg "pg_verifybackup -n failed on $what:"
		head -n 20 "$data.verify.log" | sed 's/^/    /' >&2
		return 1
	fi
}

# ----- pgBackRest --------------------------------------------------------

# pgbackrest_conf CONF DIR PREFIX PGDATA PORT [LINE...]: write pgBackRest's
# configuration file CONF: the gateway as repository under PREFIX, zstd 3,
# process-max 2, spool, lock and log folders under DIR, the LINEs, and
# stanza bench for the server of PGDATA on PORT
pgbackrest_conf()
{
	local conf=$1 dir=$2 prefix=$3 pgdata=$4 pgport=$5 hostport host port
	shift 5
	hostport=${SG_TEST_S3_HTTPS#https://}
	hostport=${hostport%%/*}
	host=${hostport%:*}
	port=${hostport##*:}
	[ "$port" != "$hostport" ] || port=443
	# pgBackRest checks only DNS names in the certificate (the test one
	# names localhost as well as IP:127.0.0.1)
	[ "$host" != 127.0.0.1 ] || host=localhost
	mkdir -p "$dir/pgbackrest-spool" "$dir/pgbackrest-log"
	[ "$(id -u)" -ne 0 ] ||
		chown "$PG_USER:" "$dir/pgbackrest-spool" "$dir/pgbackrest-log"
	{
		cat <<EOF
[global]
repo1-type=s3
repo1-path=/$prefix
repo1-s3-bucket=$SG_TEST_S3_BUCKET
repo1-s3-endpoint=$host
repo1-storage-port=$port
repo1-storage-ca-file=$SG_TEST_S3_CA_FILE
repo1-s3-uri-style=path
repo1-s3-region=$SG_TEST_S3_REGION
repo1-s3-key=$SG_TEST_S3_ACCESS_KEY
repo1-s3-key-secret=$SG_TEST_S3_SECRET_KEY
compress-type=zst
compress-level=3
process-max=2
spool-path=$dir/pgbackrest-spool
lock-path=$dir/pgbackrest-spool
log-path=$dir/pgbackrest-log
log-level-console=warn
log-level-stderr=warn
log-level-file=info
EOF
		printf '%s\n' "$@"
		cat <<EOF

[bench]
pg1-path=$pgdata
pg1-port=$pgport
pg1-socket-path=$WORK/sock
pg1-user=postgres
EOF
	} | (umask 077; pg_write "$conf")
}

# setup_pgbackrest: WORK/pgbackrest, a copy of the template archiving to
# PB_PREFIX with pgbackrest archive-push (configuration WORK/pgbackrest.conf,
# stanza bench), started
setup_pgbackrest()
{
	local pgdata=$WORK/pgbackrest conf=$WORK/pgbackrest.conf
	copy_template pgbackrest $((BASE_PORT + 2))
	PREFIXES+=("$PB_PREFIX")
	pgbackrest_conf "$conf" "$WORK" "$PB_PREFIX" "$pgdata" "${PORT_OF[$pgdata]}" \
		"repo1-retention-full=$((ROUNDS + 1))" start-fast=y ${BENCH_PGBACKREST_CONF:+"$BENCH_PGBACKREST_CONF"}
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

# wait_pgbackrest CONF: the async process ends by itself soon after the
# backlog; end it (by pid) if it lingers
wait_pgbackrest()
{
	local conf=$1 pids pid i
	for ((i = 0; i < 100; i++)); do
		pids=$(pgrep -f -- "--config=$conf" || true)
		[ -n "$pids" ] || return 0
		sleep 0.1
	done
	msg "pgBackRest processes still running after 10 s: $pids; ending them"
	for pid in $pids; do
		kill "$pid" 2>/dev/null || true
	done
}

# ----- set-up and clean-up ----------------------------------------------

# bench_pgbackrest_confs: the pgBackRest configuration files of this run,
# for bench_cleanup (a benchmark with others defines its own)
bench_pgbackrest_confs()
{
	[ -z "$WORK" ] || echo "$WORK/pgbackrest.conf"
}

# bench_setup TOOL...: check PostgreSQL, PG_USER and the TOOLs, make sure the
# gateway serves (one started here stops on exit), load its settings, make
# the work folder WORK and enter it; bench_cleanup runs on exit
bench_setup()
{
	local tool
	[ -x "$PGBIN/pg_ctl" ] || die "no PostgreSQL in $PGBIN (set PGBIN)"
	if [ "$(id -u)" -eq 0 ]; then
		id "$PG_USER" >/dev/null 2>&1 || die "user $PG_USER does not exist"
	fi
	for tool in "$@"; do
		command -v "$tool" >/dev/null || die "$tool is not installed"
	done
	start_gateway "$RGW_DIR"
	. "$RGW_DIR/env.sh"
	WORK=$(mktemp -d /tmp/sgbackup-bench.XXXXXX)
	chmod 755 "$WORK"
	mkdir -p "$WORK/sock"
	[ "$(id -u)" -ne 0 ] || chown -R "$PG_USER:" "$WORK"
	# runuser keeps the current folder, which the server user must be able to enter
	cd "$WORK"
	at_exit bench_cleanup
}

# bench_cleanup: stop the servers in RUNNING at once, wait for pgBackRest
# (bench_pgbackrest_confs lists its configuration files), then remove the
# objects under PREFIXES and WORK unless KEEP=1
bench_cleanup()
{
	local pgdata prefix conf
	set +e
	for pgdata in "${RUNNING[@]}"; do
		as_pg "$PGBIN/pg_ctl" -D "$pgdata" -m immediate -w stop >/dev/null 2>&1
	done
	for conf in $(bench_pgbackrest_confs); do
		[ -f "$conf" ] && wait_pgbackrest "$conf"
	done
	if [ "$KEEP" = 1 ]; then
		msg "kept $WORK and the objects under ${PREFIXES[*]:-(none)}"
		return
	fi
	for prefix in "${PREFIXES[@]}"; do
		s3 s3 rm --quiet --recursive "s3://$SG_TEST_S3_BUCKET/$prefix/" ||
			msg "could not remove s3://$SG_TEST_S3_BUCKET/$prefix/"
	done
	[ -n "$WORK" ] && rm -rf "$WORK"
}
