// threads runs 16 pthreads that use a mutex, a condition variable, a barrier
// and __thread TLS, in ways whose result is deterministic whatever the
// scheduling: a shared counter incremented under the mutex, rounds separated
// by the barrier whose sums are checked by the barrier's serial thread, a
// condvar-driven turn order that yields a fixed sequence, and per-thread TLS
// values and addresses that must all differ.
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define NTHREADS 16
#define INCS 20000
#define ROUNDS 50

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static pthread_barrier_t bar;

static long counter;           // guarded by mu
static long round_sum;         // guarded by mu
static int bad_rounds;         // written by the barrier's serial thread
static int turn;               // guarded by mu
static int order[NTHREADS];    // guarded by mu
static int started;            // guarded by mu
static int go;                 // guarded by mu

static __thread long tls_value = -1;
static __thread char tls_buf[64];

struct result {
	uintptr_t tls_addr;
	long tls_value;
	int tls_buf_ok;
};
static struct result results[NTHREADS];

static void *worker(void *arg) {
	int id = (int)(intptr_t)arg;

	// TLS starts at its initial value in every thread.
	int fresh = tls_value == -1 && tls_buf[0] == 0;
	tls_value = 1000 + id;
	snprintf(tls_buf, sizeof tls_buf, "thread %d", id);

	// Start gate: wait on the condvar until main says go.
	pthread_mutex_lock(&mu);
	started++;
	pthread_cond_broadcast(&cv);
	while (!go)
		pthread_cond_wait(&cv, &mu);
	pthread_mutex_unlock(&mu);

	for (int i = 0; i < INCS; i++) {
		pthread_mutex_lock(&mu);
		counter++;
		pthread_mutex_unlock(&mu);
	}

	for (int r = 1; r <= ROUNDS; r++) {
		pthread_mutex_lock(&mu);
		round_sum += (long)r * (id + 1);
		pthread_mutex_unlock(&mu);
		if (pthread_barrier_wait(&bar) == PTHREAD_BARRIER_SERIAL_THREAD) {
			// Everyone has added this round's share; nobody adds the
			// next round's until the second barrier.
			long want = (long)r * NTHREADS * (NTHREADS + 1) / 2;
			if (round_sum != want)
				bad_rounds++;
			round_sum = 0;
		}
		pthread_barrier_wait(&bar);
	}

	// Turn order: thread i appends itself when turn == i.
	pthread_mutex_lock(&mu);
	while (turn != id)
		pthread_cond_wait(&cv, &mu);
	order[turn++] = id;
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&mu);

	char want[64];
	snprintf(want, sizeof want, "thread %d", id);
	results[id].tls_addr = (uintptr_t)&tls_value;
	results[id].tls_value = tls_value;
	results[id].tls_buf_ok = fresh && strcmp(tls_buf, want) == 0;
	return (void *)(intptr_t)(id * 7);
}

int main(void) {
	pthread_t th[NTHREADS];
	int failures = 0;
	tls_value = 42;
	pthread_barrier_init(&bar, NULL, NTHREADS);
	for (int i = 0; i < NTHREADS; i++) {
		if (pthread_create(&th[i], NULL, worker, (void *)(intptr_t)i) != 0) {
			printf("pthread_create %d failed\n", i);
			return 1;
		}
	}
	pthread_mutex_lock(&mu);
	while (started < NTHREADS)
		pthread_cond_wait(&cv, &mu);
	go = 1;
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&mu);

	int joined_ok = 1;
	for (int i = 0; i < NTHREADS; i++) {
		void *ret;
		pthread_join(th[i], &ret);
		if ((intptr_t)ret != i * 7)
			joined_ok = 0;
	}

	printf("threads=%d\n", NTHREADS);
	printf("counter=%ld (want %d)\n", counter, NTHREADS * INCS);
	failures += counter != NTHREADS * INCS;
	printf("barrier rounds=%d bad=%d\n", ROUNDS, bad_rounds);
	failures += bad_rounds != 0;
	printf("turn order:");
	for (int i = 0; i < NTHREADS; i++) {
		printf(" %d", order[i]);
		failures += order[i] != i;
	}
	printf("\n");
	int distinct = 1, values = 1, bufs = 1;
	for (int i = 0; i < NTHREADS; i++) {
		if (results[i].tls_value != 1000 + i)
			values = 0;
		if (!results[i].tls_buf_ok)
			bufs = 0;
		if (results[i].tls_addr == (uintptr_t)&tls_value)
			distinct = 0;
		for (int j = 0; j < i; j++)
			if (results[i].tls_addr == results[j].tls_addr)
				distinct = 0;
	}
	printf("tls addresses distinct: %s\n", distinct ? "yes" : "no");
	printf("tls values per thread: %s\n", values ? "ok" : "wrong");
	printf("tls initial values and buffers: %s\n", bufs ? "ok" : "wrong");
	printf("main tls untouched: %s\n", tls_value == 42 ? "yes" : "no");
	printf("join return values: %s\n", joined_ok ? "ok" : "wrong");
	failures += !distinct + !values + !bufs + (tls_value != 42) + !joined_ok;
	printf("failures=%d\n", failures);
	return failures ? 1 : 0;
}
