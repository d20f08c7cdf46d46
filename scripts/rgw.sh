#!/bin/bash
# A throwaway S3 server for the tests: a one-host Ceph cluster (mon + osd on
# memstore) with a RADOS Gateway, all under one folder and bound to 127.0.0.1.
#
#   scripts/rgw.sh start [DIR]          (re)create the cluster, gateway, user, bucket
#   scripts/rgw.sh stop [DIR]           kill every daemon of DIR (data is in memory: lost)
#   scripts/rgw.sh stop-gateway [DIR]   kill only radosgw (cluster and objects stay)
#   scripts/rgw.sh start-gateway [DIR]  start radosgw again and wait until it serves
#   scripts/rgw.sh status [DIR]         exit 0 if the gateway answers signed requests
#   scripts/rgw.sh check [DIR]          end-to-end check with curl and awscli
#   scripts/rgw.sh clean [DIR]          stop, then remove DIR
#   scripts/rgw.sh policy-user UID ACCESS_KEY SECRET_KEY POLICY_FILE [DIR]
#                                       on the running gateway: a new user with
#                                       these keys whose only permissions are the
#                                       IAM policy in POLICY_FILE (JSON)
#   scripts/rgw.sh remove-user UID [DIR]
#                                       remove a user made by policy-user
#
# DIR defaults to /tmp/sgbackup-rgw.  After start, DIR/env.sh exports the
# SG_TEST_S3_* settings and defines sg_aws / sg_aws_https (Debian's awscli
# against the gateway); DIR/ca.pem is the throwaway CA of the TLS port.
# Settings: SG_RGW_HTTP_PORT (7480), SG_RGW_HTTPS_PORT (7443),
# SG_RGW_MON_PORT (6789), SG_RGW_MEMSTORE_BYTES (6 GiB: objects live in the
# osd's memory), SG_RGW_TIMEOUT (120 s for the whole command).
# When started by root the daemons run as SG_RGW_USER (default: postgres if
# that user exists, else root) so that the tests can stop/start the gateway.
# The certificate names IP:127.0.0.1, localhost, *.localhost and, because
# OpenSSL and curl ignore that wildcard, sgbackup-test.localhost,
# sgbackup-test2.localhost and sgbackup-bench.localhost.

set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=scripts/lib.sh
. "$SCRIPT_DIR/lib.sh"

TIMEOUT=${SG_RGW_TIMEOUT:-120}
ACCESS_KEY=SGTESTACCESSKEY0001
SECRET_KEY='sgtest/secret+key/0123456789abcdefABCDEF'
BUCKET=sgbackup-test
REGION=us-east-1
MEMSTORE_BYTES=${SG_RGW_MEMSTORE_BYTES:-6442450944}
MARKER=.sgbackup-rgw
RGW_POOLS=".rgw.root default.rgw.log default.rgw.control default.rgw.meta
	default.rgw.buckets.index default.rgw.buckets.data default.rgw.buckets.non-ec"
T0=$(date +%s%3N)

# ----- paths and users ---------------------------------------------------

