/* Scenario runner shared by the host C tests in test/esp32 (runner.c). */
#ifndef XSTCP_TEST_RUNNER_H
#define XSTCP_TEST_RUNNER_H
#include <stdio.h>

typedef struct {
	const char *name;
	void (*fn)(void);
} Scenario;

extern int gFailed;				/* set by CHECK in the running scenario */
extern const char *gScenario;	/* the running scenario's name, for messages */

/* Fails the running scenario with a message and returns from it. */
#define CHECK(cond, ...) do { if (!(cond)) { \
	printf("not ok - %s: ", gScenario); printf(__VA_ARGS__); printf(" (%s:%d)\n", __FILE__, __LINE__); \
	gFailed = 1; return; } } while (0)

/* Runs the scenario named argv[1], or all, each in its own process (the code under test keeps
   static state, and a failed scenario must not leave it to the next). Exit status: 1 on failure. */
int run_scenarios(const Scenario *scenarios, unsigned count, int argc, char **argv);
#endif
