#!/bin/bash
# bench/restore.sh - how long restoring a full base backup takes with
# `sgbackup restore` (parallel ranged downloads, libarchive unpack checked
# against backup_manifest) next to pgBackRest 2.45 (restore, process-max 2)
# from the same RADOS Gateway over TLS, and next to unpacking the same
# sgbackup archive from local disk with zstd -d | tar -x; all in one run, so
# the ratios are comparable.
#
# One cluster is loaded with pgbench data plus a table of random hex text
# and stopped; one copy archives WAL with sgbackup, another with pgBackRest
# (as in bench/backup.sh), and each tool takes one full backup.  The servers
# are stopped, the sgbackup backup's objects are downloaded with awscli, and
# then each round restores into fresh directories: sgbackup restore,
# pgbackrest restore, and the local unpack (order reversed every other
# round).  Only the restore command is timed; no server is started then.
# Every sgbackup restore and local unpack must pass pg_verifybackup -n; a
# pgBackRest restore must hold about as many files and bytes as its backup.
# After the rounds, single extra sgbackup restores (BENCH_EXTRA) show the
# effect of download_concurrency and of a local repository (--repository,
# the downloaded objects: no network), and the last round's restores are
# started to show that they come up (BENCH_START=0 skips that).
#
# Run as root (PostgreSQL runs as "postgres") or as an ordinary user.
# Needs: sgbackup built and installed into PGBIN's PostgreSQL (make install;
# the program is PGBIN/sgbackup), pgbackrest, awscli (/usr/bin/aws), zstd,
# the test gateway (scripts/rgw.sh; started if not running, and then stopped
# on exit unless SG_KEEP_SERVERS=1).
#
# Environment:
#   BENCH_SCALE=30         pgbench scale (about 450 MB)
#   BENCH_TEXT_MB=150      MB of random hex text (compresses about 2x)
#   BENCH_ROUNDS=2         restores per tool (the order alternates)
#   SGBACKUP_DOWNLOAD_CONCURRENCY  download_concurrency of the rounds'
#                          sgbackup restores (unset: the default)
#   BENCH_EXTRA="2 4 8 1 local"    extra sgbackup restores after the rounds:
#                          a number is a download_concurrency, "local" the
#                          restore from a local repository; "" for none
#   BENCH_START=1          start the last round's restored servers once
#   BENCH_QUIET_WAIT=30    seconds a restore waits for other jobs to leave
#                          the CPUs idle (the figures are noisy otherwise)
#   BENCH_TIMEOUT=1800     seconds one backup or restore may take
#   BENCH_SGBACKUP_CONF    more postgresql.conf lines for the sgbackup cluster
#   BENCH_PGBACKREST_CONF  more pgbackrest.conf [global] lines, e.g.
#                          "repo1-bundle=y" (small files bundled: fewer GETs)
#   BENCH_KEEP=1           keep the work folder (and the objects)
#   BENCH_RGW_DIR=/tmp/sgbackup-rgw
#   BENCH_PORT=55469       port of the template cluster; the clusters of the
#                          tools and the restored servers use the next four
#   PGBIN=/usr/lib/postgresql/15/bin
# Exit status: 0 when every backup and restore succeeded and checked out; 1
# otherwise.  Speed is reported, never asserted.

set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(dirname "$BENCH_DIR")
. "$REPO/scripts/lib.sh"
# shellcheck source=bench/lib.sh
. "$REPO/bench/lib.sh"

SCALE=${BENCH_SCALE:-30}
TEXT_MB=${BENCH_TEXT_MB:-150}
ROUNDS=${BENCH_ROUNDS:-2}
EXTRA=${BENCH_EXTRA-2 4 8 1 local}
START=${BENCH_START:-1}
TIMEOUT=${BENCH_TIMEOUT:-1800}
BASE_PORT=${BENCH_PORT:-55469}
CONCURRENCY=${SGBACKUP_DOWNLOAD_CONCURRENCY:-}
SGBACKUP=$PGBIN/sgbackup
PGBACKREST=/usr/bin/pgbackrest

