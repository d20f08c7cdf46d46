# Shared shell helpers for the sgbackup scripts (sourced, never run).
# shellcheck shell=bash

# msg TEXT...: progress message on stderr, prefixed with the script name
msg()
{
	printf '%s: %s\n' "${0##*/}" "$*" >&2
}

# die TEXT...: error message on stderr, then exit 1
die()
{
	printf '%s: error: %s\n' "${0##*/}" "$*" >&2
	exit 1
}

# now_ms: milliseconds since the epoch
now_ms()
{
	date +%s%3N
}

# wait_until SECONDS DESCRIPTION COMMAND...: run COMMAND every 0.1 s until it
# succeeds; return 1 after SECONDS without success
wait_until()
{
	local limit=$1 what=$2 deadline
	shift 2
	deadline=$(( $(now_ms) + limit * 1000 ))
	while ! "$@" >/dev/null 2>&1; do
		if [ "$(now_ms)" -ge "$deadline" ]; then
			printf '%s: error: timed out after %s s waiting for %s\n' \
				"${0##*/}" "$limit" "$what" >&2
			return 1
		fi
		sleep 0.1
	done
	return 0
}

# port_open PORT: true if something accepts TCP connections on 127.0.0.1:PORT
port_open()
{
	(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# the folder of these scripts (scripts/), wherever the caller runs from
SG_SCRIPTS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SG_EXIT_HOOKS=()

# at_exit COMMAND: run the shell command line COMMAND when the script exits,
# whatever its outcome (success, failure, set -e, INT or TERM); the last
# registered runs first
at_exit()
{
	SG_EXIT_HOOKS=("$1" "${SG_EXIT_HOOKS[@]}")
	trap run_exit_hooks EXIT
	trap 'exit 1' INT TERM
}

run_exit_hooks()
{
	local rc=$? hook
	set +e
	for hook in "${SG_EXIT_HOOKS[@]}"; do
		eval "$hook"
	done
	return $rc
}

# start_gateway DIR: make sure the throwaway RADOS Gateway of DIR
# (scripts/rgw.sh) serves.  One that already answers is used as it is and
# left running; one this starts is stopped when the script exits, also on
# failure, unless SG_KEEP_SERVERS=1
start_gateway()
{
	local dir=$1
	if [ -f "$dir/env.sh" ] && bash "$SG_SCRIPTS/rgw.sh" status "$dir" >/dev/null 2>&1; then
		msg "using the gateway already running in $dir (left running)"
		return 0
	fi
	if [ "${SG_KEEP_SERVERS:-0}" = 1 ]; then
		msg "starting the test gateway in $dir (SG_KEEP_SERVERS=1: it keeps running; stop it with: bash $SG_SCRIPTS/rgw.sh stop $dir)"
	else
		msg "starting the test gateway in $dir (stopped on exit; SG_KEEP_SERVERS=1 keeps it)"
		at_exit "stop_gateway $(printf %q "$dir")"
	fi
	bash "$SG_SCRIPTS/rgw.sh" start "$dir" || die "could not start the gateway in $dir"
}

# stop_gateway DIR: stop every daemon of the gateway of DIR
stop_gateway()
{
	msg "stopping the test gateway in $1"
	bash "$SG_SCRIPTS/rgw.sh" stop "$1" || msg "could not stop the gateway in $1"
}

# write_gateway_storage DIR FILE NAME BUCKET_PATH: the SGObjectStorage NAME
# a StackGres user would have for the test gateway's BUCKET_PATH, in FILE,
# and its secret mounted the Kubernetes way (<dir>/<secret name>/<key>)
# under DIR/secrets; the gateway's settings come from its env.sh
write_gateway_storage()
{
	local dir=$1 file=$2 name=$3 bucket=$4 secret=$1/secrets/s3-backup-secret
	mkdir -p "$secret"
	printf '%s' "$SG_TEST_S3_ACCESS_KEY" >"$secret/accessKeyId"
	printf '%s' "$SG_TEST_S3_SECRET_KEY" >"$secret/secretAccessKey"
	cp "$SG_TEST_S3_CA_FILE" "$secret/ca.crt"
	cat >"$file" <<EOF
apiVersion: stackgres.io/v1beta1
kind: SGObjectStorage
metadata:
  name: $name
spec:
  type: s3Compatible
  s3Compatible:
    bucket: $bucket
    enablePathStyleAddressing: true
    endpoint: $SG_TEST_S3_HTTPS
    region: $SG_TEST_S3_REGION
    awsCredentials:
      secretKeySelectors:
        accessKeyId: {name: s3-backup-secret, key: accessKeyId}
        secretAccessKey: {name: s3-backup-secret, key: secretAccessKey}
        caCertificate: {name: s3-backup-secret, key: ca.crt}
EOF
}
