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
