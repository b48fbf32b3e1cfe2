#!/usr/bin/env bash
# Docker with --runtime=runsc, against real daemons: containerd and dockerd run with their
# state, sockets, bridge and daemon.json under a temporary directory, runsc is registered
# with `runsc install --config-file`, an image is imported from a busybox rootfs built here,
# and each scenario prints one line: PASS, FAIL (with the reason), or PENDING.
#
# PENDING scenarios need work that is not on main yet: they are listed, with the reason, in
# the one `pending` table below. Their failures do not fail the run; a pending scenario that
# passes is reported loudly so that the table gets trimmed.
#
# Cleanup is trap-based: containers, daemons, shims, sandboxes, mounts, the bridge and its
# veths go away even when a scenario fails, and the end of the run checks that nothing the
# test created is left (processes, mounts, veths, iptables rules). The userns-remap scenario
# starts a second dockerd (userns-remap=default), which adds the user dockremap and its
# subordinate ranges: the cleanup removes them if they were not there before, and the check
# requires /etc/passwd, group, shadow, gshadow, subuid, subgid (and their "-" backups) as
# they were.
#
# Environment: RUNSC (default bin/runsc), DOCKER_BENCH_RUNS (runs for the timing scenario,
# test/bench's `docker run --rm IMG true` row: default 10, at least 10; 0 skips it), ONLY
# (space-separated scenario names to run, default all; run-detached is what logs, exec, top
# and kill use; DOCKER_ONLY is the old name). The scenario, pending and cleanup machinery
# is lib.sh's.
set -uo pipefail

repo="$(cd "$(dirname "$0")/../.." && pwd)"
log=integration
RUNSC="${RUNSC:-$repo/bin/runsc}"
bench_runs="${DOCKER_BENCH_RUNS:-10}"
ONLY="${ONLY:-${DOCKER_ONLY:-}}"
# shellcheck source=lib.sh
. "$repo/test/integration/lib.sh"

# Scenarios waiting on other work: name -> reason.
pending=(
)

export DEBIAN_FRONTEND=noninteractive
if ! command -v dockerd >/dev/null || ! command -v containerd >/dev/null; then
	echo "integration: installing docker.io and containerd"
	apt-get update </dev/null >/dev/null
	apt-get install -y --no-install-recommends docker.io containerd </dev/null >/dev/null
fi
if ! command -v ip >/dev/null; then
	apt-get install -y --no-install-recommends iproute2 </dev/null >/dev/null
fi
# useradd, usermod, userdel, groupdel: dockerd's userns-remap=default makes its user with
# them, and the userns-remap scenario removes it.
if ! command -v usermod >/dev/null || ! command -v userdel >/dev/null; then
	apt-get install -y --no-install-recommends passwd </dev/null >/dev/null
fi
for tool in dockerd containerd containerd-shim-runc-v2 docker busybox ip script iptables-save useradd usermod userdel groupdel cmp; do
	command -v "$tool" >/dev/null || { echo "integration: $tool not found" >&2; exit 1; }
done
[[ -x "$RUNSC" ]] || { echo "integration: $RUNSC not found (make build)" >&2; exit 1; }

lib_start stk-docker
bridge="stk$(basename "$tmp" | tr -dc 'a-zA-Z0-9' | tail -c 8)"
bridges=("$bridge")
sock="$tmp/docker.sock"
ctrd_sock="$tmp/containerd/containerd.sock"
daemon_json="$tmp/daemon.json"
img=stockade-busybox
# Every docker command (also under timeout and script) talks to our dockerd.
export DOCKER_HOST="unix://$sock"
# dockerd gives every runtime the root EXEC-ROOT/runtime-runc (its default runtime's name).
runsc_roots=("$tmp/exec/runtime-runc/*")
dockerd_pid=""

