/*
 * pace.c - pacing reads to a rate (see pace.h).
 */
#include <time.h>

#include "pace.h"

#define SLICE_US 100000

static __thread sg_pacer read_pacer;

static int64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void
sg_pacer_init(sg_pacer *p, int64_t rate, bool (*cancel_fn) (void *cancel_arg),
			  void *cancel_arg)
{
	p->rate = rate > 0 ? rate : 0;
	p->next_us = 0;
	p->cancel_fn = cancel_fn;
	p->cancel_arg = cancel_arg;
}

bool
sg_pacer_account(sg_pacer *p, size_t n)
{
	int64_t		now;

	if (p->rate <= 0)
		return true;
	now = now_us();
	if (p->next_us < now)
		p->next_us = now;
	/* n / rate seconds, in microseconds, without overflow for n < 2^43 */
	p->next_us += (int64_t) ((double) n * 1000000.0 / (double) p->rate);
	while ((now = now_us()) < p->next_us)
	{
		int64_t		wait = p->next_us - now;
		struct timespec ts;

		if (p->cancel_fn && p->cancel_fn(p->cancel_arg))
			return false;
		if (wait > SLICE_US)
			wait = SLICE_US;
		ts.tv_sec = wait / 1000000;
		ts.tv_nsec = (wait % 1000000) * 1000;
		nanosleep(&ts, NULL);
	}
	return true;
}

void
sg_read_pacer_set(int64_t rate, bool (*cancel_fn) (void *cancel_arg),
				  void *cancel_arg)
{
	sg_pacer_init(&read_pacer, rate, cancel_fn, cancel_arg);
}

void
sg_read_pace(size_t n)
{
	(void) sg_pacer_account(&read_pacer, n);
}
