package e2e

// Privilege state: capget's probe, errors and sets following the uids (test/c/capget.c),
// the no_new_privs flag (test/c/nonewprivs.c), and who may signal whom by every sending
// syscall, pidfd_send_signal included (test/c/killperm.c).
func init() {
	differentialCases = append(differentialCases,
		differentialCase{name: "capget", prog: "capget"},
		differentialCase{name: "no-new-privs", prog: "nonewprivs"},
		differentialCase{name: "kill-permission", prog: "killperm"},
	)
}
