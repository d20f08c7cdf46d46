/*
 * sgbackup.h - what the parts of the server module hand to its entry
 * (sgbackup.c): their areas of shared memory, requested and set up there
 * in one place.
 */
#ifndef SGBACKUP_SGBACKUP_H
#define SGBACKUP_SGBACKUP_H

#include "postgres.h"

#include "storage/lwlock.h"

/*
 * One named area of shared memory with one LWLock of the same name.  At
 * server start the entry points *area at it and, the first time, calls
 * init with the zeroed area and its lock.
 */
typedef struct sgb_shmem_area
{
	const char *name;
	Size		size;
	void	  **area;
	void		(*init) (void *area, LWLock *lock);
} sgb_shmem_area;

extern const sgb_shmem_area sgb_archiver_area;	/* archive_status.c */
extern const sgb_shmem_area sgb_backup_area;	/* backup_worker.c */

#endif							/* SGBACKUP_SGBACKUP_H */
