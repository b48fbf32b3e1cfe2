package confine

import (
	"os"
	"os/exec"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

func run(t *testing.T, prog []unix.SockFilter, d SeccompData) Action {
	t.Helper()
	if d.Arch == 0 {
		d.Arch = auditArchX86_64
	}
	a, err := Run(prog, d)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestAssemble(t *testing.T) {
	rules := []Rule{
		Allow(unix.SYS_READ),
		AllowIf(unix.SYS_CLONE, One(Eq32(0, 0x11)), One(Eq32(0, 0x22))),
		AllowIf(unix.SYS_IOCTL, One(Eq(0, 1<<40|3), MaskedEq(1, 0xff00, 0x5400))),
		{Nr: unix.SYS_OPENAT2, Action: ActErrno(unix.ENOSYS)},
	}
	prog, err := Assemble(rules, ActKillProcess)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		d    SeccompData
		want Action
	}{
		{"read", SeccompData{Nr: unix.SYS_READ}, ActAllow},
		{"write", SeccompData{Nr: unix.SYS_WRITE}, ActKillProcess},
		{"open", SeccompData{Nr: unix.SYS_OPEN}, ActKillProcess},
		{"clone first", SeccompData{Nr: unix.SYS_CLONE, Args: [6]uint64{0x11}}, ActAllow},
		{"clone second, junk high half", SeccompData{Nr: unix.SYS_CLONE, Args: [6]uint64{0xdead00000022}}, ActAllow},
		{"clone other", SeccompData{Nr: unix.SYS_CLONE, Args: [6]uint64{0x33}}, ActKillProcess},
		{"ioctl ok", SeccompData{Nr: unix.SYS_IOCTL, Args: [6]uint64{1<<40 | 3, 0x5413}}, ActAllow},
		{"ioctl high half differs", SeccompData{Nr: unix.SYS_IOCTL, Args: [6]uint64{3, 0x5413}}, ActKillProcess},
		{"ioctl masked differs", SeccompData{Nr: unix.SYS_IOCTL, Args: [6]uint64{1<<40 | 3, 0x5513}}, ActKillProcess},
		{"openat2", SeccompData{Nr: unix.SYS_OPENAT2}, ActErrno(unix.ENOSYS)},
		{"x32", SeccompData{Nr: x32Bit | unix.SYS_READ}, ActKillProcess},
		{"i386", SeccompData{Nr: unix.SYS_READ, Arch: 0x40000003}, ActKillProcess},
	} {
		if got := run(t, prog, c.d); got != c.want {
			t.Errorf("%s: got %#x, want %#x", c.name, got, c.want)
		}
	}
	if _, err := Assemble([]Rule{Allow(1), Allow(1)}, ActKillProcess); err == nil {
		t.Error("duplicate rule accepted")
	}
}

// TestLongJumps checks that rule bodies past the reach of an 8-bit jump still work.
func TestLongJumps(t *testing.T) {
	var rules []Rule
	for nr := uintptr(0); nr < 300; nr++ {
		rules = append(rules, AllowIf(nr, One(Eq(0, uint64(nr)))))
	}
	prog, err := Assemble(rules, ActLog)
	if err != nil {
		t.Fatal(err)
	}
	for nr := int32(0); nr < 300; nr += 37 {
		if got := run(t, prog, SeccompData{Nr: nr, Args: [6]uint64{uint64(nr)}}); got != ActAllow {
			t.Errorf("nr %d: %#x", nr, got)
		}
		if got := run(t, prog, SeccompData{Nr: nr, Args: [6]uint64{uint64(nr) + 1}}); got != ActLog {
			t.Errorf("nr %d bad arg: %#x", nr, got)
		}
	}
	if got := run(t, prog, SeccompData{Nr: 400}); got != ActLog {
		t.Errorf("nr 400: %#x", got)
	}
}

// TestRealFilters checks that the shipped allow-lists assemble and decide as documented.
func TestRealFilters(t *testing.T) {
	sb, err := Assemble(SandboxRules(SandboxOptions{ExitDirFD: 7}), ActKillProcess)
	if err != nil {
		t.Fatal(err)
	}
	gf, err := Assemble(GoferRules(), ActKillProcess)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		prog []unix.SockFilter
		d    SeccompData
		want Action
	}{
		{sb, SeccompData{Nr: unix.SYS_OPEN}, ActKillProcess},
		{sb, SeccompData{Nr: unix.SYS_EXECVE}, ActKillProcess},
		{sb, SeccompData{Nr: unix.SYS_SOCKET}, ActKillProcess},
		{sb, SeccompData{Nr: unix.SYS_OPENAT}, ActErrno(unix.EACCES)},
		{sb, SeccompData{Nr: unix.SYS_CLONE3}, ActErrno(unix.ENOSYS)},
		{sb, SeccompData{Nr: unix.SYS_CLONE, Args: [6]uint64{goThreadFlags}}, ActAllow},
		{sb, SeccompData{Nr: unix.SYS_CLONE, Args: [6]uint64{unix.CLONE_NEWUSER}}, ActKillProcess},
		{sb, SeccompData{Nr: unix.SYS_PTRACE, Args: [6]uint64{ptraceSysemu}}, ActAllow},
		{sb, SeccompData{Nr: unix.SYS_PTRACE, Args: [6]uint64{unix.PTRACE_ATTACH}}, ActKillProcess},
		{sb, SeccompData{Nr: unix.SYS_RENAMEAT, Args: [6]uint64{7, 0, 7}}, ActAllow},
		{sb, SeccompData{Nr: unix.SYS_RENAMEAT, Args: [6]uint64{7, 0, 8}}, ActKillProcess},
		{gf, SeccompData{Nr: unix.SYS_OPENAT}, ActAllow},
		{gf, SeccompData{Nr: unix.SYS_EXECVE}, ActKillProcess},
		{gf, SeccompData{Nr: unix.SYS_SOCKET}, ActKillProcess},
		{gf, SeccompData{Nr: unix.SYS_PTRACE}, ActKillProcess},
	} {
		if got := run(t, c.prog, c.d); got != c.want {
			t.Errorf("%+v: got %#x, want %#x", c.d, got, c.want)
		}
	}
}