SG_PREFIX=bench-$RUN-restore-sgbackup
PB_PREFIX=bench-$RUN-restore-pgbackrest

declare -A PORT_OF		# data directory -> port
declare -A SECONDS_OF	# "tool round" -> seconds of that restore ("tool backup": of the backup)
declare -A STORED_OF	# "tool backup" -> stored MB of the backup
declare -A BUSY_OF		# "tool round" -> CPU share of others just before
declare -A NAME_OF		# "tool backup" -> backup name / label
declare -A FILES_OF		# "tool round" -> files restored (outside pg_wal)
declare -A BYTES_OF		# "tool round" -> bytes restored (outside pg_wal)
declare -A CHECK_OF		# "tool round" -> what the check found
SG_SIZE_MB=
DB_MB=
PB_SIZE=				# bytes of the database in the pgBackRest backup
SYNC_SECONDS=			# syncfs after the last local unpack
DEFAULT_CONCURRENCY=$(awk '$2 == "SG_DEFAULT_DOWNLOAD_CONCURRENCY" { print $3 }' \
	"$REPO/src/common/config.h")

# ----- helpers -----------------------------------------------------------

# dir_stats DIR: "files bytes" of the regular files under DIR, pg_wal left out
dir_stats()
{
	find "$1" -path "$1/pg_wal" -prune -o -type f -printf '%s\n' |
		awk '{ n++; s += $1 } END { printf "%d %d\n", n, s }'
}

