package mm

// ExecInfo describes the program loaded into an address space, as Linux keeps it in the
// mm: for /proc/pid/exe, cmdline and environ. A fork's copy inherits it.
type ExecInfo struct {
	// Path is the executable's path as execve was given it, and File the file it was
	// loaded from (an io.ReaderAt: a VFS file description or a host file).
	Path string
	File any
	// ArgStart, ArgEnd, EnvStart and EnvEnd bound the argv and envp strings on the stack.
	ArgStart, ArgEnd, EnvStart, EnvEnd uintptr
}

// SetExecInfo records what was loaded (the kernel calls it after the loader).
func (mm *MemoryManager) SetExecInfo(e ExecInfo) { mm.execInfo.Store(&e) }

// ExecInfo returns what was loaded (the zero value before anything was).
func (mm *MemoryManager) ExecInfo() ExecInfo {
	if e := mm.execInfo.Load(); e != nil {
		return *e
	}
	return ExecInfo{}
}

// ResidentBytes returns how much of the address space has memory behind it (/proc's RSS):
// the bytes covered by PMAs.
func (mm *MemoryManager) ResidentBytes() uint64 {
	mm.mu.RLock()
	defer mm.mu.RUnlock()
	var n uint64
	for _, p := range mm.pmas {
		n += uint64(p.end - p.start)
	}
	return n
}
