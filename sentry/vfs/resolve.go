package vfs

import (
	"strings"

	"github.com/stockade-sandbox/stockade/sentry/kernel"

	"golang.org/x/sys/unix"
)

// Openat2 RESOLVE_* flags.
const (
	ResolveNoXdev       = 0x01
	ResolveNoMagiclinks = 0x02
	ResolveNoSymlinks   = 0x04
	ResolveBeneath      = 0x08
	ResolveInRoot       = 0x10
	ResolveCached       = 0x20
)

// PathOperation is a path to resolve and where from.
type PathOperation struct {
	// Root is the task's root directory: `..` does not climb above it and absolute paths
	// start there.
	Root VirtualDentry
	// Start is where a relative path starts (the working directory or a dirfd).
	Start VirtualDentry
	Path  string
	// FollowFinal follows a symlink in the last component.
	FollowFinal bool
	// Resolve holds openat2's RESOLVE_* flags.
	Resolve uint64
	// Task is the resolving task, if any: symlinks whose target depends on the reader
	// (TaskSymlinkInode, /proc/self) are read for it.
	Task *kernel.Task
	// KeepExpiry leaves the MNT_EXPIRE mark of the mount found alone (umount2's own
	// lookup); any other lookup is a use of the mount, which clears it.
	KeepExpiry bool
}

// resolver is the state of one path walk.
type resolver struct {
	v        *VirtualFilesystem
	creds    *Creds
	root     VirtualDentry
	cur      VirtualDentry
	flags    uint64
	symlinks int
	task     *kernel.Task
}

func (v *VirtualFilesystem) newResolver(c *Creds, pop *PathOperation) *resolver {
	r := &resolver{v: v, creds: c, root: pop.Root, cur: pop.Start, flags: pop.Resolve, task: pop.Task}
	if r.flags&(ResolveBeneath|ResolveInRoot) != 0 {
		// The starting point is the root the walk must stay under.
		r.root = pop.Start
	}
	return r
}

// checkSearch requires d to be a directory the resolver may search.
func (r *resolver) checkSearch(d *Dentry) error {
	if !d.IsDir() {
		return unix.ENOTDIR
	}
	st, err := d.inode.Stat()
	if err != nil {
		return err
	}
	return CheckPermission(r.creds, MayExec, st.Mode, st.UID, st.GID)
}

// walkToParent walks all but the last component of path from r.cur, leaving r.cur at the
// directory that holds the last component. last is "" if path has no components ("/"):
// then r.cur is the target itself. The parent has been checked for search permission.
func (r *resolver) walkToParent(path string) (last string, trailing bool, err error) {
	if path == "" {
		return "", false, unix.ENOENT
	}
	if path[0] == '/' {
		if r.flags&ResolveBeneath != 0 {
			return "", false, unix.EXDEV
		}
		if r.flags&ResolveNoXdev != 0 && r.root.Mount != r.cur.Mount {
			return "", false, unix.EXDEV
		}
		r.cur = r.root
	}
	trailing = strings.HasSuffix(path, "/")
	rest := path
	for {
		rest = strings.TrimLeft(rest, "/")
		if rest == "" {
			return "", false, nil
		}
		i := strings.IndexByte(rest, '/')
		var comp string
		if i < 0 {
			comp, rest = rest, ""
		} else {
			comp, rest = rest[:i], rest[i:]
		}
		if strings.TrimLeft(rest, "/") == "" {
			// The last component: its parent must be searchable.
			if err := r.checkSearch(r.cur.Dentry); err != nil {
				return "", false, err
			}
			return comp, trailing, nil
		}
		if err := r.step(comp, true); err != nil {
			return "", false, err
		}
	}
}

// step moves r.cur to the child comp (following a symlink if follow), checking that r.cur is a
// searchable directory.
func (r *resolver) step(comp string, follow bool) error {
	if err := r.checkSearch(r.cur.Dentry); err != nil {
		return err
	}
	return r.stepChecked(comp, follow)
}

// stepChecked is step once the search check is done.
func (r *resolver) stepChecked(comp string, follow bool) error {
	if len(comp) > NameMax {
		return unix.ENAMETOOLONG
	}
	switch comp {
	case ".":
		return nil
	case "..":
		return r.dotdot()
	}
	d := r.cur.Dentry
	d.mu.Lock()
	child, err := d.childLocked(comp)
	d.mu.Unlock()
	if err != nil {
		return err
	}
	if d.fs.evictable {
		r.v.maybeEvict() // no dentry lock is held here
	}
	next := r.v.followMounts(VirtualDentry{r.cur.Mount, child})
	if r.flags&ResolveNoXdev != 0 && next.Mount != r.cur.Mount {
		return unix.EXDEV
	}
	if follow && next.Dentry.IsSymlink() {
		return r.followSymlink(next)
	}
	r.cur = next
	return nil
}

// followSymlink resolves the symlink at link completely, from r.cur (the directory holding it).
func (r *resolver) followSymlink(link VirtualDentry) error {
	if r.flags&ResolveNoSymlinks != 0 {
		return unix.ELOOP
	}
	if r.symlinks >= MaxSymlinkTraversals {
		return unix.ELOOP
	}
	r.symlinks++
	if vd, ok, err := r.magicLink(link); err != nil || ok {
		if ok {
			r.cur = vd
		}
		return err
	}
	target, err := readlinkFor(r.task, link.Dentry)
	if err != nil {
		return err
	}
	if target == "" {
		return unix.ENOENT
	}
	last, trailing, err := r.walkToParent(target)
	if err != nil {
		return err
	}
	if last == "" {
		return nil
	}
	if err := r.stepChecked(last, true); err != nil {
		return err
	}
	if trailing && !r.cur.Dentry.IsDir() {
		return unix.ENOTDIR
	}
	return nil
}

