package oci

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// Tests that run a real Debian userland (dynamic glibc programs, bash, dpkg, python3,
// procps) from the rootfs test/rootfs/debian.sh builds: debootstrap --variant=minbase of
// the host's suite, cached as a tarball in ~/.cache/stockade-debian. Where the output does
// not depend on the kernel (file contents, package database, computations), the same
// script runs natively with chroot(8) into the same directory and the outputs must be the
// same; otherwise specific outputs are asserted.

var (
	debianOnce sync.Once
	debianDir  string // the unpacked rootfs, shared read-only by every Debian test
	debianErr  error
)

// debianEnv is the process environment of the Debian containers and of the native chroot
// runs. PYTHONDONTWRITEBYTECODE keeps python3 from writing into the shared rootfs.
var debianEnv = []string{
	"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
	"HOME=/root",
	"LANG=C.UTF-8",
	"PYTHONDONTWRITEBYTECODE=1",
}

// debianRootfs builds (or reuses) the Debian tarball and unpacks it once per test binary.
func debianRootfs(t *testing.T) string {
	t.Helper()
	needRunsc(t)
	debianOnce.Do(func() {
		var stderr bytes.Buffer
		cmd := exec.Command("../rootfs/debian.sh")
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			debianErr = fmt.Errorf("test/rootfs/debian.sh: %v: %s", err, stderr.Bytes())
			return
		}
		tarball := strings.TrimSpace(string(out))
		dir := filepath.Join(filepath.Dir(progBin), "debian")
		if err := os.Mkdir(dir, 0o755); err != nil {
			debianErr = err
			return
		}
		if out, err := exec.Command("tar", "--numeric-owner", "-C", dir, "-xf", tarball).CombinedOutput(); err != nil {
			debianErr = fmt.Errorf("tar -xf %s: %v: %s", tarball, err, out)
			return
		}
		debianDir = dir
	})
	if debianErr != nil {
		t.Fatal(debianErr)
	}
	return debianDir
}

// newDebianEnv is newEnv whose root is the shared Debian rootfs (writable through the
// in-memory overlay, so that the rootfs itself never changes), running bash -c script.
func newDebianEnv(t *testing.T, script string) *env {
	t.Helper()
	dir := debianRootfs(t)
	e := newEnv(t, "bash", "-c", script)
	e.editSpec(func(m map[string]any) {
		m["root"] = map[string]any{"path": dir, "readonly": false}
	})
	env := make([]any, len(debianEnv))
	for i, s := range debianEnv {
		env[i] = s
	}
	e.setProcess("env", env)
	caps := make([]any, len(dockerCaps))
	for i, c := range dockerCaps {
		caps[i] = c
	}
	e.setProcess("capabilities", map[string]any{"bounding": caps, "effective": caps, "permitted": caps})
	return e
}

// dockerCaps is Docker's default capability set, which Debian's root tools expect (chown,
// reading root-only files): runsc spec's default keeps only three.
var dockerCaps = []string{"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW",
	"CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"}

// chrootRun runs bash -c script natively in the Debian rootfs with chroot(8), as the
// given uid:gid with no supplementary groups (as a spec without additionalGids gives).
func chrootRun(t *testing.T, uid, gid int, script string) string {
	t.Helper()
	args := []string{}
	if uid != 0 || gid != 0 {
		args = append(args, fmt.Sprintf("--userspec=%d:%d", uid, gid), "--groups=")
	}
	args = append(args, debianRootfs(t), "/usr/bin/env", "-i")
	args = append(args, debianEnv...)
	args = append(args, "bash", "-c", script)
	cmd := exec.Command("chroot", args...)
	cmd.Dir = "/"
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("chroot: %v: %s", err, out)
	}
	return string(out)
}

// section is one command of a differential script.
type section struct{ name, script string }

// sectionScript joins sections into one bash script whose output is each section's name,
// its output (stdout and stderr) and its exit status.
func sectionScript(secs []section) string {
	var b strings.Builder
	for _, s := range secs {
		fmt.Fprintf(&b, "echo '=== %s'\n{\n%s\n} 2>&1\necho \"=== rc $?\"\n", s.name, s.script)
	}
	return b.String()
}

