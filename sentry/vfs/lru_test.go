package vfs_test

import (
	"fmt"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/stockade-sandbox/stockade/fsimpl/tmpfs"
	"github.com/stockade-sandbox/stockade/sentry/vfs"
)

// evictableTmpfs is a tmpfs whose dentries the VFS may evict (the gofer's policy), so that
// eviction can be tested without a gofer: tmpfs lookups return the same inodes again.
type evictableTmpfs struct{ *tmpfs.Filesystem }

func (evictableTmpfs) EvictsDentries() {}

type evictableType struct{}

func (evictableType) NewFilesystem(_ *vfs.VirtualFilesystem, opts vfs.MountOptions) (vfs.FilesystemImpl, vfs.DirInode, error) {
	fs, root, err := tmpfs.New(opts)
	if err != nil {
		return nil, nil, err
	}
	return evictableTmpfs{fs}, root, nil
}

func init() { vfs.RegisterFilesystemType("evictable-tmpfs", evictableType{}) }

// TestDentryEviction fills a directory of an evictable filesystem with more names than the
// cache keeps and checks that unused ones are evicted while those in use stay (an open
// file, a working directory, a mount point, a bind mount's root), that evicted names are
// looked up again (same inode), and that renames and hard links stay right.
func TestDentryEviction(t *testing.T) {
	e := newEnv(t)
	e.mkdir("/mnt")
	fs, err := e.v.NewFilesystem("evictable-tmpfs", vfs.MountOptions{})
	e.must(err)
	_, err = e.v.MountAt(fs, VirtualOf(e, "/mnt"), 0)
	e.must(err)
	e.mkdir("/mnt/d")
	e.mkdir("/mnt/d/cwd")
	e.mkdir("/mnt/d/mp")
	e.mkdir("/mnt/d/bindsrc")
	n := vfs.MaxUnusedDentries + 2000
	inos := make([]uint64, n)
	for i := range n {
		p := fmt.Sprintf("/mnt/d/f%d", i)
		e.create(p).Release()
		st, err := e.v.StatAt(e.creds, e.pop(p, true))
		e.must(err)
		inos[i] = st.Ino
	}
	held, err := e.v.OpenAt(e.creds, e.pop("/mnt/d/f1", true), unix.O_RDONLY, 0)
	e.must(err)
	defer held.Release()
	fsc := vfs.NewFSContext(e.ns)
	fsc.SetCwd(VirtualOf(e, "/mnt/d/cwd"))
	defer fsc.DecRef()
	other, err := e.v.NewFilesystem("tmpfs", vfs.MountOptions{})
	e.must(err)
	_, err = e.v.MountAt(other, VirtualOf(e, "/mnt/d/mp"), 0)
	e.must(err)
	e.create("/mnt/d/mp/x").Release()
	e.mkdir("/bind")
	_, err = e.v.BindMount(VirtualOf(e, "/mnt/d/bindsrc"), VirtualOf(e, "/bind"), 0)
	e.must(err)
	e.must(e.v.LinkAt(e.creds, VirtualOf(e, "/mnt/d/f2"), e.pop("/mnt/d/link2", false)))

	// Walk every name again: the walks evict the coldest unused names.
	for i := range n {
		_, err := e.v.StatAt(e.creds, e.pop(fmt.Sprintf("/mnt/d/f%d", i), true))
		e.must(err)
	}
	d := VirtualOf(e, "/mnt/d").Dentry
	got := vfs.CachedChildren(d)
	t.Logf("/mnt/d caches %d of %d names", got, n+5)
	if got > vfs.MaxUnusedDentries+16 {
		t.Errorf("/mnt/d caches %d children, want at most about %d", got, vfs.MaxUnusedDentries)
	}
	if vfs.CachedChild(d, "f1") != held.Dentry() {
		t.Errorf("the open file's dentry was evicted")
	}
	for _, name := range []string{"cwd", "mp", "bindsrc"} {
		if vfs.CachedChild(d, name) == nil {
			t.Errorf("%s was evicted", name)
		}
	}
	if p, _ := e.v.PathFrom(e.ns.Root(), fsc.Cwd()); p != "/mnt/d/cwd" {
		t.Errorf("cwd path %q", p)
	}
	if _, err := e.v.StatAt(e.creds, e.pop("/mnt/d/mp/x", true)); err != nil {
		t.Errorf("the mount on an evictable dentry: %v", err)
	}
	// Evicted names come back with their inodes.
	for i := range n {
		st, err := e.v.StatAt(e.creds, e.pop(fmt.Sprintf("/mnt/d/f%d", i), true))
		e.must(err)
		if st.Ino != inos[i] {
			t.Fatalf("f%d: inode %d, was %d", i, st.Ino, inos[i])
		}
	}
	e.must(e.v.RenameAt(e.creds, e.pop("/mnt/d/f3", false), e.pop("/mnt/d/f3b", false), 0))
	wantErr(t, "renamed away", e.open("/mnt/d/f3", unix.O_RDONLY), unix.ENOENT)
	st, err := e.v.StatAt(e.creds, e.pop("/mnt/d/f3b", true))
	e.must(err)
	if st.Ino != inos[3] {
		t.Errorf("f3b: inode %d, want %d", st.Ino, inos[3])
	}
	a, err := e.v.StatAt(e.creds, e.pop("/mnt/d/link2", true))
	e.must(err)
	if a.Ino != inos[2] || a.Nlink != 2 {
		t.Errorf("link2: inode %d nlink %d, want %d and 2", a.Ino, a.Nlink, inos[2])
	}
	// The held file, the cwd and the mounts below keep /mnt busy.
	wantErr(t, "umount busy /mnt", e.v.Umount(VirtualOf(e, "/mnt"), false), unix.EBUSY)
}
