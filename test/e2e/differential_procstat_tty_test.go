package e2e

// /proc/<pid>/stat's controlling-terminal fields, tty_nr and tpgid (see
// test/c/proc_stat_tty.c).
func init() {
	differentialCases = append(differentialCases,
		differentialCase{name: "proc_stat_tty", prog: "proc_stat_tty"},
	)
}
