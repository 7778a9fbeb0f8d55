/* tether: entry point; dispatches to one file per subcommand. */
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "version") == 0) {
		printf("tether 0.1.0\n");
		return 0;
	}
	fprintf(stderr, "usage: tether <command> [flags]\n");
	return 2;
}
