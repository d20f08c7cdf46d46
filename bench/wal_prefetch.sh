#!/bin/bash
# bench/wal_prefetch.sh - how much wal-fetch's prefetch speeds up recovery:
# the replay of the same archived segments by restore_command = 'sgbackup
# wal-fetch %f %p' with SGBACKUP_DOWNLOAD_CONCURRENCY=1 (no prefetch) and
# =4 (the default: the next 4 segments fetched in parallel into the cache).
#
# A cluster archives to the test gateway over TLS with sgbackup's archive
# module, takes a backup, then writes BENCH_SEGMENTS segments of random hex
# text (about 2x compressible), each ended with pg_switch_wal, and waits for
# them to be archived.  The backup is downloaded and unpacked once; a copy of
# it is started for each setting (rounds alternate the order), and the time
# from pg_ctl start until the server accepts connections, promoted at the
# end of the archived WAL, is printed with the ratio; each copy must hold
# every row.  Over loopback a fetch costs little more than its CPU work
# (decompression, sha256, fsync) and replay dominates; BENCH_LATENCY_MS puts
# a TCP proxy that delays every byte by that much each way between
# wal-fetch and the gateway, as a remote object storage would.
#
# Run as root (PostgreSQL runs as "postgres") or as an ordinary user.
# Needs: sgbackup built and installed into PGBIN's PostgreSQL (make
# install), awscli (/usr/bin/aws), zstd, the test gateway (scripts/rgw.sh;
# started if not running, and then stopped on exit unless SG_KEEP_SERVERS=1).
#
# Environment:
#   BENCH_SEGMENTS=30      segments of WAL to replay
#   BENCH_ROUNDS=2         replays per setting (the order alternates)
#   BENCH_TIMEOUT=600      seconds one replay may take
#   BENCH_LATENCY_MS=0     one-way delay added between wal-fetch and the
#                          gateway (20: a round trip of 40 ms)
#   BENCH_KEEP=1           keep the work folder (and the objects)
#   BENCH_RGW_DIR=/tmp/sgbackup-rgw
#   BENCH_PORT=55459       port of the archiving cluster; replays use the next
#   PGBIN=/usr/lib/postgresql/15/bin
# Exit status: 0 when every replay completed with every row; 1 otherwise.
# Speed is reported, never asserted.

set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(dirname "$BENCH_DIR")
. "$REPO/scripts/lib.sh"
# shellcheck source=bench/lib.sh
. "$REPO/bench/lib.sh"

SEGMENTS=${BENCH_SEGMENTS:-30}
ROUNDS=${BENCH_ROUNDS:-2}
TIMEOUT=${BENCH_TIMEOUT:-600}
PORT=${BENCH_PORT:-55459}
LATENCY_MS=${BENCH_LATENCY_MS:-0}

ENDPOINT=
PREFIX=bench-wal-prefetch-$RUN
declare -A SECONDS_OF=()

# no pgBackRest here
bench_pgbackrest_confs() { :; }

# delay_proxy LISTEN TARGET MS: forward 127.0.0.1:LISTEN to 127.0.0.1:TARGET,
# each chunk sent on MS milliseconds after it came (no bandwidth limit)
delay_proxy()
{
	# exec: the pid of a background call is the proxy's
	exec /usr/bin/python3 - "$@" <<'EOF'
import asyncio, sys, time
listen, target, delay = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]) / 1000

async def pump(reader, writer):
    queue = asyncio.Queue()

    async def send():
        while True:
            at, data = await queue.get()
            if data is None:
                break
            wait = at + delay - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            writer.write(data)
            await writer.drain()
        writer.close()

    sender = asyncio.ensure_future(send())
    try:
        while data := await reader.read(65536):
            queue.put_nowait((time.monotonic(), data))
    except ConnectionError:
        pass
    queue.put_nowait((time.monotonic(), None))
    await sender

async def handle(client_reader, client_writer):
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", target)
    except OSError:
        client_writer.close()
        return
    await asyncio.gather(pump(client_reader, writer), pump(reader, client_writer),
                         return_exceptions=True)

async def main():
    server = await asyncio.start_server(handle, "127.0.0.1", listen)
    async with server:
        await server.serve_forever()