// splitSections is sectionScript's output by section name.
func splitSections(out string) map[string]string {
	m := map[string]string{}
	name := ""
	for _, l := range strings.SplitAfter(out, "\n") {
		if n, ok := strings.CutPrefix(l, "=== "); ok && !strings.HasPrefix(n, "rc ") {
			name = strings.TrimSuffix(n, "\n")
			continue
		}
		m[name] += l
	}
	return m
}

// compareSections runs secs in the container (its output is sandboxed) and natively, and
// reports every section whose output differs.
func compareSections(t *testing.T, secs []section, sandboxed, native string) {
	t.Helper()
	got, want := splitSections(sandboxed), splitSections(native)
	for _, s := range secs {
		if got[s.name] != want[s.name] {
			t.Errorf("%s: sandboxed output\n%s\nnative output\n%s", s.name, got[s.name], want[s.name])
		} else if !strings.Contains(want[s.name], "=== rc 0\n") {
			t.Errorf("%s failed natively too: %s", s.name, want[s.name])
		}
	}
}

// debianSections are commands whose output depends only on the rootfs: the same natively.
var debianSections = []section{
	{"pipes", `seq 1 2000 | sort -rn | head -5 | tr '\n' ' ' | wc -c
printf '%s\n' c b a | sort | paste -sd-
echo $(( $(seq 1 100 | paste -sd+) ))
yes hello | head -n 100000 | uniq -c`},
	{"ls", `ls -ln --time-style=+%s /etc/passwd /etc/group /usr/bin/dpkg /bin
ls /usr/bin | wc -l
ls -d /var/lib/dpkg/info/*.list | wc -l
ls -la --time-style=+%s /etc/apt`},
	{"coreutils", `sort -t: -k3,3n /etc/passwd | cut -d: -f1,3 | head -5
wc -l -w -c /var/lib/dpkg/status
sha256sum /usr/bin/bash /etc/debian_version /usr/lib/x86_64-linux-gnu/libc.so.6
md5sum /etc/os-release
du -s -b --apparent-size /usr/lib/python3.11/json
stat -c '%n %s %a %u %g %F %h' /etc/shadow /usr/bin/passwd /tmp /var/lib/dpkg /usr/bin/sh
find /etc/apt /usr/share/doc/procps | sort
readlink -f /bin/sh /lib64/ld-linux-x86-64.so.2
tr -dc 'a-z' < /etc/services | fold -w 60 | head -3
head -c 4096 /usr/bin/bash | od -An -tx1 | sort | uniq -c | sort -rn | head -3`},
	{"dpkg", `dpkg -l | wc -l
dpkg --status bash
dpkg -L procps | sort | sha256sum
dpkg-query -W -f '${Package} ${Version} ${Status}\n' | sort | sha256sum
dpkg --verify bash coreutils dpkg python3.11-minimal && echo verified
dpkg --audit && echo audited
dpkg --print-architecture`},
	{"apt", `apt-get --version | head -1
apt-config dump | grep -E '^(APT::Architecture|Dir::State::status) '`},
	{"python", `python3 - <<'EOF'
import hashlib, json, os, subprocess, sys, threading
results = {}
lock = threading.Lock()
def work(i):
    h = hashlib.sha256(str(i).encode() * 10000).hexdigest()
    with lock:
        results[i] = h[:12]
threads = [threading.Thread(target=work, args=(i,)) for i in range(16)]
for t in threads:
    t.start()
for t in threads:
    t.join()
sub = subprocess.run(["sh", "-c", "echo $((6*7)) | tr 4 X; exit 3"], capture_output=True, text=True)
p = subprocess.Popen(["sort", "-r"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
sorted_out, _ = p.communicate("apple\ncherry\nbanana\n")
with open("/var/lib/dpkg/status") as f:
    pkgs = sum(1 for l in f if l.startswith("Package: "))
print(json.dumps({"threads": results, "sub": [sub.stdout, sub.returncode], "sort": sorted_out,
                  "rc": p.returncode, "pkgs": pkgs, "version": sys.version_info[:2],
                  "json": json.loads('{"a": [1, 2.5, null, true]}')}, sort_keys=True, indent=1))
EOF`},
	{"sched", `nice -n 5 nice; nice -n 3 nice -n 4 nice; chrt -m`},
	{"ids", `id
id tester
getent passwd tester root
getent group tester root
whoami
test -w /etc/shadow && echo shadow-writable`},
}

