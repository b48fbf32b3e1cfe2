package vfs

// HostFDProvider is implemented by FileDescriptionImpls whose data is a host file (the
// gofer's donated descriptors), so that file mappings can map the host file itself.
type HostFDProvider interface {
	// HostFD returns the host descriptor and true, or false if the file has none (a file
	// in memory). The descriptor belongs to the file description and stays valid until
	// its Release; a user that outlives the description must dup it.
	HostFD() (int, bool)
}

// HostFD returns the host descriptor behind fd, if its implementation has one.
func (fd *FileDescription) HostFD() (int, bool) {
	if p, ok := fd.impl.(HostFDProvider); ok {
		return p.HostFD()
	}
	return -1, false
}