# teardown (called by the cleanup while the daemons still run): every container, then
# dockerd before containerd.
teardown() {
	if [[ -S "$sock" ]] && [[ -n "$dockerd_pid" ]] && kill -0 "$dockerd_pid" 2>/dev/null; then
		local ids
		ids="$(timeout 20 docker ps -aq 2>/dev/null)"
		[[ -n "$ids" ]] && timeout 60 docker rm -f $ids >/dev/null 2>&1
	fi
	[[ -n "$dockerd_pid" ]] && stop_pid "$dockerd_pid"
	userns_dockerd_stop
	userns_restore
}

# --- daemons -------------------------------------------------------------------------------

mkdir -p "$tmp/containerd" "$tmp/docker" "$tmp/exec" "$tmp/rootfs" "$tmp/vol"
cat >"$tmp/containerd/config.toml" <<TOML
version = 2
root = "$tmp/containerd/root"
state = "$tmp/containerd/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "$ctrd_sock"
[ttrpc]
  address = "$ctrd_sock.ttrpc"
[debug]
  address = "$tmp/containerd/debug.sock"
TOML
containerd_start "$(command -v containerd)" "$tmp/containerd/config.toml" "$ctrd_sock"

# The default bridge network on a bridge of our own, so that nothing of the machine's is
# touched; no iptables rules and no ip_forward change (connectivity through the bridge is
# the network issue's).
ip link add "$bridge" type bridge
ip addr add 172.31.250.1/24 dev "$bridge"
ip link set "$bridge" up

echo '{"log-level": "warn"}' >"$daemon_json"
"$RUNSC" install --config-file "$daemon_json" >/dev/null || exit 1
"$RUNSC" install --runtime runsc-debug --config-file "$daemon_json" -- --debug --debug-log="$tmp/runsc-logs/" >/dev/null || exit 1

start_dockerd() {
	local driver="$1"
	dockerd --config-file "$daemon_json" -H "unix://$sock" --containerd "$ctrd_sock" \
		--data-root "$tmp/docker" --exec-root "$tmp/exec" --pidfile "$tmp/dockerd.pid" \
		--storage-driver "$driver" --exec-opt native.cgroupdriver=cgroupfs \
		--bridge "$bridge" --iptables=false --ip-forward=false --ip-masq=false \
		--userland-proxy=false >"$tmp/dockerd.log" 2>&1 &
	dockerd_pid=$!
	for _ in $(seq 150); do
		docker version >/dev/null 2>&1 && return 0
		kill -0 "$dockerd_pid" 2>/dev/null || break
		sleep 0.2
	done
	return 1
}
storage=overlay2
if ! start_dockerd overlay2; then
	echo "integration: dockerd with overlay2 failed; trying vfs:"
	tail -5 "$tmp/dockerd.log"
	kill -KILL "$dockerd_pid" 2>/dev/null
	wait "$dockerd_pid" 2>/dev/null
	storage=vfs
	start_dockerd vfs || { echo "integration: dockerd did not start:"; tail -20 "$tmp/dockerd.log"; exit 1; }
fi
echo "integration: dockerd $(docker version -f '{{.Server.Version}}') up ($storage storage, bridge $bridge), runtimes: $(docker info -f '{{range $k, $v := .Runtimes}}{{$k}} {{end}}')"

# The image: a static busybox rootfs.
busybox_rootfs "$tmp/rootfs"
tar -C "$tmp/rootfs" -c . | docker import -c 'ENV PATH=/bin' - "$img" >/dev/null || exit 1

# --- scenarios -----------------------------------------------------------------------------

# run is docker run with runsc, stderr merged into stdout, without the client's warning
# about ip_forward (left off on purpose: see the daemons above).
run() {
	timeout 60 docker run --runtime=runsc "$@" 2>&1 | grep -v '^WARNING: IPv4 forwarding is disabled'
	return "${PIPESTATUS[0]}"
}

s_echo() {
	local out
	out="$(run --rm "$img" echo hi 2>&1)"
	expect "output" "$out" "hi"
}

s_exit_code() {
	run --rm "$img" sh -c 'exit 3' >/dev/null 2>&1
	expect "exit status" "$?" 3
}