set_dir()
{
	DIR=${1:-/tmp/sgbackup-rgw}
	case "$DIR" in
		/*) ;;
		*) DIR="$PWD/$DIR" ;;
	esac
	DIR=${DIR%/}
	if [ -z "$DIR" ] || [ "$DIR" = /tmp ]; then
		die "refusing to use \"${1:-/}\" as the cluster folder"
	fi
	CONF=$DIR/ceph.conf
	export CEPH_CONF=$CONF
}

# decide which user runs the daemons (sets RUN_USER and DAEMON_ARGS)
set_user()
{
	DAEMON_ARGS=()
	if [ "$(id -u)" -ne 0 ]; then
		RUN_USER=$(id -un)
		return
	fi
	if [ -n "${SG_RGW_USER:-}" ]; then
		RUN_USER=$SG_RGW_USER
	elif [ "$CMD" != start ] && [ -s "$DIR/run-user" ]; then
		RUN_USER=$(cat "$DIR/run-user")
	elif id postgres >/dev/null 2>&1; then
		RUN_USER=postgres
	else
		RUN_USER=root
	fi
	id "$RUN_USER" >/dev/null 2>&1 || die "user \"$RUN_USER\" (SG_RGW_USER) does not exist"
	if [ "$RUN_USER" != root ]; then
		DAEMON_ARGS=(--setuser "$RUN_USER" --setgroup "$(id -gn "$RUN_USER")")
	fi
}

# ----- processes ---------------------------------------------------------

# pid_of NAME: print the pid of daemon NAME (mon.a, osd.0, client.rgw) of
# this DIR if it runs; the command line must name our ceph.conf
pid_of()
{
	local pidfile=$DIR/run/$1.pid pid
	[ -r "$pidfile" ] || return 1
	pid=$(cat "$pidfile" 2>/dev/null) || return 1
	[[ "$pid" =~ ^[0-9]+$ ]] || return 1
	[ -r "/proc/$pid/cmdline" ] || return 1
	tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "$CONF" || return 1
	echo "$pid"
}

# alive PID: true while PID runs (a zombie left to a slow init counts as gone)
alive()
{
	local stat
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	stat=${stat##*) }
	[ "${stat%% *}" != Z ]
}

# stop_daemon NAME [GRACE]: SIGTERM, wait up to GRACE s (default 5), then SIGKILL
stop_daemon()
{
	local name=$1 grace=${2:-5} pid i
	pid=$(pid_of "$name") || { rm -f "$DIR/run/$name.pid"; return 0; }
	kill -TERM "$pid" 2>/dev/null ||
		die "cannot signal $name (pid $pid, user $(stat -c %U "/proc/$pid")); run this as that user or as root"
	for ((i = 0; i < grace * 10; i++)); do
		alive "$pid" || break
		sleep 0.1
	done
	if alive "$pid"; then
		kill -KILL "$pid" 2>/dev/null || true
		for ((i = 0; i < 50; i++)); do
			alive "$pid" || break
			sleep 0.1
		done
	fi
	rm -f "$DIR/run/$name.pid"
}

# the data is throwaway (memstore would even write every object to disk on
# a clean shutdown), so every daemon is killed at once
stop_all()
{
	[ -f "$CONF" ] || return 0
	stop_daemon client.rgw 0
	stop_daemon osd.0 0
	stop_daemon mon.a 0
	rm -f "$DIR/pids"
}

write_pids()
{
	local name pid
	: >"$DIR/pids"
	for name in mon.a osd.0 client.rgw; do
		if pid=$(pid_of "$name"); then
			echo "$name $pid" >>"$DIR/pids"
		fi
	done
	chmod 644 "$DIR/pids"
}

# ----- failure reports ---------------------------------------------------

dump_logs()
{
	local f
	for f in "$DIR"/log/*.log; do
		[ -s "$f" ] || continue
		echo "----- last lines of $f -----" >&2
		tail -n 25 "$f" >&2
	done
}

# fail TEXT...: report, show the logs; a failed start leaves no daemon behind
fail()
{
	printf '%s: error: %s\n' "${0##*/}" "$*" >&2
	dump_logs
	if [ "${STARTING:-0}" = 1 ]; then
		stop_all
	fi
	exit 1
}

# left: seconds left before the deadline of this command (at least 1)
left()
{
	local s=$(( TIMEOUT - ($(now_ms) - T0) / 1000 ))
	[ "$s" -ge 1 ] || s=1
	echo "$s"
}

# step TEXT: note in DIR/log/setup.log how long start has taken so far
step()
{
	echo "=== +$(( $(now_ms) - T0 )) ms: $*" 2>/dev/null >>"$DIR/log/setup.log" || true
}

# ----- files -------------------------------------------------------------

