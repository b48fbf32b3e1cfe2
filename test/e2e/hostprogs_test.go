package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// TestHostPrograms runs real, dynamically linked programs from the host root under
// `runsc do` (the host root is served read-only through the gofer, with an in-memory
// overlay) and compares stdout and exit status with the same command run natively.
func TestHostPrograms(t *testing.T) {
	runsc := requireRunsc(t)
	dir := t.TempDir() // under /tmp, which the sandbox sees through the gofer
	script := filepath.Join(dir, "echo-script")
	if err := os.WriteFile(script, []byte("#!/bin/echo from-script\nignored\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	nested := filepath.Join(dir, "nested-script")
	if err := os.WriteFile(nested, []byte("#!"+script+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	project := filepath.Join(dir, "proj")
	writeCProject(t, project)
	cases := []struct {
		name string
		argv []string
	}{
		{"ls-la-usr-lib", []string{"/bin/ls", "-la", "/usr/lib"}},
		{"sha256sum-bash", []string{"/usr/bin/sha256sum", "/bin/bash"}},
		{"find-copyright", []string{"/usr/bin/find", "/usr/share/doc", "-name", "copyright"}},
		{"tar-pipeline-count", []string{"/bin/sh", "-c", "tar -C /usr/share -cf - doc | tar -tf - | wc -l"}},
		{"python3-json-sqlite3-ssl", []string{"/usr/bin/python3", "-c", "import json,sqlite3,ssl; print(json.dumps([1,2]))"}},
		{"script", []string{script, "a", "b c"}},
		{"nested-script", []string{nested, "x"}},
		{"sh-exit-3", []string{"/bin/sh", "-c", "exit 3"}},
		{"bash-pipeline", []string{"/bin/bash", "-c", "for i in $(seq 1 200); do echo $i; done | sort -n | tail -1"}},
		{"sh-kill-background", []string{"/bin/sh", "-c", "sleep 30 & kill $!; wait $!; echo $?"}},
		{"python3-processes", []string{"/usr/bin/python3", "-c", pythonProcesses}},
		// SemLock is a sem_open'd /dev/shm file mapped MAP_SHARED|PROT_WRITE.
		{"python3-multiprocessing-pool", []string{"/usr/bin/python3", "-c", "import multiprocessing as m; m.set_start_method('fork'); print(m.Pool(2).map(abs, [-1,-2]))"}},
		{"make-j2-gcc", []string{"/bin/sh", "-c", "cp -r " + project + " /tmp/mk-$$ && cd /tmp/mk-$$ && make -s -j2 && ./prog; rm -rf /tmp/mk-$$"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := os.Stat(tc.argv[0]); err != nil {
				t.Fatalf("host lacks %s: %v", tc.argv[0], err)
			}
			native := run(t, tc.argv)
			if native.status != 0 && tc.name != "sh-exit-3" && tc.name != "sh-kill-background" {
				t.Fatalf("native %v: %s\n%s", tc.argv, native.how, native.stderr)
			}
			got := run(t, append([]string{runsc, "do"}, tc.argv...))
			if got.stdout != native.stdout || got.status != native.status {
				t.Errorf("runsc do %v differs:\n%sstatus native %s, runsc %s\n%s",
					tc.argv, lineDiff(native.stdout, got.stdout), native.how, got.how, stderrNote(got))
			}
		})
	}
}

// pythonProcesses exercises subprocess, threads and signal.alarm.
const pythonProcesses = `
import subprocess, threading, signal, time
print(subprocess.run(["echo", "sub"], capture_output=True, text=True).stdout.strip())
out = []
ts = [threading.Thread(target=lambda i=i: out.append(i)) for i in range(8)]
[t.start() for t in ts]; [t.join() for t in ts]
print("threads", sorted(out))
got = []
signal.signal(signal.SIGALRM, lambda s, f: got.append(s))
signal.alarm(1); signal.pause()
print("alarm", got)
`

// writeCProject writes a small C project whose Makefile builds five objects.
func writeCProject(t *testing.T, dir string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	files := map[string]string{
		"Makefile": "prog: main.o f1.o f2.o f3.o f4.o\n\tgcc -o $@ $^\n%.o: %.c\n\tgcc -c $<\n",
		"main.c":   "#include <stdio.h>\nint f1(void);int f2(void);int f3(void);int f4(void);\nint main(){printf(\"%d\\n\",f1()+f2()+f3()+f4());return 0;}\n",
	}
	for i := 1; i <= 4; i++ {
		files[fmt.Sprintf("f%d.c", i)] = fmt.Sprintf("int f%d(void){return %d;}\n", i, i)
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestProcessToolsInside runs ps and pgrep inside the sandbox, where the shell is pid 1.
func TestProcessToolsInside(t *testing.T) {
	runsc := requireRunsc(t)
	got := run(t, []string{runsc, "do", "/bin/sh", "-c", "ps -e -o pid=,comm=; pgrep -x sh"})
	want := "      1 sh\n      2 ps\n1\n"
	if got.stdout != want || got.status != 0 {
		t.Fatalf("ps/pgrep inside: status %s, stdout:\n%s", got.how, lineDiff(want, got.stdout))
	}
}