const helperEnv = "STOCKADE_CONFINE_TEST_HELPER"

// TestInstall installs a filter in a child (this test binary re-executed): getppid fails
// with EPERM, uname is killed, everything else is allowed.
func TestInstall(t *testing.T) {
	if os.Getenv(helperEnv) != "" {
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestInstallHelper$")
	cmd.Env = append(os.Environ(), helperEnv+"=1")
	out, err := cmd.CombinedOutput()
	ee, ok := err.(*exec.ExitError)
	if !ok {
		t.Fatalf("helper: %v\n%s", err, out)
	}
	ws := ee.Sys().(syscall.WaitStatus)
	if !ws.Signaled() || ws.Signal() != syscall.SIGSYS {
		t.Fatalf("helper ended with %v, want SIGSYS\n%s", ee, out)
	}
	if want := "getppid: operation not permitted\nseccomp 2 nnp 1\n"; string(out) != want {
		t.Errorf("helper output %q, want %q", out, want)
	}
}

func TestInstallHelper(t *testing.T) {
	if os.Getenv(helperEnv) == "" {
		t.Skip("helper for TestInstall")
	}
	rules := []Rule{
		{Nr: unix.SYS_GETPPID, Action: ActErrno(unix.EPERM)},
		{Nr: unix.SYS_UNAME, Action: ActKillProcess},
	}
	prog, err := Assemble(rules, ActAllow)
	if err != nil {
		t.Fatal(err)
	}
	if err := InstallFilter(prog); err != nil {
		t.Fatal(err)
	}
	_, _, e := syscall.RawSyscall(unix.SYS_GETPPID, 0, 0, 0)
	os.Stdout.WriteString("getppid: " + e.Error() + "\n")
	mode, _ := unix.PrctlRetInt(unix.PR_GET_SECCOMP, 0, 0, 0, 0)
	nnp, _ := unix.PrctlRetInt(unix.PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0)
	os.Stdout.WriteString("seccomp " + string(rune('0'+mode)) + " nnp " + string(rune('0'+nnp)) + "\n")
	var u unix.Utsname
	unix.Uname(&u)
	os.Stdout.WriteString("not killed\n")
}