make_certs()
{
	local t=$DIR/tls
	mkdir -p "$t"
	openssl req -x509 -newkey rsa:2048 -nodes -days 3650 \
		-keyout "$t/ca.key" -out "$DIR/ca.pem" -subj "/CN=sgbackup test CA" \
		-addext "basicConstraints=critical,CA:TRUE" \
		-addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null ||
		die "openssl could not create the test CA"
	# OpenSSL and curl ignore a wildcard right under a top-level name such
	# as *.localhost, so the test bucket names are listed as well
	cat >"$t/server.ext" <<EOF
basicConstraints = CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1, DNS:localhost, DNS:*.localhost, DNS:$BUCKET.localhost, DNS:sgbackup-test2.localhost, DNS:sgbackup-bench.localhost
EOF
	openssl req -newkey rsa:2048 -nodes -keyout "$t/server.key" \
		-out "$t/server.csr" -subj "/CN=localhost" 2>/dev/null ||
		die "openssl could not create the server key"
	openssl x509 -req -in "$t/server.csr" -CA "$DIR/ca.pem" -CAkey "$t/ca.key" \
		-CAcreateserial -CAserial "$t/ca.srl" -days 3650 -extfile "$t/server.ext" \
		-out "$t/server.pem" 2>/dev/null ||
		die "openssl could not create the server certificate"
	chmod 644 "$DIR/ca.pem" "$t/server.pem"
	chmod 600 "$t/ca.key" "$t/server.key"
}

write_conf()
{
	local fsid
	fsid=$(cat /proc/sys/kernel/random/uuid)
	cat >"$CONF" <<EOF
# generated by scripts/rgw.sh: a one-host test cluster, everything under $DIR
[global]
fsid = $fsid
mon host = v1:127.0.0.1:$MON_PORT
public addr = 127.0.0.1
cluster addr = 127.0.0.1
ms bind msgr2 = false
ms bind ipv6 = false
ms bind port min = 6800
ms bind port max = 7100
auth cluster required = none
auth service required = none
auth client required = none
keyring = $DIR/keyring
run dir = $DIR/run
pid file = $DIR/run/\$name.pid
admin socket = $DIR/run/\$name.asok
log file = $DIR/log/\$name.log
mon cluster log file = $DIR/log/cluster.log
crash dir = $DIR/crash
log to stderr = false
err to stderr = true
osd objectstore = memstore
memstore device bytes = $MEMSTORE_BYTES
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
mon allow pool size one = true
mon warn on pool no redundancy = false
osd crush chooseleaf type = 0
osd crush update on start = false
osd class update on start = false
mon osd full ratio = 0.97
mon osd backfillfull ratio = 0.96
mon osd nearfull ratio = 0.95
osd failsafe full ratio = 0.98
mon data avail crit = 0
mon data avail warn = 0
paxos propose interval = 0.05
paxos min wait = 0.01

[mon]
mon data = $DIR/mon/\$id

[osd]
osd data = $DIR/osd/\$id

[client.rgw]
rgw frontends = beast endpoint=127.0.0.1:$HTTP_PORT ssl_endpoint=127.0.0.1:$HTTPS_PORT ssl_certificate=$DIR/tls/server.pem ssl_private_key=$DIR/tls/server.key
rgw dns name = localhost
rgw data = $DIR/rgw
rgw dynamic resharding = false
rgw gc obj min wait = 30
rgw gc processor period = 30
rgw s3 auth use sts = true
rgw sts key = sgtestsgteststs1
EOF
	chmod 644 "$CONF"
}

