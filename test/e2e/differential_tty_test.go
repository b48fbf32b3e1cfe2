package e2e

// Terminals: devpts, the line discipline, termios, controlling terminals and the signals
// a terminal sends (see test/c/pty.c).
func init() {
	differentialCases = append(differentialCases,
		differentialCase{name: "pty", prog: "pty"},
	)
}
