package proc

import (
	"errors"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/stockade-sandbox/stockade/fsimpl/tmpfs"
	"github.com/stockade-sandbox/stockade/platform"
	"github.com/stockade-sandbox/stockade/sentry/kernel"
	"github.com/stockade-sandbox/stockade/sentry/memfile"
	"github.com/stockade-sandbox/stockade/sentry/vfs"
)

// fakePlatform lets a kernel be built without running anything: it has no processes, so
// these tests cover the global files, the tree and the VFS plumbing; the per-process
// files are covered by the differential tests (test/c/procfs.c).
type fakePlatform struct{}

func (fakePlatform) Name() string                                    { return "fake" }
func (fakePlatform) NewAddressSpace() (platform.AddressSpace, error) { return nil, unix.ENOSYS }
func (fakePlatform) NewContext() (platform.Context, error)           { return nil, unix.ENOSYS }
func (fakePlatform) MaxUserAddress() uintptr                         { return 1 << 47 }
func (fakePlatform) MinUserAddress() uintptr                         { return 1 << 16 }
func (fakePlatform) Release()                                        {}

// newProc returns a VFS with a tmpfs root and procfs at /proc, and its root.
func newProc(t *testing.T) (*vfs.VirtualFilesystem, vfs.VirtualDentry) {
	t.Helper()
	mf, err := memfile.New("proc-test", 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { mf.Close() })
	k, err := kernel.New(kernel.Config{Platform: fakePlatform{}, MemFile: mf, Hostname: "box", Domainname: "example.org"})
	if err != nil {
		t.Fatal(err)
	}
	v := vfs.New()
	ns, err := v.NewMountNamespace(tmpfs.Name, vfs.MountOptions{Data: "mode=755"}, 0)
	if err != nil {
		t.Fatal(err)
	}
	root := ns.Root()
	pop := &vfs.PathOperation{Root: root, Start: root, Path: "/proc"}
	if err := v.MkdirAt(vfs.RootCreds, pop, 0555); err != nil {
		t.Fatal(err)
	}
	target, err := v.GetDentry(vfs.RootCreds, pop)
	if err != nil {
		t.Fatal(err)
	}
	fs, err := v.NewFilesystem(Name, vfs.MountOptions{Private: k})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.MountAt(fs, target, unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC); err != nil {
		t.Fatal(err)
	}
	return v, root
}

func readFile(t *testing.T, v *vfs.VirtualFilesystem, root vfs.VirtualDentry, p string) string {
	t.Helper()
	fd, err := v.OpenAt(vfs.RootCreds, &vfs.PathOperation{Root: root, Start: root, Path: p, FollowFinal: true}, unix.O_RDONLY, 0)
	if err != nil {
		t.Fatalf("open %s: %v", p, err)
	}
	defer fd.Release()
	var out []byte
	buf := make([]byte, 7) // small reads exercise the snapshot across calls
	for {
		n, err := fd.Read(nil, buf)
		if err != nil {
			t.Fatalf("read %s: %v", p, err)
		}
		if n == 0 {
			return string(out)
		}
		out = append(out, buf[:n]...)
	}
}

func list(t *testing.T, v *vfs.VirtualFilesystem, root vfs.VirtualDentry, p string) []string {
	t.Helper()
	fd, err := v.OpenAt(vfs.RootCreds, &vfs.PathOperation{Root: root, Start: root, Path: p, FollowFinal: true}, unix.O_RDONLY|unix.O_DIRECTORY, 0)
	if err != nil {
		t.Fatalf("open %s: %v", p, err)
	}
	defer fd.Release()
	var names []string
	fd.IterDirents(func(d vfs.Dirent, _ int64) bool {
		names = append(names, d.Name)
		return true
	})
	return names
}

func TestProcNeedsAKernel(t *testing.T) {
	if _, err := vfs.New().NewFilesystem(Name, vfs.MountOptions{}); !errors.Is(err, unix.EINVAL) {
		t.Fatalf("NewFilesystem without a kernel: %v, want EINVAL", err)
	}
}

func TestGlobalFilesHaveLinuxFormats(t *testing.T) {
	v, root := newProc(t)
	checks := map[string]string{
		"/proc/meminfo":                   `(?m)^MemTotal: +\d+ kB\n(.|\n)*^MemAvailable: +\d+ kB$`,
		"/proc/uptime":                    `^\d+\.\d\d \d+\.\d\d\n$`,
		"/proc/loadavg":                   `^0\.00 0\.00 0\.00 0/0 \d+\n$`,
		"/proc/stat":                      `(?m)^cpu  \d+ 0 \d+ \d+ 0 0 0 0 0 0\n(.|\n)*^btime \d+$`,
		"/proc/filesystems":               `(?m)^nodev\tproc$`,
		"/proc/version":                   `^Linux version 6\.1\.0 `,
		"/proc/sys/kernel/hostname":       `^box\n$`,
		"/proc/sys/kernel/domainname":     `^example\.org\n$`,
		"/proc/sys/kernel/ostype":         `^Linux\n$`,
		"/proc/sys/kernel/osrelease":      `^6\.1\.0\n$`,
		"/proc/sys/kernel/pid_max":        `^4194304\n$`,
		"/proc/sys/kernel/random/uuid":    `^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}\n$`,
		"/proc/sys/kernel/random/boot_id": `^[0-9a-f]{8}-`,
		"/proc/sys/vm/overcommit_memory":  `^0\n$`,
		"/proc/sys/fs/nr_open":            `^1048576\n$`,
		"/proc/cpuinfo":                   `processor\s*: 0`,
	}
	for p, re := range checks {
		got := readFile(t, v, root, p)
		if !regexp.MustCompile(re).MatchString(got) {
			t.Errorf("%s = %q, want a match for %s", p, got, re)
		}
	}
}

