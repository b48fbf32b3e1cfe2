# Shared machinery of the daemon tests in test/integration (docker.sh, containerd.sh,
# cri.sh), sourced by them after they set `log` (the prefix of their messages) and `repo`.
#
# - lib_start: the temporary directory ($tmp), a snapshot of the machine's veths and
#   iptables rules, and the trap-based cleanup.
# - The cleanup: the script's own `teardown` function if it defines one (containers and pods
#   removed through the daemon's API), then the pids in daemon_pids (TERM, then KILL), every
#   sandbox runsc still knows under the roots in runsc_roots (globs, expanded then), every
#   process whose command line mentions $tmp or a string in watch, the mounts under $tmp,
#   the links in bridges; then the check that none of these, no new veth and no new
#   iptables rule, and none of $tmp and extra_dirs is left, plus the script's own
#   `final_check` if it defines one (it prints what is left and returns non-zero). Anything
#   left fails the run, even one whose scenarios all passed.
# - scenario/expect and the `pending` table (known gaps whose failure does not fail the run;
#   a pending scenario that passes is reported loudly so that the table gets trimmed).
#   ONLY (space-separated scenario names) runs a subset.
# - containerd_build: containerd and ctr from the Go module proxy, cached.
# - busybox_rootfs, oci_image, overlay_works: images built here (no registry is used).

# What the scripts fill in (see above).
daemon_pids=()
runsc_roots=()
watch=()
bridges=()
extra_dirs=()
declare -A pending=()

# procs_under lists the pids of processes whose command line mentions $tmp or a string in
# watch: the daemons, the shims (their -address), the sandboxes and gofers (--root).
procs_under() {
	local p cmd w
	for p in /proc/[0-9]*; do
		[[ "${p#/proc/}" == "$$" ]] && continue
		cmd="$(tr '\0' ' ' 2>/dev/null <"$p/cmdline")" || continue
		for w in "$tmp" "${watch[@]}"; do
			if [[ "$cmd" == *"$w"* ]]; then
				echo "${p#/proc/}"
				break
			fi
		done
	done
}

mounts_under() {
	awk -v t="$tmp" '$5 == t || index($5, t "/") == 1 {print $5}' /proc/self/mountinfo
}

veths() {
	ip -o link show type veth 2>/dev/null | awk -F': ' '{sub(/@.*/, "", $2); print $2}' | sort
}

# iptables_rules prints the rules of every table, without counters.
iptables_rules() {
	iptables-save 2>/dev/null | grep -v '^#' | sed 's/\[[0-9:]*\]//' | sort
}

# stop_pid PID: TERM, up to 10 s, then KILL.
stop_pid() {
	kill -TERM "$1" 2>/dev/null || return 0
	for _ in $(seq 50); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.2; done
	kill -KILL "$1" 2>/dev/null
}

cleanup() {
	local rc=$?
	set +e
	trap - EXIT INT TERM
	echo "$log: cleaning up"
	if declare -F teardown >/dev/null; then
		teardown
	fi
	local pid
	for pid in "${daemon_pids[@]}"; do stop_pid "$pid"; done
	# Shims outlive containerd by design; sandboxes whose shim was killed would outlive it.
	local pattern root id
	for pattern in "${runsc_roots[@]}"; do
		for root in $pattern; do
			[[ -d "$root" ]] || continue
			for id in $("$RUNSC" --root "$root" list -q 2>/dev/null); do
				"$RUNSC" --root "$root" delete --force "$id" >/dev/null 2>&1
			done
		done
	done
	local left
	left="$(procs_under)"
	[[ -n "$left" ]] && kill -KILL $left 2>/dev/null
	sleep 0.5
	local m
	for m in $(mounts_under | sort -r); do umount -l "$m" 2>/dev/null; done
	local b
	for b in "${bridges[@]}"; do ip link del "$b" 2>/dev/null; done
	# The check: nothing this run created may be left.
	local dirty=0
	if declare -F final_check >/dev/null && ! final_check; then
		dirty=1
	fi
	left="$(procs_under)"
	if [[ -n "$left" ]]; then
		echo "$log: LEFT BEHIND: processes $(tr '\n' ' ' <<<"$left")"; dirty=1
	fi
	left="$(mounts_under)"
	if [[ -n "$left" ]]; then
		echo "$log: LEFT BEHIND: mounts $(tr '\n' ' ' <<<"$left")"; dirty=1
	fi
	local veths_after
	veths_after="$(veths)"
	if [[ "$veths_after" != "$veths_before" ]]; then
		echo "$log: LEFT BEHIND: veths $(comm -13 <(echo "$veths_before") <(echo "$veths_after") | tr '\n' ' ')"; dirty=1
	fi
	for b in "${bridges[@]}"; do
		if ip link show "$b" >/dev/null 2>&1; then
			echo "$log: LEFT BEHIND: bridge $b"; dirty=1
		fi
	done
	local ipt_after
	ipt_after="$(iptables_rules)"
	if [[ "$ipt_after" != "$iptables_before" ]]; then
		echo "$log: LEFT BEHIND: iptables rules:"
		comm -13 <(echo "$iptables_before") <(echo "$ipt_after")
		dirty=1
	fi
	local d
	for d in "$tmp" "${extra_dirs[@]}"; do
		rm -rf "$d" 2>/dev/null
		if [[ -e "$d" ]]; then
			echo "$log: LEFT BEHIND: $d"; dirty=1
		fi
	done
	if ((dirty)); then
		echo "$log: FAIL: cleanup left things behind"
		exit 1
	fi
	echo "$log: cleanup complete: no process, mount, veth, bridge, iptables rule or directory left"
	exit "$rc"
}