// TestDebianDifferential: the Debian userland gives the same output in the container as
// natively in a chroot of the same rootfs, as root and as uid 1000.
func TestDebianDifferential(t *testing.T) {
	t.Parallel()
	script := sectionScript(debianSections)
	e := newDebianEnv(t, script)
	r := e.must("run", "deb")
	compareSections(t, debianSections, r.stdout, chrootRun(t, 0, 0, script))

	// As uid 1000 (process.user), with no additional groups: the user's name comes from
	// /etc/passwd in the rootfs, and root-only files are refused.
	user := []section{
		{"id", `id; id -un; id -gn; whoami; getent passwd "$(id -u)"`},
		{"perms", `cat /etc/shadow; test -w /etc/passwd || echo passwd-read-only; ls /root || echo no-root`},
		{"python", `python3 -c 'import os, pwd; print(os.getuid(), os.geteuid(), os.getgroups(), pwd.getpwuid(os.getuid()).pw_dir)'`},
	}
	script = sectionScript(user)
	e.setArgs("bash", "-c", script)
	e.setProcess("user", map[string]any{"uid": 1000, "gid": 1000})
	// As Docker gives a non-root user: no effective or permitted capabilities.
	e.setProcess("capabilities", map[string]any{"bounding": []any{"CAP_KILL"}, "effective": []any{}, "permitted": []any{}})
	r = e.must("run", "deb1000")
	compareSections(t, user, r.stdout, chrootRun(t, 1000, 1000, script))
	if !strings.Contains(r.stdout, "uid=1000(tester) gid=1000(tester) groups=1000(tester)\n") {
		t.Errorf("id as uid 1000: %q", r.stdout)
	}
}

// psLine matches a `ps -eo pid,ppid,user,comm` line.
var psLine = regexp.MustCompile(`^\s*(\d+)\s+(\d+)\s+(\S+)\s+(\S+)$`)

