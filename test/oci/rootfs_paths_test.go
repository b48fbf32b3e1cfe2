package oci

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRootfsSpecMountsInOrder: the spec's mounts are made in the spec's order with the
// spec's types and sources, as runc makes them (and as the runtime-tools validation reads
// them from /proc/self/mountinfo): /proc before the tmpfs /dev, which holds the default
// devices, then /dev/pts, /dev/shm ("shm"), /dev/mqueue (an mqueue filesystem) and /sys.
func TestRootfsSpecMountsInOrder(t *testing.T) {
	t.Parallel()
	e := newBusyboxEnv(t, "cat /proc/self/mountinfo; echo ==; stat -c '%n %F %t:%T' /dev/null /dev/zero /dev/tty; readlink /dev/ptmx")
	r := e.must("run", "order")
	info, devs, _ := strings.Cut(r.stdout, "==\n")
	var got []string
	for _, l := range strings.Split(strings.TrimSpace(info), "\n") {
		f := strings.Fields(l)
		sep := 0
		for i, x := range f {
			if x == "-" {
				sep = i
			}
		}
		if len(f) < 10 || sep == 0 {
			t.Fatalf("mountinfo line %q", l)
		}
		switch f[4] {
		case "/proc", "/dev", "/dev/pts", "/dev/shm", "/dev/mqueue", "/sys":
			got = append(got, f[4]+" "+f[sep+1]+" "+f[sep+2])
		}
	}
	want := []string{"/proc proc proc", "/dev tmpfs tmpfs", "/dev/pts devpts devpts", "/dev/shm tmpfs shm",
		"/dev/mqueue mqueue mqueue", "/sys sysfs sysfs"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("spec mounts in mountinfo:\n%s\nwant\n%s\n(mountinfo:\n%s)", strings.Join(got, "\n"), strings.Join(want, "\n"), info)
	}
	wantDevs := "/dev/null character special file 1:3\n/dev/zero character special file 1:5\n/dev/tty character special file 5:0\npts/ptmx\n"
	if devs != wantDevs {
		t.Fatalf("devices in the spec's tmpfs /dev:\n%s\nwant\n%s", devs, wantDevs)
	}
}

// TestRootfsMqueue: /dev/mqueue behaves as Linux's mqueue filesystem: creating a file makes
// a queue whose content is its status line, unlink removes it, directories and symlinks are
// refused (EPERM), and statfs reports MQUEUE_MAGIC.
func TestRootfsMqueue(t *testing.T) {
	t.Parallel()
	e := newBusyboxEnv(t, `ls -ld /dev/mqueue | cut -c1-10; : > /dev/mqueue/q; cat /dev/mqueue/q; ls /dev/mqueue;
mkdir /dev/mqueue/d 2>&1; ln -s q /dev/mqueue/s 2>&1; rm /dev/mqueue/q; ls /dev/mqueue; stat -f -c %t /dev/mqueue`)
	r := e.must("run", "mq")
	want := "drwxrwxrwt\nQSIZE:0          NOTIFY:0     SIGNO:0     NOTIFY_PID:0     \nq\n" +
		"mkdir: can't create directory '/dev/mqueue/d': Operation not permitted\nln: /dev/mqueue/s: Operation not permitted\n19800202\n"
	if r.stdout != want {
		t.Fatalf("stdout\n%q\nwant\n%q", r.stdout, want)
	}
}