write_env()
{
	cat >"$DIR/env.sh" <<EOF
# generated by scripts/rgw.sh: settings of the test S3 server in $DIR
export SG_TEST_RGW_DIR='$DIR'
export SG_TEST_S3_HTTP='http://127.0.0.1:$HTTP_PORT'
export SG_TEST_S3_HTTPS='https://127.0.0.1:$HTTPS_PORT'
export SG_TEST_S3_HTTP_VHOST='http://$BUCKET.localhost:$HTTP_PORT'
export SG_TEST_S3_HTTPS_VHOST='https://$BUCKET.localhost:$HTTPS_PORT'
export SG_TEST_S3_CA_FILE='$DIR/ca.pem'
export SG_TEST_S3_BUCKET='$BUCKET'
export SG_TEST_S3_ACCESS_KEY='$ACCESS_KEY'
export SG_TEST_S3_SECRET_KEY='$SECRET_KEY'
export SG_TEST_S3_REGION='$REGION'

# sg_aws ARGS...: Debian's awscli against the gateway over plain HTTP
sg_aws()
{
	AWS_ACCESS_KEY_ID="\$SG_TEST_S3_ACCESS_KEY" \\
	AWS_SECRET_ACCESS_KEY="\$SG_TEST_S3_SECRET_KEY" \\
	AWS_DEFAULT_REGION="\$SG_TEST_S3_REGION" \\
	AWS_REQUEST_CHECKSUM_CALCULATION=when_required \\
	AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null \\
	/usr/bin/aws --endpoint-url "\$SG_TEST_S3_HTTP" "\$@"
}

# sg_aws_https ARGS...: the same over TLS, trusting the test CA
sg_aws_https()
{
	AWS_ACCESS_KEY_ID="\$SG_TEST_S3_ACCESS_KEY" \\
	AWS_SECRET_ACCESS_KEY="\$SG_TEST_S3_SECRET_KEY" \\
	AWS_DEFAULT_REGION="\$SG_TEST_S3_REGION" \\
	AWS_REQUEST_CHECKSUM_CALCULATION=when_required \\
	AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null \\
	/usr/bin/aws --endpoint-url "\$SG_TEST_S3_HTTPS" \\
		--ca-bundle "\$SG_TEST_S3_CA_FILE" "\$@"
}
EOF
	chmod 644 "$DIR/env.sh"
}

# ----- steps -------------------------------------------------------------

# s3_request METHOD URL [CURL ARGS...]: request signed with the test keys
s3_request()
{
	local method=$1 url=$2
	shift 2
	curl -sS -f --max-time 10 -X "$method" --cacert "$DIR/ca.pem" \
		--aws-sigv4 "aws:amz:$REGION:s3" --user "$ACCESS_KEY:$SECRET_KEY" \
		-H "x-amz-content-sha256: UNSIGNED-PAYLOAD" "$@" "$url"
}

start_mon()
{
	step "mon mkfs"
	monmaptool --create --clobber --fsid "$(awk '$1 == "fsid" {print $3}' "$CONF")" \
		--addv a "[v1:127.0.0.1:$MON_PORT]" "$DIR/monmap" >/dev/null ||
		fail "monmaptool failed"
	timeout "$(left)" ceph-mon -c "$CONF" --mkfs -i a --monmap "$DIR/monmap" "${DAEMON_ARGS[@]}" \
		>>"$DIR/log/setup.log" 2>&1 || fail "ceph-mon --mkfs failed"
	step "mon start"
	timeout "$(left)" ceph-mon -c "$CONF" -i a "${DAEMON_ARGS[@]}" >>"$DIR/log/setup.log" 2>&1 ||
		fail "ceph-mon did not start"
}

# mon_commands JSON...: run monitor commands in one librados client (the
# ceph command line would start a python process per command)
mon_commands()
{
	timeout "$(left)" /usr/bin/python3 - "$CONF" "$@" <<'PYEOF'
import sys, time, rados
cluster = rados.Rados(conffile=sys.argv[1], name="client.admin")
cluster.connect(timeout=30)
for cmd in sys.argv[2:]:
    # right after connecting, without authentication, the client may not
    # know the cluster id yet and the monitor answers "wrong fsid"
    for attempt in range(100):
        ret, out, err = cluster.mon_command(cmd, b"")
        if ret != -1 or "wrong fsid" not in err:
            break
        time.sleep(0.05)
    if ret != 0:
        sys.exit("%s: %s (%d)" % (cmd, err, ret))
    sys.stdout.write(out.decode())
cluster.shutdown()
PYEOF
}

