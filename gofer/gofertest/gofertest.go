// Package gofertest serves host paths with a real gofer server over a socketpair, for the
// tests of the gofer and of the filesystems built on its client.
package gofertest

import (
	"testing"

	"golang.org/x/sys/unix"

	"github.com/stockade-sandbox/stockade/gofer"
	"github.com/stockade-sandbox/stockade/gofer/client"
)

// Serve starts a gofer server for mounts on one end of a SOCK_SEQPACKET socketpair and
// returns a client dialled on the other. When the test ends the client hangs up, the
// server's Serve must return without error, and the server is closed.
func Serve(t testing.TB, mounts ...gofer.Mount) *client.Client {
	t.Helper()
	srv, err := gofer.NewServer(mounts)
	if err != nil {
		t.Fatal(err)
	}
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(fds[0]) }()
	c, err := client.Dial(fds[1])
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c.Close()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
		srv.Close()
	})
	return c
}
