// Command bench measures Stockade against native execution and prints a
// table of benchmark | native | runsc (platform) | ratio:
//
//   - getpid: the mean cost of one raw getpid syscall, from a static C
//     program that loops N of them and times the loop itself (median over
//     runs), so process start-up is not included.
//   - start-to-exit: wall time from starting `runsc do /static/true` to its
//     exit, against exec of the same static binary on the host (median over
//     runs, after one warm-up run).
//   - clock_gettime(CLOCK_MONOTONIC) through libc (the vDSO under runsc), fork+exec+wait
//     of the static true, and writing one byte to every page of a fresh 1 GiB mapping
//     (per page): test/bench/c/proc.c, timed inside the program.
//   - OCI run start-to-exit: `runsc run` of a bundle whose process is the static true
//     (create, start, wait, delete), against `runc run` of the same bundle in the same
//     run, the two alternating (runc's time is in the native column; needs root and runc).
//   - open+fstat+close and stat of a host file (served by the gofer under
//     runsc; warm: a first stat precedes the timed loop), and sequential read of
//     a 256 MiB host file with a 1 MiB buffer, reported as GB/s.
//   - Docker start-to-exit, with -docker IMAGE: `docker run --rm IMAGE true` with runsc's
//     runtime against runc in the same run (runc's time in the native column), through
//     the dockerd the docker CLI reaches (docker.go).
//
// Usage (from the repository root; `make bench` builds runsc first):
//
//	go run ./test/bench [-platform ptrace,systrap] [-runs 10] [-runsc bin/runsc]
//	    [-only oci,docker] [-docker IMAGE [-docker-runtime runsc]]
//
// The C programs are embedded and compiled with gcc -static into a temporary
// directory on each run.
package main

import (
	_ "embed"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/stockade-sandbox/stockade/test/internal/repo"
)

var (
	//go:embed c/getpid.c
	getpidSrc []byte
	//go:embed c/true.c
	trueSrc []byte
	//go:embed c/fileops.c
	fileopsSrc []byte
	//go:embed c/proc.c
	procSrc []byte
)

// readFileSize is the size of the file the sequential-read benchmark reads.
const readFileSize = 256 << 20

var (
	runscFlag     = flag.String("runsc", "", "runsc binary (default $RUNSC, or bin/runsc in the repository)")
	platformsFlag = flag.String("platform", "ptrace", "comma-separated runsc platforms to measure")
	runsFlag      = flag.Int("runs", 10, "runs per measurement; the median is reported (at least 10)")
	nativeIters   = flag.Int("getpid-iters-native", 2000000, "getpid calls per native run")
	sandboxIters  = flag.Int("getpid-iters-runsc", 50000, "getpid calls per sandboxed run")
	nativeOnly    = flag.Bool("native-only", false, "measure the host only (no runsc needed)")
	runTimeout    = flag.Duration("run-timeout", 2*time.Minute, "time limit for one run")
	onlyFlag      = flag.String("only", "", "comma-separated benchmarks to run, of "+strings.Join(benchKeys, ",")+" (default: all; docker only with -docker)")
	dockerImage   = flag.String("docker", "", "image with a true on its PATH: also time `docker run --rm IMAGE true`, runsc against runc (needs a dockerd with runsc installed)")
	dockerRuntime = flag.String("docker-runtime", "runsc", "the name runsc is installed under in dockerd (with -docker)")
)

// benchKeys names the benchmarks for -only, in the table's order.
var benchKeys = []string{"getpid", "start", "clock", "forkexec", "touch", "open", "stat", "read", "oci", "docker"}

