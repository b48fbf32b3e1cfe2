package boot

import (
	"errors"
	"fmt"
	"os"
	"path"
	"strings"

	"golang.org/x/sys/unix"
)

// defaultPath is execvp's search path when the environment has no PATH.
const defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// OpenExecutable finds name inside the container's root filesystem as execvp(3) would in the
// container — a name with a slash is a path (relative to cwd), any other is looked up in
// env's PATH — and opens it. Every lookup is an openat2 with RESOLVE_IN_ROOT under root, so
// ".." and symlinks, absolute ones included, resolve as if root were "/": nothing outside
// the rootfs can be reached. It returns the file and its path in the container.
//
// Until the gofer serves the rootfs, the sandbox process opens the executable itself.
func OpenExecutable(root, name, cwd string, env []string) (*os.File, string, error) {
	if name == "" {
		return nil, "", errors.New("empty executable name in process.args[0]")
	}
	rootFD, err := unix.Open(root, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, "", fmt.Errorf("opening rootfs %s: %w", root, err)
	}
	defer unix.Close(rootFD)

	if strings.Contains(name, "/") {
		p := name
		if !path.IsAbs(p) {
			p = path.Join(cwd, p)
		}
		f, err := openExecutableAt(rootFD, p)
		if err != nil {
			return nil, "", fmt.Errorf("exec %q: %w", name, err)
		}
		return f, p, nil
	}
	search := defaultPath
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "PATH="); ok {
			search = v
		}
	}
	var firstErr error
	for _, dir := range strings.Split(search, ":") {
		if dir == "" {
			dir = "."
		}
		if !path.IsAbs(dir) {
			dir = path.Join(cwd, dir)
		}
		p := path.Join(dir, name)
		f, err := openExecutableAt(rootFD, p)
		if err == nil {
			return f, p, nil
		}
		// As execvp does, keep searching past missing files, but remember a file that was
		// found and could not be used.
		if firstErr == nil && !errors.Is(err, unix.ENOENT) && !errors.Is(err, unix.ENOTDIR) {
			firstErr = fmt.Errorf("exec %q: %s: %w", name, p, err)
		}
	}
	if firstErr != nil {
		return nil, "", firstErr
	}
	return nil, "", fmt.Errorf("exec %q: executable file not found in $PATH", name)
}

// openExecutableAt opens p (absolute, in the container) under rootFD and checks that it is
// an executable regular file.
func openExecutableAt(rootFD int, p string) (*os.File, error) {
	fd, err := unix.Openat2(rootFD, strings.TrimPrefix(p, "/"), &unix.OpenHow{
		Flags:   unix.O_RDONLY | unix.O_CLOEXEC,
		Resolve: unix.RESOLVE_IN_ROOT | unix.RESOLVE_NO_MAGICLINKS,
	})
	for err == unix.EINTR || err == unix.EAGAIN {
		fd, err = unix.Openat2(rootFD, strings.TrimPrefix(p, "/"), &unix.OpenHow{
			Flags:   unix.O_RDONLY | unix.O_CLOEXEC,
			Resolve: unix.RESOLVE_IN_ROOT | unix.RESOLVE_NO_MAGICLINKS,
		})
	}
	if err != nil {
		return nil, err
	}
	f := os.NewFile(uintptr(fd), p)
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	switch {
	case st.IsDir():
		f.Close()
		return nil, unix.EISDIR
	case !st.Mode().IsRegular():
		f.Close()
		return nil, errors.New("not a regular file")
	case st.Mode().Perm()&0o111 == 0:
		f.Close()
		return nil, unix.EACCES
	}
	return f, nil
}
