package e2e

import (
	"bufio"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestKilledSandboxLeavesNoProcess kills `runsc do` (SIGKILL, the runsc process alone, as
// the OOM killer or a crashing caller would) at a random moment while the sandboxed
// program makes threads and processes without pause, and checks that every host process
// of the sandbox goes with it: the gofer, the master stub and every stub process and stub
// thread, including one being cloned at that moment. Stubs share the sentry's descriptor
// table, so the test watches runsc's stderr: its write end is closed only once the last of
// them is gone. A stub that outlived its parent used to wait in pause(2) forever, holding
// the sandbox's memory file and every descriptor the sentry had open.
func TestKilledSandboxLeavesNoProcess(t *testing.T) {
	runsc := requireRunsc(t)
	prog := program(t, "churn")
	rounds := 12
	if testing.Short() {
		rounds = 3
	}
	for i := 0; i < rounds; i++ {
		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		argv := runscArgs(runsc, false, prog)
		cmd := exec.Command(argv[0], argv[1:]...)
		cmd.Env = testEnv
		cmd.Dir = binDir
		cmd.Stdout, cmd.Stderr = w, w
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		w.Close()
		pid := cmd.Process.Pid
		var st syscall.Stat_t
		syscall.Fstat(int(r.Fd()), &st)
		lines := make(chan string)
		go func() {
			br := bufio.NewReader(r)
			for {
				l, err := br.ReadString('\n')
				if err != nil {
					close(lines)
					return
				}
				lines <- l
			}
		}()
		select {
		case l := <-lines:
			if l != "ready\n" {
				t.Fatalf("round %d: churn printed %q instead of ready", i, l)
			}
		case <-time.After(time.Minute):
			syscall.Kill(-pid, syscall.SIGKILL)
			t.Fatalf("round %d: churn did not start within a minute", i)
		}
		time.Sleep(time.Duration(rand.Intn(60)) * time.Millisecond)
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
		deadline := time.After(15 * time.Second)
	drain:
		for {
			select {
			case _, ok := <-lines:
				if !ok {
					break drain
				}
			case <-deadline:
				holders := pipeHolders(st.Ino)
				t.Errorf("round %d: 15 s after runsc (pid %d) was killed, processes still hold its stderr: %s", i, pid, holders)
				syscall.Kill(-pid, syscall.SIGKILL)
				for _, h := range holders {
					syscall.Kill(h.pid, syscall.SIGKILL)
				}
				r.Close()
				return
			}
		}
		r.Close()
	}
}

// holder is a process with a descriptor of a pipe.
type holder struct {
	pid  int
	stat string // the start of /proc/PID/stat: pid, name, state, parent
}

func (h holder) String() string { return h.stat }

// pipeHolders returns the processes other than this one with a descriptor of the pipe
// whose inode is ino.
func pipeHolders(ino uint64) []holder {
	want := fmt.Sprintf("pipe:[%d]", ino)
	var out []holder
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		var pid int
		if _, err := fmt.Sscanf(e.Name(), "%d", &pid); err != nil || pid == os.Getpid() {
			continue
		}
		fds, _ := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
		for _, fd := range fds {
			if l, _ := os.Readlink(fmt.Sprintf("/proc/%d/fd/%s", pid, fd.Name())); l == want {
				st, _ := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
				f := strings.Fields(string(st))
				if len(f) > 4 {
					f = f[:4]
				}
				out = append(out, holder{pid, strings.Join(f, " ")})
				break
			}
		}
	}
	return out
}