// selected returns which benchmarks to run, from -only and -docker.
func selected() (map[string]bool, error) {
	want := map[string]bool{}
	if *onlyFlag == "" {
		for _, k := range benchKeys {
			want[k] = k != "docker" || *dockerImage != ""
		}
		return want, nil
	}
	for _, k := range strings.Split(*onlyFlag, ",") {
		k = strings.TrimSpace(k)
		if !slices.Contains(benchKeys, k) {
			return nil, fmt.Errorf("-only: unknown benchmark %q (known: %s)", k, strings.Join(benchKeys, ","))
		}
		want[k] = true
	}
	if want["docker"] && *dockerImage == "" {
		return nil, errors.New("-only docker: name the image with -docker IMAGE")
	}
	return want, nil
}

func main() {
	flag.Parse()
	if err := benchMain(); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// target is one way of running a program: natively or under a platform.
type target struct {
	name   string
	prefix []string // command line before the program
	iters  int      // getpid iterations per run
}

func (t target) cmd(prog string, args ...string) *exec.Cmd {
	argv := append(append(slices.Clone(t.prefix), prog), args...)
	return exec.Command(argv[0], argv[1:]...)
}

func benchMain() error {
	if *runsFlag < 10 {
		return fmt.Errorf("-runs %d: need at least 10", *runsFlag)
	}
	want, err := selected()
	if err != nil {
		return err
	}
	if *nativeOnly && (want["oci"] || want["docker"]) && *onlyFlag != "" {
		return errors.New("-native-only: oci and docker compare runsc with runc, leave them out of -only")
	}
	targets := []target{{name: "native", iters: *nativeIters}}
	if !*nativeOnly {
		runsc, err := findRunsc()
		if err != nil {
			return err
		}
		for _, p := range strings.Split(*platformsFlag, ",") {
			if p = strings.TrimSpace(p); p == "" {
				continue
			}
			targets = append(targets, target{
				name:   "runsc (" + p + ")",
				prefix: []string{runsc, "do", "--platform=" + p},
				iters:  *sandboxIters,
			})
		}
	}

	dir, err := os.MkdirTemp("", "stockade-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	getpid, err := compile(dir, "getpid", getpidSrc)
	if err != nil {
		return err
	}
	truePath, err := compile(dir, "true", trueSrc)
	if err != nil {
		return err
	}

	proc, err := compile(dir, "proc", procSrc)
	if err != nil {
		return err
	}
	fileops, err := compile(dir, "fileops", fileopsSrc)
	if err != nil {
		return err
	}
	bigFile := filepath.Join(dir, "read-256M")
	if want["read"] {
		if err := writeFile(bigFile, readFileSize); err != nil {
			return err
		}
	}

	type row struct {
		name    string
		results []time.Duration
		// bytes, if set, shows results as throughput of that many bytes per result.
		bytes int64
	}
	var rows []row
	fmt.Fprintf(os.Stderr, "bench: %d runs per measurement\n", *runsFlag)

	if want["getpid"] {
		r := row{name: "getpid round trip"}
		for _, tg := range targets {
			d, err := medianGetpid(tg, getpid)
			if err != nil {
				return fmt.Errorf("getpid under %s: %w", tg.name, err)
			}
			r.results = append(r.results, d)
		}
		rows = append(rows, r)
	}

	if want["start"] {
		r := row{name: "start-to-exit (static true)"}
		for _, tg := range targets {
			d, err := medianStart(tg, truePath)
			if err != nil {
				return fmt.Errorf("start-to-exit under %s: %w", tg.name, err)
			}
			r.results = append(r.results, d)
		}
		rows = append(rows, r)
	}

	for _, pb := range []struct {
		name, mode        string
		native, sandboxed int
		args              []string
	}{
		{"clock_gettime(CLOCK_MONOTONIC)", "clock", 10000000, 10000000, nil},
		{"fork+exec+wait (static true)", "forkexec", 200, 100, []string{truePath}},
		{"touch 1 GiB (per 4 KiB page)", "touch", 1024, 1024, nil},
	} {
		if !want[pb.mode] {
			continue
		}
		r := row{name: pb.name}
		for i, tg := range targets {
			n := pb.sandboxed
			if i == 0 {
				n = pb.native
			}
			d, err := medianNsPerOp(tg.cmd(proc, append([]string{pb.mode, strconv.Itoa(n)}, pb.args...)...))
			if err != nil {
				return fmt.Errorf("%s under %s: %w", pb.name, tg.name, err)
			}
			r.results = append(r.results, d)
		}
		rows = append(rows, r)
	}

	for _, fb := range []struct {
		name, mode        string
		native, sandboxed int
		bytes             int64
	}{
		{"open+fstat+close (host file)", "open", 20000, 2000, 0},
		{"stat (host file, warm)", "stat", 20000, 2000, 0},
		{"sequential read 256 MiB", "read", 4, 4, readFileSize},
	} {
		if !want[fb.mode] {
			continue
		}
		r := row{name: fb.name, bytes: fb.bytes}
		for i, tg := range targets {
			n := fb.sandboxed
			if i == 0 {
				n = fb.native
			}
			d, err := medianNsPerOp(tg.cmd(fileops, fb.mode, strconv.Itoa(n), bigFile))
			if err != nil {
				return fmt.Errorf("%s under %s: %w", fb.name, tg.name, err)
			}
			r.results = append(r.results, d)
		}
		rows = append(rows, r)
	}

	// OCI and Docker: runsc against runc (runc's time in the native column; runsc's
	// repeated in the columns of other platforms, which these do not choose).
	against := func(name string, ds []time.Duration) {
		r := row{name: name, results: ds}
		for len(r.results) < len(targets) {
			r.results = append(r.results, ds[1])
		}
		rows = append(rows, r)
	}
	if !*nativeOnly && want["oci"] {
		runsc, _ := findRunsc()
		ds, err := ociRows(dir, runsc, truePath)
		if err != nil {
			return err
		}
		if ds != nil {
			against("OCI run start-to-exit (runc = native column)", ds)
		} else if *onlyFlag != "" {
			return errors.New("oci: needs root and runc")
		}
	}
	if !*nativeOnly && want["docker"] {
		ds, err := dockerRow(*dockerImage, *dockerRuntime)
		if err != nil {
			return err
		}
		against("docker run --rm IMG true (runc = native column)", ds)
	}
	if len(rows) == 0 {
		return errors.New("nothing to measure")
	}

	header := []string{"benchmark", "native"}
	for _, tg := range targets[1:] {
		header = append(header, tg.name, "ratio")
	}
	table := [][]string{header}
	for _, r := range rows {
		show := format
		if r.bytes != 0 {
			show = func(d time.Duration) string { return fmt.Sprintf("%.2f GB/s", float64(r.bytes)/d.Seconds()/1e9) }
		}
		cells := []string{r.name, show(r.results[0])}
		for _, d := range r.results[1:] {
			cells = append(cells, show(d), fmt.Sprintf("%.1fx", float64(d)/float64(r.results[0])))
		}
		table = append(table, cells)
	}
	printTable(os.Stdout, table)
	return nil
}

// printTable prints rows as a Markdown table with aligned columns.
func printTable(w io.Writer, rows [][]string) {
	widths := make([]int, len(rows[0]))
	for _, r := range rows {
		for i, c := range r {
			widths[i] = max(widths[i], utf8.RuneCountInString(c))
		}
	}
	line := func(cells []string) {
		padded := make([]string, len(cells))
		for i, c := range cells {
			padded[i] = c + strings.Repeat(" ", widths[i]-utf8.RuneCountInString(c))
		}
		fmt.Fprintf(w, "| %s |\n", strings.Join(padded, " | "))
	}
	line(rows[0])
	dashes := make([]string, len(widths))
	for i, n := range widths {
		dashes[i] = strings.Repeat("-", n)
	}
	fmt.Fprintf(w, "|-%s-|\n", strings.Join(dashes, "-|-"))
	for _, r := range rows[1:] {
		line(r)
	}
}

// findRunsc returns the runsc binary to measure.
func findRunsc() (string, error) {
	p, err := repo.Runsc()
	if *runscFlag != "" {
		p, err = filepath.Abs(*runscFlag) // -runsc wins over $RUNSC and the repository's
	}
	if err != nil {
		return "", err
	}
	if fi, err := os.Stat(p); err != nil || fi.IsDir() {
		return "", fmt.Errorf("runsc not found at %s: build bin/runsc first (make)", p)
	}
	return p, nil
}

// compile builds src with gcc -static into dir/name.
func compile(dir, name string, src []byte) (string, error) {
	c := filepath.Join(dir, name+".c")
	out := filepath.Join(dir, name)
	if err := os.WriteFile(c, src, 0o644); err != nil {
		return "", err
	}
	if b, err := exec.Command("gcc", "-static", "-O1", "-o", out, c).CombinedOutput(); err != nil {
		return "", fmt.Errorf("gcc %s: %w\n%s", name, err, b)
	}
	return out, nil
}

// runOnce runs cmd with the run timeout and returns its stdout and the wall
// time from start to exit.
func runOnce(cmd *exec.Cmd) (string, time.Duration, error) {
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	timer := time.AfterFunc(*runTimeout, func() {
		if cmd.Process != nil {
			cmd.Process.Kill()
		}
	})
	defer timer.Stop()
	start := time.Now()
	err := cmd.Run()
	d := time.Since(start)
	if err != nil {
		return "", 0, fmt.Errorf("%s: %w\n%s", strings.Join(cmd.Args, " "), err, stderr.String())
	}
	return stdout.String(), d, nil
}

func medianGetpid(tg target, prog string) (time.Duration, error) {
	return medianNsPerOp(tg.cmd(prog, strconv.Itoa(tg.iters)))
}

// writeFile creates path with size bytes of non-zero data.
func writeFile(path string, size int) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	chunk := make([]byte, 1<<20)
	for i := range chunk {
		chunk[i] = byte(i*7 + 1)
	}
	for n := 0; n < size; n += len(chunk) {
		if _, err := f.Write(chunk); err != nil {
			f.Close()
			return err
		}
	}
	return f.Close()
}

// medianNsPerOp runs cmd (a program printing "ns/op=X") the configured number of times and
// returns the median.
func medianNsPerOp(cmd *exec.Cmd) (time.Duration, error) {
	var ds []time.Duration
	for i := 0; i < *runsFlag; i++ {
		c := exec.Command(cmd.Args[0], cmd.Args[1:]...)
		out, _, err := runOnce(c)
		if err != nil {
			return 0, err
		}
		s, ok := strings.CutPrefix(strings.TrimSpace(out), "ns/op=")
		if !ok {
			return 0, fmt.Errorf("unexpected output %q", out)
		}
		ns, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return 0, fmt.Errorf("unexpected output %q: %w", out, err)
		}
		ds = append(ds, time.Duration(ns*float64(time.Nanosecond)+0.5))
	}
	return median(ds), nil
}

func medianStart(tg target, prog string) (time.Duration, error) {
	if _, _, err := runOnce(tg.cmd(prog)); err != nil { // warm-up
		return 0, err
	}
	var ds []time.Duration
	for i := 0; i < *runsFlag; i++ {
		_, d, err := runOnce(tg.cmd(prog))
		if err != nil {
			return 0, err
		}
		ds = append(ds, d)
	}
	return median(ds), nil
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// format prints a duration with about three significant digits.
func format(d time.Duration) string {
	switch {
	case d < time.Microsecond:
		return fmt.Sprintf("%d ns", d.Nanoseconds())
	case d < time.Millisecond:
		return fmt.Sprintf("%.2f µs", float64(d)/float64(time.Microsecond))
	case d < time.Second:
		return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond))
	default:
		return fmt.Sprintf("%.2f s", d.Seconds())
	}
}
