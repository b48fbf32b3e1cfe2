#!/usr/bin/env bash
# containerd 2.x with `ctr run --runtime io.containerd.runsc.v1`: the shim built from shim/
# (bin/containerd-shim-runsc-v1, with bin/runsc beside it) against a containerd started here
# with its root, state and sockets under a temporary directory.
#
# containerd and ctr are built from the Go module proxy (Debian's containerd 1.6 cannot read
# a v2 shim's bootstrap reply) into a cache directory, once per version: CONTAINERD_CACHE
# (default ~/.cache/stockade-containerd). The image is a static busybox rootfs packed here
# as an OCI image layout and imported with `ctr image import`.
#
# Each scenario prints one line: PASS, FAIL (with the reason), or PENDING (a known gap listed
# in the `pending` table below, whose failure does not fail the run; a pending scenario that
# passes is reported loudly so that the table gets trimmed). The closing line counts them.
# Cleanup is trap-based: containers, containerd, shims, sandboxes and mounts go away even
# when a scenario fails, and the end of the run checks that nothing the test started is left.
#
# Environment: RUNSC (default bin/runsc), SHIM (default bin/containerd-shim-runsc-v1),
# CONTAINERD_VERSION (default below), CONTAINERD_CACHE.
set -uo pipefail

repo="$(cd "$(dirname "$0")/../.." && pwd)"
log=containerd
RUNSC="${RUNSC:-$repo/bin/runsc}"
SHIM="${SHIM:-$repo/bin/containerd-shim-runsc-v1}"
version="${CONTAINERD_VERSION:-v2.2.1}"
# shellcheck source=lib.sh
. "$repo/test/integration/lib.sh"

# Known gaps: scenario -> reason.
pending=(
)

[[ -x "$RUNSC" ]] || { echo "containerd: $RUNSC not found (make build)" >&2; exit 1; }
[[ -x "$SHIM" ]] || { echo "containerd: $SHIM not found (make shim)" >&2; exit 1; }
command -v script >/dev/null || { echo "containerd: script (util-linux) not found" >&2; exit 1; }

containerd_build "$version"
ctr_bin="$ctrd_dir/ctr"

lib_start stk-containerd
sock="$tmp/containerd.sock"
# A namespace of our own: the shim gives runsc --root /run/containerd/runc/NAMESPACE (ctr
# passes no runtime options to a runtime other than runc's, so that root cannot be moved).
ns="stk-$(basename "$tmp" | tr -dc 'a-zA-Z0-9' | tail -c 8)"
runsc_root="/run/containerd/runc/$ns"
runsc_roots=("$runsc_root")
watch=("$runsc_root")
extra_dirs=("$runsc_root")
img=docker.io/stockade/busybox:latest

# The shim is found by containerd on its PATH: a directory holding only the shim and the
# runsc it runs (the shim prefers the runsc beside it).
mkdir -p "$tmp/bin"
ln -s "$SHIM" "$tmp/bin/containerd-shim-runsc-v1"

ctr() {
	"$ctr_bin" --address "$sock" --namespace "$ns" "$@"
}

# teardown (called by the cleanup while containerd still runs): tasks and containers.
teardown() {
	[[ -S "$sock" ]] || return 0
	local id
	for id in $(timeout 10 "$ctr_bin" --address "$sock" --namespace "$ns" tasks list -q 2>/dev/null); do
		timeout 10 "$ctr_bin" --address "$sock" --namespace "$ns" tasks kill -s KILL "$id" >/dev/null 2>&1
		timeout 10 "$ctr_bin" --address "$sock" --namespace "$ns" tasks delete -f "$id" >/dev/null 2>&1
	done
	for id in $(timeout 10 "$ctr_bin" --address "$sock" --namespace "$ns" containers list -q 2>/dev/null); do
		timeout 10 "$ctr_bin" --address "$sock" --namespace "$ns" containers delete "$id" >/dev/null 2>&1
	done
}

# --- containerd ---------------------------------------------------------------------------

cat >"$tmp/config.toml" <<TOML
version = 3
root = "$tmp/root"
state = "$tmp/state"
disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.cri.v1.images", "io.containerd.cri.v1.runtime"]
[grpc]
  address = "$sock"
[ttrpc]
  address = "$sock.ttrpc"
[debug]
  address = "$tmp/debug.sock"