// TestDebianProcsExec: procps reads the container's /proc (ps aux, ps -eo), and bash is
// exec'd into a running container, as root and as uid 1000.
func TestDebianProcsExec(t *testing.T) {
	t.Parallel()
	e := newDebianEnv(t, "echo started > /run/marker; exec sleep 600")
	e.must("run", "--detach", "x")
	waitForProcs(t, e, "x", 1)
	r := e.must("exec", "x", "bash", "-c", "cat /run/marker; ps -eo pid,ppid,user,comm --no-headers; exit 0")
	lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
	if len(lines) != 4 || lines[0] != "started" {
		t.Fatalf("exec: %q", r.stdout)
	}
	var procs [][]string
	for _, l := range lines[1:] {
		m := psLine.FindStringSubmatch(l)
		if m == nil {
			t.Fatalf("ps line %q in %q", l, r.stdout)
		}
		procs = append(procs, m[1:])
	}
	sort.Slice(procs, func(i, j int) bool { return len(procs[i][0]) < len(procs[j][0]) || procs[i][0] < procs[j][0] })
	// pid 1 is init (sleep); the exec'd bash and its child ps follow.
	if p := procs[0]; p[0] != "1" || p[2] != "root" || p[3] != "sleep" {
		t.Errorf("init: %q", p)
	}
	if p := procs[1]; p[2] != "root" || p[3] != "bash" {
		t.Errorf("exec'd bash: %q", p)
	}
	if p := procs[2]; p[1] != procs[1][0] || p[3] != "ps" {
		t.Errorf("ps (child of bash %s): %q", procs[1][0], p)
	}

	// ps aux: the header and a line per process, with user, state and command line. init
	// (sleep) is S once it sleeps: on a loaded machine it may still be starting (R) when
	// the exec above has run.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		st := e.must("exec", "x", "cut", "-d", " ", "-f", "3", "/proc/1/stat").stdout
		if st == "S\n" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("init (sleep 600) is %q, not S, after 10 s", st)
		}
	}
	r = e.must("exec", "x", "ps", "aux")
	aux := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
	if len(aux) != 3 || !regexp.MustCompile(`^USER\s+PID\s+%CPU\s+%MEM\s+VSZ\s+RSS\s+TTY\s+STAT\s+START\s+TIME\s+COMMAND$`).MatchString(aux[0]) ||
		!regexp.MustCompile(`^root\s+1\s.*\sS\S*\s.*sleep 600$`).MatchString(aux[1]) ||
		!regexp.MustCompile(`^root\s+\d+\s.*\sR\S*\s.*ps aux$`).MatchString(aux[2]) {
		t.Errorf("ps aux: %q", r.stdout)
	}

	// procps' other readers of /proc: vmstat (/proc/vmstat, /proc/stat), free (meminfo),
	// uptime, top (4 tasks: sleep, bash, top, head).
	r = e.must("exec", "x", "bash", "-c", "vmstat; free -m; uptime; top -bn1 | head -n2")
	out := strings.Split(r.stdout, "\n")
	if len(out) < 9 || !strings.HasPrefix(out[0], "procs ---") || !regexp.MustCompile(`^\s*r\s+b\s+swpd\s+free`).MatchString(out[1]) ||
		len(strings.Fields(out[2])) != 17 || !strings.HasPrefix(strings.TrimSpace(out[3]), "total") ||
		!strings.HasPrefix(out[4], "Mem:") || !strings.Contains(out[6], "load average: ") ||
		!strings.HasPrefix(out[7], "top - ") || !regexp.MustCompile(`^Tasks:\s+4 total`).MatchString(out[8]) {
		t.Errorf("vmstat, free, uptime, top: %q", r.stdout)
	}

	// exec as uid 1000 with a cwd: the user's name from the rootfs, the overlay file written
	// by init is readable, and the home directory the rootfs made is writable.
	r = e.must("exec", "--user", "1000:1000", "--cwd", "/home/tester", "x", "bash", "-c",
		"id; pwd; cat /run/marker; echo mine > f && stat -c '%U %G %a' f; pgrep -l sleep")
	if r.stdout != "uid=1000(tester) gid=1000(tester) groups=1000(tester)\n/home/tester\nstarted\ntester tester 644\n1 sleep\n" {
		t.Errorf("exec as uid 1000: %q", r.stdout)
	}
	// An exec'd process's exit status.
	if r := e.runsc("exec", "x", "bash", "-c", "exit 7"); r.code != 7 {
		t.Errorf("exec exit 7: %+v", r)
	}
	// pkill finds init, but init (sleep, no handler) ignores SIGTERM from inside its pid
	// namespace, as on Linux; SIGKILL from the runtime ends the container.
	if r := e.must("exec", "x", "bash", "-c", "pkill -TERM -x sleep; sleep 0.2; pgrep -x sleep"); r.stdout != "1\n" {
		t.Errorf("init after SIGTERM from inside: %q", r.stdout)
	}
	e.must("kill", "x", "KILL")
	if r := e.runsc("wait", "x"); r.code != 137 {
		t.Errorf("wait after SIGKILL: %+v", r)
	}
}

