package boot

import (
	"errors"
	"fmt"
	"path"

	"golang.org/x/sys/unix"

	"github.com/stockade-sandbox/stockade/fsimpl/tmpfs"
	"github.com/stockade-sandbox/stockade/sentry/vfs"
)

// Device is one of the spec's linux.devices: a node made in the container's /dev.
type Device struct {
	Path string `json:"path"`
	// Type is "c" or "u" (character), "b" (block) or "p" (fifo).
	Type  string `json:"type"`
	Major int64  `json:"major,omitempty"`
	Minor int64  `json:"minor,omitempty"`
	// Mode is the node's permission bits (nil: 0666).
	Mode *uint32 `json:"mode,omitempty"`
	UID  uint32  `json:"uid,omitempty"`
	GID  uint32  `json:"gid,omitempty"`
}

// makeDevices creates the spec's device nodes, as runc does with mknod: the type, numbers,
// permissions and owner the spec gives (an existing file at the path is replaced). A
// character device the sandbox implements (fsimpl/dev) works; any other opens with ENXIO.
// /dev/ptmx stays the link to pts/ptmx, as runc makes it whatever the spec lists.
func makeDevices(v *vfs.VirtualFilesystem, root vfs.VirtualDentry, devs []Device) error {
	for _, d := range devs {
		if path.Clean(d.Path) == "/dev/ptmx" {
			continue
		}
		var typ uint32
		switch d.Type {
		case "c", "u":
			typ = unix.S_IFCHR
		case "b":
			typ = unix.S_IFBLK
		case "p":
			typ = unix.S_IFIFO
		default:
			return fmt.Errorf("device %s: unknown type %q", d.Path, d.Type)
		}
		perm := uint32(0o666)
		if d.Mode != nil {
			perm = *d.Mode & 0o7777
		}
		p := path.Clean(d.Path)
		if err := mkdirAll(v, root, path.Dir(p)); err != nil {
			return fmt.Errorf("device %s: %w", p, err)
		}
		pop := &vfs.PathOperation{Root: root, Start: root, Path: p}
		err := v.MknodAt(vfs.RootCreds, pop, typ|perm, unix.Mkdev(uint32(d.Major), uint32(d.Minor)))
		if errors.Is(err, unix.EEXIST) {
			if err = v.UnlinkAt(vfs.RootCreds, pop); err == nil {
				err = v.MknodAt(vfs.RootCreds, pop, typ|perm, unix.Mkdev(uint32(d.Major), uint32(d.Minor)))
			}
		}
		if err != nil {
			return fmt.Errorf("device %s: %w", p, err)
		}
		vd, err := v.GetDentry(vfs.RootCreds, pop)
		if err != nil {
			return fmt.Errorf("device %s: %w", p, err)
		}
		// The mode again: the node's permissions are exactly the spec's, whatever the umask.
		o := &vfs.SetStatOptions{Mask: vfs.SetMode | vfs.SetUID | vfs.SetGID, Mode: perm, UID: d.UID, GID: d.GID}
		if err := v.SetStat(vfs.RootCreds, vd, o); err != nil {
			return fmt.Errorf("device %s: %w", p, err)
		}
	}
	return nil
}

// readonlyPaths makes each path read-only, as runc does: a recursive bind mount of the
// path onto itself whose top mount is read-only (mounts below it keep their own flags).
// Missing paths are skipped.
func readonlyPaths(v *vfs.VirtualFilesystem, root vfs.VirtualDentry, paths []string) error {
	for _, p := range paths {
		vd, err := v.GetDentry(vfs.RootCreds, &vfs.PathOperation{Root: root, Start: root, Path: p, FollowFinal: true})
		if errors.Is(err, unix.ENOENT) {
			continue
		}
		if err != nil {
			return fmt.Errorf("readonly path %s: %w", p, err)
		}
		m, err := v.BindMountRecursive(vd, vd, vd.Mount.Flags())
		if err != nil {
			return fmt.Errorf("readonly path %s: %w", p, err)
		}
		m.SetFlags(m.Flags() | unix.MS_RDONLY)
	}
	return nil
}

// maskPaths hides each path, as runc does: a directory gets an empty read-only tmpfs on
// it, anything else a bind mount of the container's /dev/null (reads see end of file,
// writes vanish). Missing paths are skipped.
func maskPaths(v *vfs.VirtualFilesystem, root vfs.VirtualDentry, paths []string) error {
	if len(paths) == 0 {
		return nil
	}
	null, err := v.GetDentry(vfs.RootCreds, &vfs.PathOperation{Root: root, Start: root, Path: "/dev/null", FollowFinal: true})
	if err != nil {
		return fmt.Errorf("masked paths: /dev/null: %w", err)
	}
	for _, p := range paths {
		vd, err := v.GetDentry(vfs.RootCreds, &vfs.PathOperation{Root: root, Start: root, Path: p, FollowFinal: true})
		if errors.Is(err, unix.ENOENT) {
			continue
		}
		if err != nil {
			return fmt.Errorf("masked path %s: %w", p, err)
		}
		if vd.Dentry.IsDir() {
			fs, err := v.NewFilesystem(tmpfs.Name, vfs.MountOptions{Source: "tmpfs", Creds: vfs.RootCreds})
			if err == nil {
				_, err = v.MountAt(fs, vd, unix.MS_RDONLY)
			}
			if err != nil {
				return fmt.Errorf("masked path %s: %w", p, err)
			}
			continue
		}
		if _, err := v.BindMount(null, vd, null.Mount.Flags()); err != nil {
			return fmt.Errorf("masked path %s: %w", p, err)
		}
	}
	return nil
}
