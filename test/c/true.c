// true exits 0 and does nothing else: the start-to-exit benchmark's payload.
int main(void) { return 0; }