TOML
containerd_start "$ctrd_dir/containerd" "$tmp/config.toml" "$sock" "$tmp/bin"
echo "containerd: $("$ctrd_dir/containerd" --version | awk '{print $3}') up, shim $SHIM, runsc $RUNSC"

snapshotter=native
overlay_works && snapshotter=overlayfs

# --- the image: a static busybox rootfs as an OCI image layout -----------------------------

busybox_rootfs "$tmp/image-rootfs"
oci_image "$tmp/image-rootfs" "$img" '{"Env":["PATH=/bin"],"Cmd":["sh"]}' "$tmp/image.tar"
out="$(ctr image import --snapshotter "$snapshotter" "$tmp/image.tar" 2>&1)" || {
	echo "containerd: ctr image import failed: $out"; exit 1; }
rm -rf "$tmp/image-rootfs" "$tmp/image.tar"
echo "containerd: image $img imported ($snapshotter snapshotter)"

# --- scenarios ----------------------------------------------------------------------------

# run IMG ID ARGS...: ctr run --rm with our runtime.
run() {
	timeout 60 "$ctr_bin" --address "$sock" --namespace "$ns" run --rm \
		--runtime io.containerd.runsc.v1 --snapshotter "$snapshotter" "$@"
}

# ctr's own warnings (containerd's cgroup v1 deprecation) go to stderr: outputs compared
# are stdout only, and stderr is shown on failure.
s_echo() {
	local out
	out="$(run "$img" echo echo hi 2>"$tmp/stderr")"
	expect "output" "$out" "hi" || { reason+=" (stderr: $(head -c 300 "$tmp/stderr"))"; return 1; }
}

# The container ran in the sandbox, not on the host kernel: the sentry's uname version.
s_sandboxed() {
	local out
	out="$(run "$img" uname uname -v 2>"$tmp/stderr")"
	expect "uname -v" "$out" "#1 SMP Stockade" || { reason+=" (stderr: $(head -c 300 "$tmp/stderr"))"; return 1; }
}

# A user namespace (ctr run --uidmap/--gidmap: containerd gives the container a copy of the
# snapshot chowned to the host ids, and config.json the mappings): the container sees its
# own ids on its files and in /proc/self/uid_map; the gofer runs as the mapped host root.
s_userns() {
	local out want
	out="$(run --uidmap 0:100000:65536 --gidmap 0:100000:65536 "$img" userns \
		sh -c 'cat /proc/self/uid_map /proc/self/gid_map; stat -c %u:%g /bin/busybox; id -u' 2>"$tmp/stderr")"
	want="$(printf '%10d %10d %10d\n' 0 100000 65536 0 100000 65536; printf '0:0\n0')"
	expect "output" "$out" "$want" || { reason+=" (stderr: $(head -c 300 "$tmp/stderr"))"; return 1; }
}

s_exit_code() {
	run "$img" exit3 sh -c 'exit 3' >/dev/null 2>&1
	expect "exit status" "$?" 3
}

# ctr -t under script(1) with stdin at EOF: the output starts with one or two echoed NULs
# ("^@"), with runc's shim too, so they are dropped before comparing.
s_tty() {
	local out
	out="$(TERM=xterm timeout 60 script -qec "$ctr_bin --address $sock --namespace $ns run --rm -t --runtime io.containerd.runsc.v1 --snapshotter $snapshotter $img tty sh -c 'tty; exit 4' 2>/dev/null; echo rc=\$?" /dev/null </dev/null 2>&1 | tr -d '\r' | sed 's/\^@//g')"
	grep -q '^/dev/pts/' <<<"$out" || { reason="output: $(head -c 300 <<<"$out" | tr '\n' ' ')"; return 1; }
	grep -q '^rc=4$' <<<"$out" || { reason="exit status with a tty: $(tail -1 <<<"$out")"; return 1; }
}

# A long-running container for the task calls: exec, ps, pause/resume, metrics, kill.
long=""
s_run_detached() {
	local out
	out="$(timeout 60 "$ctr_bin" --address "$sock" --namespace "$ns" run -d \
		--runtime io.containerd.runsc.v1 --snapshotter "$snapshotter" "$img" long \
		sh -c 'trap "exit 7" TERM; while true; do sleep 0.2; done' 2>&1)" || { reason="ctr run -d: $out"; return 1; }
	long=long
	expect "task status" "$(task_status long)" RUNNING
}

