/*
 * test_pace.c - the read pacer (src/common/pace.c): reads take at least
 * bytes / rate seconds, no limit means no pacing, a cancel stops the wait.
 * Only lower bounds on time are checked: a busy machine may be slower.
 */
#include <stdio.h>
#include <time.h>

#include "pace.h"
#include "unit.h"

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static bool
always(void *arg)
{
	int		   *calls = arg;

	(*calls)++;
	return true;
}

int
main(void)
{
	sg_pacer	p;
	double		t0;
	double		took;
	bool		ok = true;
	int			calls = 0;

	sg_pacer_init(&p, 1000000, NULL, NULL);
	t0 = now_s();
	for (int i = 0; i < 3; i++)
		ok = sg_pacer_account(&p, 100000) && ok;
	took = now_s() - t0;
	UNIT_OK(ok && took >= 0.299, "300 kB at 1 MB/s take at least 0.3 s (%.3f s)", took);

	/* idle time earns no credit: a burst after a pause is paced too */
	nanosleep(&(struct timespec) {0, 200 * 1000 * 1000}, NULL);
	t0 = now_s();
	ok = sg_pacer_account(&p, 200000);
	took = now_s() - t0;
	UNIT_OK(ok && took >= 0.199, "after a pause, 200 kB still take at least 0.2 s (%.3f s)", took);

	sg_pacer_init(&p, 0, NULL, NULL);
	UNIT_OK(sg_pacer_account(&p, (size_t) 1 << 40), "rate 0: no limit, no wait");

	sg_pacer_init(&p, 1, always, &calls);
	UNIT_OK(!sg_pacer_account(&p, 1000000) && calls == 1,
			"a cancel stops the wait and is reported");

	sg_read_pacer_set(1000000, NULL, NULL);
	t0 = now_s();
	sg_read_pace(150000);
	took = now_s() - t0;
	UNIT_OK(took >= 0.149, "this thread's read pacer: 150 kB at 1 MB/s take at least 0.15 s (%.3f s)", took);
	sg_read_pacer_set(0, NULL, NULL);
	return UNIT_DONE();
}
