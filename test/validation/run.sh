#!/usr/bin/env bash
# Runs the OCI runtime-tools validation suite against runsc (and against runc, for
# comparison, when it is installed) and prints the TAP counts.
#
# runtime-tools is fetched at a pinned version through the Go module proxy (no git: CI
# reaches only the proxy and Debian's mirrors), its validation programs and the in-container
# checker (runtimetest) are built, and each program runs with RUNTIME=<runtime> from a
# directory holding runtimetest and rootfs-amd64.tar.gz, a busybox rootfs this script builds
# from the host's static busybox. Each program has a timeout; containers it leaves behind
# are force-deleted before the next one runs.
#
# After the counts it lists every test runsc fails, by program and name, marked with
# whether runc fails it too. The run fails only when runsc's ok count drops below the floor recorded in
# test/validation/floor (a ratchet: raise it when runsc passes more).
#
# Environment: RUNSC (default bin/runsc), VALIDATION_RUNSC_FLAGS (global flags for runsc,
# default none: the default --overlay=root:memory keeps the container's root writes in
# memory, so the few tests that look for a file the container wrote in the bundle's rootfs
# fail; --overlay=none passes them), RUNC (default /usr/sbin/runc; "none" skips it),
# VALIDATION_TIMEOUT (seconds per program, default 30), VALIDATION_LOGS (directory for the
# full TAP output, default a temporary directory), VALIDATION_ONLY (space-separated program
# names to run, default all), VALIDATION_WRITE_THROUGH (programs run once more with
# --overlay=none, which must then pass every test runc passes: default "killsig start", the ones whose
# checks read a file the container wrote in its rootfs; "" skips this).
set -euo pipefail

RT_MODULE=github.com/opencontainers/runtime-tools
# The newest pseudo-version the proxy serves (runtime-tools has not tagged since v0.9.0).
RT_VERSION=v0.9.1-0.20250523060157-0ea5ed0382a2

repo="$(cd "$(dirname "$0")/../.." && pwd)"
RUNSC="${RUNSC:-$repo/bin/runsc}"
RUNC="${RUNC:-/usr/sbin/runc}"
timeout_s="${VALIDATION_TIMEOUT:-30}"
floor_file="$repo/test/validation/floor"

work="$(mktemp -d /tmp/stockade-validation.XXXXXX)"
logs="${VALIDATION_LOGS:-$work/logs}"
mkdir -p "$logs"
# The programs' bundles (ocitest*, which they do not always remove) go under $work, which
# a container's root mapped to another host uid (linux_uid_mappings, linux_ns_nopath) must
# be able to traverse under runc.
mkdir -p "$work/tmp"
chmod 711 "$work"
state_runsc="$work/state-runsc"
cleanup() {
	# Containers a program left behind (a timeout, a failed test) die with their state.
	if [[ -d "$state_runsc" ]]; then
		for id in $("$RUNSC" --root "$state_runsc" list -q 2>/dev/null); do
			"$RUNSC" --root "$state_runsc" delete --force "$id" >/dev/null 2>&1 || true
		done
	fi
	# A container run without a mount namespace (linux_ns_itype) has its proc, sysfs,
	# /dev and mqueue mounted in the host's namespace under its bundle, and runc leaves
	# them: unmount them (deepest first) before anything is removed through them.
	awk -v w="$work/" 'index($5, w) == 1 {print $5}' /proc/self/mountinfo | sort -r |
		while read -r m; do umount -l "$m" 2>/dev/null || true; done
	rm -rf "$work"
}
trap cleanup EXIT

[[ -x "$RUNSC" ]] || { echo "validation: $RUNSC not found (make build)" >&2; exit 1; }

echo "validation: fetching $RT_MODULE@$RT_VERSION through the Go module proxy"
src="$(GOFLAGS=-mod=mod go mod download -json "$RT_MODULE@$RT_VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
[[ -d "$src" ]] || { echo "validation: go mod download gave no directory" >&2; exit 1; }
# The module cache is read-only and the module zip has no vendor tree: build from a copy,
# resolving dependencies through the proxy.
cp -r "$src" "$work/src"
chmod -R u+w "$work/src"
rm -rf "$work/src/vendor"
bin="$work/bin"
mkdir -p "$bin"
echo "validation: building the validation programs and runtimetest"
(cd "$work/src" && CGO_ENABLED=0 GOFLAGS=-mod=mod go build -o "$bin/" ./validation/... ./cmd/runtimetest)

