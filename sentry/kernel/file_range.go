package kernel

import "sort"

// FDsInRange returns the open descriptors in [first, last], in order (close_range(2)).
func (ft *FDTable) FDsInRange(first, last uint32) []int32 {
	ft.mu.Lock()
	defer ft.mu.Unlock()
	var fds []int32
	for fd := range ft.fds {
		if uint32(fd) >= first && uint32(fd) <= last {
			fds = append(fds, fd)
		}
	}
	sort.Slice(fds, func(i, j int) bool { return fds[i] < fds[j] })
	return fds
}