asyncio.run(main())
EOF
}

# fetch_endpoint: ENDPOINT, what wal-fetch talks to: the gateway, or with
# BENCH_LATENCY_MS a delaying proxy to it (stopped on exit)
fetch_endpoint()
{
	local port=$((PORT + 2)) gateway_port=${SG_TEST_S3_HTTPS##*:}
	if [ "$LATENCY_MS" = 0 ]; then
		ENDPOINT=$SG_TEST_S3_HTTPS
		return
	fi
	local pid
	delay_proxy "$port" "$gateway_port" "$LATENCY_MS" &
	pid=$!
	at_exit "kill $pid 2>/dev/null || true"
	wait_until 10 'the delaying proxy' port_open "$port" || die "the proxy did not start"
	ENDPOINT=https://127.0.0.1:$port
	msg "wal-fetch goes through a proxy adding $LATENCY_MS ms each way"
}

psql_at()
{
	as_pg "$PGBIN/psql" -X -q -At -v ON_ERROR_STOP=1 -h "$WORK/sock" -p "$1" \
		-U postgres -d postgres -c "$2"
}

# the settings of the bucket as postgresql.conf lines (storage_conf) or as
# SGBACKUP_* variables for wal-fetch (storage_env)
storage_conf()
{
	cat <<EOF
sgbackup.s3_bucket = '$SG_TEST_S3_BUCKET/$PREFIX'
sgbackup.s3_endpoint = '$SG_TEST_S3_HTTPS'
sgbackup.s3_region = '$SG_TEST_S3_REGION'
sgbackup.s3_force_path_style = on
sgbackup.s3_ca_file = '$SG_TEST_S3_CA_FILE'
EOF
}

# (the credentials come from the server's environment)
storage_env()
{
	printf '%s ' "SGBACKUP_S3_BUCKET=$SG_TEST_S3_BUCKET/$PREFIX" \
		"SGBACKUP_S3_ENDPOINT=$ENDPOINT" "SGBACKUP_S3_REGION=$SG_TEST_S3_REGION" \
		"SGBACKUP_S3_FORCE_PATH_STYLE=on" "SGBACKUP_S3_CA_FILE=$SG_TEST_S3_CA_FILE"
}

archived()
{
	test "$(psql_at "$PORT" 'select backlog from sgbackup.archiver')" = 0
}

# archive: the cluster WORK/source takes a backup, then writes SEGMENTS
# segments, all archived; sets BACKUP and ROWS
archive()
{
	local pgdata=$WORK/source i
	as_pg "$PGBIN/initdb" -D "$pgdata" -U postgres --auth=trust --no-sync \
		-E UTF8 --locale=C >"$pgdata.initdb.log" 2>&1 ||
		{ cat "$pgdata.initdb.log" >&2; die "initdb failed"; }
	{
		cat <<EOF

# bench/wal_prefetch.sh
listen_addresses = ''
unix_socket_directories = '$WORK/sock'
max_wal_size = 4GB
checkpoint_timeout = 1h
autovacuum = off
include_if_exists = 'bench.conf'
EOF
	} | pg_write "$pgdata/postgresql.conf" -a
	{
		echo "port = $PORT"
		echo "shared_preload_libraries = 'sgbackup'"
		echo "archive_mode = on"
		echo "archive_library = 'sgbackup'"
		storage_conf
	} | pg_write "$pgdata/bench.conf"
	PREFIXES+=("$PREFIX")
	pg_start "$pgdata" AWS_ACCESS_KEY_ID="$SG_TEST_S3_ACCESS_KEY" \
		AWS_SECRET_ACCESS_KEY="$SG_TEST_S3_SECRET_KEY"
	psql_at "$PORT" 'create extension sgbackup' >/dev/null
	psql_at "$PORT" 'create table r (id serial primary key, s text)' >/dev/null
	BACKUP=$(psql_at "$PORT" 'select sgbackup_start(wait => true)')
	for ((i = 1; i <= SEGMENTS; i++)); do
		# about 14 MB of WAL, then the next segment
		psql_at "$PORT" "insert into r (s) select md5(random()::text) || md5(random()::text) ||
			md5(random()::text) || md5(random()::text) from generate_series(1, 60000);
			select pg_switch_wal()" >/dev/null
	done
	wait_until 600 'the archiver to drain its backlog' archived ||
		die "the WAL was not archived"
	ROWS=$(psql_at "$PORT" 'select count(*) from r')
	pg_stop "$pgdata"
	msg "backup $BACKUP, then $SEGMENTS segments ($ROWS rows) archived under $PREFIX"
}

# unpack: the backup, downloaded and unpacked into WORK/restored
unpack()
{
	local dl=$WORK/download dst=$WORK/restored
	s3 s3 cp --recursive --quiet "s3://$SG_TEST_S3_BUCKET/$PREFIX/backups/$BACKUP/" "$dl/" ||
		die "could not download backup $BACKUP"
	as_pg mkdir -m 700 "$dst"
	zstd -q -d -c "$dl/base.tar.zst" | as_pg tar -x -C "$dst" || die "could not unpack"
	as_pg cp "$dl/backup_manifest" "$dst/"
	as_pg touch "$dst/recovery.signal"
}

# replay CONCURRENCY ROUND: a copy of the backup replays the archived WAL
# with SGBACKUP_DOWNLOAD_CONCURRENCY=CONCURRENCY
replay()
{
	local n=$1 round=$2 pgdata=$WORK/replay-$1-$2 port=$((PORT + 1)) t0 rows
	cp -a "$WORK/restored" "$pgdata"
	{
		echo "port = $port"
		echo "archive_mode = off"
		echo "hot_standby = off"
		echo "recovery_target_action = 'promote'"
		echo "restore_command = '$(storage_env)SGBACKUP_DOWNLOAD_CONCURRENCY=$n $PGBIN/sgbackup wal-fetch %f %p'"
	} | pg_write "$pgdata/bench.conf"
	sync
	t0=$(now_ms)
	# with hot_standby off, pg_ctl returns once recovery starts
	pg_start "$pgdata" AWS_ACCESS_KEY_ID="$SG_TEST_S3_ACCESS_KEY" \
		AWS_SECRET_ACCESS_KEY="$SG_TEST_S3_SECRET_KEY"
	if ! wait_until "$TIMEOUT" "replay $n/$round" \
		grep -q 'database system is ready to accept connections' "$pgdata.log"; then
		FAILED=1
		tail -n 20 "$pgdata.log" >&2
		pg_stop "$pgdata" immediate
		return
	fi
	SECONDS_OF[$n $round]=$(awk -v a="$t0" -v b="$(now_ms)" 'BEGIN { printf "%.2f", (b - a) / 1000 }')
	rows=$(psql_at "$port" 'select count(*) from r')
	pg_stop "$pgdata"
	[ "$rows" = "$ROWS" ] || { FAILED=1; msg "replay $n/$round: $rows rows instead of $ROWS"; }
	msg "replay with download_concurrency $n, round $round: ${SECONDS_OF[$n $round]} s ($rows rows)"
	[ "$KEEP" = 1 ] || rm -rf "$pgdata"
}

main()
{
	local round one four
	require_sgbackup
	bench_setup "$AWS" zstd tar
	msg "work folder $WORK; gateway $SG_TEST_S3_HTTPS; run $RUN"
	archive
	unpack
	fetch_endpoint
	for ((round = 1; round <= ROUNDS; round++)); do
		if ((round % 2)); then
			replay 1 "$round"
			replay 4 "$round"
		else
			replay 4 "$round"
			replay 1 "$round"
		fi
	done
	one=$(best 1)
	four=$(best 4)
	echo "replay of $SEGMENTS archived segments (best of $ROUNDS; $LATENCY_MS ms added each way):"
	echo "  download_concurrency 1 (no prefetch): ${one:--} s"
	echo "  download_concurrency 4 (prefetch 4):  ${four:--} s"
	if [ -n "$one" ] && [ -n "$four" ]; then
		echo "  ratio: $(awk -v a="$one" -v b="$four" 'BEGIN { printf "%.2f", a / b }')x"
	fi
	[ "$FAILED" = 0 ] || { msg "some replay failed"; exit 1; }
}

main "$@"