# The busybox rootfs every bundle starts from (PrepareBundle untars rootfs-$GOARCH.tar.gz
# from the current directory).
rootfs="$work/rootfs"
mkdir -p "$rootfs/bin" "$rootfs/etc" "$rootfs/proc" "$rootfs/sys" "$rootfs/dev" "$rootfs/tmp" "$rootfs/root"
cp /bin/busybox "$rootfs/bin/busybox"
for applet in $("$rootfs/bin/busybox" --list); do
	[[ -e "$rootfs/bin/$applet" ]] || ln -s busybox "$rootfs/bin/$applet"
done
echo 'root:x:0:0:root:/root:/bin/sh' >"$rootfs/etc/passwd"
echo 'root:x:0:' >"$rootfs/etc/group"
tar -C "$rootfs" -czf "$bin/rootfs-$(go env GOARCH).tar.gz" .

# runsc keeps its state in a directory of its own, so that cleaning up after a program
# never touches containers outside this run: RUNTIME is a wrapper adding --root.
mkdir -p "$state_runsc"
cat >"$work/runsc-wrapper" <<WRAP
#!/bin/sh
exec "$RUNSC" --root "$state_runsc" ${VALIDATION_RUNSC_FLAGS:-} "\$@"
WRAP
chmod +x "$work/runsc-wrapper"

programs=()
if [[ -n "${VALIDATION_ONLY:-}" ]]; then
	read -r -a programs <<<"$VALIDATION_ONLY"