# note_stats KEY DIR: FILES_OF and BYTES_OF of KEY from DIR
note_stats()
{
	local stats
	stats=$(dir_stats "$2")
	FILES_OF[$1]=${stats% *}
	BYTES_OF[$1]=${stats#* }
}

# fail KEY TEXT: KEY did not restore or check out
fail()
{
	FAILED=1
	CHECK_OF[$1]=FAILED
	msg "$1: $2"
}

# restore_dir KEY: the directory KEY restores into ("sgbackup 1" -> WORK/restore-sgbackup-1)
restore_dir()
{
	echo "$WORK/restore-${1// /-}"
}

# timed KEY CMD...: run CMD as the PostgreSQL user for at most TIMEOUT
# seconds, output in KEY's log; SECONDS_OF[KEY] when it succeeds
timed()
{
	local key=$1 t0 log
	shift
	log=$(restore_dir "$key").out
	t0=$(now_ms)
	if as_pg timeout "$TIMEOUT" "$@" >"$log" 2>&1; then
		SECONDS_OF[$key]=$(seconds_since "$t0")
		return 0
	fi
	fail "$key" "failed:"
	tail -n 20 "$log" | sed 's/^/    /' >&2
	return 1
}

# verified KEY DIR: note what KEY restored into DIR, which must pass
# pg_verifybackup -n
verified()
{
	note_stats "$1" "$2"
	if verify_pgdata "$2" "$1"; then
		CHECK_OF[$1]="pg_verifybackup ok"
	else
		fail "$1" "the restored directory does not verify"
	fi
}

# ----- sgbackup ----------------------------------------------------------

# storage_config: the SGObjectStorage of SG_PREFIX in WORK/storage.yaml, its
# secret mounted the Kubernetes way under WORK/secrets, for the program
storage_config()
{
	write_gateway_storage "$WORK" "$WORK/storage.yaml" bench-storage "$SG_TEST_S3_BUCKET/$SG_PREFIX"
	chmod -R go-rwx "$WORK/secrets"
	[ "$(id -u)" -ne 0 ] || chown -R "$PG_USER:" "$WORK/secrets" "$WORK/storage.yaml"
}

# local_repository: WORK/repository, a local repository holding the
# downloaded objects of the sgbackup backup (hard links)
local_repository()
{
	local name=${NAME_OF[sgbackup backup]}
	as_pg mkdir -p "$WORK/repository/backups"
	as_pg cp -al "$WORK/download" "$WORK/repository/backups/$name"
}

# restore_sgbackup KEY [CONCURRENCY|local]: sgbackup restore of the backup
# from the gateway (download_concurrency CONCURRENCY, else CONCURRENCY of
# the rounds) or from the local repository, then pg_verifybackup -n
restore_sgbackup()
{
	local key=$1 how=${2:-$CONCURRENCY} dir where
	dir=$(restore_dir "$key")
	if [ "$how" = local ]; then
		where=(--repository "$WORK/repository")
		how=$CONCURRENCY
	else
		where=(--config "$WORK/storage.yaml")
	fi
	timed "$key" env SGBACKUP_SECRETS_DIRECTORY="$WORK/secrets" \
		${how:+SGBACKUP_DOWNLOAD_CONCURRENCY="$how"} \
		"$SGBACKUP" "${where[@]}" restore "${NAME_OF[sgbackup backup]}" "$dir" || return 0
	verified "$key" "$dir"
}

# ----- pgBackRest --------------------------------------------------------

# restore_pgbackrest KEY: pgbackrest restore --process-max=2 of the backup
# into a new directory, which must hold the backup's bytes (within 1%) and
# about the files of the backed-up directory (within 2%)
restore_pgbackrest()
{
	local key=$1 dir want_files
	dir=$(restore_dir "$key")
	as_pg mkdir -m 700 "$dir"
	timed "$key" "$PGBACKREST" --config="$WORK/pgbackrest.conf" --stanza=bench \
		--pg1-path="$dir" --process-max=2 --set="${NAME_OF[pgbackrest backup]}" \
		restore || return 0
	note_stats "$key" "$dir"
	want_files=$(dir_stats "$WORK/pgbackrest")
	want_files=${want_files% *}
	if awk -v f="${FILES_OF[$key]}" -v wf="$want_files" -v b="${BYTES_OF[$key]}" \
		-v wb="$PB_SIZE" 'BEGIN { d = f - wf; e = b - wb
			exit !((d < 0 ? -d : d) <= 0.02 * wf && (e < 0 ? -e : e) <= 0.01 * wb) }'; then
		CHECK_OF[$key]="files, bytes ok"
		msg "$key: ${FILES_OF[$key]} files (backed-up directory: $want_files), ${BYTES_OF[$key]} bytes (backup: $PB_SIZE)"
	else
		fail "$key" "${FILES_OF[$key]} files, ${BYTES_OF[$key]} bytes restored; the backed-up directory has $want_files files, the backup $PB_SIZE bytes"
	fi
}

# ----- local unpack ------------------------------------------------------

# restore_tar KEY: zstd -d | tar -x of the downloaded base.tar.zst (timed),
# a syncfs after it (timed apart), then pg_verifybackup -n
restore_tar()
{
	local key=$1 dir t0
	dir=$(restore_dir "$key")
	timed "$key" bash -o pipefail -c "$UNTAR_ZSTD" untar "$WORK/download/base.tar.zst" "$dir" ||
		return 0
	t0=$(now_ms)
	sync -f "$dir"
	SYNC_SECONDS=$(seconds_since "$t0")
	as_pg cp "$WORK/download/backup_manifest" "$dir/"
	verified "$key" "$dir"
}

# ----- the restored servers ----------------------------------------------

# start_restored KEY PORT: start the server KEY restored, on PORT without
# archiving, and count pgbench_accounts; then stop it
start_restored()
{
	local key=$1 dir rows
	dir=$(restore_dir "$key")
	[ "${CHECK_OF[$key]:-FAILED}" != FAILED ] || return 0
	PORT_OF[$dir]=$2
	pg_write "$dir/bench.conf" -a <<EOF
port = $2
archive_mode = off
EOF
	if ! pg_try_start "$dir"; then
		fail "$key" "the restored server does not start"
		return
	fi
	# the server accepts connections once recovery has ended and it promoted
	if ! wait_until 120 "$key: end of recovery" psql_on "$dir" -At -c \
		'select not pg_is_in_recovery()' ||
		! rows=$(psql_on "$dir" -At -c 'select count(*) from pgbench_accounts') ||
		[ "$rows" != $((SCALE * 100000)) ]; then
		fail "$key" "the restored server did not recover (pgbench_accounts rows: ${rows:-?})"
		tail -n 20 "$dir.log" | sed 's/^/    /' >&2
	else
		CHECK_OF[$key]="${CHECK_OF[$key]}, started"
		msg "$key: the restored server started and holds $rows pgbench_accounts rows"
	fi
	pg_stop "$dir"
}

