// mmap checks the semantics and errnos of mmap, mprotect, munmap, mremap,
// madvise and brk within one process. Each check prints "name: ok" or
// "name: FAIL (...)" without addresses, and the exit status is the number of
// failures (capped at 100), so the program checks itself on the host and the
// harness compares the two runs line by line.
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

#define PG 4096UL

static int failures;

static const char *errname(int e) {
	switch (e) {
	case 0: return "0";
	case EINVAL: return "EINVAL";
	case ENOMEM: return "ENOMEM";
	case EEXIST: return "EEXIST";
	case EFAULT: return "EFAULT";
	case EBADF: return "EBADF";
	case EACCES: return "EACCES";
	case EPERM: return "EPERM";
	case ENOSYS: return "ENOSYS";
	case EAGAIN: return "EAGAIN";
	default: return "other";
	}
}

static void ok(const char *name, int cond, const char *detail) {
	if (cond) {
		printf("%s: ok\n", name);
	} else {
		printf("%s: FAIL (%s)\n", name, detail);
		failures++;
	}
}

// errcheck reports a call that must fail with want. r is the result and
// failed whether it indicates failure (MAP_FAILED or -1).
static void errcheck(const char *name, int failed, int want) {
	int e = errno;
	if (failed && e == want) {
		printf("%s: ok (%s)\n", name, errname(want));
	} else {
		printf("%s: FAIL (want %s, got %s)\n", name, errname(want),
		       failed ? errname(e) : "success");
		failures++;
	}
}

static void zerocheck(const char *name, int ret) {
	int e = errno;
	if (ret == 0) {
		printf("%s: ok\n", name);
	} else {
		printf("%s: FAIL (returned %d, %s)\n", name, ret, errname(e));
		failures++;
	}
}

static char *anon(size_t len, int prot, int flags) {
	return mmap(NULL, len, prot, flags | MAP_ANONYMOUS, -1, 0);
}

static int all(const char *p, size_t len, char c) {
	for (size_t i = 0; i < len; i++)
		if (p[i] != c)
			return 0;
	return 1;
}

// mapped reports whether [p, p+len) is entirely mapped: mprotect with the
// current protection fails with ENOMEM on any hole.
static int mapped(void *p, size_t len, int prot) {
	return mprotect(p, len, prot) == 0;
}

// hole reserves len bytes of address space and frees them again, returning
// an address range that is (for now) unused.
static char *hole(size_t len) {
	char *p = anon(len, PROT_NONE, MAP_PRIVATE);
	if (p == MAP_FAILED)
		return NULL;
	munmap(p, len);
	return p;
}