# lib_start PREFIX: creates $tmp (/tmp/PREFIX.XXXXXX), records the machine's veths and
# iptables rules, and installs the cleanup trap.
lib_start() {
	command -v iptables-save >/dev/null || { echo "$log: iptables-save not found" >&2; exit 1; }
	command -v ip >/dev/null || { echo "$log: ip (iproute2) not found" >&2; exit 1; }
	tmp="$(mktemp -d "/tmp/$1.XXXXXX")"
	veths_before="$(veths)"
	iptables_before="$(iptables_rules)"
	trap cleanup EXIT
	trap 'exit 130' INT TERM
}

# --- scenarios -----------------------------------------------------------------------------

passed=0
failed=0
pending_failed=0
pending_passed=()
reason=""

# scenario NAME FUNC: runs FUNC, which returns 0 on success and sets $reason on failure.
scenario() {
	local name="$1" fn="$2"
	if [[ -n "${ONLY:-}" ]] && [[ " $ONLY " != *" $name "* ]]; then
		return 0
	fi
	reason=""
	local start rc
	start=$(date +%s%N)
	"$fn"
	rc=$?
	local tenths=$((($(date +%s%N) - start) / 100000000))
	local secs="$((tenths / 10)).$((tenths % 10))"
	if [[ $rc -eq 0 ]]; then
		if [[ -n "${pending[$name]:-}" ]]; then
			printf 'PASS     %-14s (%ss)  *** listed as pending but PASSES: remove it from the pending table in %s ***\n' "$name" "$secs" "${0#"$repo/"}"
			pending_passed+=("$name")
		else
			printf 'PASS     %-14s (%ss)\n' "$name" "$secs"
		fi
		passed=$((passed + 1))
	elif [[ -n "${pending[$name]:-}" ]]; then
		printf 'PENDING  %-14s (%ss)  %s; now: %s\n' "$name" "$secs" "${pending[$name]}" "$reason"
		pending_failed=$((pending_failed + 1))
	else
		printf 'FAIL     %-14s (%ss)  %s\n' "$name" "$secs" "$reason"
		failed=$((failed + 1))
	fi
}

# expect WHAT GOT WANT: sets reason and fails unless GOT == WANT.
expect() {
	if [[ "$2" != "$3" ]]; then
		reason="$1: got $(printf '%q' "$2"), want $(printf '%q' "$3")"
		return 1
	fi
}