s_exit_signal() {
	# A shell killed by SIGKILL (its parent, init, reports 128+9 as its own status), and
	# init itself killed by SIGKILL from outside. The "; exit $?" keeps the outer shell from
	# exec'ing the inner one: as pid 1 the inner shell could not kill itself (init protection,
	# pid_namespaces(7); runc behaves the same).
	run --rm "$img" sh -c 'sh -c "kill -KILL \$\$"; exit $?' >/dev/null 2>&1
	expect "exit status of a shell whose child was SIGKILLed" "$?" 137 || return 1
	local id
	id="$(run -d "$img" sleep 1000)" || { reason="docker run -d failed"; return 1; }
	docker kill -s KILL "$id" >/dev/null
	local code
	code="$(timeout 30 docker wait "$id")"
	docker rm -f "$id" >/dev/null 2>&1
	expect "exit status of init killed by SIGKILL" "$code" 137
}

detached=""
s_run_detached() {
	detached="$(run -d "$img" sh -c 'echo started; echo to-stderr >&2; while true; do sleep 1; done' 2>&1)" || {
		reason="docker run -d: $detached"
		detached=""
		return 1
	}
	local st
	st="$(docker inspect -f '{{.State.Status}}' "$detached")"
	expect "state" "$st" running
}

s_logs() {
	[[ -n "$detached" ]] || { reason="no detached container"; return 1; }
	# stdout and stderr are separate streams: their relative order is not kept.
	local out
	for _ in $(seq 20); do
		out="$(docker logs "$detached" 2>&1 | sort | tr '\n' ' ')"
		[[ "$out" == "started to-stderr " ]] && return 0
		sleep 0.2
	done
	expect "docker logs (sorted)" "$out" "started to-stderr "
}

s_exec() {
	[[ -n "$detached" ]] || { reason="no detached container"; return 1; }
	local out
	out="$(timeout 30 docker exec "$detached" sh -c 'echo inside; exit 5' 2>&1)"
	local rc=$?
	expect "docker exec output" "$out" inside || return 1
	expect "docker exec status" "$rc" 5
}

# s_exec_tty: docker exec -it; as for docker run -it (s_tty), the client sends the size
# after the start (dockerd 20.10's API has no console size at exec), so stty waits a
# moment, as it must under runc too; the terminal echoes the client's NULs as "^@".
s_exec_tty() {
	[[ -n "$detached" ]] || { reason="no detached container"; return 1; }
	local out
	out="$(TERM=xterm timeout 30 script -qec "stty rows 24 cols 80; docker exec -it $detached sh -c 'tty; sleep 1; stty size; exit 7'; echo status=\$?" /dev/null </dev/null 2>&1 | tr -d '\r\0' | sed 's/\^@//g')"
	if ! grep -q '/dev/pts/[0-9]*$' <<<"$out" || ! grep -q '^24 80$' <<<"$out" || ! grep -q '^status=7$' <<<"$out"; then
		reason="want /dev/pts/N, '24 80' and status=7, got: $(head -c 300 <<<"$out" | tr '\n' ' ')"
		return 1
	fi
}

# s_top: docker top lists the host processes of `runsc ps --format json` (docs/docker.md):
# the sandbox (runsc ... boot), and the stubs running init (named sh) and its sleep (a new
# one every second: retried until one is caught).
s_top() {
	[[ -n "$detached" ]] || { reason="no detached container"; return 1; }
	local out
	for _ in $(seq 20); do
		out="$(timeout 30 docker top "$detached" 2>&1)"
		if grep -q ' boot .*--bundle' <<<"$out" && grep -q ' \[sh\]$' <<<"$out" && grep -q ' \[sleep\]$' <<<"$out"; then
			return 0
		fi
		sleep 0.2
	done
	reason="docker top: want the sandbox's, [sh]'s and [sleep]'s lines, got: $(head -c 600 <<<"$out" | tr '\n' ' ')"
	return 1
}

