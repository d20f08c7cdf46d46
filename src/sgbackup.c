/*
 * sgbackup.c - module entry: settings and shared memory.
 *
 * The same library serves shared_preload_libraries (settings, shared
 * memory for the views, the base backup target, the scheduler) and
 * archive_library (archive.c).
 */
#include "postgres.h"

#include "fmgr.h"
#include "miscadmin.h"

#include "archiver_state.h"
#include "backup.h"
#include "bb_target.h"
#include "scheduler.h"
#include "settings.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

static shmem_request_hook_type prev_shmem_request_hook = NULL;

static void
shmem_request(void)
{
	if (prev_shmem_request_hook)
		prev_shmem_request_hook();
	sgb_archiver_state_request();
	sgb_backup_state_request();
}

void
_PG_init(void)
{
	sgb_define_settings();
	if (!process_shared_preload_libraries_in_progress)
		return;
	prev_shmem_request_hook = shmem_request_hook;
	shmem_request_hook = shmem_request;
	sgb_archiver_state_startup();
	sgb_backup_state_startup();
	sgb_register_backup_target();
	sgb_register_scheduler();
}
