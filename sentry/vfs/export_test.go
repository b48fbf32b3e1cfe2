package vfs

// Test-only views of the dentry cache (lru_test.go).

// CachedChild returns d's cached child name, or nil.
func CachedChild(d *Dentry, name string) *Dentry {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.children[name]
}

// CachedChildren returns how many children d has cached.
func CachedChildren(d *Dentry) int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.children)
}

// MaxUnusedDentries is maxUnusedDentries.
const MaxUnusedDentries = maxUnusedDentries
