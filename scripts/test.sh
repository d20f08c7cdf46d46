#!/usr/bin/env bash
# Runs every sgbackup test on this machine, as root (bash scripts/test.sh;
# sudo is not needed, nor used): installs the Debian packages, builds and
# installs the extension and the program, starts a local Ceph RADOS Gateway
# on 127.0.0.1, then runs the C unit tests, pg_regress and the TAP tests
# (PostgreSQL as the user postgres).  The gateway it started is stopped on
# exit, also on failure, unless SG_KEEP_SERVERS=1; one already running is
# used and left running.
# Ends with a line "N passed, N failed"; exits non-zero on any failure.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
. scripts/lib.sh

[ "$(id -u)" = 0 ] || die "run as root: this installs packages and the extension, and runs PostgreSQL as the user postgres"

bash scripts/install-deps.sh
export PATH=/usr/lib/postgresql/15/bin:$PATH
make -s
make -s install

RGW_DIR=${SG_TEST_RGW_DIR:-/tmp/sgbackup-rgw}
start_gateway "$RGW_DIR"
. "$RGW_DIR/env.sh"

logs=$(mktemp -d /tmp/sgbackup-test-logs.XXXXXX)
chmod 755 "$logs"
status=0

# C unit tests (signing, credentials, YAML, compression, S3 client, WAL store)
export SG_SIGV4_DIR=${SG_SIGV4_DIR:-$top/test/data/sigv4}
msg "unit tests"
make -s unit 2>&1 | tee "$logs/unit.log" || status=1

# pg_regress and TAP as postgres, in a copy of the tree that it owns
work=$(mktemp -d /tmp/sgbackup-tests.XXXXXX)
cp -a "$top/." "$work/tree"
chown -R postgres: "$work"
chmod 755 "$work"
msg "pg_regress and TAP tests in $work/tree"
runuser -u postgres -- env PATH="$PATH" PROVE_FLAGS="--timer" \
	make -C "$work/tree" installcheck 2>&1 | tee "$logs/server.log" || status=1
if [ -f "$work/tree/regression.diffs" ]; then
	cat "$work/tree/regression.diffs"
fi

# one closing line over every suite: prove's "Tests=N" totals, pg_regress's
# "All N tests passed" / "N of M tests failed", prove's "Failed N/M subtests"
total=0 failed=0
for n in $(grep -hoE 'Tests=[0-9]+' "$logs"/*.log | cut -d= -f2); do total=$((total + n)); done
for n in $(grep -hoE 'All [0-9]+ tests passed' "$logs"/*.log | grep -oE '[0-9]+'); do total=$((total + n)); done
for line in $(grep -hoE '[0-9]+ of [0-9]+ tests failed' "$logs"/*.log | awk '{print $1 ":" $3}'); do
	total=$((total + ${line#*:})); failed=$((failed + ${line%%:*}))
done
for n in $(grep -hoE 'Failed [0-9]+/[0-9]+ subtests' "$logs"/*.log | sed -E 's/Failed ([0-9]+).*/\1/'); do failed=$((failed + n)); done
[ "$status" = 0 ] || [ "$failed" -gt 0 ] || failed=1
echo "$((total - failed)) passed, $failed failed"
exit $status