# task_status ID prints the STATUS column of `ctr task ls` for ID.
task_status() {
	ctr task ls 2>/dev/null | awk -v id="$1" '$1 == id {print $3}'
}

s_exec() {
	[[ -n "$long" ]] || { reason="no detached container"; return 1; }
	local out rc
	out="$(timeout 30 "$ctr_bin" --address "$sock" --namespace "$ns" task exec --exec-id e1 long sh -c 'echo inside; exit 5' 2>"$tmp/stderr")"
	rc=$?
	expect "exec output" "$out" inside || return 1
	expect "exec status" "$rc" 5
}

s_exec_tty() {
	[[ -n "$long" ]] || { reason="no detached container"; return 1; }
	local out
	out="$(TERM=xterm timeout 60 script -qec "$ctr_bin --address $sock --namespace $ns task exec -t --exec-id e2 long sh -c 'tty; exit 6' 2>$tmp/stderr; echo rc=\$?" /dev/null </dev/null 2>&1 | tr -d '\r' | sed 's/\^@//g')"
	grep -q '^/dev/pts/' <<<"$out" || { reason="output: $(head -c 300 <<<"$out" | tr '\n' ' ') (stderr: $(head -c 300 "$tmp/stderr"))"; return 1; }
	grep -q '^rc=6$' <<<"$out" || { reason="exit status with a tty: $(tail -1 <<<"$out")"; return 1; }
}

s_ps() {
	[[ -n "$long" ]] || { reason="no detached container"; return 1; }
	local out n
	out="$(timeout 30 "$ctr_bin" --address "$sock" --namespace "$ns" task ps long 2>&1)" || { reason="ctr task ps: $out"; return 1; }
	# A header line, then a line per process: sh, and maybe a sleep.
	n="$(tail -n +2 <<<"$out" | grep -c '[0-9]')"
	((n >= 1)) || { reason="ctr task ps: $(tr '\n' ' ' <<<"$out")"; return 1; }
}

s_pause() {
	[[ -n "$long" ]] || { reason="no detached container"; return 1; }
	local out
	out="$(ctr task pause long 2>&1)" || { reason="ctr task pause: $out"; return 1; }
	expect "status after pause" "$(task_status long)" PAUSED || return 1
	out="$(ctr task resume long 2>&1)" || { reason="ctr task resume: $out"; return 1; }
	expect "status after resume" "$(task_status long)" RUNNING
}

s_metrics() {
	[[ -n "$long" ]] || { reason="no detached container"; return 1; }
	local out
	out="$(timeout 30 "$ctr_bin" --address "$sock" --namespace "$ns" task metrics long 2>&1)" || { reason="ctr task metrics: $(tr '\n' ' ' <<<"$out")"; return 1; }
	grep -q 'memory' <<<"$out" || { reason="ctr task metrics: $(tr '\n' ' ' <<<"$out")"; return 1; }
}

# SIGTERM reaches init, whose trap exits 7: the status the task reports.
s_kill() {
	[[ -n "$long" ]] || { reason="no detached container"; return 1; }
	local out code
	out="$(ctr task kill long 2>&1)" || { reason="ctr task kill: $out"; return 1; }
	for _ in $(seq 50); do [[ "$(task_status long)" == STOPPED ]] && break; sleep 0.2; done
	expect "status after kill" "$(task_status long)" STOPPED || return 1
	# ctr task delete reports a non-zero exit status as a warning.
	out="$(ctr task delete long 2>&1)" || { reason="ctr task delete: $out"; return 1; }
	ctr container delete long >/dev/null 2>&1
	long=""
	code="$(sed -n 's/.*exit with non-zero exit code \([0-9]*\).*/\1/p' <<<"$out")"
	expect "exit status (ctr task delete: $out)" "$code" 7
}

# The shim's -info (ctr plugins inspect-runtime): containerd runs the shim with -info, which
# runs `runsc features`: the features document must be runsc's (its annotations), not the
# host runc's.
s_info() {
	local out
	out="$(timeout 30 "$ctr_bin" --address "$sock" plugins inspect-runtime --runtime io.containerd.runsc.v1 2>&1)" || {
		reason="ctr plugins inspect-runtime: $(head -c 300 <<<"$out" | tr '\n' ' ')"
		return 1
	}
	if ! grep -q '"dev.stockade.runsc.version"' <<<"$out" || ! grep -q '"ociVersionMax"' <<<"$out"; then
		reason="no runsc features document in: $(head -c 400 <<<"$out" | tr '\n' ' ')"
		return 1
	fi
}