// TestDebianOverlay: files created, renamed, linked and deleted in the in-memory overlay
// over the Debian rootfs, including files and directories of the lower layer; the rootfs
// itself is unchanged.
func TestDebianOverlay(t *testing.T) {
	t.Parallel()
	e := newDebianEnv(t, `set -e
mkdir -p /srv/t && cd /srv/t
echo one > a && mv a b && ln -s b c && ln b d
cat c; stat -c '%h %F' b c
rm b; cat d; rm c d; ls -A; echo empty
rm /etc/debian_version; test ! -e /etc/debian_version && echo lower-file-removed
echo appended >> /etc/issue; tail -n1 /etc/issue
mv /etc/hostname /etc/hostname.old; ls /etc | grep '^hostname'
mv /usr/share/doc/procps /usr/share/doc/procps.moved; ls /usr/share/doc/procps.moved | head -2
rm -r /usr/share/doc/bash; ls /usr/share/doc/bash 2>&1 || true
python3 -c 'import os, tempfile
d = tempfile.mkdtemp(dir="/var/tmp")
for i in range(50):
    open(os.path.join(d, "f%02d" % i), "w").write(str(i))
for i in range(0, 50, 2):
    os.rename(os.path.join(d, "f%02d" % i), os.path.join(d, "g%02d" % i))
for i in range(1, 50, 2):
    os.unlink(os.path.join(d, "f%02d" % i))
print(len(os.listdir(d)), sorted(os.listdir(d))[:2], open(os.path.join(d, "g48")).read())'
dpkg --status bash | head -1`)
	r := e.must("run", "ov")
	want := `one
2 regular file
1 symbolic link
one
empty
lower-file-removed
appended
hostname.old
FAQ.gz
NEWS.Debian.gz
ls: cannot access '/usr/share/doc/bash': No such file or directory
25 ['g00', 'g02'] 48
Package: bash
`
	if r.stdout != want {
		t.Errorf("stdout\n%s\nwant\n%s\nstderr %s", r.stdout, want, r.stderr)
	}
	dir := debianRootfs(t)
	for _, f := range []string{"etc/debian_version", "etc/hostname", "usr/share/doc/procps", "usr/share/doc/bash/copyright"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("the overlay changed the rootfs: %v", err)
		}
	}
	for _, f := range []string{"srv/t", "etc/hostname.old", "usr/share/doc/procps.moved"} {
		if _, err := os.Lstat(filepath.Join(dir, f)); err == nil {
			t.Errorf("%s, made in the overlay, is in the rootfs", f)
		}
	}
}

// TestDebianBindMount: a host directory bind-mounted read-write: files written, renamed,
// chowned and deleted by Debian's programs are so on the host.
func TestDebianBindMount(t *testing.T) {
	t.Parallel()
	host := t.TempDir()
	os.WriteFile(filepath.Join(host, "in"), []byte("b\na\nb\nc\nb\n"), 0o644)
	os.Mkdir(filepath.Join(host, "gone"), 0o755)
	os.WriteFile(filepath.Join(host, "gone", "x"), []byte("x"), 0o644)
	e := newDebianEnv(t, `set -e
cd /data
sort in | uniq -c > out.tmp && mv out.tmp out
sha256sum in | cut -d' ' -f1
rm in; rm -r gone
mkdir -p d/e && echo deep > d/e/f && chown -R 1000:1000 d && chmod 0750 d
python3 -c 'import os; fd = os.open("/data/py", os.O_CREAT | os.O_WRONLY | os.O_EXCL, 0o600); os.write(fd, b"x" * 100000); os.fsync(fd); os.close(fd)'
ln -s d/e/f link; readlink link
ls`)
	e.addMount("/data", "bind", host, "rbind", "rw")
	r := e.must("run", "bind")
	in := sha256.Sum256([]byte("b\na\nb\nc\nb\n"))
	if want := hex.EncodeToString(in[:]) + "\n"; !strings.HasPrefix(r.stdout, want) {
		t.Errorf("stdout %q, want the sha256 of in first (%s)", r.stdout, want)
	}
	if want := "d/e/f\nd\nlink\nout\npy\n"; !strings.HasSuffix(r.stdout, want) {
		t.Errorf("stdout %q, want suffix %q", r.stdout, want)
	}
	if data, err := os.ReadFile(filepath.Join(host, "out")); err != nil || string(data) != "      1 a\n      3 b\n      1 c\n" {
		t.Errorf("out on the host: %q (%v)", data, err)
	}
	for _, f := range []string{"in", "gone", "out.tmp"} {
		if _, err := os.Lstat(filepath.Join(host, f)); err == nil {
			t.Errorf("%s is still on the host", f)
		}
	}
	var st os.FileInfo
	var err error
	if st, err = os.Stat(filepath.Join(host, "d")); err != nil || st.Mode().Perm() != 0o750 {
		t.Errorf("d on the host: %v %v", st, err)
	}
	if data, err := os.ReadFile(filepath.Join(host, "d", "e", "f")); err != nil || string(data) != "deep\n" {
		t.Errorf("d/e/f on the host: %q (%v)", data, err)
	}
	if out, err := exec.Command("stat", "-c", "%u:%g", filepath.Join(host, "d", "e", "f")).Output(); err != nil || string(out) != "1000:1000\n" {
		t.Errorf("d/e/f owner on the host: %q (%v)", out, err)
	}
	if st, err = os.Stat(filepath.Join(host, "py")); err != nil || st.Size() != 100000 || st.Mode().Perm() != 0o600 {
		t.Errorf("py on the host: %v %v", st, err)
	}
}

