/*
 * AF_UNIX receive queues (guest ring 0): buffers in and out of a socket's
 * queue, the sender charged for each until it is freed, and descriptors in
 * flight.  Closing a socket puts the descriptors still in its queue; the
 * queues of sockets released by those puts are freed by the same loop, not
 * by recursion, so a chain of sockets passed inside sockets cannot run the
 * kernel stack out.  Sockets kept alive only by each other's queues (a
 * cycle of descriptors in flight) are found and freed by unix_gc, Linux's
 * algorithm on a handful of sockets.
 */
#include "core/kernel.h"
#include "mm/mm.h"
#include "core/proc.h"
#include "net/net.h"
#include "net/unix.h"

struct unix_sock *unix_of(struct file *f)
{
	struct socket *s = sock_of(f);
	return s && s->family == AF_UNIX ? s->sk : 0;
}

static int inflight_total; /* AF_UNIX sockets in queues: unix_gc has nothing to do at 0 */

void unix_scm_inflight(struct scm *scm, int d)
{
	for (int i = 0; scm && i < scm->n; i++) {
		struct unix_sock *u = unix_of(scm->fp[i]);
		if (u) {
			u->inflight += d;
			inflight_total += d;
		}
	}
}

void unix_enqueue(struct unix_sock *u, struct skb *b)
{
	b->next = 0;
	if (u->rq_last)
		u->rq_last->next = b;
	else
		u->rq = b;
	u->rq_last = b;
	u->rq_bytes += b->len - b->off;
	u->rq_count++;
}

/* Takes the first buffer off u's queue. */
struct skb *unix_dequeue(struct unix_sock *u)
{
	struct skb *b = u->rq;
	if (!(u->rq = b->next))
		u->rq_last = 0;
	u->rq_bytes -= b->len - b->off;
	u->rq_count--;
	return b;
}

/* Frees a buffer off any queue: its sender has room again. */
void unix_skb_free(struct skb *b)
{
	if (b->sender) {
		b->sender->wmem -= b->charge;
		wakeup(b->sender);
	}
	unix_scm_inflight(b->scm, -1);
	scm_free(b->scm); /* may release sockets: they add to dead (purge) */
	kfree(b);
}

/* Buffers of released sockets, freed one at a time (see the top). */
static struct skb *dead;
static int purging;

void unix_purge(struct skb *q)
{
	while (q) {
		struct skb *n = q->next;
		q->next = dead;
		dead = q;
		q = n;
	}
	if (purging)
		return;
	purging = 1;
	while (dead) {
		struct skb *b = dead;
		dead = b->next;
		unix_skb_free(b);
	}
	purging = 0;
}

/* Takes u's whole queue, for purge. */
struct skb *unix_queue_take(struct unix_sock *u)
{
	struct skb *q = u->rq;
	u->rq = u->rq_last = 0;
	u->rq_bytes = 0;
	u->rq_count = 0;
	return q;
}

/* Sockets whose every file reference is in flight, in queues of sockets
 * that are themselves such, are garbage: Linux's unix_gc, on a handful of
 * sockets.  Pass 1 marks candidates, pass 2 counts references from
 * candidates' queues, pass 3 spreads liveness from those referenced from
 * outside, pass 4 purges the queues of the rest (breaking the cycles). */
static void mark_queue(struct unix_sock *u, int live)
{
	for (struct skb *b = u->rq; b; b = b->next)
		for (int i = 0; b->scm && i < b->scm->n; i++) {
			struct unix_sock *t = unix_of(b->scm->fp[i]);
			if (t && t->gc_mark > 0) {
				if (live)
					t->gc_mark = -1;
				else
					t->gc_mark++;
			}
		}
}

void unix_gc(void)
{
	int any = 0;
	if (!inflight_total)
		return;
	for (struct unix_sock *u = unix_sockets; u; u = u->next_all) {
		u->gc_mark = u->inflight && u->sock && u->sock->file->refs == u->inflight ? 1 : 0;
		any |= u->gc_mark;
	}
	if (!any)
		return;
	for (struct unix_sock *u = unix_sockets; u; u = u->next_all)
		if (u->gc_mark)
			mark_queue(u, 0);
	/* gc_mark - 1 references come from candidates; the rest from outside */
	for (struct unix_sock *u = unix_sockets; u; u = u->next_all)
		if (u->gc_mark > 0 && u->sock->file->refs > u->gc_mark - 1)
			u->gc_mark = -1;
	for (int changed = 1; changed;) {
		changed = 0;
		for (struct unix_sock *u = unix_sockets; u; u = u->next_all)
			if (u->gc_mark == -1) {
				u->gc_mark = -2;
				mark_queue(u, 1);
				changed = 1;
			}
	}
	int outer = !purging;
	purging = 1; /* the frees wait until the walk is over */
	for (struct unix_sock *u = unix_sockets; u; u = u->next_all)
		if (u->gc_mark > 0)
			unix_purge(unix_queue_take(u));
	if (outer) {
		purging = 0;
		unix_purge(0);
	}
}

static void forget_sender(struct skb *q, const struct unix_sock *u)
{
	for (; q; q = q->next)
		if (q->sender == u)
			q->sender = 0;
}

void unix_uncharge(const struct unix_sock *u, struct skb *own)
{
	if (!u->wmem)
		return;
	for (struct unix_sock *p = unix_sockets; p; p = p->next_all)
		forget_sender(p->rq, u);
	forget_sender(own, u);
	forget_sender(dead, u);
}