start_osd()
{
	local uuid
	uuid=$(cat /proc/sys/kernel/random/uuid)
	# the osd is put in the crush map here: done by the osd itself at start,
	# it races with the monitor map and can fail with "wrong fsid"
	local cmds=(
		"{\"prefix\": \"osd new\", \"uuid\": \"$uuid\", \"id\": 0}"
		'{"prefix": "osd crush add", "id": 0, "weight": 1.0, "args": ["root=default"]}'
	)
	local pool
	# the gateway would create its pools one by one, waiting for each
	for pool in $RGW_POOLS; do
		cmds+=("{\"prefix\": \"osd pool create\", \"pool\": \"$pool\", \"pg_num\": 8, \"pgp_num\": 8}"
			"{\"prefix\": \"osd pool application enable\", \"pool\": \"$pool\", \"app\": \"rgw\"}")
	done
	mon_commands "${cmds[@]}" >>"$DIR/log/setup.log" 2>&1 &
	mkdir -p "$DIR/osd/0"
	chown_dir
	timeout "$(left)" ceph-osd -c "$CONF" -i 0 --mkfs --osd-uuid "$uuid" "${DAEMON_ARGS[@]}" \
		>>"$DIR/log/setup.log" 2>&1 || fail "ceph-osd --mkfs failed"
	wait $! || fail "the monitor did not accept the new osd"
	step "osd start"
	timeout "$(left)" ceph-osd -c "$CONF" -i 0 "${DAEMON_ARGS[@]}" >>"$DIR/log/setup.log" 2>&1 ||
		fail "ceph-osd did not start"
}

# rgw_admin ARGS...: radosgw-admin on this cluster, output to the setup log
rgw_admin()
{
	timeout "$(left)" radosgw-admin -c "$CONF" -n client.rgw "$@" \
		>>"$DIR/log/setup.log" 2>&1
}

# zone set-up and user, done with radosgw-admin before the gateway starts
setup_zone()
{
	local sc

	step "user create"
	rgw_admin user create --uid=sgtest --display-name="sgbackup tests" \
		--access-key="$ACCESS_KEY" --secret-key="$SECRET_KEY" ||
		fail "radosgw-admin could not create the test user"
	step "caps add"
	rgw_admin caps add --uid=sgtest \
		--caps="oidc-provider=*;roles=*;user-policy=*" ||
		fail "radosgw-admin could not give caps to the test user"
	# the default zone and zonegroup exist once radosgw-admin has created a user
	for sc in STANDARD_IA REDUCED_REDUNDANCY; do
		step "zonegroup placement $sc"
		rgw_admin zonegroup placement add --rgw-zonegroup default \
			--placement-id default-placement --storage-class "$sc" ||
			fail "radosgw-admin could not add storage class $sc to the zonegroup"
		step "zone placement $sc"
		rgw_admin zone placement add --rgw-zone default \
			--placement-id default-placement --storage-class "$sc" \
			--data-pool default.rgw.buckets.data ||
			fail "radosgw-admin could not add storage class $sc to the zone"
	done
}

# start radosgw and wait until it answers a signed request
gateway_up()
{
	[ -f "$CONF" ] || die "no cluster in $DIR (run: $0 start $DIR)"
	if pid_of client.rgw >/dev/null; then
		return 0
	fi
	pid_of osd.0 >/dev/null || die "the cluster in $DIR is not running (run: $0 start $DIR)"
	port_open "$HTTP_PORT" && die "port 127.0.0.1:$HTTP_PORT is already in use"
	port_open "$HTTPS_PORT" && die "port 127.0.0.1:$HTTPS_PORT is already in use"
	mkdir -p "$DIR/rgw"
	chown_dir
	step "radosgw start"
	timeout "$(left)" radosgw -c "$CONF" -n client.rgw "${DAEMON_ARGS[@]}" >>"$DIR/log/setup.log" 2>&1 ||
		fail "radosgw did not start"
	wait_until "$(left)" "radosgw on 127.0.0.1:$HTTP_PORT" \
		s3_request GET "http://127.0.0.1:$HTTP_PORT/" -o /dev/null ||
		fail "the gateway does not answer signed requests on 127.0.0.1:$HTTP_PORT"
	step "http answers"
	wait_until "$(left)" "radosgw on 127.0.0.1:$HTTPS_PORT" \
		s3_request GET "https://127.0.0.1:$HTTPS_PORT/" -o /dev/null ||
		fail "the gateway does not answer signed requests on 127.0.0.1:$HTTPS_PORT"
	step "https answers"
	write_pids
}