// TestRootfsMaskedAndReadonlyPaths: linux.maskedPaths hide directories (an empty read-only
// tmpfs) and files (/dev/null), linux.readonlyPaths are read-only but readable, missing
// paths are skipped, and the container's mount table shows the mounts that do it.
func TestRootfsMaskedAndReadonlyPaths(t *testing.T) {
	t.Parallel()
	e := newBusyboxEnv(t, `ls -A /masked-dir; cat /masked-file; echo x > /masked-file && echo masked file write ok;
touch /masked-dir/new 2>&1; cat /ro-dir/f; touch /ro-dir/new 2>&1; (echo y > /ro-file) 2>&1; cat /ro-file;
grep -E ' /(masked|ro)-' /proc/self/mountinfo | awk '{print $4, $5, $6, $(NF-2)}'`)
	rootfs := filepath.Join(e.bundle, "rootfs")
	for _, d := range []string{"masked-dir/sub", "ro-dir"} {
		if err := os.MkdirAll(filepath.Join(rootfs, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for name, data := range map[string]string{"masked-dir/secret": "s\n", "masked-file": "secret\n", "ro-dir/f": "ro data\n", "ro-file": "ro file\n"} {
		if err := os.WriteFile(filepath.Join(rootfs, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	e.editSpec(func(m map[string]any) {
		l := m["linux"].(map[string]any)
		l["maskedPaths"] = []any{"/masked-dir", "/masked-file", "/not-there"}
		l["readonlyPaths"] = []any{"/ro-dir", "/ro-file", "/not-there-either"}
	})
	r := e.must("run", "masked")
	want := "masked file write ok\n" +
		"touch: /masked-dir/new: Read-only file system\n" +
		"ro data\n" +
		"touch: /ro-dir/new: Read-only file system\n" +
		"sh: can't create /ro-file: Read-only file system\n" +
		"ro file\n" +
		"/ro-dir /ro-dir ro,relatime overlay\n" +
		"/ro-file /ro-file ro,relatime overlay\n" +
		"/ /masked-dir ro,relatime tmpfs\n" +
		"/null /masked-file rw,nosuid,relatime tmpfs\n"
	if r.stdout != want {
		t.Fatalf("stdout\n%s\nwant\n%s", r.stdout, want)
	}
	if data, _ := os.ReadFile(filepath.Join(rootfs, "masked-file")); string(data) != "secret\n" {
		t.Fatalf("masked file changed on the host: %q", data)
	}
}

// TestRootfsLinuxDevices: linux.devices are made in /dev with the spec's type, numbers,
// permissions and owner; a character device the sandbox implements works (1:3 is a null
// device under any name), any other opens with ENXIO as a Linux node without a driver.
func TestRootfsLinuxDevices(t *testing.T) {
	t.Parallel()
	e := newBusyboxEnv(t, `stat -c '%n %F %t:%T %a %u:%g' /dev/mynull /dev/nodrv /dev/blk /dev/fifo;
echo x > /dev/mynull && cat /dev/mynull && echo null ok; cat /dev/nodrv 2>&1; readlink /dev/ptmx; true`)
	e.editSpec(func(m map[string]any) {
		dev := func(path, typ string, major, minor int, mode int, uid int) map[string]any {
			return map[string]any{"path": path, "type": typ, "major": major, "minor": minor, "fileMode": mode, "uid": uid, "gid": uid}
		}
		m["linux"].(map[string]any)["devices"] = []any{
			dev("/dev/mynull", "c", 1, 3, 0o666, 0), dev("/dev/nodrv", "c", 4000, 1, 0o660, 0),
			dev("/dev/blk", "b", 8, 666, 0o600, 7), dev("/dev/fifo", "p", 0, 0, 0o640, 0),
			dev("/dev/ptmx", "c", 5, 2, 0o666, 0), // stays the link to pts/ptmx
		}
	})
	r := e.must("run", "devs")
	want := "/dev/mynull character special file 1:3 666 0:0\n" +
		"/dev/nodrv character special file fa0:1 660 0:0\n" +
		"/dev/blk block special file 8:29a 600 7:7\n" +
		"/dev/fifo fifo 0:0 640 0:0\n" +
		"null ok\n" +
		"cat: can't open '/dev/nodrv': No such device or address\n" +
		"pts/ptmx\n"
	if r.stdout != want {
		t.Fatalf("stdout\n%s\nwant\n%s", r.stdout, want)
	}
}

// TestRootfsPropagationUnbindable: linux.rootfsPropagation "unbindable" makes the root mount
// unbindable (a bind mount of / fails with EINVAL, as the validation suite checks, and
// mountinfo shows the field); a spec bind mount with "unbindable" is too, and its root in
// mountinfo is the host path it binds, as Linux shows a bind mount's root.
func TestRootfsPropagationUnbindable(t *testing.T) {
	t.Parallel()
	host := t.TempDir()
	e := newBusyboxEnv(t, `mkdir -p /tmp/t; mount --bind / /tmp/t 2>&1; mount --bind /mnt/b /tmp/t 2>&1;
awk '$5 == "/" || $5 == "/mnt/b" {print $4, $5, $7}' /proc/self/mountinfo; true`)
	e.addMount("/mnt/b", "bind", host, "rbind", "unbindable")
	e.addMount("/tmp", "tmpfs", "tmpfs")
	caps := []any{"CAP_SYS_ADMIN"}
	e.setProcess("capabilities", map[string]any{"bounding": caps, "effective": caps, "permitted": caps})
	e.editSpec(func(m map[string]any) { m["linux"].(map[string]any)["rootfsPropagation"] = "unbindable" })
	r := e.must("run", "unb")
	want := "mount: mounting / on /tmp/t failed: Invalid argument\n" +
		"mount: mounting /mnt/b on /tmp/t failed: Invalid argument\n" +
		"/ / unbindable\n" + host + " /mnt/b unbindable\n"
	if r.stdout != want {
		t.Fatalf("stdout\n%s\nwant\n%s", r.stdout, want)
	}
}

// TestProcessOOMScoreAdj: process.oomScoreAdj is init's /proc/self/oom_score_adj, which
// its children and processes started by exec inherit.
func TestProcessOOMScoreAdj(t *testing.T) {
	t.Parallel()
	e := newBusyboxEnv(t, "cat /proc/self/oom_score_adj; sh -c 'cat /proc/self/oom_score_adj'")
	e.setProcess("oomScoreAdj", 500)
	if r := e.must("run", "oom"); r.stdout != "500\n500\n" {
		t.Fatalf("init and child oom_score_adj %q, want 500 twice", r.stdout)
	}
	e.setArgs("sleep", "60")
	e.must("run", "--detach", "oom2")
	defer e.runsc("delete", "--force", "oom2")
	if x := e.must("exec", "oom2", "cat", "/proc/self/oom_score_adj"); x.stdout != "500\n" {
		t.Fatalf("exec'd process's oom_score_adj %q, want 500", x.stdout)
	}
}

// TestRootfsPropagationFlagsAccepted: runc's propagation options on bind mounts and
// linux.rootfsPropagation are accepted; shared and slave leave the mounts private (the
// sentry propagates nothing between mounts), and the mounts serve their files.
func TestRootfsPropagationFlagsAccepted(t *testing.T) {
	t.Parallel()
	host := t.TempDir()
	if err := os.WriteFile(filepath.Join(host, "f"), []byte("x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	flags := []string{"shared", "rshared", "slave", "rslave", "private", "rprivate"}
	script := ""
	for _, p := range flags {
		script += "cat /mnt/" + p + "/f; "
	}
	e := newBusyboxEnv(t, script+`awk '$5 ~ /^\/mnt\// {print $5, $7}' /proc/self/mountinfo`)
	for _, p := range flags {
		e.addMount("/mnt/"+p, "bind", host, "rbind", "ro", p)
	}
	for _, rp := range []string{"rslave", "rshared", "rprivate", "private", "slave", "shared"} {
		e.editSpec(func(m map[string]any) { m["linux"].(map[string]any)["rootfsPropagation"] = rp })
		r := e.must("run", "prop-"+rp)
		want := strings.Repeat("x\n", len(flags))
		for _, p := range flags {
			want += "/mnt/" + p + " -\n" // no optional fields: private
		}
		if r.stdout != want {
			t.Fatalf("rootfsPropagation %s: stdout\n%s\nwant\n%s", rp, r.stdout, want)
		}
	}
	e.editSpec(func(m map[string]any) { m["linux"].(map[string]any)["rootfsPropagation"] = "sideways" })
	e.fails(`config.json: linux.rootfsPropagation "sideways" is not a propagation type`, "run", "prop-bad")
}