# extra_key HOW: the key of an extra restore ("local", or a concurrency N: "cN")
extra_key()
{
	if [ "$1" = local ]; then echo "sgbackup local"; else echo "sgbackup c$1"; fi
}

# ----- report ------------------------------------------------------------

# row KEY: one line of the table
row()
{
	local key=$1 s=${SECONDS_OF[$1]:-}
	printf '%-10s %-6s | %8s %8s | %6s %8s | %s\n' "${key% *}" "${key#* }" "${s:--}" \
		"$(awk -v s="$s" -v m="$DB_MB" 'BEGIN { if (s > 0) printf "%.1f", m / s; else printf "-" }')" \
		"${FILES_OF[$key]:--}" \
		"$(awk -v b="${BYTES_OF[$key]:-}" 'BEGIN { if (b > 0) printf "%.1f", b / 1048576; else printf "-" }')" \
		"${CHECK_OF[$key]:--}"
}

report()
{
	local round tool sg pb tar how
	echo
	echo "Restore benchmark ($RUN): database $DB_MB MB (pgbench -s $SCALE + $TEXT_MB MB random hex text); MB = 2^20 bytes"
	echo "sgbackup backup ${NAME_OF[sgbackup backup]:--}: ${SG_SIZE_MB:--} MB, ${STORED_OF[sgbackup backup]:--} MB stored (zstd 1), taken in ${SECONDS_OF[sgbackup backup]:--} s"
	echo "pgBackRest backup ${NAME_OF[pgbackrest backup]:--}: ${STORED_OF[pgbackrest backup]:--} MB stored (zstd 3), taken in ${SECONDS_OF[pgbackrest backup]:--} s"
	if [ -n "$CONCURRENCY" ]; then
		how="$CONCURRENCY (SGBACKUP_DOWNLOAD_CONCURRENCY)"
	else
		how="$DEFAULT_CONCURRENCY (the default)"
	fi
	echo "sgbackup: sgbackup --config SGObjectStorage restore NAME DIR, download_concurrency $how"
	echo "pgbackrest: $("$PGBACKREST" version) restore --process-max=2 --set=LABEL"
	echo "tar: zstd -d -c base.tar.zst | tar -x from local disk (downloaded with awscli, untimed); a syncfs after it took ${SYNC_SECONDS:--} s more (last one)"
	echo "seconds: wall clock of the restore command alone (sgbackup and pgBackRest sync what they write; tar does not)"
	echo "MB/s: database MB / seconds; files, MB: what was restored outside pg_wal"
	echo
	printf '%-10s %-6s | %8s %8s | %6s %8s | %s\n' tool round seconds MB/s files MB check
	for ((round = 1; round <= ROUNDS; round++)); do
		for tool in sgbackup pgbackrest tar; do
			row "$tool $round"
		done
	done
	for how in $EXTRA; do
		row "$(extra_key "$how")"
	done
	echo
	echo "(rounds: odd ones ran sgbackup, pgbackrest, tar; even ones the reverse; c<N>: one restore"
	echo " with download_concurrency N; local: one restore from the local repository, no network)"
	for ((round = 1; round <= ROUNDS; round++)); do
		sg=${SECONDS_OF[sgbackup $round]:-}
		echo "round $round: pgBackRest / sgbackup $(ratio "${SECONDS_OF[pgbackrest $round]:-}" "$sg"), sgbackup / tar $(ratio "$sg" "${SECONDS_OF[tar $round]:-}")"
	done
	sg=$(best sgbackup)
	pb=$(best pgbackrest)
	tar=$(best tar)
	echo "best: sgbackup ${sg:--} s, pgBackRest ${pb:--} s, tar ${tar:--} s"
	echo "goal: pgBackRest / sgbackup >= 3 (best: $(ratio "$pb" "$sg")); sgbackup / tar <= 1.3 (best: $(ratio "$sg" "$tar"))"
	noisy_warning restores
}