chown_dir()
{
	if [ "$(id -u)" -eq 0 ] && [ "$RUN_USER" != root ]; then
		chown -R "$RUN_USER:" "$DIR"
	fi
}

# read the ports back from an existing ceph.conf
load_ports()
{
	HTTP_PORT=${SG_RGW_HTTP_PORT:-7480}
	HTTPS_PORT=${SG_RGW_HTTPS_PORT:-7443}
	MON_PORT=${SG_RGW_MON_PORT:-6789}
	[ -f "$CONF" ] || return 0
	HTTP_PORT=$(sed -n 's/^rgw frontends = beast endpoint=127\.0\.0\.1:\([0-9]*\) .*/\1/p' "$CONF")
	HTTPS_PORT=$(sed -n 's/^rgw frontends = .*ssl_endpoint=127\.0\.0\.1:\([0-9]*\) .*/\1/p' "$CONF")
	MON_PORT=$(sed -n 's/^mon host = v1:127\.0\.0\.1:\([0-9]*\)$/\1/p' "$CONF")
}

# ----- commands ----------------------------------------------------------

cmd_start()
{
	local p
	T0=$(now_ms)
	STARTING=1
	if [ -e "$DIR" ]; then
		[ -d "$DIR" ] || die "$DIR exists and is not a folder"
		if [ -n "$(ls -A "$DIR")" ] && [ ! -e "$DIR/$MARKER" ]; then
			die "$DIR is not empty and was not made by $0; refusing to use it"
		fi
		stop_all
		rm -rf "$DIR"
	fi
	HTTP_PORT=${SG_RGW_HTTP_PORT:-7480}
	HTTPS_PORT=${SG_RGW_HTTPS_PORT:-7443}
	MON_PORT=${SG_RGW_MON_PORT:-6789}
	for p in "$MON_PORT" "$HTTP_PORT" "$HTTPS_PORT"; do
		port_open "$p" && die "port 127.0.0.1:$p is already in use (another cluster running?)"
	done
	mkdir -p "$DIR"/{run,log,mon/a,osd,crash,rgw}
	chmod 755 "$DIR"
	touch "$DIR/$MARKER" "$DIR/keyring"
	echo "$RUN_USER" >"$DIR/run-user"
	make_certs
	write_conf
	chown_dir
	msg "starting ceph mon and osd (memstore, $MEMSTORE_BYTES bytes) in $DIR"
	start_mon
	start_osd
	setup_zone
	msg "starting radosgw on 127.0.0.1:$HTTP_PORT (http) and 127.0.0.1:$HTTPS_PORT (https)"
	gateway_up
	s3_request PUT "http://127.0.0.1:$HTTP_PORT/$BUCKET" -o /dev/null ||
		fail "could not create bucket $BUCKET"
	step "bucket created"
	write_env
	chown_dir
	step "ready"
	msg "ready in $(( $(now_ms) - T0 )) ms; settings: . $DIR/env.sh"
}

cmd_stop_gateway()
{
	[ -f "$CONF" ] || return 0
	stop_daemon client.rgw 10
	wait_until 10 "port $HTTP_PORT to close" eval "! port_open $HTTP_PORT" ||
		die "port 127.0.0.1:$HTTP_PORT is still open"
	write_pids
}

