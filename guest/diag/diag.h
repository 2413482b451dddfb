/*
 * Diagnostics in the guest kernel (ring 0): the monitor prompt and its
 * commands, and the hostile words a utility partition runs for the
 * hostile-guest tests.  Declarations grouped by defining file.
 */
#ifndef BULKHEAD_GUEST_DIAG_H
#define BULKHEAD_GUEST_DIAG_H

#include <bulkhead/types.h>

/* monitor.c: the built-in diagnostic prompt */
void monitor_run(void) __attribute__((noreturn));

/* partcmd.c: the monitor's `part` */
void cmd_part(int argc, char **argv);

/* hostile.c: an attacker's command-line word, run and reported through print;
 * 0 if tok is not one. */
int hostile_word(const char *tok, void (*print)(const char *fmt, ...));

#endif
