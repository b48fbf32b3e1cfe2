/* Waits to be killed: the container test/confine inspects from outside. */
#include <unistd.h>
int main(void) {
	for (;;)
		pause();
}