else
	for p in "$bin"/*; do
		name="$(basename "$p")"
		case "$name" in runtimetest | rootfs-*) continue ;; esac
		programs+=("$name")
	done
fi

# run_suite NAME RUNTIME_CMD: runs every program with RUNTIME=RUNTIME_CMD; sets ok/notok.
run_suite() {
	local name="$1" runtime="$2"
	ok=0
	notok=0
	local skip=0
	mkdir -p "$logs/$name"
	for prog in "${programs[@]}"; do
		local log="$logs/$name/$prog.tap"
		local rc=0
		(cd "$bin" && RUNTIME="$runtime" TMPDIR="$work/tmp" timeout -k 5 "$timeout_s" "./$prog" >"$log" 2>&1) || rc=$?
		local o n s
		o=$(grep -c '^ok ' "$log" || true)
		n=$(grep -c '^not ok ' "$log" || true)
		s=$(grep -c '^ok .*# SKIP' "$log" || true)
		ok=$((ok + o))
		notok=$((notok + n))
		skip=$((skip + s))
		local note=""
		[[ $rc -eq 124 || $rc -eq 137 ]] && note=" (timed out after ${timeout_s}s)"
		printf '  %-18s %-40s ok %4d  not ok %3d%s\n' "$name" "$prog" "$o" "$n" "$note"
		if [[ "$name" == runsc* ]]; then
			for id in $("$RUNSC" --root "$state_runsc" list -q 2>/dev/null); do
				"$RUNSC" --root "$state_runsc" delete --force "$id" >/dev/null 2>&1 || true
			done
		fi
	done
	echo "validation: $name: $ok ok ($skip of them skipped), $notok not ok"
}

echo "validation: running ${#programs[@]} programs against runsc ($RUNSC), ${timeout_s}s each"
run_suite runsc "$work/runsc-wrapper"
runsc_ok=$ok
runsc_notok=$notok

have_runc=false
if [[ "$RUNC" != none && -x "$RUNC" ]]; then
	have_runc=true
	echo "validation: running the same programs against runc ($RUNC) for comparison"
	run_suite runc "$RUNC"
fi

# test_names SUITE PROG RESULT: the names of PROG's tests under SUITE with RESULT ("ok" or
# "not ok"), one a line.
test_names() {
	[[ -f "$logs/$1/$2.tap" ]] || return 0
	sed -n "s/^$3 [0-9]* - \{0,1\}//p" "$logs/$1/$2.tap" | sort -u
}
notok_names() { test_names "$1" "$2" "not ok"; }

# Every runsc failure by name, marked with runc's result for the same program and name
# ("runc fails too", "runc passes", or "runc has no result" when runc's run of the program
# never got that far), so that a CI log says what is left to fix.
echo "validation: runsc's not ok tests:"
for prog in "${programs[@]}"; do
	while IFS= read -r name; do
		mark=""
		if $have_runc; then
			if notok_names runc "$prog" | grep -qxF -- "$name"; then
				mark=" [runc fails too]"
			elif test_names runc "$prog" ok | grep -qxF -- "$name"; then
				mark=" [runc passes]"
			else
				mark=" [runc has no result]"
			fi
		fi
		n=$(sed -n 's/^not ok [0-9]* - \{0,1\}//p' "$logs/runsc/$prog.tap" | grep -cxF -- "$name" || true)
		[[ "$n" -gt 1 ]] && mark=" (x$n)$mark"
		echo "  not ok: $prog: ${name:-(unnamed)}$mark"
	done < <(notok_names runsc "$prog")
done

# The programs that fail only because the default overlay keeps the container's writes in
# memory pass when runsc writes through to the rootfs: run them so, and require every test
# runc passes to pass (runc's own failures may stay). killsig races with the container's
# shell (a signal that comes before its trap is set is ignored by an init, under runc as
# well: about one run in seven on a loaded machine), so a failing round is tried again, up
# to three rounds.
write_through_fail=false
read -r -a wt_programs <<<"${VALIDATION_WRITE_THROUGH-killsig start}"
if ((${#wt_programs[@]} > 0)); then
	cat >"$work/runsc-wrapper-none" <<WRAP
#!/bin/sh
exec "$RUNSC" --root "$state_runsc" ${VALIDATION_RUNSC_FLAGS:-} --overlay=none "\$@"
WRAP
	chmod +x "$work/runsc-wrapper-none"
	saved_programs=("${programs[@]}")
	programs=("${wt_programs[@]}")
	saved_ok=$ok saved_notok=$notok
	for round in 1 2 3; do
		echo "validation: running ${programs[*]} again against runsc --overlay=none (writes reach the rootfs), round $round"
		run_suite runsc-overlay-none "$work/runsc-wrapper-none"
		write_through_fail=false
		((ok == 0)) && write_through_fail=true
		for prog in "${programs[@]}"; do
			while IFS= read -r name; do
				[[ -z "$name" ]] && continue
				if $have_runc && notok_names runc "$prog" | grep -qxF -- "$name"; then
					echo "  not ok with --overlay=none: $prog: $name [runc fails too]"
				else
					echo "  not ok with --overlay=none: $prog: $name"
					write_through_fail=true
				fi
			done < <(notok_names runsc-overlay-none "$prog")
		done
		$write_through_fail || break
	done
	programs=("${saved_programs[@]}")
	ok=$saved_ok notok=$saved_notok
fi

if $have_runc; then
	echo "validation: summary: runsc $runsc_ok ok / $runsc_notok not ok; runc $ok ok / $notok not ok"
else
	echo "validation: summary: runsc $runsc_ok ok / $runsc_notok not ok (runc not installed)"
fi

floor=0
[[ -f "$floor_file" ]] && floor="$(tr -dc 0-9 <"$floor_file")"
if $write_through_fail; then
	echo "validation: FAIL: with --overlay=none, ${wt_programs[*]} must pass every test runc passes"
	exit 1
fi
if ((runsc_ok < floor)); then
	echo "validation: FAIL: runsc passes $runsc_ok, below the floor of $floor in test/validation/floor"
	exit 1
fi
if ((runsc_ok > floor)); then
	echo "validation: runsc passes $runsc_ok, above the floor of $floor: raise test/validation/floor"
fi
echo "validation: PASS (floor $floor)"