static void test_mmap(void) {
	char *p = anon(4 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	ok("anon private map", p != MAP_FAILED, errname(errno));
	if (p == MAP_FAILED)
		return;
	ok("anon private page aligned", ((uintptr_t)p & (PG - 1)) == 0, "unaligned");
	ok("anon private zero-filled", all(p, 4 * PG, 0), "not zero");
	memset(p, 0xa5, 4 * PG);
	ok("anon private write/read", all(p, 4 * PG, (char)0xa5), "readback differs");

	char *s = anon(2 * PG, PROT_READ | PROT_WRITE, MAP_SHARED);
	ok("anon shared map", s != MAP_FAILED, errname(errno));
	if (s != MAP_FAILED) {
		ok("anon shared zero-filled", all(s, 2 * PG, 0), "not zero");
		memset(s, 0x5a, 2 * PG);
		ok("anon shared write/read", all(s, 2 * PG, 0x5a), "readback differs");
		zerocheck("munmap anon shared", munmap(s, 2 * PG));
	}

	// MAP_FIXED over the middle of an existing mapping replaces those pages
	// with fresh zero pages and leaves the rest alone.
	char *f = mmap(p + PG, PG, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	ok("MAP_FIXED over mapping returns addr", f == p + PG, f == MAP_FAILED ? errname(errno) : "other address");
	ok("MAP_FIXED replaced page is zero", all(p + PG, PG, 0), "old contents visible");
	ok("MAP_FIXED neighbours kept", all(p, PG, (char)0xa5) && all(p + 2 * PG, 2 * PG, (char)0xa5),
	   "neighbour contents changed");

	errno = 0;
	f = mmap(p, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	errcheck("MAP_FIXED_NOREPLACE over mapping", f == MAP_FAILED, EEXIST);
	ok("MAP_FIXED_NOREPLACE left mapping intact", all(p, PG, (char)0xa5), "contents changed");

	char *h = hole(PG);
	if (h) {
		f = mmap(h, PG, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
		ok("MAP_FIXED_NOREPLACE into hole", f == h, f == MAP_FAILED ? errname(errno) : "other address");
		if (f != MAP_FAILED)
			munmap(f, PG);
	}

	// A hint at a free address is honoured.
	h = hole(4 * PG);
	if (h) {
		f = mmap(h, 4 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		ok("hint at free range honoured", f == h, f == MAP_FAILED ? errname(errno) : "other address");
		if (f != MAP_FAILED)
			munmap(f, 4 * PG);
	}
	// A hint over a used range is not an error: the kernel picks elsewhere
	// and leaves the existing mapping alone.
	f = mmap(p, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ok("hint over used range moves", f != MAP_FAILED && f != p, f == MAP_FAILED ? errname(errno) : "mapped at hint");
	ok("hint over used range keeps old", all(p, PG, (char)0xa5), "contents changed");
	if (f != MAP_FAILED && f != p)
		munmap(f, PG);
	// An unaligned hint without MAP_FIXED is rounded, not an error.
	f = mmap((void *)((uintptr_t)hole(PG) + 123), PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ok("unaligned hint without MAP_FIXED", f != MAP_FAILED && ((uintptr_t)f & (PG - 1)) == 0,
	   f == MAP_FAILED ? errname(errno) : "unaligned result");
	if (f != MAP_FAILED)
		munmap(f, PG);

	errno = 0;
	f = mmap(p + 1, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	errcheck("MAP_FIXED unaligned addr", f == MAP_FAILED, EINVAL);
	errno = 0;
	f = anon(0, PROT_READ, MAP_PRIVATE);
	errcheck("mmap length 0", f == MAP_FAILED, EINVAL);
	errno = 0;
	f = mmap(NULL, PG, PROT_READ, MAP_ANONYMOUS, -1, 0);
	errcheck("mmap neither private nor shared", f == MAP_FAILED, EINVAL);
	errno = 0;
	f = mmap(NULL, PG, PROT_READ, MAP_PRIVATE, -1, 0);
	errcheck("mmap fd -1 not anonymous", f == MAP_FAILED, EBADF);
	errno = 0;
	f = mmap(NULL, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 123);
	errcheck("mmap unaligned offset", f == MAP_FAILED, EINVAL);
	errno = 0;
	f = anon((size_t)-PG, PROT_READ, MAP_PRIVATE);
	errcheck("mmap huge length", f == MAP_FAILED, ENOMEM);

	zerocheck("munmap private", munmap(p, 4 * PG));
}

static void test_mprotect_munmap(void) {
	char *p = anon(3 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	if (p == MAP_FAILED) {
		ok("mprotect setup", 0, errname(errno));
		return;
	}
	memset(p, 1, 3 * PG);
	zerocheck("mprotect read-only", mprotect(p, PG, PROT_READ));
	ok("read after mprotect read-only", all(p, PG, 1), "contents changed");
	zerocheck("mprotect PROT_NONE guard", mprotect(p + PG, PG, PROT_NONE));
	zerocheck("mprotect back to read-write", mprotect(p, 2 * PG, PROT_READ | PROT_WRITE));
	ok("contents survive protection changes", all(p, 3 * PG, 1), "contents changed");
	errno = 0;
	errcheck("mprotect unaligned", mprotect(p + 1, PG, PROT_READ) == -1, EINVAL);
	errno = 0;
	errcheck("mprotect bad prot", mprotect(p, PG, 0x1000) == -1, EINVAL);

	// Punch a hole in the middle: munmap of part of a mapping.
	zerocheck("munmap middle page", munmap(p + PG, PG));
	ok("outer pages still mapped", mapped(p, PG, PROT_READ | PROT_WRITE) &&
	   mapped(p + 2 * PG, PG, PROT_READ | PROT_WRITE), "outer page gone");
	errno = 0;
	errcheck("mprotect on hole", mprotect(p + PG, PG, PROT_READ) == -1, ENOMEM);
	errno = 0;
	errcheck("mprotect spanning hole", mprotect(p, 3 * PG, PROT_READ | PROT_WRITE) == -1, ENOMEM);
	zerocheck("munmap hole", munmap(p + PG, PG));
	errno = 0;
	errcheck("munmap unaligned", munmap(p + 1, PG) == -1, EINVAL);
	errno = 0;
	errcheck("munmap length 0", munmap(p, 0) == -1, EINVAL);
	zerocheck("munmap range with hole", munmap(p, 3 * PG));
	ok("range gone after munmap", !mapped(p, PG, PROT_READ) && !mapped(p + 2 * PG, PG, PROT_READ),
	   "still mapped");
}

static void test_mremap(void) {
	// Grow in place: map 4 pages, unmap the top 2, grow the bottom 2 back.
	char *p = anon(4 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	if (p == MAP_FAILED) {
		ok("mremap setup", 0, errname(errno));
		return;
	}
	memset(p, 7, 2 * PG);
	munmap(p + 2 * PG, 2 * PG);
	char *q = mremap(p, 2 * PG, 4 * PG, 0);
	ok("mremap grow in place", q == p, q == MAP_FAILED ? errname(errno) : "moved");
	if (q == p) {
		ok("mremap grow keeps data", all(p, 2 * PG, 7), "data lost");
		ok("mremap grown part zero", all(p + 2 * PG, 2 * PG, 0), "not zero");
	}

	// Shrink in place: the tail is unmapped.
	q = mremap(p, 4 * PG, PG, 0);
	ok("mremap shrink in place", q == p, q == MAP_FAILED ? errname(errno) : "moved");
	ok("mremap shrink keeps data", all(p, PG, 7), "data lost");
	ok("mremap shrink unmaps tail", !mapped(p + PG, PG, PROT_READ | PROT_WRITE), "tail still mapped");

	// Blocked growth: put a mapping right after p.
	char *b = mmap(p + PG, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	ok("mremap blocker placed", b == p + PG, b == MAP_FAILED ? errname(errno) : "other address");
	errno = 0;
	q = mremap(p, PG, 8 * PG, 0);
	errcheck("mremap blocked grow without MAYMOVE", q == MAP_FAILED, ENOMEM);
	q = mremap(p, PG, 8 * PG, MREMAP_MAYMOVE);
	ok("mremap blocked grow with MAYMOVE moves", q != MAP_FAILED && q != p,
	   q == MAP_FAILED ? errname(errno) : "did not move");
	if (q != MAP_FAILED && q != p) {
		ok("mremap move keeps data", all(q, PG, 7), "data lost");
		ok("mremap moved part zero", all(q + PG, 7 * PG, 0), "not zero");
		ok("mremap move unmaps old", !mapped(p, PG, PROT_READ | PROT_WRITE), "old still mapped");
		ok("mremap move keeps blocker", mapped(b, PG, PROT_READ), "blocker gone");
		p = q;
	}

	// MREMAP_FIXED to a chosen free range.
	char *h = hole(8 * PG);
	if (h) {
		q = mremap(p, 8 * PG, 8 * PG, MREMAP_MAYMOVE | MREMAP_FIXED, h);
		ok("mremap MREMAP_FIXED to hole", q == h, q == MAP_FAILED ? errname(errno) : "other address");
		if (q == h) {
			ok("mremap MREMAP_FIXED keeps data", all(q, PG, 7), "data lost");
			p = q;
		}
	}
	errno = 0;
	q = mremap(p, PG, PG, MREMAP_FIXED, b);
	errcheck("MREMAP_FIXED without MAYMOVE", q == MAP_FAILED, EINVAL);
	errno = 0;
	q = mremap(p + 1, PG, 2 * PG, MREMAP_MAYMOVE);
	errcheck("mremap unaligned", q == MAP_FAILED, EINVAL);
	errno = 0;
	q = mremap(p, PG, 0, MREMAP_MAYMOVE);
	errcheck("mremap new size 0", q == MAP_FAILED, EINVAL);
	munmap(b, PG);
	errno = 0;
	q = mremap(b, PG, 2 * PG, MREMAP_MAYMOVE);
	errcheck("mremap of unmapped range", q == MAP_FAILED, EFAULT);
	munmap(p, 8 * PG);

	// Shared anonymous mappings keep their contents when moved.
	char *s = anon(2 * PG, PROT_READ | PROT_WRITE, MAP_SHARED);
	if (s != MAP_FAILED) {
		memset(s, 9, 2 * PG);
		q = mremap(s, 2 * PG, 16 * PG, MREMAP_MAYMOVE);
		ok("mremap shared grow", q != MAP_FAILED, errname(errno));
		if (q != MAP_FAILED) {
			ok("mremap shared keeps data", all(q, 2 * PG, 9), "data lost");
			munmap(q, 16 * PG);
		}
	}
}

static void test_madvise(void) {
	char *p = anon(2 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	if (p == MAP_FAILED) {
		ok("madvise setup", 0, errname(errno));
		return;
	}
	memset(p, 3, 2 * PG);
	zerocheck("madvise DONTNEED", madvise(p, PG, MADV_DONTNEED));
	ok("DONTNEED zeroes private anon page", all(p, PG, 0), "old contents visible");
	ok("DONTNEED leaves next page", all(p + PG, PG, 3), "next page changed");
	p[0] = 4;
	ok("DONTNEED page writable again", p[0] == 4, "write lost");
	errno = 0;
	errcheck("madvise unaligned", madvise(p + 1, PG, MADV_DONTNEED) == -1, EINVAL);
	munmap(p, 2 * PG);
}

static void test_brk(void) {
	uintptr_t cur = (uintptr_t)syscall(SYS_brk, 0);
	ok("brk(0) returns break", cur != 0 && cur != (uintptr_t)-1, "no break");
	uintptr_t want = cur + 64 * PG;
	uintptr_t got = (uintptr_t)syscall(SYS_brk, want);
	ok("brk grows", got == want, "did not grow");
	if (got == want) {
		char *mem = (char *)cur;
		// The break need not be page aligned: only touch whole pages above it.
		char *lo = (char *)((cur + PG - 1) & ~(PG - 1));
		ok("grown brk memory zero", all(lo, (char *)want - lo, 0), "not zero");
		memset(mem, 0x11, want - cur);
		ok("grown brk memory writable", all(mem, want - cur, 0x11), "readback differs");
	}
	got = (uintptr_t)syscall(SYS_brk, cur);
	ok("brk shrinks", got == cur, "did not shrink");
	ok("shrunk brk range unmapped",
	   !mapped((void *)(((cur + PG - 1) & ~(PG - 1)) + PG), PG, PROT_READ | PROT_WRITE),
	   "still mapped");
	// A request below the start of the heap is refused: brk returns the
	// unchanged break rather than an error.
	got = (uintptr_t)syscall(SYS_brk, 4096);
	ok("brk below heap start refused", got == cur, "break moved");

	void *s0 = sbrk(0);
	void *s1 = sbrk(8 * PG);
	ok("sbrk grows", s1 == s0 && sbrk(0) == (char *)s0 + 8 * PG, "did not grow");
	memset(s1, 0x22, 8 * PG);
	sbrk(-(intptr_t)(8 * PG));
	ok("sbrk shrinks", sbrk(0) == s0, "did not shrink");
}

int main(void) {
	setvbuf(stdout, NULL, _IOLBF, 0);
	test_mmap();
	test_mprotect_munmap();
	test_mremap();
	test_madvise();
	test_brk();
	printf("failures=%d\n", failures);
	return failures > 100 ? 100 : failures;
}
