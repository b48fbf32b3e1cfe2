#!/usr/bin/env bash
# containerd's CRI plugin driven as the kubelet drives it, with the pod's runtime handler
# `runsc` (runtime_type io.containerd.runsc.v1, the shim built from shim/): critest
# (shim/critest, k8s.io/cri-api over the CRI gRPC socket) runs a pod of two busybox
# containers through RunPodSandbox, CreateContainer, StartContainer, ExecSync,
# ContainerStatus, StopContainer, RemoveContainer, StopPodSandbox and RemovePodSandbox, and
# checks that both containers ran in the pod's one sentry and that nothing of the pod is left.
#
# containerd 2.x runs with its root, state, sockets, CNI configuration and IPAM state under a
# temporary directory. No registry is used: the sandbox (pause) image is a static C program
# compiled here (pause.c), the app image a static busybox rootfs; both are packed as OCI
# image layouts and imported into the k8s.io namespace, and the pause image is containerd's
# pinned sandbox image. The pod network is Debian's containernetworking-plugins: bridge
# (with a bridge of our own, IP masquerading: iptables rules), host-local IPAM, loopback.
#
# One line per scenario (critest's, then the host checks here); cleanup is trap-based and
# checked (lib.sh): daemons, shims, sandboxes, mounts, veths, the bridge, iptables rules,
# the pod cgroups and ip_forward as it was, even when a scenario fails.
#
# Environment: RUNSC, SHIM (defaults in bin/), CONTAINERD_VERSION, CONTAINERD_CACHE,
# CRI_HANDLER (the pod's runtime handler, default runsc; `runc` runs the same pod under
# runc, through Debian's containerd-shim-runc-v2, to check the harness itself: one-sentry
# and exit-code, which look for the sentry's uname, fail there by design).
set -uo pipefail

repo="$(cd "$(dirname "$0")/../.." && pwd)"
log=cri
RUNSC="${RUNSC:-$repo/bin/runsc}"
SHIM="${SHIM:-$repo/bin/containerd-shim-runsc-v1}"
version="${CONTAINERD_VERSION:-v2.2.1}"
handler="${CRI_HANDLER:-runsc}"
cni_bin=/usr/lib/cni
# shellcheck source=lib.sh
. "$repo/test/integration/lib.sh"

[[ -x "$RUNSC" ]] || { echo "cri: $RUNSC not found (make build)" >&2; exit 1; }
[[ -x "$SHIM" ]] || { echo "cri: $SHIM not found (make shim)" >&2; exit 1; }
command -v gcc >/dev/null || { echo "cri: gcc not found" >&2; exit 1; }
for p in bridge host-local loopback; do
	[[ -x "$cni_bin/$p" ]] || { echo "cri: $cni_bin/$p not found (apt-get install containernetworking-plugins)" >&2; exit 1; }
done

containerd_build "$version"
ctr_bin="$ctrd_dir/ctr"

lib_start stk-cri
suffix="$(basename "$tmp" | tr -dc 'a-zA-Z0-9' | tail -c 6)"
sock="$tmp/containerd.sock"
# The CRI plugin's namespace; the shim (and runc's shim) give runsc (runc) the state root
# /run/containerd/runc/k8s.io: runtime options that could move it are runc's own type,
# which containerd sends only to io.containerd.runc.v2.
runsc_root=/run/containerd/runc/k8s.io
runsc_roots=("$runsc_root")
# The root is shared with any other CRI containerd on the machine: it is removed only if
# this run created it.
[[ -e "$runsc_root" ]] || extra_dirs=("$runsc_root")
bridge="stkc$suffix"
cni_net="stockade-$suffix"
bridges=("$bridge")
subnet_prefix=10.231.77.
# The pod cgroup, as the kubelet's (cgroupfs driver) kubepods/.../podUID: runc and runsc
# create the containers' cgroups below it; the kubelet creates and removes the parent.
cgroup_parent="/stk-cri-$suffix"
pause_img=localhost/stockade/pause:1
img=localhost/stockade/busybox:1
ip_forward_before="$(cat /proc/sys/net/ipv4/ip_forward)"
critest="$tmp/bin/critest"

# teardown (before the cleanup stops containerd): every pod stopped and removed through CRI,
# a no-op after a clean run.
teardown() {
	if [[ -S "$sock" && -x "$critest" ]]; then
		timeout 120 "$critest" -endpoint "$sock" -remove-all || echo "cri: critest -remove-all failed"
	fi
}

