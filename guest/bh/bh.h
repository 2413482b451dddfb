/*
 * What talks to hv (guest ring 0): hypercalls, and the two roles built on
 * them and on channels (channel.h): the host driver behind /dev/bulkhead
 * (vmhost.c) and the utility partition's kernel (utility.c).  Declarations
 * grouped by defining file.
 */
#ifndef BULKHEAD_GUEST_BH_H
#define BULKHEAD_GUEST_BH_H

#include <bulkhead/hypercall.h>
#include <bulkhead/types.h>
#include "channel.h"

/* hcall.c: talking to hv */
int hv_detect(void);    /* 0 if Bulkhead's hv is underneath */
s64 hcall(u64 nr, u64 a1, u64 a2, u64 a3, u64 a4);
s64 hcall_ret(u64 nr, u64 a[4], u64 out[3]); /* also returns RDI, RSI, RDX */
extern u32 hv_backend, hv_insn;
extern char hv_signature[13];

/* utility.c: the utility partition's role */
void utility_main(void) __attribute__((noreturn));
extern struct chan_end uvm_chan;
/* A message to the host; while the ring is full, the host gets the CPU. */
void utility_send(u16 type, u16 seq, s64 arg, const void *payload, u32 len);

/* uvm.c: a hyperv container in the utility partition (channel.h's protocol) */
void uvm_message(const struct bh_msg *m, const u8 *payload); /* RUN EXEC STDIN STDIN_CLOSE RESIZE SIGNAL */
void uvm_poll(void);    /* the relay: starts, stdin, output, exits */
int uvm_active(void);   /* a container's root is built: its processes run here */
/* USER[:GROUP] (names or numbers) to ids from the root's /etc/passwd and
 * /etc/group (a user's group: its passwd line's, else 0): 0, -1 (no such
 * user) or -2 (no such group). */
int uvm_ids(const char *user, u32 *uid, u32 *gid);

/* copy.c: docker cp's work in the container's root (BH_SPEC_COPY): argv is
 * the request, user copyUIDGID's owner ("": none); writes the answer and
 * any tar to fd 1, reads a put's tar from fd 0.  The exit code: 0, or 1
 * when a tar was cut short. */
int uvm_copy(char **argv, const char *user);

/* vmhost.c: the host driver */
void vmhost_init(void);  /* /dev/bulkhead and the channel doorbell */

#endif