s_stop() {
	# SIGTERM honoured: init traps it and exits 0.
	local id out code
	id="$(run -d "$img" sh -c 'trap "exit 0" TERM; while true; do sleep 0.2; done')" || { reason="docker run -d failed"; return 1; }
	sleep 0.5
	out="$(timeout 30 docker stop -t 10 "$id" 2>&1)" || { reason="docker stop: $out"; docker rm -f "$id" >/dev/null 2>&1; return 1; }
	code="$(docker inspect -f '{{.State.ExitCode}}' "$id")"
	docker rm -f "$id" >/dev/null 2>&1
	expect "exit status after SIGTERM" "$code" 0 || return 1
	# SIGTERM ignored: SIGKILL after the 1 s grace period.
	id="$(run -d "$img" sh -c 'trap "" TERM; while true; do sleep 0.2; done')" || { reason="docker run -d failed"; return 1; }
	out="$(timeout 30 docker stop -t 1 "$id" 2>&1)" || { reason="docker stop: $out"; docker rm -f "$id" >/dev/null 2>&1; return 1; }
	code="$(docker inspect -f '{{.State.ExitCode}}' "$id")"
	docker rm -f "$id" >/dev/null 2>&1
	expect "exit status after the grace period" "$code" 137
}

s_kill() {
	[[ -n "$detached" ]] || { reason="no detached container"; return 1; }
	local out code
	out="$(timeout 30 docker kill "$detached" 2>&1)" || { reason="docker kill: $out"; return 1; }
	code="$(timeout 30 docker wait "$detached")"
	expect "exit status after docker kill" "$code" 137
}

s_rm_force() {
	local id out
	id="$(run -d "$img" sleep 1000)" || { reason="docker run -d failed"; return 1; }
	out="$(timeout 30 docker rm -f "$id" 2>&1)" || { reason="docker rm -f: $out"; return 1; }
	if docker inspect "$id" >/dev/null 2>&1; then
		reason="container still exists after docker rm -f"
		return 1
	fi
	if [[ -n "$detached" ]]; then
		docker rm -f "$detached" >/dev/null 2>&1
		detached=""
	fi
	# No sandbox of a removed container may be left.
	local n
	n="$(ls "$tmp"/exec/runtime-runsc/moby 2>/dev/null | wc -l)"
	expect "runsc containers left in its state directory" "$n" 0
}

# s_tty: docker run -it through a pty (script's, sized 24x80): the container's stdin is a
# terminal of its own and gets the client's size. Docker 20.10's client sends the size
# after the start (a resize), so stty waits a moment, as it would under runc too. The
# terminal echoes NUL bytes the client writes as "^@" before tty's output (runc's too).
s_tty() {
	local out
	out="$(TERM=xterm timeout 60 script -qec "stty rows 24 cols 80; docker run --rm -it --runtime=${TTY_RUNTIME:-runsc} $img sh -c 'tty; sleep 1; stty size; exit 6'; echo status=\$?" /dev/null </dev/null 2>&1 | tr -d '\r\0' | grep -v '^WARNING: IPv4')"
	if ! grep -q '/dev/pts/[0-9]*$' <<<"$out" || ! grep -q '^24 80$' <<<"$out" || ! grep -q '^status=6$' <<<"$out"; then
		reason="want /dev/pts/N, '24 80' and status=6, got: $(head -c 300 <<<"$out" | tr '\n' ' ')"
		return 1
	fi
}

s_volume() {
	local out
	out="$(run --rm -v "$tmp/vol:/data" "$img" sh -c 'echo from-container >/data/f; cat /data/seed' 2>&1)"
	expect "reading a host file" "$out" "" || true
	[[ -f "$tmp/vol/f" ]] || { reason="no $tmp/vol/f on the host (output: $out)"; return 1; }
	expect "host file" "$(cat "$tmp/vol/f")" from-container
}

s_read_only() {
	local out rc
	out="$(run --rm --read-only "$img" sh -c 'touch /x' 2>&1)"
	rc=$?
	[[ $rc -ne 0 ]] || { reason="touch /x succeeded on a read-only root"; return 1; }
	grep -q 'Read-only file system' <<<"$out" || { reason="error: $out"; return 1; }
	out="$(run --rm --read-only "$img" cat /etc/passwd 2>&1 | head -1)"
	expect "reading" "$out" "root:x:0:0:root:/root:/bin/sh"
}

