package vfs_test

import (
	"encoding/binary"
	"fmt"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/stockade-sandbox/stockade/sentry/vfs"
)

// events reads every queued event as "wd:MASK:name:cookie" strings (cookies as c1, c2... in
// order of appearance).
func events(t *testing.T, in *vfs.Inotify) []string {
	t.Helper()
	buf := make([]byte, 4096)
	n, err := in.Read(nil, buf)
	if err == unix.EAGAIN {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	cookies := map[uint32]int{}
	for b := buf[:n]; len(b) > 0; {
		wd, mask := binary.LittleEndian.Uint32(b), binary.LittleEndian.Uint32(b[4:])
		cookie, l := binary.LittleEndian.Uint32(b[8:]), binary.LittleEndian.Uint32(b[12:])
		name := strings.TrimRight(string(b[16:16+l]), "\x00")
		c := ""
		if cookie != 0 {
			if _, ok := cookies[cookie]; !ok {
				cookies[cookie] = len(cookies) + 1
			}
			c = fmt.Sprintf("c%d", cookies[cookie])
		}
		out = append(out, fmt.Sprintf("%d:%#x:%s:%s", wd, mask, name, c))
		b = b[16+l:]
	}
	return out
}

func TestInotifyRenameUnlinkAndRelease(t *testing.T) {
	e := newEnv(t)
	e.mkdir("/d")
	f := e.create("/d/a")
	in := vfs.NewInotify(unix.O_NONBLOCK)
	defer in.Release()
	wdd, err := in.AddWatch(VirtualOf(e, "/d").Dentry, vfs.InAllEvents)
	e.must(err)
	wdf, err := in.AddWatch(VirtualOf(e, "/d/a").Dentry, vfs.InAllEvents|vfs.InOneshot)
	e.must(err)
	if wdd != 1 || wdf != 2 {
		t.Fatalf("wds %d %d, want 1 2", wdd, wdf)
	}
	if _, err := f.Write(nil, []byte("x")); err != nil {
		t.Fatal(err)
	}
	f.Release()
	e.must(e.v.RenameAt(e.creds, e.pop("/d/a", false), e.pop("/d/b", false), 0))
	e.must(e.v.UnlinkAt(e.creds, e.pop("/d/b", false)))
	got := strings.Join(events(t, in), " ")
	want := "1:0x2:a: 2:0x2:: 2:0x8000:: 1:0x8:a: 1:0x40:a:c1 1:0x80:b:c1 1:0x200:b:"
	if got != want {
		t.Fatalf("events\n got %s\nwant %s", got, want)
	}
	e.must(in.RmWatch(wdd))
	if err := in.RmWatch(wdd); err != unix.EINVAL {
		t.Fatalf("second rm_watch: %v, want EINVAL", err)
	}
	if got := strings.Join(events(t, in), " "); got != "1:0x8000::" {
		t.Fatalf("after rm_watch: %s", got)
	}
}