func TestBootIDIsStableAndUUIDIsNot(t *testing.T) {
	v, root := newProc(t)
	if a, b := readFile(t, v, root, "/proc/sys/kernel/random/boot_id"), readFile(t, v, root, "/proc/sys/kernel/random/boot_id"); a != b {
		t.Errorf("boot_id changed: %q then %q", a, b)
	}
	if a, b := readFile(t, v, root, "/proc/sys/kernel/random/uuid"), readFile(t, v, root, "/proc/sys/kernel/random/uuid"); a == b {
		t.Errorf("uuid repeated: %q", a)
	}
}

func TestRootListsFixedEntriesSorted(t *testing.T) {
	v, root := newProc(t)
	names := list(t, v, root, "/proc")
	for _, want := range []string{".", "..", "self", "thread-self", "mounts", "meminfo", "sys", "uptime"} {
		found := false
		for _, n := range names {
			found = found || n == want
		}
		if !found {
			t.Errorf("/proc lacks %q: %v", want, names)
		}
	}
	if got := list(t, v, root, "/proc/sys/kernel/random"); strings.Join(got, " ") != ". .. boot_id uuid" {
		t.Errorf("random/ = %v", got)
	}
}

func TestSelfNeedsATask(t *testing.T) {
	v, root := newProc(t)
	// Without a task (an in-kernel walk) /proc/self names nothing.
	_, err := v.GetDentry(vfs.RootCreds, &vfs.PathOperation{Root: root, Start: root, Path: "/proc/self/stat", FollowFinal: true})
	if !errors.Is(err, unix.ENOENT) {
		t.Fatalf("/proc/self/stat without a task: %v, want ENOENT", err)
	}
	if got, err := v.ReadlinkAt(vfs.RootCreds, &vfs.PathOperation{Root: root, Start: root, Path: "/proc/mounts"}); err != nil || got != "self/mounts" {
		t.Fatalf("readlink /proc/mounts = %q, %v", got, err)
	}
}

func TestMissingPidsAndNamesAreENOENT(t *testing.T) {
	v, root := newProc(t)
	for _, p := range []string{"/proc/1", "/proc/01", "/proc/-1", "/proc/nope", "/proc/sys/nope"} {
		_, err := v.GetDentry(vfs.RootCreds, &vfs.PathOperation{Root: root, Start: root, Path: p})
		if !errors.Is(err, unix.ENOENT) {
			t.Errorf("%s: %v, want ENOENT", p, err)
		}
	}
}

func TestProcIsReadOnly(t *testing.T) {
	v, root := newProc(t)
	pop := &vfs.PathOperation{Root: root, Start: root, Path: "/proc/newfile"}
	if _, err := v.OpenAt(vfs.RootCreds, pop, unix.O_CREAT|unix.O_WRONLY, 0644); err == nil {
		t.Fatal("created a file in /proc")
	}
	pop = &vfs.PathOperation{Root: root, Start: root, Path: "/proc/sys/vm/overcommit_memory", FollowFinal: true}
	creds := &vfs.Creds{UID: 1000, GID: 1000}
	if _, err := v.OpenAt(creds, pop, unix.O_WRONLY, 0); !errors.Is(err, unix.EACCES) {
		t.Fatalf("open sysctl for writing as a user: %v, want EACCES", err)
	}
}

func TestSnapshotIsTakenAtFirstReadAndRetakenAtOffsetZero(t *testing.T) {
	fs := &Filesystem{}
	n := 0
	f := fs.newFile(0444, func(*kernel.Task) ([]byte, error) {
		n++
		return []byte("gen" + strconv.Itoa(n) + "\n"), nil
	})
	impl, err := f.Open(unix.O_RDONLY)
	if err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Fatalf("generated at open")
	}
	b := make([]byte, 2)
	impl.Read(nil, b, 0)
	impl.Read(nil, b, 2)
	if string(b) != "n1" || n != 1 {
		t.Fatalf("second read %q after %d generations", b, n)
	}
	impl.Read(nil, b, 0)
	if string(b) != "ge" || n != 2 {
		t.Fatalf("reading at 0 again: %d generations", n)
	}
	if _, err := impl.Seek(nil, 0, 0, unix.SEEK_END); !errors.Is(err, unix.EINVAL) {
		t.Fatalf("SEEK_END: %v", err)
	}
}

func TestMountOptions(t *testing.T) {
	if got := mountOpts(unix.MS_RDONLY | unix.MS_NOSUID | unix.MS_NODEV); got != "ro,nosuid,nodev,relatime" {
		t.Errorf("mountOpts = %q", got)
	}
	if got := mountOpts(0); got != "rw,relatime" {
		t.Errorf("mountOpts(0) = %q", got)
	}
}
