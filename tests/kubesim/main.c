/* kubesim: an emulator of the Kubernetes API server and its workload controllers. */
#include <stdio.h>

int main(void)
{
	fprintf(stderr, "kubesim: not built yet\n");
	return 1;
}