s_user() {
	local out
	out="$(run --rm --user 1000:1000 "$img" sh -c 'echo $(id -u):$(id -g); touch /etc/x 2>/dev/null && echo wrote-etc' 2>&1)"
	expect "id" "$out" "1000:1000"
}

# cgroup_check NAME FLAGS FILE WANT: the container's init is in a cgroup whose FILE is WANT.
cgroup_check() {
	local ctl="$1" flags="$2" file="$3" want="$4"
	local id pid cg got
	id="$(run -d $flags "$img" sleep 1000 2>&1)" || { reason="docker run -d $flags: $id"; return 1; }
	pid="$(docker inspect -f '{{.State.Pid}}' "$id")"
	cg="$(awk -F: -v c="$ctl" '$2 == c {print $3}' "/proc/$pid/cgroup")"
	got="$(cat "/sys/fs/cgroup/$ctl$cg/$file" 2>/dev/null)"
	docker rm -f "$id" >/dev/null 2>&1
	expect "$ctl cgroup ${cg:-?} $file of init (pid $pid)" "$got" "$want"
}

# s_memory: the limit is in the container's cgroup, and enforced: sort, which holds its whole
# input (one 100 MB line) in memory, fails (runc: the OOM killer; runsc: the sentry's memory
# file is capped at the limit, so the allocation fails or faults), while a 16 MB dd works.
s_memory() {
	cgroup_check memory "--memory 64m" memory.limit_in_bytes 67108864 || return 1
	local out
	out="$(run --rm --memory 64m "$img" dd if=/dev/zero of=/dev/null bs=16M count=2 2>&1)" || {
		reason="dd bs=16M under --memory 64m failed: $out"
		return 1
	}
	out="$(run --rm --memory 64m "$img" sh -c 'head -c 100000000 /dev/zero | sort | wc -c' 2>&1)"
	[[ "$out" == 100000000 ]] && {
		reason="sorting 100 MB under --memory 64m succeeded"
		return 1
	}
	return 0
}

# s_pids_limit: a fork bomb is stopped (fork fails with EAGAIN: busybox says "can't fork",
# and its shell gives up) and the container exits; runsc enforces the limit in the sentry (docs/docker.md).
s_pids_limit() {
	local out
	out="$(run --rm --pids-limit 20 "$img" sh -c 'for i in $(seq 40); do sleep 3 & done; wait; echo end' 2>&1)"
	grep -q "can't fork" <<<"$out" || { reason="40 sleeps under --pids-limit 20: $(tail -c 300 <<<"$out" | tr '\n' ' ')"; return 1; }
	out="$(run --rm "$img" sh -c 'for i in $(seq 40); do sleep 1 & done; wait; echo end' 2>&1)"
	expect "40 sleeps without a limit" "$out" end
}

s_network_none() {
	local out
	out="$(run --rm --network=none "$img" echo ok 2>&1)"
	expect "output" "$out" ok
}

s_bridge() {
	local id ip out
	id="$(run -d --network=bridge "$img" sleep 1000 2>&1)" || { reason="docker run -d: $id"; return 1; }
	ip="$(docker inspect -f '{{.NetworkSettings.IPAddress}}' "$id")"
	out="$(docker inspect -f '{{.State.Status}}' "$id")"
	docker rm -f "$id" >/dev/null 2>&1
	expect "state" "$out" running || return 1
	[[ "$ip" == 172.31.250.* ]] || { reason="IP address on the bridge: '$ip'"; return 1; }
}

