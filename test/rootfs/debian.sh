#!/usr/bin/env bash
# Builds (or reuses) a Debian rootfs tarball for the tests that run a real Debian
# userland in Stockade (test/oci's TestDebian*, test/integration/docker.sh): debootstrap
# --variant=minbase of the host's suite from the mirror the host's apt already uses, plus
# a few packages that exercise the sentry (python3, procps), and a uid 1000 user.
#
# Prints the tarball's path on stdout (progress goes to stderr). The tarball is cached in
# $STOCKADE_DEBIAN_CACHE (default ~/.cache/stockade-debian) under a name that hashes
# everything that shapes its content (suite, mirror, packages, this script), so a changed
# recipe builds a new one and an unchanged one is reused. Needs root and debootstrap.
set -euo pipefail

extra_packages="python3,procps"
cache="${STOCKADE_DEBIAN_CACHE:-${HOME:-/root}/.cache/stockade-debian}"

# The host's suite (codename), e.g. bookworm.
suite="$(. /etc/os-release && echo "${VERSION_CODENAME:-}")"
if [[ -z "$suite" ]]; then
	echo "debian.sh: no VERSION_CODENAME in /etc/os-release: not a Debian host?" >&2
	exit 1
fi

# The mirror apt uses for that suite: the first URI of a deb822 stanza (sources.list.d/
# *.sources) or of a one-line entry (sources.list, *.list) that lists the suite itself
# (not -security or -updates).
mirror() {
	local f
	for f in /etc/apt/sources.list.d/*.sources; do
		[[ -f "$f" ]] || continue
		awk -v suite="$suite" '
			function flush() { if (types ~ /(^| )deb( |$)/ && (" " suites " ") ~ (" " suite " ") && uri != "") { print uri; found = 1; exit } types = suites = uri = "" }
			/^[ \t]*$/ { flush(); next }
			/^Types:/ { sub(/^Types:[ \t]*/, ""); types = $0 }
			/^Suites:/ { sub(/^Suites:[ \t]*/, ""); suites = $0 }
			/^URIs:/ { sub(/^URIs:[ \t]*/, ""); split($0, u, /[ \t]+/); uri = u[1] }
			END { if (!found) flush() }' "$f"
	done
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[[ -f "$f" ]] || continue
		# deb [options] uri suite components...
		awk -v suite="$suite" '$1 == "deb" { i = 2; if ($i ~ /^\[/) { while ($i !~ /\]$/) i++; i++ } if ($(i+1) == suite) { print $i; exit } }' "$f"
	done
}
url="$(mirror | head -n1)"
if [[ -z "$url" ]]; then
	echo "debian.sh: no deb source for $suite in /etc/apt/sources.list*" >&2
	exit 1
fi

key="$( (echo "$suite $url $extra_packages"; cat "$0") | sha256sum | cut -c1-12)"
tarball="$cache/$suite-$key.tar"
if [[ -s "$tarball" ]]; then
	echo "$tarball"
	exit 0
fi

if ! command -v debootstrap >/dev/null; then
	echo "debian.sh: debootstrap not found: apt-get install -y debootstrap (.ci/run installs it)" >&2
	exit 1
fi
mkdir -p "$cache"
work="$(mktemp -d "$cache/build.XXXXXX")"
cleanup() {
	# debootstrap may leave /proc and /sys mounted in the target when it fails.
	for m in proc sys dev/pts; do
		umount "$work/root/$m" 2>/dev/null || true
	done
	rm -rf "$work"
}
trap cleanup EXIT

start=$(date +%s)
echo "debian.sh: debootstrap --variant=minbase $suite from $url (+$extra_packages)" >&2
debootstrap --variant=minbase --include="$extra_packages" "$suite" "$work/root" "$url" >&2
# A user for the tests that run as uid 1000 (process.user) and look it up (id, getent).
echo "tester:x:1000:1000:Stockade tester:/home/tester:/bin/bash" >>"$work/root/etc/passwd"
echo "tester:!:19000:0:99999:7:::" >>"$work/root/etc/shadow"
echo "tester:x:1000:" >>"$work/root/etc/group"
install -d -o 1000 -g 1000 -m 0755 "$work/root/home/tester"
# apt's downloaded .debs are not part of the image.
rm -rf "$work/root/var/cache/apt/archives/"*.deb "$work/root/var/lib/apt/lists/"*_Packages
tar --numeric-owner --xattrs -C "$work/root" -cf "$work/rootfs.tar" .
mv "$work/rootfs.tar" "$tarball"
echo "debian.sh: built $tarball in $(($(date +%s) - start))s ($(du -h "$tarball" | cut -f1))" >&2
echo "$tarball"
