package devpts

import (
	"fmt"
	"strconv"

	"golang.org/x/sys/unix"

	"github.com/stockade-sandbox/stockade/sentry/tty"
	"github.com/stockade-sandbox/stockade/sentry/vfs"
)

// OpenConsole makes a pseudo-terminal for a container's console as a runtime inside the
// container would: it opens ptmxPath (normally /dev/ptmx) through v from root, unlocks the
// pty, gives its slave to uid and gid (as runc chowns the console to the container's
// user; a mount's uid= and gid= options win), and opens the slave n times (one open file
// per standard descriptor). The caller
// keeps the master open as long as the console lives and drives its terminal from the
// outside (runsc/console).
func OpenConsole(v *vfs.VirtualFilesystem, root vfs.VirtualDentry, ptmxPath string, uid, gid uint32, n int) (master *vfs.FileDescription, slaves []*vfs.FileDescription, tm *tty.Terminal, err error) {
	pop := &vfs.PathOperation{Root: root, Start: root, Path: ptmxPath, FollowFinal: true}
	master, err = v.OpenAt(vfs.RootCreds, pop, unix.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("opening %s: %w", ptmxPath, err)
	}
	m, ok := master.Impl().(*masterFile)
	if !ok {
		master.Release()
		return nil, nil, nil, fmt.Errorf("%s is not a devpts ptmx", ptmxPath)
	}
	m.fd = master
	p := m.pty
	p.mu.Lock()
	p.locked = false
	if !p.fs.opts.setUID {
		p.uid = uid
	}
	if !p.fs.opts.setGID {
		p.gid = gid
	}
	p.mu.Unlock()
	dir := vfs.VirtualDentry{Mount: master.VirtualDentry().Mount, Dentry: master.Dentry().Parent()}
	for i := 0; i < n; i++ {
		pop := &vfs.PathOperation{Root: root, Start: dir, Path: strconv.FormatUint(uint64(p.tm.Index), 10)}
		s, err := v.OpenAt(vfs.RootCreds, pop, unix.O_RDWR|unix.O_NOCTTY, 0)
		if err != nil {
			for _, s := range slaves {
				s.Release()
			}
			master.Release()
			return nil, nil, nil, fmt.Errorf("opening the console's slave: %w", err)
		}
		if sf, ok := s.Impl().(*tty.SlaveFile); ok {
			sf.SetDescription(s)
		}
		slaves = append(slaves, s)
	}
	return master, slaves, p.tm, nil
}
