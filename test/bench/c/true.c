// true exits 0: the payload of the start-to-exit benchmark.
int main(void) { return 0; }
