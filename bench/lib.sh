# bench/lib.sh - helpers shared by the benchmarks (sourced, never run): running
# PostgreSQL as the ordinary user PG_USER from root, starting and stopping the
# servers a benchmark owns (listed in RUNNING), and waiting for pgBackRest's
# processes to end.  Expects PG_USER, PGBIN and RUNNING=() to be set, and
# msg/die from scripts/lib.sh.

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