# A Debian userland: the rootfs test/rootfs/debian.sh builds (cached) imported as an image;
# dpkg, apt, python3 and procps under runsc print what they print under runc.
s_debian() {
	local tarball script out want
	tarball="$("$repo/test/rootfs/debian.sh")" || { reason="test/rootfs/debian.sh failed"; return 1; }
	docker import -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
		"$tarball" stockade-debian >/dev/null || { reason="docker import $tarball failed"; return 1; }
	script='dpkg -l | wc -l; dpkg --status bash | grep ^Version; dpkg --verify bash coreutils && echo verified
apt-get --version | head -n1; id; id tester; ps -e -o comm=
python3 -c "import json, subprocess, threading
r = []
ts = [threading.Thread(target=lambda i=i: r.append(i * i)) for i in range(8)]
[t.start() for t in ts]; [t.join() for t in ts]
print(json.dumps(sorted(r)), subprocess.run([\"sha256sum\", \"/etc/debian_version\"], capture_output=True, text=True).stdout)"'
	out="$(run --rm stockade-debian bash -c "$script")" || { reason="runsc: $out"; return 1; }
	want="$(timeout 60 docker run --rm --runtime=runc stockade-debian bash -c "$script" 2>&1)" || { reason="runc: $want"; return 1; }
	[[ "$out" == *verified*"apt "*"uid=1000(tester)"*"[0, 1, 4, 9, 16, 25, 36, 49]"* ]] || { reason="output: $(printf '%q' "$out")"; return 1; }
	expect "output (runc's is the want)" "$out" "$want" || return 1
	out="$(run --rm --user 1000 stockade-debian bash -c 'id; python3 -c "import os; print(os.getuid(), os.getgroups())"')"
	want="$(timeout 60 docker run --rm --runtime=runc --user 1000 stockade-debian bash -c 'id; python3 -c "import os; print(os.getuid(), os.getgroups())"' 2>&1)"
	expect "--user 1000 (runc's is the want)" "$out" "$want"
}

scenario echo s_echo
scenario exit-code s_exit_code
scenario exit-signal s_exit_signal
scenario run-detached s_run_detached
scenario logs s_logs
scenario exec s_exec
scenario exec-tty s_exec_tty
scenario top s_top
scenario kill s_kill
scenario stop s_stop
scenario rm-force s_rm_force
scenario tty s_tty
scenario volume s_volume
scenario read-only s_read_only
scenario user s_user
scenario memory s_memory
scenario pids-limit s_pids_limit
scenario network-none s_network_none
scenario bridge s_bridge
scenario debian s_debian

# --- userns-remap --------------------------------------------------------------------------

# A second dockerd, with "userns-remap": "default", in its own data-root, exec-root, socket,
# pidfile, daemon.json, containerd namespace and bridge (containerd is shared: its shims
# and the sandboxes fall under the cleanup as the first dockerd's do). Only the scenario
# starts it.
#
# dockerd creates the user dockremap (adduser or useradd) and its /etc/subuid and
# /etc/subgid ranges (usermod) when they are missing: userns_restore removes what it added,
# and only that, and puts back the shadow tools' backups (/etc/passwd- ...); final_check
# requires every one of these files as it was before the scenario.
u_sock="$tmp/docker-userns.sock"
u_pid=""
u_before=""
u_bridge="${bridge}u"
runsc_roots+=("$tmp/exec-userns/runtime-runc/*")
id_files=(/etc/passwd /etc/group /etc/shadow /etc/gshadow /etc/subuid /etc/subgid)
# udocker is docker talking to that dockerd, each call within 60 s.
udocker() { DOCKER_HOST="unix://$u_sock" timeout 60 docker "$@"; }

# userns_snapshot copies the id files and their backups (F-) into $u_before, and records
# whether the user and group dockremap were there.
userns_snapshot() {
	u_before="$tmp/etc-before"
	mkdir -p "$u_before"
	local f
	for f in "${id_files[@]}" "${id_files[@]/%/-}"; do
		[[ -e "$f" ]] && cp -p "$f" "$u_before/"
	done
	getent passwd dockremap >/dev/null && touch "$u_before/had-user"
	getent group dockremap >/dev/null && touch "$u_before/had-group"
	return 0
}

userns_dockerd_stop() {
	[[ -n "$u_pid" ]] || return 0
	if kill -0 "$u_pid" 2>/dev/null && [[ -S "$u_sock" ]]; then
		local ids
		ids="$(udocker ps -aq 2>/dev/null)"
		[[ -n "$ids" ]] && udocker rm -f $ids >/dev/null 2>&1
	fi
	stop_pid "$u_pid"
	wait "$u_pid" 2>/dev/null
	u_pid=""
}

# userns_restore undoes what dockerd added to the id files (once it is stopped).
userns_restore() {
	[[ -n "$u_before" ]] || return 0
	if [[ ! -e "$u_before/had-user" ]] && getent passwd dockremap >/dev/null; then
		userdel dockremap
	fi
	if [[ ! -e "$u_before/had-group" ]] && getent group dockremap >/dev/null; then
		groupdel dockremap
	fi
	local f
	for f in /etc/subuid /etc/subgid; do
		if ! grep -q '^dockremap:' "$u_before/${f##*/}" 2>/dev/null && grep -q '^dockremap:' "$f"; then
			sed -i '/^dockremap:/d' "$f"
		fi
	done
	for f in "${id_files[@]/%/-}"; do
		if [[ -e "$u_before/${f##*/}" ]]; then
			cmp -s "$u_before/${f##*/}" "$f" || cp -p "$u_before/${f##*/}" "$f"
		else
			rm -f "$f"
		fi
	done
}

final_check() {
	[[ -n "$u_before" ]] || return 0
	local f ok=0
	for f in "${id_files[@]}" "${id_files[@]/%/-}"; do
		if [[ -e "$u_before/${f##*/}" ]]; then
			cmp -s "$u_before/${f##*/}" "$f" && continue
		else
			[[ -e "$f" ]] || continue
		fi
		if [[ -e "$u_before/${f##*/}" ]]; then
			echo "$log: LEFT BEHIND: $f changed:"
			diff "$u_before/${f##*/}" "$f" 2>&1 | head -10
		else
			echo "$log: LEFT BEHIND: $f (created)"
		fi
		ok=1
	done
	return $ok
}

# s_userns_remap: the container's uid_map and gid_map are the range dockerd took for
# dockremap (its line in /etc/subuid and /etc/subgid), the image's files (which dockerd
# chowned to that range) are 0:0 inside, the container runs as 0:0, a file it writes on a
# volume (a host directory owned by the remapped root) belongs on the host to the remapped
# root, and one it chowns to 1000:1000 to the range's 1000th ids. runc, the same dockerd's
# other runtime, must print the same. The containers are on the default bridge network: the
# sandbox joins the network namespace dockerd made, in the initial user namespace.
s_userns_remap() {
	userns_snapshot
	# dockerd refuses a data-root the remapped root cannot reach; mktemp made $tmp 0700.
	chmod 711 "$tmp"
	mkdir -p "$tmp/docker-userns" "$tmp/exec-userns" "$tmp/uvol"
	bridges+=("$u_bridge")
	ip link add "$u_bridge" type bridge && ip addr add 172.31.251.1/24 dev "$u_bridge" && ip link set "$u_bridge" up ||
		{ reason="bridge $u_bridge"; return 1; }
	local cfg="$tmp/daemon-userns.json"
	echo '{"log-level": "warn", "userns-remap": "default"}' >"$cfg"
	"$RUNSC" install --config-file "$cfg" >/dev/null || { reason="runsc install --config-file $cfg failed"; return 1; }
	dockerd --config-file "$cfg" -H "unix://$u_sock" --containerd "$ctrd_sock" \
		--containerd-namespace moby-userns --containerd-plugins-namespace plugins.moby-userns \
		--data-root "$tmp/docker-userns" --exec-root "$tmp/exec-userns" --pidfile "$tmp/dockerd-userns.pid" \
		--storage-driver "$storage" --exec-opt native.cgroupdriver=cgroupfs \
		--bridge "$u_bridge" --iptables=false --ip-forward=false --ip-masq=false \
		--userland-proxy=false >"$tmp/dockerd-userns.log" 2>&1 &
	u_pid=$!
	local up=""
	for _ in $(seq 150); do
		udocker version >/dev/null 2>&1 && { up=1; break; }
		kill -0 "$u_pid" 2>/dev/null || break
		sleep 0.2
	done
	[[ -n "$up" ]] || { reason="dockerd with userns-remap did not start: $(tail -5 "$tmp/dockerd-userns.log" | tr '\n' ' ')"; return 1; }
	expect "subnet of the default network" "$(udocker network inspect -f '{{range .IPAM.Config}}{{.Subnet}}{{end}}' bridge 2>&1)" 172.31.251.0/24 || return 1
	local uid ucount gid gcount
	IFS=: read -r _ uid ucount < <(grep -m1 '^dockremap:' /etc/subuid)
	IFS=: read -r _ gid gcount < <(grep -m1 '^dockremap:' /etc/subgid)
	[[ -n "$uid" && -n "$gid" ]] || { reason="no dockremap range in /etc/subuid or /etc/subgid"; return 1; }
	tar -C "$tmp/rootfs" -c . | udocker import -c 'ENV PATH=/bin' - "$img" >/dev/null || { reason="docker import failed"; return 1; }
	chown "$uid:$gid" "$tmp/uvol"
	local script='echo uid_map $(cat /proc/self/uid_map); echo gid_map $(cat /proc/self/gid_map)
echo image $(stat -c %u:%g / /bin/busybox /etc/passwd); echo id $(id -u):$(id -g)
echo hi >/data/$RT && touch /data/$RT.1000 && chown 1000:1000 /data/$RT.1000 &&
	echo volume $(stat -c %u:%g /data/$RT /data/$RT.1000); uname -v'
	local want="uid_map 0 $uid $ucount
gid_map 0 $gid $gcount
image 0:0 0:0 0:0
id 0:0
volume 0:0 1000:1000"
	local rt out kernel
	for rt in runsc runc; do
		# uname -v tells the sentry from the host kernel.
		kernel="#1 SMP Stockade"
		[[ "$rt" == runc ]] && kernel="$(uname -v)"
		out="$(udocker run --rm --runtime="$rt" -e RT="$rt" -v "$tmp/uvol:/data" "$img" sh -c "$script" 2>"$tmp/uerr")"
		expect "$rt: output" "$out" "$want
$kernel" || { reason+=" (stderr: $(grep -v '^WARNING: IPv4 forwarding' "$tmp/uerr" | head -c 300))"; return 1; }
		expect "$rt: owners of /data/$rt and $rt.1000 on the host" "$(stat -c %u:%g "$tmp/uvol/$rt" "$tmp/uvol/$rt.1000" 2>&1 | tr '\n' ' ')" \
			"$uid:$gid $((uid + 1000)):$((gid + 1000)) " || return 1
	done
	userns_dockerd_stop
	userns_restore
}
scenario userns-remap s_userns_remap

# --- timing --------------------------------------------------------------------------------

# test/bench's docker row: the medians of `docker run --rm IMG true` with runc and runsc in
# one run, printed as its table. The scenario fails only if the benchmark cannot run.
s_timing() {
	(cd "$repo" && go run ./test/bench -runsc "$RUNSC" -only docker -docker "$img" -runs "$bench_runs" 2>&1 |
		grep -v '^bench: [0-9]* runs') || { reason="go run ./test/bench -only docker failed"; return 1; }
}
if ((bench_runs > 0)); then
	scenario timing s_timing
fi

# Last, as it unregisters runsc: docs/docker.md's uninstall then reload (SIGHUP) leaves
# dockerd with runc alone.
runtimes() { docker info -f '{{range $k, $v := .Runtimes}}{{$k}} {{end}}' 2>&1 | sed 's/ $//'; }
s_uninstall_reload() {
	"$RUNSC" uninstall --config-file "$daemon_json" >/dev/null || { reason="uninstall failed"; return 1; }
	"$RUNSC" uninstall --runtime runsc-debug --config-file "$daemon_json" >/dev/null || { reason="uninstall runsc-debug failed"; return 1; }
	kill -HUP "$dockerd_pid"
	local got
	for _ in $(seq 50); do
		got="$(runtimes)"
		[[ "$got" == runc ]] && break
		sleep 0.2
	done
	expect "runtimes after uninstall and SIGHUP" "$got" "runc"
}
scenario uninstall-reload s_uninstall_reload

summary