// magicLink returns where the magic link at link leads (see MagicLinkInode); ok false if
// link is not one, or the walk has no task to follow it for.
func (r *resolver) magicLink(link VirtualDentry) (vd VirtualDentry, ok bool, err error) {
	ml, isMagic := link.Dentry.inode.(MagicLinkInode)
	if !isMagic || r.task == nil {
		return VirtualDentry{}, false, nil
	}
	if r.flags&ResolveNoMagiclinks != 0 {
		return VirtualDentry{}, false, unix.ELOOP
	}
	vd, anon, ok, err := ml.MagicLink(r.task)
	if err != nil || !ok {
		return VirtualDentry{}, false, err
	}
	if anon != nil {
		st, err := anon.Stat()
		if err != nil {
			return VirtualDentry{}, false, err
		}
		vd = VirtualDentry{link.Mount, newDentry(link.Dentry.fs, anon, st.Mode&unix.S_IFMT)}
	}
	// As Linux's nd_jump_link: no jump across mounts under RESOLVE_NO_XDEV, none at all in
	// a scoped walk (RESOLVE_BENEATH, RESOLVE_IN_ROOT).
	if r.flags&ResolveNoXdev != 0 && vd.Mount != link.Mount || r.flags&(ResolveBeneath|ResolveInRoot) != 0 {
		return VirtualDentry{}, false, unix.EXDEV
	}
	return vd, true, nil
}

// dotdot moves r.cur to its parent: not above r.root, and across mounts.
func (r *resolver) dotdot() error {
	for {
		if r.cur == r.root {
			if r.flags&ResolveBeneath != 0 {
				return unix.EXDEV
			}
			return nil
		}
		if r.cur.Dentry != r.cur.Mount.root {
			break
		}
		p, ok := r.v.mountParent(r.cur.Mount)
		if !ok {
			return nil
		}
		if r.flags&ResolveNoXdev != 0 {
			return unix.EXDEV
		}
		r.cur = p
	}
	parent := VirtualDentry{r.cur.Mount, r.cur.Dentry.Parent()}
	next := r.v.followMounts(parent)
	if r.flags&ResolveNoXdev != 0 && next.Mount != r.cur.Mount {
		return unix.EXDEV
	}
	r.cur = next
	return nil
}

// finish resolves the last component after walkToParent.
func (r *resolver) finish(last string, trailing, follow bool) (VirtualDentry, error) {
	if last != "" {
		if err := r.stepChecked(last, follow || trailing); err != nil {
			return VirtualDentry{}, err
		}
	}
	if trailing && !r.cur.Dentry.IsDir() {
		return VirtualDentry{}, unix.ENOTDIR
	}
	return r.cur, nil
}

// GetDentry resolves pop to an existing file.
func (v *VirtualFilesystem) GetDentry(c *Creds, pop *PathOperation) (VirtualDentry, error) {
	r := v.newResolver(c, pop)
	last, trailing, err := r.walkToParent(pop.Path)
	if err != nil {
		return VirtualDentry{}, err
	}
	vd, err := r.finish(last, trailing, pop.FollowFinal)
	if err == nil && !pop.KeepExpiry && vd.Mount.expiry.Load() {
		vd.Mount.expiry.Store(false) // a use of the mount: MNT_EXPIRE starts over
	}
	return vd, err
}

// Parent is the result of resolving all but the last component of a path.
type Parent struct {
	// Dir is the directory holding Name (or the target itself if Name is "").
	Dir VirtualDentry
	// Name is the last component: a name, ".", "..", or "" for "/".
	Name string
	// Trailing is set if the path ended with a slash.
	Trailing bool
}

// IsDots reports whether the last component is "." or ".." (or absent).
func (p *Parent) IsDots() bool { return p.Name == "" || p.Name == "." || p.Name == ".." }

// GetParent resolves all but the last component of pop, for operations that create or
// remove a name.
func (v *VirtualFilesystem) GetParent(c *Creds, pop *PathOperation) (Parent, error) {
	r := v.newResolver(c, pop)
	last, trailing, err := r.walkToParent(pop.Path)
	if err != nil {
		return Parent{}, err
	}
	if len(last) > NameMax {
		return Parent{}, unix.ENAMETOOLONG
	}
	return Parent{Dir: r.cur, Name: last, Trailing: trailing}, nil
}

// PathFrom returns the path of vd as seen from root, as getcwd(2) and /proc show it; the
// second result is false if vd is not under root (getcwd then prefixes "(unreachable)").
func (v *VirtualFilesystem) PathFrom(root, vd VirtualDentry) (string, bool) {
	var parts []string
	reachable := true
	for vd != root {
		if vd.Dentry == vd.Mount.root {
			p, ok := v.mountParent(vd.Mount)
			if !ok {
				reachable = false
				break
			}
			vd = p
			continue
		}
		vd.Dentry.fs.renameMu.RLock()
		parts = append(parts, vd.Dentry.name)
		parent := vd.Dentry.parent
		vd.Dentry.fs.renameMu.RUnlock()
		if parent == nil {
			reachable = false
			break
		}
		vd.Dentry = parent
	}
	var sb strings.Builder
	for i := len(parts) - 1; i >= 0; i-- {
		sb.WriteByte('/')
		sb.WriteString(parts[i])
	}
	if sb.Len() == 0 {
		return "/", reachable
	}
	return sb.String(), reachable
}
