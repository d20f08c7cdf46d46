#!/bin/bash
# bench/archive.sh - how fast sgbackup's archive module drains a WAL backlog
# to S3, next to pgBackRest 2.45 archive-push (async, process-max 2, zstd 3)
# against the same RADOS Gateway over TLS, and contrib basic_archive copying
# to local disk; all in one run, so the ratios are comparable.
#
# For each kind of WAL (pgbench -i: very compressible; random hex text:
# about 2x compressible) a cluster builds a backlog with archiving blocked;
# its data directory is copied once per archiver, and each copy is started
# with archiving still blocked, then switched on with a reload: the time
# from the reload until no .ready file is left gives MB/s (MB = 2^20 bytes).
#
# Run as root (PostgreSQL runs as "postgres") or as an ordinary user.
# Needs: sgbackup built and installed (make install), pgbackrest, awscli
# (/usr/bin/aws), the test gateway (scripts/rgw.sh; started if not running,
# and then stopped on exit unless SG_KEEP_SERVERS=1).
#
# Environment:
#   BENCH_SCALE=60         pgbench scale (about 48 segments of WAL)
#   BENCH_HEX_MB=384       MB of WAL from random hex text
#   BENCH_KINDS="pgbench hex"
#   BENCH_ARCHIVERS="sgbackup pgbackrest basic_archive"
#   BENCH_TIMEOUT=300      seconds one drain may take
#   BENCH_STALL=60         seconds without progress before a drain fails
#   BENCH_QUIET_WAIT=30    seconds a drain waits for other jobs to leave the
#                          CPUs idle (the figures are noisy otherwise)
#   BENCH_SGBACKUP_CONF    more postgresql.conf lines for the sgbackup run
#                          (e.g. "sgbackup.upload_concurrency = 4")
#   BENCH_KEEP=1           keep the work folder (and the objects)
#   BENCH_RGW_DIR=/tmp/sgbackup-rgw
#   PGBIN=/usr/lib/postgresql/15/bin
# Exit status: 0 when every archiver drained its backlog and the stored WAL
# checks out; 1 otherwise.  Speed is reported, never asserted.

set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(dirname "$BENCH_DIR")
. "$REPO/scripts/lib.sh"
# shellcheck source=bench/lib.sh
. "$REPO/bench/lib.sh"

SCALE=${BENCH_SCALE:-60}
HEX_MB=${BENCH_HEX_MB:-384}
KINDS=${BENCH_KINDS:-pgbench hex}
ARCHIVERS=${BENCH_ARCHIVERS:-sgbackup pgbackrest basic_archive}
TIMEOUT=${BENCH_TIMEOUT:-300}
STALL=${BENCH_STALL:-60}
PORT=${BENCH_PORT:-55439}

# ----- helpers -----------------------------------------------------------



psql_run()
{
	as_pg "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$WORK/sock" -p "$PORT" \
		-U postgres -d postgres "$@"
}

# list_objects PREFIX: "size key" lines of every object under PREFIX/
list_objects()
{
	# exit status 1 when there is none
	s3 s3 ls --recursive "s3://$SG_TEST_S3_BUCKET/$1/" | awk '{ print $3, $4 }' || true
}

# ----- servers -----------------------------------------------------------



# new_cluster PGDATA: initdb, settings for the backlog: archive_mode on but
# archive_command empty, so every finished segment waits as .ready
new_cluster()
{
	local pgdata=$1
	as_pg "$PGBIN/initdb" -D "$pgdata" -U postgres --auth=trust --no-sync \
		-E UTF8 --locale=C >"$pgdata.initdb.log" 2>&1 ||
		{ cat "$pgdata.initdb.log" >&2; die "initdb failed"; }
	pg_write "$pgdata/postgresql.conf" -a <<EOF

# bench/archive.sh
port = $PORT
listen_addresses = ''
unix_socket_directories = '$WORK/sock'
shared_buffers = 256MB
wal_level = replica
max_wal_size = 16GB
checkpoint_timeout = 1h
autovacuum = off
archive_mode = on
archive_command = ''
archive_library = ''
include_if_exists = 'bench.conf'
EOF
}