// TestDebianDpkgInstall: dpkg-deb builds a package in the container and dpkg installs (its
// maintainer script runs), lists and removes it, through the overlay over /var/lib/dpkg.
func TestDebianDpkgInstall(t *testing.T) {
	t.Parallel()
	e := newDebianEnv(t, `set -e
mkdir -p /tmp/p/DEBIAN /tmp/p/usr/bin
printf 'Package: hello-stk\nVersion: 1.0\nArchitecture: all\nMaintainer: t <t@example.com>\nDescription: test\n' > /tmp/p/DEBIAN/control
printf '#!/bin/sh\necho hello from the package\n' > /tmp/p/usr/bin/hello-stk
printf '#!/bin/sh\necho postinst "$1" >&2\n' > /tmp/p/DEBIAN/postinst
chmod 755 /tmp/p/usr/bin/hello-stk /tmp/p/DEBIAN/postinst
dpkg-deb --root-owner-group --build /tmp/p /tmp/h.deb >/dev/null
dpkg -i /tmp/h.deb >/dev/null
hello-stk
dpkg-query -W -f '${Package} ${Version} ${Status}\n' hello-stk
dpkg -L hello-stk | grep bin/
dpkg -r hello-stk >/dev/null
test ! -e /usr/bin/hello-stk && echo removed
dpkg-query -W -f '${Status}\n' hello-stk 2>&1 || true
dpkg --audit && echo audited`)
	r := e.must("run", "dpkg")
	want := `hello from the package
hello-stk 1.0 install ok installed
/usr/bin/hello-stk
removed
dpkg-query: no packages found matching hello-stk
audited
`
	if r.stdout != want || !strings.Contains(r.stderr, "postinst configure") {
		t.Errorf("stdout\n%s\nwant\n%s\nstderr %s", r.stdout, want, r.stderr)
	}
	if data, err := os.ReadFile(filepath.Join(debianRootfs(t), "var/lib/dpkg/status")); err != nil || strings.Contains(string(data), "hello-stk") {
		t.Errorf("the rootfs's dpkg status changed (%v)", err)
	}
}

// TestDebianProcFD: bash's process substitution and /dev/std{in,out,err} open
// /proc/self/fd/N (magic links), here for pipes made in the container and for the
// container's stdio, host descriptors (a chroot has no /proc to compare with).
func TestDebianProcFD(t *testing.T) {
	t.Parallel()
	e := newDebianEnv(t, `diff <(seq 1 3) <(seq 0 2) | head -n1
tee >(tr a-z A-Z > /dev/stderr) < /etc/debian_version > /dev/null; sleep 0.2
echo to-stderr > /dev/stderr
echo to-stdout >> /dev/stdout
cat /dev/stdin
python3 -c 'print(open("/dev/stdout", "a").write("python\n"))'
read -r x < <(echo via-read); echo $x`)
	inR, inW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer inR.Close()
	inW.WriteString("from stdin\n")
	inW.Close()
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(runsc, "--root", e.root, "run", "procfd")
	cmd.Dir = e.bundle
	cmd.Stdin, cmd.Stdout, cmd.Stderr = inR, &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("runsc run: %v (stdout %q, stderr %q)", err, stdout.String(), stderr.String())
	}
	version, err := os.ReadFile(filepath.Join(debianRootfs(t), "etc/debian_version"))
	if err != nil {
		t.Fatal(err)
	}
	if want := "0a1\nto-stdout\nfrom stdin\npython\n7\nvia-read\n"; stdout.String() != want {
		t.Errorf("stdout %q, want %q", stdout.String(), want)
	}
	if want := strings.ToUpper(string(version)) + "to-stderr\n"; stderr.String() != want {
		t.Errorf("stderr %q, want %q", stderr.String(), want)
	}
}
