// hello is the README's first example.
#include <stdio.h>

int main(void) {
	printf("hello\n");
	return 0;
}
