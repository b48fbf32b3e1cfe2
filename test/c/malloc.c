// malloc churns through more than 1 GiB of heap: blocks of pseudo-random
// sizes from 4 KiB to 64 MiB are allocated, filled with a pattern derived
// from their index, verified, and freed, with a few kept live at a time so
// that frees and allocations interleave. Small blocks come from brk, large
// ones from mmap (glibc's threshold), so both paths are exercised. Prints the
// bytes touched and a checksum of everything read back.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define LIVE 8
#define MIN_TOTAL (1ULL << 30)

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint64_t next(void) {
	// xorshift64*
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545f4914f6cdd1dULL;
}

struct block {
	uint64_t *p;
	size_t words;
	uint64_t seed;
};

static void fill(struct block *b) {
	for (size_t i = 0; i < b->words; i++)
		b->p[i] = b->seed ^ (i * 0x100000001b3ULL);
}

// verify returns a checksum of the block, or 0 and a message on a mismatch.
static int verify(const struct block *b, uint64_t *sum) {
	uint64_t s = 0;
	for (size_t i = 0; i < b->words; i++) {
		uint64_t want = b->seed ^ (i * 0x100000001b3ULL);
		if (b->p[i] != want) {
			printf("mismatch at word %zu of a %zu-byte block\n", i, b->words * 8);
			return 0;
		}
		s += b->p[i] * (2 * i + 1);
	}
	*sum ^= s + b->seed;
	return 1;
}

int main(void) {
	struct block live[LIVE] = {0};
	uint64_t total = 0, sum = 0, blocks = 0;
	for (int i = 0; total < MIN_TOTAL; i++) {
		struct block *b = &live[i % LIVE];
		if (b->p) {
			if (!verify(b, &sum))
				return 1;
			free(b->p);
			b->p = NULL;
		}
		// Sizes spread over 4 KiB << [0, 14], i.e. up to 64 MiB, biased
		// towards small blocks, plus a non-page-aligned tail.
		unsigned shift = next() % 15;
		if (shift > 10 && next() % 2)
			shift -= 5;
		size_t size = (4096UL << shift) + (next() % 4096) / 8 * 8;
		b->p = malloc(size);
		if (!b->p) {
			printf("malloc(%zu) failed\n", size);
			return 1;
		}
		b->words = size / 8;
		b->seed = next();
		fill(b);
		total += size;
		blocks++;
	}
	for (int i = 0; i < LIVE; i++) {
		if (live[i].p) {
			if (!verify(&live[i], &sum))
				return 1;
			free(live[i].p);
		}
	}
	printf("blocks=%llu\n", (unsigned long long)blocks);
	printf("at least 1 GiB touched: %s\n", total >= MIN_TOTAL ? "yes" : "no");
	printf("bytes=%llu\n", (unsigned long long)total);
	printf("checksum=%016llx\n", (unsigned long long)sum);
	return 0;
}
