package loader

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"testing"

	"golang.org/x/sys/unix"
)

// FuzzLoad checks that no file makes Load panic, and that every refusal of the file itself is
// an ENOEXEC *Error. Run it with: go test -run=^$ -fuzz=FuzzLoad ./sentry/loader/
func FuzzLoad(f *testing.F) {
	f.Add(tinyExit())
	f.Add([]byte("#!/bin/sh\n"))
	if _, err := exec.LookPath("gcc"); err == nil && !testing.Short() {
		for _, flags := range [][]string{{"-static", "-no-pie"}, {"-static-pie"}} {
			b, err := os.ReadFile(buildC(f, flags...))
			if err != nil {
				f.Fatal(err)
			}
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, file []byte) {
		m := newFakeMemory()
		res, err := Load(m, Args{File: bytes.NewReader(file), Path: "fuzz", Argv: []string{"fuzz"}})
		if err != nil {
			var le *Error
			if !errors.As(err, &le) || !errors.Is(err, unix.ENOEXEC) {
				t.Fatalf("Load: %v (%T), want an ENOEXEC *Error", err, err)
			}
			return
		}
		if res.Stack%16 != 0 || res.Stack < res.StackStart || res.Stack >= res.StackEnd {
			t.Fatalf("bad stack pointer %#x in [%#x, %#x)", res.Stack, res.StackStart, res.StackEnd)
		}
	})
}
