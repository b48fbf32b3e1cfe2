package devpts

import (
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/stockade-sandbox/stockade/sentry/vfs"
)

// newTestFS is a devpts instance without a kernel: enough for everything but signals.
func newTestFS(t *testing.T, data string) *filesystem {
	t.Helper()
	o, err := parseOptions(data)
	if err != nil {
		t.Fatal(err)
	}
	fs := &filesystem{opts: o, ptys: make(map[uint32]*pty), ctime: time.Now()}
	fs.root = &rootDir{fs: fs}
	fs.ptmx = &ptmxInode{fs: fs}
	return fs
}

func openMaster(t *testing.T, fs *filesystem) *masterFile {
	t.Helper()
	impl, err := fs.ptmx.Open(unix.O_RDWR)
	if err != nil {
		t.Fatal(err)
	}
	return impl.(*masterFile)
}

func TestPTYNumbersAndEntries(t *testing.T) {
	fs := newTestFS(t, "mode=0620,ptmxmode=0666")
	m0, m1 := openMaster(t, fs), openMaster(t, fs)
	if m0.pty.tm.Index != 0 || m1.pty.tm.Index != 1 {
		t.Fatalf("numbers %d, %d; want 0, 1", m0.pty.tm.Index, m1.pty.tm.Index)
	}
	ents, _ := fs.root.Readdir()
	if len(ents) != 3 || ents[0].Name != "ptmx" || ents[1].Name != "0" || ents[2].Name != "1" {
		t.Fatalf("entries %+v", ents)
	}
	st, _ := fs.ptmx.Stat()
	if st.Mode != unix.S_IFCHR|0666 || st.Rdev != unix.Mkdev(5, 2) {
		t.Errorf("ptmx: mode %#o rdev %#x", st.Mode, st.Rdev)
	}
	child, err := fs.root.Lookup("1")
	if err != nil {
		t.Fatal(err)
	}
	st, _ = child.Stat()
	if st.Mode != unix.S_IFCHR|0620 || st.Rdev != unix.Mkdev(136, 1) {
		t.Errorf("slave 1: mode %#o rdev %#x", st.Mode, st.Rdev)
	}
	for _, bad := range []string{"01", "2", "-1", "x", "4294967296"} {
		if _, err := fs.root.Lookup(bad); err != unix.ENOENT {
			t.Errorf("Lookup(%q): %v, want ENOENT", bad, err)
		}
	}
	// Closing the master removes the slave; its number is reused.
	m0.Release()
	if fs.root.Revalidate("0", m0.pty) {
		t.Error("the closed pty's entry is still valid")
	}
	if _, err := fs.root.Lookup("0"); err != unix.ENOENT {
		t.Errorf("Lookup of a closed pty: %v", err)
	}
	if m := openMaster(t, fs); m.pty.tm.Index != 0 {
		t.Errorf("reused number %d, want 0", m.pty.tm.Index)
	}
}

func TestSlaveLockedUntilUnlocked(t *testing.T) {
	fs := newTestFS(t, "")
	m := openMaster(t, fs)
	if _, err := m.pty.Open(unix.O_RDWR); err != unix.EIO {
		t.Fatalf("open of a locked slave: %v, want EIO", err)
	}
	m.pty.locked = false
	s, err := m.pty.Open(unix.O_RDWR)
	if err != nil {
		t.Fatal(err)
	}
	s.Release()
	m.Release()
	if _, err := m.pty.Open(unix.O_RDWR); err != unix.EIO {
		t.Fatalf("open after the master closed: %v, want EIO", err)
	}
}

func TestMaxAndOptions(t *testing.T) {
	fs := newTestFS(t, "max=1,newinstance,uid=7,gid=5")
	m := openMaster(t, fs)
	if _, err := fs.ptmx.Open(unix.O_RDWR); err != unix.ENOSPC {
		t.Errorf("second pty with max=1: %v, want ENOSPC", err)
	}
	if st, _ := m.pty.Stat(); st.UID != 7 || st.GID != 5 {
		t.Errorf("slave owner %d:%d, want 7:5", st.UID, st.GID)
	}
	for _, bad := range []string{"mode=9", "ptmxmode=x", "uid=-1", "max=z"} {
		if _, err := parseOptions(bad); err == nil {
			t.Errorf("parseOptions(%q) accepted", bad)
		}
	}
	if _, err := fs.root.Mknod("x", vfsCreateArgs()); err != unix.EPERM {
		t.Errorf("mknod in devpts: %v, want EPERM", err)
	}
}

func vfsCreateArgs() vfs.CreateArgs { return vfs.CreateArgs{Mode: unix.S_IFREG | 0644} }
