/*
 * pace.h - pacing reads to a rate in bytes per second (the
 * sgbackup.max_disk_bandwidth setting): after each read the reader calls
 * sg_pacer_account, which sleeps until the bytes read so far have taken at
 * least bytes / rate seconds.  Idle time earns no credit, so a burst after
 * a pause is paced as well.  The sleep is cut into slices of at most
 * 100 ms, and stops early when cancel_fn says so.
 */
#ifndef SG_PACE_H
#define SG_PACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct sg_pacer
{
	int64_t		rate;			/* bytes per second; 0: no limit */
	int64_t		next_us;		/* monotonic time the reads so far are due */
	bool		(*cancel_fn) (void *cancel_arg);	/* may be NULL */
	void	   *cancel_arg;
} sg_pacer;

extern void sg_pacer_init(sg_pacer *p, int64_t rate,
						  bool (*cancel_fn) (void *cancel_arg), void *cancel_arg);

/* n more bytes were read: sleep as long as the rate asks; false when cancelled */
extern bool sg_pacer_account(sg_pacer *p, size_t n);

/*
 * The pacer of this thread's reads of files to upload (wal_push reads
 * through it): an archive upload thread sets it with its share of the cap
 * and its cancel function; a thread that never sets it is not paced.
 */
extern void sg_read_pacer_set(int64_t rate,
							  bool (*cancel_fn) (void *cancel_arg), void *cancel_arg);
extern void sg_read_pace(size_t n);

#endif							/* SG_PACE_H */