# check_ok TEXT COMMAND...: run COMMAND quietly, report and count a failure
check_ok()
{
	local what=$1
	shift
	if "$@" >/dev/null 2>&1; then
		echo "ok - $what"
	else
		echo "not ok - $what"
		FAILED=$((FAILED + 1))
	fi
}

check_not()
{
	local what=$1
	shift
	if "$@" >/dev/null 2>&1; then
		echo "not ok - $what"
		FAILED=$((FAILED + 1))
	else
		echo "ok - $what"
	fi
}

# radosgw-admin on a running cluster: as client.admin with no admin socket
# and no log file, so that nothing of the running gateway's is touched
live_admin()
{
	timeout "$(left)" radosgw-admin -c "$CONF" -n client.admin --admin-socket= \
		--log-file=/dev/null "$@"
}

# a gateway user whose permissions are exactly an IAM user policy: the
# gateway enforces policies set with PutUserPolicy, which the test user may
# call (caps user-policy=*); the bucket belongs to the test user, so the
# new user may do only what the policy allows
cmd_policy_user()
{
	local uid=$1 key=$2 secret=$3 policy=$4
	[ -r "$DIR/env.sh" ] || die "no gateway in $DIR (run: $0 start $DIR)"
	[ -r "$policy" ] || die "cannot read the policy file \"$policy\""
	# shellcheck source=/dev/null
	. "$DIR/env.sh"
	live_admin user info --uid="$uid" >/dev/null 2>&1 &&
		die "gateway user \"$uid\" already exists (remove it with: $0 remove-user $uid $DIR)"
	live_admin user create --uid="$uid" --display-name="sgbackup test user $uid" \
		--access-key="$key" --secret-key="$secret" >/dev/null ||
		die "radosgw-admin could not create gateway user \"$uid\""
	if ! sg_aws iam put-user-policy --user-name "$uid" --policy-name "$uid-policy" \
		--policy-document "file://$policy" >/dev/null; then
		live_admin user rm --uid="$uid" >/dev/null 2>&1 || true
		die "the gateway refused the policy of user \"$uid\""
	fi
}

cmd_remove_user()
{
	local uid=$1
	[ "$uid" != sgtest ] || die "refusing to remove the test user sgtest"
	live_admin user rm --uid="$uid" >/dev/null ||
		die "radosgw-admin could not remove gateway user \"$uid\""
}