# summary prints the closing counts and returns non-zero if a scenario failed.
summary() {
	echo "$log: $passed passed, $failed failed, $pending_failed pending (failing as expected)"
	if ((${#pending_passed[@]} > 0)); then
		echo "$log: *** pending scenarios now PASS: ${pending_passed[*]}: remove them from the pending table ***"
	fi
	((failed == 0))
}

# --- containerd 2.x ------------------------------------------------------------------------

# containerd_build VERSION: containerd and ctr VERSION from the Go module proxy into
# CONTAINERD_CACHE/VERSION (default ~/.cache/stockade-containerd), once; sets ctrd_dir.
# Debian's containerd 1.6 cannot read a v2 shim's bootstrap reply, hence 2.x from source.
containerd_build() {
	local version="$1"
	ctrd_dir="${CONTAINERD_CACHE:-${HOME:-/root}/.cache/stockade-containerd}/$version"
	if [[ -x "$ctrd_dir/containerd" && -x "$ctrd_dir/ctr" ]]; then
		return 0
	fi
	echo "$log: building containerd and ctr $version into $ctrd_dir"
	mkdir -p "$ctrd_dir"
	local start
	start=$(date +%s)
	# Static, without the snapshotters that need C libraries (none is used here).
	(cd /tmp && CGO_ENABLED=0 GOBIN="$ctrd_dir" GOFLAGS=-buildvcs=false go install \
		-tags "no_btrfs no_devmapper no_zfs" \
		"github.com/containerd/containerd/v2/cmd/containerd@$version" \
		"github.com/containerd/containerd/v2/cmd/ctr@$version") || exit 1
	echo "$log: built in $(($(date +%s) - start)) s"
}

# containerd_start BIN CONFIG SOCKET [PATH-PREFIX]: starts containerd (logging to
# $tmp/containerd.log), adds it to daemon_pids and waits for its socket.
containerd_start() {
	local bin="$1" config="$2" socket="$3" path="${4:-}"
	PATH="${path:+$path:}$PATH" "$bin" --config "$config" >"$tmp/containerd.log" 2>&1 &
	daemon_pids+=($!)
	for _ in $(seq 100); do [[ -S "$socket" ]] && return 0; sleep 0.1; done
	echo "$log: containerd did not start:"
	tail -20 "$tmp/containerd.log"
	exit 1
}

# overlay_works: whether overlayfs mounts on this machine's /tmp (else containerd needs its
# native, copying, snapshotter).
overlay_works() {
	local d="$tmp/ov" ok=1
	mkdir -p "$d/l" "$d/u" "$d/w" "$d/m"
	if mount -t overlay overlay -o "lowerdir=$d/l,upperdir=$d/u,workdir=$d/w" "$d/m" 2>/dev/null; then
		umount "$d/m"
		ok=0
	fi
	rm -rf "$d"
	return $ok
}

# --- images --------------------------------------------------------------------------------

# busybox_rootfs DIR: a static busybox rootfs with root and an unprivileged user (1000).
busybox_rootfs() {
	local dir="$1" applet
	command -v busybox >/dev/null || { echo "$log: busybox not found" >&2; exit 1; }
	mkdir -p "$dir/bin" "$dir/etc" "$dir/tmp" "$dir/proc" "$dir/sys" "$dir/dev"
	cp "$(command -v busybox)" "$dir/bin/busybox"
	for applet in $("$dir/bin/busybox" --list); do
		[[ -e "$dir/bin/$applet" ]] || ln -s busybox "$dir/bin/$applet"
	done
	printf 'root:x:0:0:root:/root:/bin/sh\nuser:x:1000:1000:user:/tmp:/bin/sh\n' >"$dir/etc/passwd"
	printf 'root:x:0:\nuser:x:1000:\n' >"$dir/etc/group"
	chmod 1777 "$dir/tmp"
}

# oci_image ROOTFS NAME CONFIG OUT: packs ROOTFS as a one-layer OCI image layout named NAME
# (a full reference, e.g. docker.io/stockade/busybox:latest) into the tar OUT, for
# `ctr image import`. CONFIG is the image config's "config" object (Env, Cmd, ...).
oci_image() {
	local rootfs="$1" name="$2" config="$3" out="$4"
	local work
	work="$(mktemp -d "$tmp/oci.XXXXXX")"
	mkdir -p "$work/layout/blobs/sha256"
	# blob FILE: moves FILE into the layout under its digest and prints "DIGEST SIZE".
	blob() {
		local d s
		d="$(sha256sum "$1" | awk '{print $1}')"
		s="$(stat -c %s "$1")"
		mv "$1" "$work/layout/blobs/sha256/$d"
		echo "$d $s"
	}
	local layer_d layer_s config_d config_s manifest_d manifest_s
	tar --sort=name -C "$rootfs" -cf "$work/layer.tar" .
	read -r layer_d layer_s < <(blob "$work/layer.tar")
	printf '{"architecture":"amd64","os":"linux","config":%s,"rootfs":{"type":"layers","diff_ids":["sha256:%s"]}}' \
		"$config" "$layer_d" >"$work/config.json"
	read -r config_d config_s < <(blob "$work/config.json")
	printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"sha256:%s","size":%s}]}' \
		"$config_d" "$config_s" "$layer_d" "$layer_s" >"$work/manifest.json"
	read -r manifest_d manifest_s < <(blob "$work/manifest.json")
	printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%s,"platform":{"architecture":"amd64","os":"linux"},"annotations":{"io.containerd.image.name":"%s","org.opencontainers.image.ref.name":"%s"}}]}' \
		"$manifest_d" "$manifest_s" "$name" "${name##*:}" >"$work/layout/index.json"
	echo '{"imageLayoutVersion":"1.0.0"}' >"$work/layout/oci-layout"
	tar -C "$work/layout" -cf "$out" .
	rm -rf "$work"
	unset -f blob
}