# ----- building the backlogs --------------------------------------------

load_pgbench()
{
	as_pg "$PGBIN/pgbench" -i -q -s "$SCALE" -h "$WORK/sock" -p "$PORT" \
		-U postgres postgres >"$WORK/pgbench.log" 2>&1 ||
		{ cat "$WORK/pgbench.log" >&2; die "pgbench -i failed"; }
}

# random hex text: 4 md5 strings a row, inserted until HEX_MB of WAL
load_hex()
{
	psql_run <<EOF
create table t (s text);
do \$\$
declare
	start pg_lsn := pg_current_wal_insert_lsn();
begin
	while pg_wal_lsn_diff(pg_current_wal_insert_lsn(), start) < $HEX_MB * 1048576.0 loop
		insert into t
			select md5(random()::text) || md5(random()::text) ||
				md5(random()::text) || md5(random()::text)
			from generate_series(1, 50000);
	end loop;
end
\$\$;
EOF
}

# make_backlog KIND: WORK/KIND/template holds a stopped cluster whose pg_wal
# has the backlog
make_backlog()
{
	local kind=$1 pgdata=$WORK/$1/template t0 ready
	mkdir -p "$WORK/$kind"
	chown "$PG_USER:" "$WORK/$kind" 2>/dev/null || true
	new_cluster "$pgdata"
	pg_start "$pgdata"
	t0=$(now_ms)
	"load_$kind"
	psql_run -c 'select pg_switch_wal()' >/dev/null
	pg_stop "$pgdata"
	ready=("$pgdata"/pg_wal/archive_status/*.ready)
	msg "$kind: ${#ready[@]} WAL files waiting ($(( ($(now_ms) - t0) / 1000 )) s)"
}

# copy_backlog KIND NAME: a fresh copy of the template for one archiver
copy_backlog()
{
	local src=$WORK/$1/template dst=$WORK/$1/$2
	rm -rf "$dst"
	cp -a "$src" "$dst"
	rm -f "$dst/postmaster.pid"
	sync
	echo "$dst"
}

# ----- archivers ---------------------------------------------------------

# drain KIND NAME PGDATA [DRAIN.PY ARGS...]: switch archiving on (bench.conf
# is written) and time it; leaves "status=... seconds=..." in KIND/NAME.result
drain()
{
	local kind=$1 name=$2 pgdata=$3 out
	shift 3
	out=$WORK/$kind/$name.result
	if /usr/bin/python3 "$BENCH_DIR/drain.py" --pgdata "$pgdata" \
		--timeout "$TIMEOUT" --stall "$STALL" --quiet-wait "$QUIET_WAIT" \
		--list "$WORK/$kind/$name.files" \
		"$@" >"$out"; then
		:
	else
		FAILED=1
		msg "$kind/$name: the backlog was not drained: $(cat "$out")"
		msg "$kind/$name: server log ($pgdata.log), last archiving lines:"
		grep -E 'archiv|sgbackup|ERROR|FATAL|WARNING|PANIC' "$pgdata.log" |
			tail -n 30 | sed 's/^/    /' >&2 || true
	fi
	touch "$WORK/$kind/$name.files"
	psql_run -At -c "select 'pg_stat_archiver: archived=' || archived_count ||
		' failed=' || failed_count || coalesce(' last_failed=' || last_failed_wal, '')
		from pg_stat_archiver" >"$WORK/$kind/$name.stat" 2>/dev/null || true
}

bench_sgbackup()
{
	local kind=$1 pgdata prefix=bench-$RUN-sgbackup-$1
	pgdata=$(copy_backlog "$kind" sgbackup)
	PREFIXES+=("$prefix")
	{
		echo "sgbackup.compression = 'zstd'"
		sgbackup_conf "$prefix"
	} | pg_write "$pgdata/bench.conf"
	pg_start "$pgdata" AWS_ACCESS_KEY_ID="$SG_TEST_S3_ACCESS_KEY" \
		AWS_SECRET_ACCESS_KEY="$SG_TEST_S3_SECRET_KEY"
	psql_run -c 'create extension if not exists sgbackup' >/dev/null 2>&1 ||
		msg "$kind/sgbackup: create extension sgbackup failed (ignored)"
	pg_write "$pgdata/bench.conf" -a <<<"archive_library = 'sgbackup'"
	drain "$kind" sgbackup "$pgdata"
	psql_run -At -c 'select * from sgbackup.archiver' \
		>"$WORK/$kind/sgbackup.view" 2>/dev/null || true
	pg_stop "$pgdata"
	check_sgbackup "$kind" "$prefix"
}

# check_sgbackup KIND PREFIX: every backlog file is stored under PREFIX/wal/,
# and the last one decompresses to the original bytes
check_sgbackup()
{
	local kind=$1 prefix=$2 dir=$WORK/$1 expected stored last
	list_objects "$prefix/wal" >"$dir/sgbackup.objects"
	awk '{ n = $2; sub(".*/", "", n); print n }' "$dir/sgbackup.objects" |
		sort >"$dir/sgbackup.stored"
	expected=$(wc -l <"$dir/sgbackup.files")
	stored=$(comm -12 "$dir/sgbackup.files" "$dir/sgbackup.stored" | wc -l)
	STORED_MB[$kind/sgbackup]=$(awk '{ s += $1 } END { printf "%.1f", s / 1048576 }' "$dir/sgbackup.objects")
	if [ "$stored" -ne "$expected" ]; then
		FAILED=1
		msg "$kind/sgbackup: $stored of $expected backlog files are under $prefix/wal/" \
			"($(wc -l <"$dir/sgbackup.objects") objects there)"
		return
	fi
	last=$(tail -n 1 "$dir/sgbackup.files")
	[ -n "$last" ] || return 0
	s3 s3 cp --quiet "s3://$SG_TEST_S3_BUCKET/$prefix/wal/$last" "$dir/$last.obj" ||
		{ FAILED=1; msg "$kind/sgbackup: could not download wal/$last"; return; }
	if zstd -q -d -c "$dir/$last.obj" | cmp -s - "$dir/template/pg_wal/$last"; then
		msg "$kind/sgbackup: $stored objects under $prefix/wal/; wal/$last decompresses to the original"
	else
		FAILED=1
		msg "$kind/sgbackup: wal/$last does not decompress (zstd) to the original segment"
	fi
	rm -f "$dir/$last.obj"
}

bench_pgbackrest()
{
	local kind=$1 pgdata prefix=bench-$RUN-pgbackrest-$1 conf
	pgdata=$(copy_backlog "$kind" pgbackrest)
	PREFIXES+=("$prefix")
	conf=$WORK/$kind/pgbackrest.conf
	pgbackrest_conf "$conf" "$WORK/$kind" "$prefix" "$pgdata" "$PORT" archive-async=y
	pg_start "$pgdata"
	as_pg /usr/bin/pgbackrest --config="$conf" --stanza=bench stanza-create \
		>"$WORK/$kind/pgbackrest-stanza.log" 2>&1 ||
		{ FAILED=1; cat "$WORK/$kind/pgbackrest-stanza.log" >&2; msg "$kind/pgbackrest: stanza-create failed"; }
	pg_write "$pgdata/bench.conf" <<<"archive_command = '/usr/bin/pgbackrest --config=$conf --stanza=bench archive-push %p'"
	drain "$kind" pgbackrest "$pgdata" --procs="--config=$conf" \
		--any-proc archive-push:async --any-proc archive-push:local
	pg_stop "$pgdata"
	wait_pgbackrest "$conf"
	check_pgbackrest "$kind" "$prefix"
}


check_pgbackrest()
{
	local kind=$1 prefix=$2 dir=$WORK/$1 stored expected
	list_objects "$prefix/archive" | grep -E '/[0-9A-F]{24}-[0-9a-f]{40}' >"$dir/pgbackrest.objects" || true
	# the shutdown after the drain switches to a new segment and archives it:
	# count the backlog files only
	stored=$(sed -E 's/.*\/([0-9A-F]{24})-.*/\1/' "$dir/pgbackrest.objects" |
		grep -cxF -f "$dir/pgbackrest.files" || true)
	expected=$(wc -l <"$dir/pgbackrest.files")
	STORED_MB[$kind/pgbackrest]=$(awk '{ s += $1 } END { printf "%.1f", s / 1048576 }' "$dir/pgbackrest.objects")
	if [ "$stored" -ne "$expected" ]; then
		FAILED=1
		msg "$kind/pgbackrest: $stored of $expected backlog files are in the repository"
	fi
}

bench_basic_archive()
{
	local kind=$1 pgdata dest=$WORK/$1/basic_archive.out stored expected
	pgdata=$(copy_backlog "$kind" basic_archive)
	mkdir -p "$dest"
	chown "$PG_USER:" "$dest" 2>/dev/null || true
	pg_start "$pgdata"
	pg_write "$pgdata/bench.conf" <<EOF
archive_library = 'basic_archive'
basic_archive.archive_directory = '$dest'
EOF
	drain "$kind" basic_archive "$pgdata"
	pg_stop "$pgdata"
	stored=$(find "$dest" -type f -printf '%f\n' | grep -cxF -f "$WORK/$kind/basic_archive.files" || true)
	expected=$(wc -l <"$WORK/$kind/basic_archive.files")
	STORED_MB[$kind/basic_archive]=$(find "$dest" -type f -printf '%f %s\n' |
		awk 'NR == FNR { want[$1] = 1; next } ($1 in want) { s += $2 }
			END { printf "%.1f", s / 1048576 }' "$WORK/$kind/basic_archive.files" -)
	if [ "$stored" -ne "$expected" ]; then
		FAILED=1
		msg "$kind/basic_archive: $stored of $expected backlog files were copied"
	fi
	[ "$KEEP" = 1 ] || rm -rf "$dest"
}

# ----- report ------------------------------------------------------------

declare -A STORED_MB

# field NAME KEY: value of KEY= in the result of NAME (empty if none)
field()
{
	sed -n "s/.* $2=\([^ ]*\).*/\1/p; s/^$2=\([^ ]*\).*/\1/p" "$WORK/$KIND/$1.result" 2>/dev/null | head -n 1
}

# mbps NAME: MB/s of a drained run, else the status
mbps()
{
	local st
	st=$(field "$1" status)
	if [ "$st" = ok ]; then
		awk -v b="$(field "$1" bytes)" -v s="$(field "$1" seconds)" \
			'BEGIN { printf "%.1f", b / 1048576 / s }'
	else
		echo "${st:--}"
	fi
}

# kb NAME KEY: a kB value of the result of NAME, in MB
kb()
{
	awk -v k="$(field "$1" "$2")" 'BEGIN { if (k + 0 > 0) printf "%.1f", k / 1024; else printf "-" }'
}

report()
{
	local name sg pb ba
	echo
	echo "WAL archiving benchmark ($RUN): MB = 2^20 bytes, time from the reload that enables archiving until no .ready file is left"
	printf '%-8s %5s %6s | %-16s | %-16s | %-16s | %7s %7s | %9s %9s %9s\n' \
		kind files MB "sgbackup" "pgBackRest" "basic_archive" "sg/pgbr" "sg/basic" \
		"sg mem" "pgbr mem" "basic mem"
	printf '%-8s %5s %6s | %7s %8s | %7s %8s | %7s %8s | %7s %7s | %9s %9s %9s\n' \
		"" "" "" s MB/s s MB/s s MB/s "" "" "MB" "MB" "MB"
	for KIND in $KINDS; do
		local files="" mb=""
		for name in sgbackup pgbackrest basic_archive; do
			if [ -z "$files" ] && [ -n "$(field "$name" files)" ]; then
				files=$(field "$name" files)
				mb=$(awk -v b="$(field "$name" bytes)" 'BEGIN { printf "%.0f", b / 1048576 }')
			fi
		done
		sg=$(mbps sgbackup)
		pb=$(mbps pgbackrest)
		ba=$(mbps basic_archive)
		printf '%-8s %5s %6s | %7s %8s | %7s %8s | %7s %8s | %7s %7s | %9s %9s %9s\n' \
			"$KIND" "${files:--}" "${mb:--}" \
			"$(field sgbackup seconds)" "$sg" \
			"$(field pgbackrest seconds)" "$pb" \
			"$(field basic_archive seconds)" "$ba" \
			"$(ratio "$sg" "$pb")" "$(ratio "$sg" "$ba")" \
			"$(kb sgbackup archiver_hwm_kb)" "$(kb pgbackrest extra_hwm_kb)" \
			"$(kb basic_archive archiver_hwm_kb)"
	done
	echo "mem: peak VmHWM of the archiver process (sgbackup, basic_archive);"
	echo "     pgBackRest: sum of the peaks of its async and local worker processes"
	echo
	echo "stored MB (compressed), CPU seconds while draining (archiver; pgBackRest: async + local"
	echo "processes; machine: all $(nproc) CPUs, the gateway included), archiver statistics:"
	for KIND in $KINDS; do
		for name in $ARCHIVERS; do
			printf '  %-8s %-14s stored %7s MB; cpu %6s s, machine %6s s of %6s; %s\n' \
				"$KIND" "$name" "${STORED_MB[$KIND/$name]:--}" \
				"$(cpu_of "$name")" "$(field "$name" machine_cpu)" \
				"$(awk -v s="$(field "$name" seconds)" -v n="$(nproc)" 'BEGIN { printf "%.2f", s * n }')" \
				"$(cat "$WORK/$KIND/$name.stat" 2>/dev/null || echo -)"
		done
	done
	busy_warning
}

# busy_warning: say so when other jobs kept the machine busy before a drain
busy_warning()
{
	local name bg noisy=""
	for KIND in $KINDS; do
		for name in $ARCHIVERS; do
			bg=$(field "$name" background)
			if awk -v b="${bg:-0}" 'BEGIN { exit !(b > 0.10) }'; then
				noisy="$noisy $KIND/$name ($(awk -v b="$bg" 'BEGIN { printf "%.0f", b * 100 }')%)"
			fi
		done
	done
	[ -z "$noisy" ] ||
		echo "warning: other processes kept the CPUs busy just before these drains, figures are noisy:$noisy"
}

# cpu_of NAME: CPU seconds of the archiver of NAME while draining
cpu_of()
{
	if [ "$1" = pgbackrest ]; then
		field "$1" extra_cpu
	else
		field "$1" archiver_cpu
	fi
}

# ----- set-up and clean-up ----------------------------------------------

# the pgBackRest configuration files of this run, for bench_cleanup
bench_pgbackrest_confs()
{
	local kind
	[ -n "$WORK" ] || return 0
	for kind in $KINDS; do
		echo "$WORK/$kind/pgbackrest.conf"
	done
}

setup()
{
	case " $ARCHIVERS " in
		*" sgbackup "*) require_sgbackup ;;
	esac
	bench_setup /usr/bin/pgbackrest "$AWS" zstd /usr/bin/python3
}

main()
{
	local kind name t0
	t0=$(now_ms)
	setup
	msg "work folder $WORK; gateway $SG_TEST_S3_HTTPS; run $RUN"
	for kind in $KINDS; do
		make_backlog "$kind"
		for name in $ARCHIVERS; do
			msg "$kind: draining with $name"
			"bench_$name" "$kind"
			[ "$KEEP" = 1 ] || rm -rf "${WORK:?}/$kind/$name"
		done
		[ "$KEEP" = 1 ] || rm -rf "$WORK/$kind/template"
	done
	report
	msg "done in $(( ($(now_ms) - t0) / 1000 )) s"
	[ "$FAILED" = 0 ] || { msg "some archiver did not drain its backlog or stored it wrongly"; exit 1; }
}

main "$@"
