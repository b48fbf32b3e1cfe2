package e2e

import "testing"

// Robust and PI futexes (test/c/futex_robust.c, futex_pi.c) and inotify (test/c/inotify.c).
func init() {
	differentialCases = append(differentialCases,
		differentialCase{name: "futex-robust", prog: "futex_robust"},
		differentialCase{name: "futex-pi", prog: "futex_pi"},
		differentialCase{name: "inotify", prog: "inotify"},
	)
}

// tailFollow has coreutils' tail -f follow a file another process appends to. tail waits
// with inotify; its polling fallback is made 10 s long (-s 10) so that, without inotify
// events, the second line would not arrive before tail is killed. The file is on tmpfs
// (/dev/shm): tail polls on filesystems it deems remote, overlayfs (the sandbox's /tmp)
// among them.
const tailFollow = `f=$(mktemp -p /dev/shm); echo first > $f
tail -s 10 -f $f & p=$!
sleep 0.5; echo second >> $f; sleep 0.5
kill $p; wait $p; rm -f $f`

// TestInotifyTailFollow runs tailFollow natively and under runsc do.
func TestInotifyTailFollow(t *testing.T) {
	runsc := requireRunsc(t)
	argv := []string{"/bin/sh", "-c", tailFollow}
	native := run(t, argv)
	if native.stdout != "first\nsecond\n" {
		t.Fatalf("native run: %q\n%s", native.stdout, native.stderr)
	}
	got := run(t, append([]string{runsc, "do"}, argv...))
	if got.stdout != native.stdout {
		t.Errorf("runsc do differs:\n%s%s", lineDiff(native.stdout, got.stdout), stderrNote(got))
	}
}
