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
#   BENCH_PGBACKREST_CONF  more pgbackrest.conf [global] lines (e.g. repo1-bundle=y)
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

SCALE=${BENCH_SCALE:-30}
TEXT_MB=${BENCH_TEXT_MB:-150}
ROUNDS=${BENCH_ROUNDS:-2}
TIMEOUT=${BENCH_TIMEOUT:-1800}
BASE_PORT=${BENCH_PORT:-55449}

SG_PREFIX=bench-$RUN-backup-sgbackup
PB_PREFIX=bench-$RUN-backup-pgbackrest

declare -A PORT_OF		# data directory -> port
declare -A SECONDS_OF	# "tool round" -> seconds of that backup
declare -A STORED_OF	# "tool round" -> stored MB of that backup
declare -A BUSY_OF		# "tool round" -> CPU share of others just before
declare -A NAME_OF		# "tool round" -> backup name / label
SG_SIZE_MB=

# ----- sgbackup ----------------------------------------------------------

# verify_sgbackup NAME: download, unpack and pg_verifybackup -n the backup
verify_sgbackup()
{
	local name=$1 dir=$WORK/verify-$1
	if sgbackup_download "$name" "$dir" && untar_zstd "$dir/base.tar.zst" "$dir/data" &&
		as_pg cp "$dir/backup_manifest" "$dir/data/"; then
		verify_pgdata "$dir/data" "sgbackup backup $name" || FAILED=1
	else
		FAILED=1
	fi
	[ "$KEEP" = 1 ] || rm -rf "$dir"
}

# ----- report ------------------------------------------------------------

report()
{
	local round sg pb
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
	noisy_warning backups
}

# ----- set-up and clean-up ----------------------------------------------

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
