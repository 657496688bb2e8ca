#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# autogen.sh - prepare the build.
#
#   ./autogen.sh                  generate ./configure
#   ./autogen.sh --install-deps   first install the build dependencies,
#                                 and those of the tests and of make bench
#                                 (hyperfine, zstd)
#                                 (Debian/Ubuntu: apt-get, as root or via sudo)
set -eu
cd "$(dirname "$0")"

# The build, then what the tests use (each skipped where missing), then
# what make bench uses, then what .ci/run's Debian package step uses
# (debian/control's Build-Depends are the first two groups).
deps="build-essential autoconf automake libtool pkg-config libhivex-dev
libarchive-dev libwim-dev libxml2-dev ntfs-3g-dev libnbd-dev
libarchive-tools reglookup libregf-utils python3-hivex libwin-hivex-perl xz-utils
zstd bash-completion zsh jq time python3-jsonschema ntfs-3g qemu-utils
wimtools fdisk xorriso strace clang-format hyperfine
debhelper dpkg-dev lintian"

if [ "${1:-}" = "--install-deps" ]; then
	if ! command -v apt-get >/dev/null 2>&1; then
		echo "autogen.sh: no apt-get here; install by hand: $deps" >&2
		exit 1
	fi
	sudo=
	if [ "$(id -u)" != 0 ]; then
		sudo=sudo
	fi
	# shellcheck disable=SC2086
	$sudo apt-get update -qq
	# shellcheck disable=SC2086
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends $deps >/dev/null
fi

autoreconf --install --force
