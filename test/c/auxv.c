// auxv prints what a process receives at exec: argc, argv, the environment
// (sorted, so that the order the loader lays it out in does not matter) and
// the auxiliary vector entries that static glibc and the Go runtime read.
// Values that differ between runs (addresses, the random bytes) are printed
// as derived booleans.
#include <elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>

extern char **environ;
extern char _start[];

static int cmp(const void *a, const void *b) {
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void str(const char *name, unsigned long type) {
	const char *s = (const char *)getauxval(type);
	printf("%s=%s\n", name, s ? s : "(null)");
}

int main(int argc, char **argv) {
	printf("argc=%d\n", argc);
	for (int i = 0; i < argc; i++)
		printf("argv[%d]=\"%s\"\n", i, argv[i]);
	printf("argv[argc] null: %s\n", argv[argc] == NULL ? "yes" : "no");

	size_t n = 0;
	while (environ[n])
		n++;
	char **env = malloc((n + 1) * sizeof *env);
	if (!env)
		return 2;
	memcpy(env, environ, n * sizeof *env);
	qsort(env, n, sizeof *env, cmp);
	printf("envc=%zu\n", n);
	for (size_t i = 0; i < n; i++)
		printf("env \"%s\"\n", env[i]);
	free(env);

	printf("AT_PAGESZ=%lu\n", getauxval(AT_PAGESZ));
	printf("AT_PHENT=%lu\n", getauxval(AT_PHENT));
	printf("AT_PHNUM=%lu\n", getauxval(AT_PHNUM));
	printf("AT_UID=%lu\n", getauxval(AT_UID));
	printf("AT_EUID=%lu\n", getauxval(AT_EUID));
	printf("AT_GID=%lu\n", getauxval(AT_GID));
	printf("AT_EGID=%lu\n", getauxval(AT_EGID));
	printf("AT_SECURE=%lu\n", getauxval(AT_SECURE));
	printf("AT_CLKTCK=%lu\n", getauxval(AT_CLKTCK));
	str("AT_PLATFORM", AT_PLATFORM);
	str("AT_EXECFN", AT_EXECFN);
	printf("AT_RANDOM non-null: %s\n", getauxval(AT_RANDOM) ? "yes" : "no");
	printf("AT_ENTRY == _start: %s\n",
	       getauxval(AT_ENTRY) == (unsigned long)_start ? "yes" : "no");
	printf("AT_HWCAP non-zero: %s\n", getauxval(AT_HWCAP) ? "yes" : "no");
	// AT_PHDR must point at this binary's program headers: check the first
	// one looks like one (static non-PIE: a PT_PHDR or PT_LOAD entry).
	const Elf64_Phdr *ph = (const Elf64_Phdr *)getauxval(AT_PHDR);
	int phok = 0;
	if (ph) {
		for (unsigned long i = 0; i < getauxval(AT_PHNUM); i++)
			if (ph[i].p_type == PT_LOAD)
				phok = 1;
	}
	printf("AT_PHDR has PT_LOAD: %s\n", phok ? "yes" : "no");
	return 0;
}
