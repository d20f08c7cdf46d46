#!/bin/bash
# Install, as root on Debian 12, every package needed to build sgbackup and
# run its tests and benchmarks.  Idempotent: when everything is already there
# it only checks with dpkg-query and returns at once.
#
#   scripts/install-deps.sh [EXTRA-PACKAGE...]

set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=scripts/lib.sh
. "$SCRIPT_DIR/lib.sh"

# building the extension and the program
BUILD_PACKAGES=(gcc make pkg-config
	postgresql-15 postgresql-server-dev-15 postgresql-client-15
	libcurl4-openssl-dev libssl-dev libyaml-dev libzstd-dev liblz4-dev libxml2-dev
	libjson-c-dev libpq-dev libarchive-dev)

# tests: TAP (perl), the local S3 server (scripts/rgw.sh), reference clients
TEST_PACKAGES=(perl libipc-run-perl
	ceph-mon ceph-osd ceph-mgr ceph-common radosgw python3-rados
	awscli python3-boto3 pgbackrest
	curl openssl zstd lz4 python3 ca-certificates coreutils procps iproute2)

# missing PACKAGE...: print, one a line, the packages that are not installed
missing()
{
	local installed
	installed=$(dpkg-query -W -f='${Package} ${Status}\n' "$@" 2>/dev/null |
		awk '$2 == "install" && $4 == "installed" {print $1}' || true)
	printf '%s\n' "$@" | grep -vxF -e "$installed" -e "" || true
}

main()
{
	local want=("${BUILD_PACKAGES[@]}" "${TEST_PACKAGES[@]}" "$@") todo
	mapfile -t todo < <(missing "${want[@]}")
	if [ ${#todo[@]} -eq 0 ]; then
		msg "all ${#want[@]} packages are installed"
		return 0
	fi
	[ "$(id -u)" -eq 0 ] || die "must run as root to install: ${todo[*]}"
	command -v apt-get >/dev/null || die "apt-get not found: this script is for Debian 12"
	msg "installing: ${todo[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q
	apt-get install -y -q --no-install-recommends "${todo[@]}"
	mapfile -t todo < <(missing "${want[@]}")
	[ ${#todo[@]} -eq 0 ] || die "still missing after apt-get: ${todo[*]}"
	msg "done"
}

main "$@"
