// SPDX-License-Identifier: MIT
/*
 * hello-static: the smallest guest program. It proves that vm-run copies an arbitrary static
 * binary into each guest, runs it with DXG_VM_INDEX set and passes its exit status back.
 */
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
	const char *index = getenv("DXG_VM_INDEX");

	printf("hello from guest %s (%d argument%s)\n", index ? index : "?", argc - 1,
	       argc == 2 ? "" : "s");
	for (int i = 1; i < argc; i++)
		printf("  argv[%d] = %s\n", i, argv[i]);
	return 0;
}