# ----- set-up and clean-up ----------------------------------------------

setup()
{
	require_sgbackup
	[ -x "$SGBACKUP" ] || die "no sgbackup program in $PGBIN (run make install at the top of the repository)"
	bench_setup "$PGBACKREST" "$AWS" zstd tar timeout find /usr/bin/python3
}

# backups: one full backup with each tool, then both servers stopped
backups()
{
	backup_sgbackup backup
	backup_pgbackrest backup
	if [ -z "${NAME_OF[sgbackup backup]:-}" ] || [ -z "${NAME_OF[pgbackrest backup]:-}" ]; then
		die "a backup failed; nothing to restore"
	fi
	PB_SIZE=$(as_pg "$PGBACKREST" --config="$WORK/pgbackrest.conf" --stanza=bench \
		--output=json info | /usr/bin/python3 -c \
		'import json, sys; print(json.load(sys.stdin)[0]["backup"][-1]["info"]["size"])')
	pg_stop "$WORK/sgbackup"
	pg_stop "$WORK/pgbackrest"
}

# run TOOL KEY [ARG]: one timed restore into a fresh directory, after
# writing back what came before and waiting for quiet CPUs
run()
{
	local tool=$1 key=$2
	sync
	BUSY_OF[$key]=$(wait_quiet)
	msg "$key (CPU share of other processes before: ${BUSY_OF[$key]})"
	"restore_$tool" "$key" "${@:3}"
	msg "$key: ${SECONDS_OF[$key]:--} s"
}

# clear_round ROUND: remove the directories restored in ROUND
clear_round()
{
	local tool dir
	[ "$KEEP" = 1 ] && return
	for tool in sgbackup pgbackrest tar; do
		dir=$(restore_dir "$tool $1")
		rm -rf "$dir" "$dir.out" "$dir.verify.log"
	done
}

main()
{
	local round tool how t0 order
	t0=$(now_ms)
	setup
	msg "work folder $WORK; gateway $SG_TEST_S3_HTTPS; run $RUN"
	make_template
	setup_sgbackup
	setup_pgbackrest
	[ "$KEEP" = 1 ] || rm -rf "$WORK/template"
	backups
	storage_config
	sgbackup_download "${NAME_OF[sgbackup backup]}" "$WORK/download" ||
		die "could not download the sgbackup backup"
	for ((round = 1; round <= ROUNDS; round++)); do
		if ((round % 2)); then order="sgbackup pgbackrest tar"; else order="tar pgbackrest sgbackup"; fi
		for tool in $order; do
			run "$tool" "$tool $round"
		done
		((round == ROUNDS)) || clear_round "$round"
	done
	for how in $EXTRA; do
		[ "$how" != local ] || [ -d "$WORK/repository" ] || local_repository
		run sgbackup "$(extra_key "$how")" "$how"
		[ "$KEEP" = 1 ] || rm -rf "$(restore_dir "$(extra_key "$how")")"
	done
	if [ "$START" = 1 ]; then
		start_restored "sgbackup $ROUNDS" $((BASE_PORT + 3))
		start_restored "pgbackrest $ROUNDS" $((BASE_PORT + 4))
	fi
	report
	msg "done in $(( ($(now_ms) - t0) / 1000 )) s"
	[ "$FAILED" = 0 ] || { msg "some backup or restore failed or did not check out"; exit 1; }
}

main "$@"
