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
// among them. tail is killed once the second line is out (5 s at most, well inside the
// polling fallback), not after a fixed 0.5 s that a loaded machine can outrun.
const tailFollow = `f=$(mktemp -p /dev/shm); o=$(mktemp); echo first > $f
tail -s 10 -f $f > $o & p=$!
sleep 0.5; echo second >> $f
i=0; while [ $i -lt 50 ] && ! grep -q second $o; do sleep 0.1; i=$((i+1)); done
kill $p; wait $p; cat $o; rm -f $f $o`

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
