/* Scenario runner shared by the host C tests in test/esp32 (see runner.h). */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "runner.h"

int gFailed;
const char *gScenario = "";

int run_scenarios(const Scenario *scenarios, unsigned count, int argc, char **argv)
{
	int ran = 0, failed = 0;
	for (unsigned i = 0; i < count; i++) {
		if ((argc > 1) && strcmp(argv[1], scenarios[i].name))
			continue;
		ran++;
		fflush(stdout);
		pid_t pid = fork();
		if (0 == pid) {
			gScenario = scenarios[i].name;
			scenarios[i].fn();
			fflush(stdout);
			_exit(gFailed ? 1 : 0);
		}
		int status = 0;
		if ((pid < 0) || (waitpid(pid, &status, 0) != pid) || !WIFEXITED(status) || WEXITSTATUS(status)) {
			if ((pid < 0) || !WIFEXITED(status) || (WEXITSTATUS(status) != 1))
				printf("not ok - %s: crashed or could not run (status %d)\n", scenarios[i].name, status);
			failed = 1;
		}
	}
	if (!ran) {
		printf("not ok - no scenario named %s\n", (argc > 1) ? argv[1] : "");
		return 1;
	}
	return failed;
}
