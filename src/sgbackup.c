/*
 * sgbackup.c - module entry: settings and shared memory.
 *
 * The same library serves shared_preload_libraries (settings, shared
 * memory for the views, the base backup target, the scheduler) and
 * archive_library (archive_module.c).
 */
#include "postgres.h"

#include <pthread.h>

#include "fmgr.h"
#include "miscadmin.h"
#include "storage/ipc.h"
#include "storage/shmem.h"

#include "backup_target.h"
#include "config_guc.h"
#include "config_store.h"
#include "scheduler.h"
#include "sg_buf.h"
#include "sgbackup.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

static shmem_request_hook_type prev_shmem_request_hook = NULL;
static shmem_startup_hook_type prev_shmem_startup_hook = NULL;

static const sgb_shmem_area *const areas[] = {
	&sgb_archiver_area,
	&sgb_backup_area,
};
static pthread_t main_thread;

/*
 * Out of memory in src/common code: an ERROR in the process's own thread,
 * as palloc's failure would be.  The upload threads allocate only bounded
 * buffers; there, with no way to raise an ERROR, the process aborts.
 */
static void
out_of_memory(size_t size)
{
	if (pthread_equal(pthread_self(), main_thread))
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory"),
				 errdetail("Failed on request of size %zu in sgbackup.", size)));
}

static void
shmem_request(void)
{
	if (prev_shmem_request_hook)
		prev_shmem_request_hook();
	for (int i = 0; i < lengthof(areas); i++)
	{
		RequestAddinShmemSpace(MAXALIGN(areas[i]->size));
		RequestNamedLWLockTranche(areas[i]->name, 1);
	}
}

static void
shmem_startup(void)
{
	if (prev_shmem_startup_hook)
		prev_shmem_startup_hook();
	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	for (int i = 0; i < lengthof(areas); i++)
	{
		const sgb_shmem_area *a = areas[i];
		bool		found;
		void	   *area = ShmemInitStruct(a->name, a->size, &found);

		if (!found)
		{
			memset(area, 0, a->size);
			a->init(area, &(GetNamedLWLockTranche(a->name))->lock);
		}
		*a->area = area;
	}
	LWLockRelease(AddinShmemInitLock);
}

void
_PG_init(void)
{
	main_thread = pthread_self();
	sg_set_out_of_memory_handler(out_of_memory);
	sgb_define_settings();
	sgb_config_store_init();
	if (!process_shared_preload_libraries_in_progress)
		return;
	prev_shmem_request_hook = shmem_request_hook;
	shmem_request_hook = shmem_request;
	prev_shmem_startup_hook = shmem_startup_hook;
	shmem_startup_hook = shmem_startup;
	sgb_register_backup_target();
	sgb_register_scheduler();
}