# final_check (once every process of the run is gone): ip_forward as it was (the bridge
# plugin turns it on for its gateway), no iptables rule of the pod network's, and no
# cgroup of the pod left: the containers' leaf cgroups must be gone already; the parent is
# ours to remove, as the kubelet's is.
final_check() {
	echo "$ip_forward_before" >/proc/sys/net/ipv4/ip_forward
	# A pod that could not be removed never had the bridge plugin's DEL: its masquerading
	# rules (commented with the network's name) go here.
	iptables_undo "$cni_net"
	local d left=""
	for d in /sys/fs/cgroup/*"$cgroup_parent"; do
		[[ -d "$d" ]] || continue
		left+="$(find "$d" -mindepth 1 -type d 2>/dev/null | tr '\n' ' ')"
		find "$d" -depth -type d -exec rmdir {} + 2>/dev/null
		[[ -d "$d" ]] && left+="$d "
	done
	if [[ -n "$left" ]]; then
		echo "cri: LEFT BEHIND: cgroups $left"
		return 1
	fi
}

# --- images: pause (static C) and busybox, imported into k8s.io ---------------------------

mkdir -p "$tmp/bin" "$tmp/pause-rootfs" "$tmp/busybox-rootfs" "$tmp/cni/net.d" "$tmp/cni/ipam" "$tmp/pods"
ln -s "$SHIM" "$tmp/bin/containerd-shim-runsc-v1"
gcc -static -O2 -o "$tmp/pause-rootfs/pause" "$repo/test/integration/pause.c" || exit 1
busybox_rootfs "$tmp/busybox-rootfs"
oci_image "$tmp/pause-rootfs" "$pause_img" '{"Entrypoint":["/pause"]}' "$tmp/pause.tar"
oci_image "$tmp/busybox-rootfs" "$img" '{"Env":["PATH=/bin"],"Cmd":["sh"]}' "$tmp/busybox.tar"
rm -rf "$tmp/pause-rootfs" "$tmp/busybox-rootfs"
(cd "$repo/shim" && go build -o "$critest" ./critest) || exit 1

snapshotter=native
overlay_works && snapshotter=overlayfs
# containerd gives the pause container the kubelet's oom_score_adj, -998; lowering it takes
# CAP_SYS_RESOURCE, which the machines this runs on may not have (then runc fails to start
# it: "failed to update /proc/self/oom_score_adj: Permission denied"). containerd's
# restrict_oom_score_adj keeps it no lower than containerd's own, as on such a node.
cap_eff="$(awk '/^CapEff:/ {print $2}' /proc/self/status)"
restrict_oom=true
(( (0x$cap_eff >> 24 & 1) == 1 )) && restrict_oom=false # bit 24: CAP_SYS_RESOURCE

# --- containerd with the CRI plugin --------------------------------------------------------

cat >"$tmp/config.toml" <<TOML
version = 3
root = "$tmp/root"
state = "$tmp/state"
[grpc]
  address = "$sock"
[ttrpc]
  address = "$sock.ttrpc"
[debug]
  address = "$tmp/debug.sock"
[plugins.'io.containerd.cri.v1.images']
  snapshotter = "$snapshotter"
  [plugins.'io.containerd.cri.v1.images'.pinned_images]
    sandbox = "$pause_img"
[plugins.'io.containerd.cri.v1.runtime']
  netns_mounts_under_state_dir = true
  restrict_oom_score_adj = $restrict_oom
  [plugins.'io.containerd.cri.v1.runtime'.containerd]
    default_runtime_name = "runc"
    [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
    [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runsc]
      runtime_type = "io.containerd.runsc.v1"
  [plugins.'io.containerd.cri.v1.runtime'.cni]
    bin_dirs = ["$cni_bin"]
    conf_dir = "$tmp/cni/net.d"
[plugins.'io.containerd.grpc.v1.cri']
  disable_tcp_service = true
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
TOML
cat >"$tmp/cni/net.d/10-stockade.conflist" <<JSON
{
  "cniVersion": "1.0.0",
  "name": "$cni_net",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "$bridge",
      "isGateway": true,
      "ipMasq": true,
      "ipam": {
        "type": "host-local",
        "ranges": [[{"subnet": "${subnet_prefix}0/24"}]],
        "dataDir": "$tmp/cni/ipam"
      }
    }
  ]
}
JSON
containerd_start "$ctrd_dir/containerd" "$tmp/config.toml" "$sock" "$tmp/bin"
echo "cri: containerd $("$ctrd_dir/containerd" --version | awk '{print $3}') up with CRI ($snapshotter snapshotter), handler $handler, shim $SHIM, runsc $RUNSC"

for t in "$tmp/pause.tar" "$tmp/busybox.tar"; do
	out="$("$ctr_bin" --address "$sock" --namespace k8s.io image import --snapshotter "$snapshotter" "$t" 2>&1)" || {
		echo "cri: ctr image import $t failed: $out"; exit 1; }
done
rm -f "$tmp/pause.tar" "$tmp/busybox.tar"

# --- the pod -------------------------------------------------------------------------------

# The veths and iptables rules with the pod's network up are the machine's plus the pod's:
# what must be gone again once the pod is removed (the bridge itself stays, as the bridge
# plugin leaves it; the cleanup deletes it).
"$critest" -endpoint "$sock" -handler "$handler" -image "$img" -pause-image "$pause_img" \
	-log-dir "$tmp/pods/stk-pod" -cgroup-parent "$cgroup_parent" -state-root "$runsc_root" \
	-pod-cidr-prefix "$subnet_prefix" >"$tmp/critest.out" 2>&1
critest_rc=$?
cat "$tmp/critest.out"
passed=$(grep -c '^PASS' "$tmp/critest.out")
failed=$(grep -c '^FAIL' "$tmp/critest.out")
if ((critest_rc != 0 && failed == 0)); then
	echo "cri: critest exited $critest_rc without a failed scenario"
	failed=1
fi

# host-clean: with the pod removed, the host is as before the pod (containerd still runs):
# no veth, no iptables rule of CNI's, no mount under the run's directory, no shim.
s_host_clean() {
	local v ipt m shims
	v="$(comm -13 <(echo "$veths_before") <(veths) | tr '\n' ' ')"
	ipt="$(comm -13 <(echo "$iptables_before") <(iptables_rules) | tr '\n' ' ')"
	m="$(mounts_under | tr '\n' ' ')"
	shims="$(for p in $(procs_under); do [[ " ${daemon_pids[*]} " == *" $p "* ]] || tr '\0' ' ' <"/proc/$p/cmdline"; done)"
	[[ -z "$v$ipt$m$shims" ]] || { reason="left after RemovePodSandbox: veths [$v] iptables [$ipt] mounts [$m] processes [$shims]"; return 1; }
}
scenario host-clean s_host_clean

if ((failed > 0)); then
	echo "cri: containerd's last errors:"
	grep 'level=error' "$tmp/containerd.log" | tail -5 | cut -c1-600
fi

summary