# resized NAME CMD: runs CMD (a ctr ... -t whose process prints its terminal's size, then
# again on SIGWINCH before it exits) under script(1) on a 30x100 terminal; once the first
# size is out, that terminal is resized to 40x120 from outside, as a terminal window is:
# ctr gets SIGWINCH and resizes the task's pty through the shim (resize-pty), and the
# container's terminal must follow.
resized() {
	local out="$tmp/$1.out" pty="$tmp/$1.pty" cmd="$2" spid got
	TERM=xterm timeout 60 script -qfec "tty >$pty; stty rows 30 cols 100; $cmd 2>$tmp/stderr; echo rc=\$?" /dev/null </dev/null >"$out" 2>&1 &
	spid=$!
	for _ in $(seq 150); do grep -q '30 100' "$out" 2>/dev/null && break; sleep 0.1; done
	stty -F "$(cat "$pty")" rows 40 cols 120
	wait "$spid"
	got="$(tr -d '\r' <"$out" | sed 's/\^@//g')"
	grep -q '^30 100$' <<<"$got" || { reason="size at start: $(head -c 300 <<<"$got" | tr '\n' ' ') (stderr: $(head -c 200 "$tmp/stderr"))"; return 1; }
	grep -q '^40 120$' <<<"$got" || { reason="size after the resize: $(head -c 300 <<<"$got" | tr '\n' ' ')"; return 1; }
	grep -q '^rc=0$' <<<"$got" || { reason="exit status: $(tail -1 <<<"$got")"; return 1; }
}

# The size the process prints first is the one ctr sets after the start (it waits for it);
# the trap is set after, so that only the later resize ends it.
sizes="sleep 0.5; stty size; trap \"stty size; exit 0\" WINCH; while true; do sleep 0.1; done"

s_resize_pty() {
	resized resize-run "$ctr_bin --address $sock --namespace $ns run --rm -t --runtime io.containerd.runsc.v1 --snapshotter $snapshotter $img rz sh -c '$sizes'"
}

s_exec_resize_pty() {
	[[ -n "$long" ]] || { reason="no detached container"; return 1; }
	resized resize-exec "$ctr_bin --address $sock --namespace $ns task exec -t --exec-id e3 long sh -c '$sizes'"
}

# close-io: ctr closes the task's stdin (CloseIO) when its own ends, and cat, reading it,
# must see the end and exit. The input ends a second after the start: ctr only calls
# CloseIO for an end it reads once the task exists (it would miss an immediate one, with
# runc too). timeout -k: a cat that never ends, as init, ignores the SIGTERM ctr forwards.
s_close_io() {
	local out
	out="$( (sleep 1; printf 'one\ntwo\n') | timeout -k 5 30 "$ctr_bin" --address "$sock" --namespace "$ns" run --rm \
		--runtime io.containerd.runsc.v1 --snapshotter "$snapshotter" "$img" cio cat 2>"$tmp/stderr")"
	expect "cat's output" "$out" $'one\ntwo' || { reason+=" (stderr: $(head -c 300 "$tmp/stderr"))"; return 1; }
}

s_exec_close_io() {
	[[ -n "$long" ]] || { reason="no detached container"; return 1; }
	local out
	out="$( (sleep 1; printf 'three\n') | timeout -k 5 30 "$ctr_bin" --address "$sock" --namespace "$ns" task exec --exec-id e4 long cat 2>"$tmp/stderr")"
	expect "cat's output" "$out" three || { reason+=" (stderr: $(head -c 300 "$tmp/stderr"))"; return 1; }
}

scenario info s_info
scenario echo s_echo
scenario sandboxed s_sandboxed
scenario exit-code s_exit_code
scenario userns s_userns
scenario tty s_tty
scenario run-detached s_run_detached
scenario exec s_exec
scenario exec-tty s_exec_tty
scenario resize-pty s_resize_pty
scenario exec-resize-pty s_exec_resize_pty
scenario close-io s_close_io
scenario exec-close-io s_exec_close_io
scenario ps s_ps
scenario pause s_pause
scenario metrics s_metrics
scenario kill s_kill

summary