# end-to-end check of a running gateway with curl and Debian's awscli
cmd_check()
{
	local tmp key http=http://127.0.0.1:$HTTP_PORT https=https://127.0.0.1:$HTTPS_PORT
	[ -r "$DIR/env.sh" ] || die "no gateway in $DIR (run: $0 start $DIR)"
	# shellcheck source=/dev/null
	. "$DIR/env.sh"
	FAILED=0
	tmp=$(mktemp -d)
	key=check-$$-$RANDOM
	head -c 20000000 /dev/urandom >"$tmp/big"
	echo "hello from rgw.sh check" >"$tmp/small"
	check_ok "put over http (awscli)" sg_aws s3 cp "$tmp/small" "s3://$BUCKET/$key/small"
	check_ok "multipart put over https (awscli)" sg_aws_https s3 cp "$tmp/big" "s3://$BUCKET/$key/big"
	check_ok "get over https (awscli)" sg_aws_https s3 cp "s3://$BUCKET/$key/big" "$tmp/big.back"
	check_ok "same bytes back" cmp "$tmp/big" "$tmp/big.back"
	check_ok "list over http (awscli)" eval "sg_aws s3api list-objects-v2 --bucket $BUCKET --prefix $key/ --query 'Contents[].Key' --output text | grep -q small"
	check_ok "path style over https (curl)" eval "s3_request GET $https/$BUCKET/$key/small | grep -q hello"
	check_ok "virtual-hosted style over http (curl)" eval "s3_request GET http://$BUCKET.localhost:$HTTP_PORT/$key/small | grep -q hello"
	check_ok "virtual-hosted style over https (curl)" eval "s3_request GET https://$BUCKET.localhost:$HTTPS_PORT/$key/small | grep -q hello"
	check_not "wrong secret refused" curl -sS -f --max-time 10 \
		--aws-sigv4 "aws:amz:$REGION:s3" --user "$ACCESS_KEY:wrong$SECRET_KEY" \
		-H "x-amz-content-sha256: UNSIGNED-PAYLOAD" "$http/$BUCKET/$key/small"
	check_not "unsigned request refused" curl -sS -f --max-time 10 "$http/$BUCKET/$key/small"
	check_not "untrusted certificate refused" curl -sS -f --max-time 10 --cacert /etc/ssl/certs/ca-certificates.crt "$https/"
	check_ok "put with STANDARD_IA" sg_aws s3api put-object --bucket "$BUCKET" --key "$key/ia" \
		--body "$tmp/small" --storage-class STANDARD_IA
	check_ok "head says STANDARD_IA" eval "sg_aws s3api head-object --bucket $BUCKET --key $key/ia --query StorageClass --output text | grep -qx STANDARD_IA"
	check_ok "put with REDUCED_REDUNDANCY" sg_aws s3api put-object --bucket "$BUCKET" --key "$key/rr" \
		--body "$tmp/small" --storage-class REDUCED_REDUNDANCY
	check_not "unknown storage class refused" s3_request PUT "$http/$BUCKET/$key/glacier" \
		-H "x-amz-storage-class: GLACIER" --data-binary @"$tmp/small"
	check_ok "region 'default' accepted too" curl -sS -f --max-time 10 \
		--aws-sigv4 "aws:amz:default:s3" --user "$ACCESS_KEY:$SECRET_KEY" \
		-H "x-amz-content-sha256: UNSIGNED-PAYLOAD" "$http/$BUCKET/$key/small"
	check_ok "delete (awscli)" sg_aws s3 rm --recursive "s3://$BUCKET/$key/"
	rm -rf "$tmp"
	[ "$FAILED" -eq 0 ] || die "$FAILED check(s) failed"
	echo "all checks passed"
}

cmd_clean()
{
	[ -e "$DIR" ] || return 0
	[ -e "$DIR/$MARKER" ] || die "$DIR was not made by $0; not removing it"
	stop_all
	rm -rf "$DIR"
}

usage()
{
	echo "usage: $0 start|stop|stop-gateway|start-gateway|status|check|clean [DIR]" >&2
	echo "       $0 policy-user UID ACCESS_KEY SECRET_KEY POLICY_FILE [DIR]" >&2
	echo "       $0 remove-user UID [DIR]" >&2
	exit 2
}

main()
{
	CMD=${1:-}
	[ $# -eq 0 ] || shift
	ARGS=()
	case "$CMD" in
		policy-user) [ $# -ge 4 ] || usage; ARGS=("$@"); ARGS=("${ARGS[@]:0:4}"); shift 4 ;;
		remove-user) [ $# -ge 1 ] || usage; ARGS=("$1"); shift ;;
	esac
	[ $# -le 1 ] || die "too many arguments"
	set_dir "${1:-}"
	set_user
	load_ports
	case "$CMD" in
		start) cmd_start ;;
		stop) stop_all ;;
		stop-gateway) cmd_stop_gateway ;;
		start-gateway) gateway_up ;;
		status)
			s3_request GET "http://127.0.0.1:$HTTP_PORT/" -o /dev/null 2>/dev/null ||
				die "the gateway of $DIR does not answer on 127.0.0.1:$HTTP_PORT"
			;;
		clean) cmd_clean ;;
		check) cmd_check ;;
		policy-user) cmd_policy_user "${ARGS[@]}" ;;
		remove-user) cmd_remove_user "${ARGS[@]}" ;;
		*) usage ;;
	esac
}

main "$@"
