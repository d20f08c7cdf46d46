# bench/lib.sh - helpers shared by the benchmarks (sourced, never run): running
# PostgreSQL as the ordinary user PG_USER from root, starting and stopping the
# servers a benchmark owns (listed in RUNNING), waiting for pgBackRest's
# processes to end, and a benchmark's set-up and clean-up.  Expects PG_USER,
# PGBIN, REPO, RGW_DIR, KEEP, WORK, RUNNING=() and PREFIXES=() to be set, the
# function s3 (awscli against the gateway), and msg/die/at_exit/start_gateway
# from scripts/lib.sh.

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

pg_start()
{
	local pgdata=$1
	shift
	# env: the server (and so the archiver and the backups) gets the S3 credentials
	as_pg env "$@" "$PGBIN/pg_ctl" -D "$pgdata" -l "$pgdata.log" -w -t 120 \
		start >/dev/null || { tail -n 20 "$pgdata.log" >&2; die "could not start the server in $pgdata"; }
	RUNNING+=("$pgdata")
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

# require_sgbackup: die unless sgbackup is installed into PGBIN's PostgreSQL
require_sgbackup()
{
	[ -f "$("$PGBIN/pg_config" --pkglibdir)/sgbackup.so" ] ||
		die "sgbackup is not installed (run make install at the top of the repository)"
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
