/*
 * scheduler.c - scheduled backups and retention (see scheduler.h).
 *
 * Two background workers.  The launcher, registered at preload, connects
 * to no database: it waits (saying so once) until sgbackup.database
 * exists, then starts the scheduler connected to it, and starts it again
 * if it ends.  The scheduler waits (saying so once) while the extension is
 * not installed there, then rewrites the applied configuration's files
 * from its tables (config_store.h), and loops in the shape of pg_cron's
 * launcher: re-read the schedule (so a change takes effect without a
 * restart), sleep until the next minute the schedule names (UTC), take the
 * backup and wait for it (so runs never overlap), apply retention.  No
 * transaction, and so no snapshot, is held while it sleeps or waits for a
 * backup; each loop runs in a memory context that is reset every time.
 */
#include "postgres.h"

#include <time.h>

#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/pg_database.h"
#include "commands/extension.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "tcop/tcopprot.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"

#include "backend.h"
#include "config_store.h"
#include "backup_worker.h"
#include "cron.h"
#include "backup_retention.h"
#include "scheduler.h"
#include "config_guc.h"

#define IDLE_MS 10000			/* between checks of a missing database or extension */

PGDLLEXPORT void sgb_scheduler_launcher_main(Datum arg);
PGDLLEXPORT void sgb_scheduler_main(Datum arg);

static void
fill_worker(BackgroundWorker *worker, const char *function, const char *name)
{
	memset(worker, 0, sizeof(*worker));
	worker->bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	worker->bgw_start_time = BgWorkerStart_RecoveryFinished;
	strlcpy(worker->bgw_library_name, "sgbackup", BGW_MAXLEN);
	strlcpy(worker->bgw_function_name, function, BGW_MAXLEN);
	strlcpy(worker->bgw_name, name, BGW_MAXLEN);
	strlcpy(worker->bgw_type, name, BGW_MAXLEN);
}

void
sgb_register_scheduler(void)
{
	BackgroundWorker worker;

	fill_worker(&worker, "sgb_scheduler_launcher_main", "sgbackup launcher");
	worker.bgw_restart_time = 10;
	RegisterBackgroundWorker(&worker);
}

/* sleep up to ms on the latch; handles interrupts and reloads */
static void
sleep_ms(long ms)
{
	int			rc = WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
							   ms, PG_WAIT_EXTENSION);

	ResetLatch(MyLatch);
	if (rc & WL_LATCH_SET)
		CHECK_FOR_INTERRUPTS();
	if (ConfigReloadPending)
	{
		ConfigReloadPending = false;
		ProcessConfigFile(PGC_SIGHUP);
	}
}

static void
set_up_signals(void)
{
	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();
}

/* --- the launcher ------------------------------------------------------ */

/*
 * A heap scan of pg_database, as the autovacuum launcher does: with no
 * database selected, the catalog's indexes cannot be opened.
 */
static bool
database_exists(void)
{
	MemoryContext context = CurrentMemoryContext;
	Relation	rel;
	TableScanDesc scan;
	HeapTuple	tuple;
	bool		found = false;

	StartTransactionCommand();
	(void) GetTransactionSnapshot();
	rel = table_open(DatabaseRelationId, AccessShareLock);
	scan = table_beginscan_catalog(rel, 0, NULL);
	while (!found && (tuple = heap_getnext(scan, ForwardScanDirection)) != NULL)
		found = strcmp(NameStr(((Form_pg_database) GETSTRUCT(tuple))->datname),
					   sgb_database) == 0;
	table_endscan(scan);
	table_close(rel, AccessShareLock);
	CommitTransactionCommand();
	MemoryContextSwitchTo(context);
	return found;
}

/* start the scheduler and wait until it ends */
static void
run_scheduler(void)
{
	BackgroundWorker worker;
	BackgroundWorkerHandle *handle;
	pid_t		pid;

	fill_worker(&worker, "sgb_scheduler_main", "sgbackup scheduler");
	worker.bgw_restart_time = BGW_NEVER_RESTART;
	worker.bgw_notify_pid = MyProcPid;
	if (!RegisterDynamicBackgroundWorker(&worker, &handle))
	{
		ereport(LOG,
				(errmsg("could not start the sgbackup scheduler"),
				 errhint("Raise max_worker_processes.")));
		return;
	}
	if (WaitForBackgroundWorkerStartup(handle, &pid) == BGWH_STARTED)
		WaitForBackgroundWorkerShutdown(handle);
	pfree(handle);
}

void
sgb_scheduler_launcher_main(Datum arg)
{
	bool		said_missing = false;

	set_up_signals();
	BackgroundWorkerInitializeConnection(NULL, NULL, 0);
	for (;;)
	{
		if (database_exists())
		{
			said_missing = false;
			run_scheduler();
		}
		else if (!said_missing)
		{
			ereport(LOG,
					(errmsg("sgbackup scheduler is waiting for database \"%s\" to exist",
							sgb_database),
					 errhint("Create it, or set sgbackup.database to the database where CREATE EXTENSION sgbackup was run.")));
			said_missing = true;
		}
		sleep_ms(IDLE_MS);
	}
}

/* --- the scheduler ----------------------------------------------------- */

static bool
extension_installed(void)
{
	MemoryContext context = CurrentMemoryContext;
	bool		found;

	StartTransactionCommand();
	found = OidIsValid(get_extension_oid("sgbackup", true));
	CommitTransactionCommand();
	MemoryContextSwitchTo(context);
	return found;
}

/* rewrite the applied configuration's files from the tables */
static void
sync_configuration(void)
{
	MemoryContext context = CurrentMemoryContext;

	StartTransactionCommand();
	PushActiveSnapshot(GetTransactionSnapshot());
	PG_TRY();
	{
		sgb_config_store_sync_all();
		PopActiveSnapshot();
		CommitTransactionCommand();
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(context);
		EmitErrorReport();
		FlushErrorState();
		AbortCurrentTransaction();
	}
	PG_END_TRY();
	MemoryContextSwitchTo(context);
}

/* the schedule in force, parsed; false (said once per value) when bad or unset */
static bool
current_schedule(sg_cron *cron, int *keep)
{
	static char *reported = NULL;
	sg_config	o;
	sg_error	err;
	bool		ok = false;

	sg_config_init(&o);
	sg_error_clear(&err);
	if (sgb_load_config(&o, &err) && o.cron_schedule &&
		sg_cron_parse(o.cron_schedule, cron, &err))
	{
		*keep = o.retention;
		ok = true;
	}
	else if (err.kind != SG_ERR_NONE &&
			 (reported == NULL || strcmp(reported, err.msg) != 0))
	{
		sgb_report(LOG, &err);
		free(reported);
		reported = sg_strdup(err.msg);
	}
	sg_config_free(&o);
	return ok;
}

/*
 * Start a backup (in a short transaction: the privilege check reads the
 * catalogs) and wait for it with no transaction open.
 */
static void
take_backup(MemoryContext loop_context)
{
	BackgroundWorkerHandle *handle = NULL;
	char	   *name = NULL;

	PG_TRY();
	{
		StartTransactionCommand();
		MemoryContextSwitchTo(loop_context);
		name = sgb_backup_launch(true, false, &handle);
		CommitTransactionCommand();
		MemoryContextSwitchTo(loop_context);
		sgb_backup_wait(name, handle);
		ereport(LOG, (errmsg("scheduled backup \"%s\" completed", name)));
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(loop_context);
		EmitErrorReport();
		FlushErrorState();
		AbortCurrentTransaction();
	}
	PG_END_TRY();
	MemoryContextSwitchTo(loop_context);
}

static void
apply_retention(int keep)
{
	sg_config	o;
	sg_error	err;
	sg_store   *st;
	retention_plan plan;

	sg_error_clear(&err);
	if ((st = sgb_open_store(&o, NULL, &err)) != NULL &&
		sg_retention_run(st, keep, sgb_backup_is_running, NULL, &plan, &err))
	{
		ereport(LOG,
				(errmsg("retention kept %d managed backups: deleted %d backups and %d WAL files",
						keep, plan.nbackups, plan.nwal)));
		retention_plan_free(&plan);
	}
	else
		sgb_report(LOG, &err);
	sg_store_free(st);
	sg_config_free(&o);
}

/* state carried from one loop to the next */
typedef struct schedule_state
{
	bool		said_missing;	/* the missing extension was logged */
	bool		synced;			/* the applied files were rewritten */
	time_t		checked;		/* the schedule was checked up to here */
} schedule_state;

/* one loop: returns how long to sleep, in ms */
static long
schedule_once(schedule_state *st, MemoryContext loop_context)
{
	sg_cron		cron;
	int			keep;
	time_t		next;
	time_t		now = time(NULL);

	if (!extension_installed())
	{
		if (!st->said_missing)
			ereport(LOG,
					(errmsg("sgbackup scheduler is waiting for CREATE EXTENSION sgbackup in database \"%s\"",
							sgb_database)));
		st->said_missing = true;
		st->synced = false;
		return IDLE_MS;
	}
	if (!st->synced)
	{
		sync_configuration();
		st->synced = true;
	}
	if (!current_schedule(&cron, &keep) ||
		(next = sg_cron_next(&cron, st->checked)) == (time_t) -1)
	{
		st->checked = now;
		return IDLE_MS;
	}
	if (now < next)
		return Min((long) (next - now) * 1000, (long) IDLE_MS);
	st->checked = now;
	take_backup(loop_context);
	apply_retention(keep);
	return 0;
}

void
sgb_scheduler_main(Datum arg)
{
	schedule_state st = {false, false, time(NULL)};
	MemoryContext loop_context;

	set_up_signals();
	BackgroundWorkerInitializeConnection(sgb_database, NULL, 0);
	pgstat_report_appname("sgbackup scheduler");
	ereport(LOG,
			(errmsg("sgbackup scheduler started in database \"%s\"", sgb_database)));
	loop_context = AllocSetContextCreate(TopMemoryContext, "sgbackup scheduler loop",
										 ALLOCSET_DEFAULT_SIZES);
	for (;;)
	{
		long		ms;

		MemoryContextReset(loop_context);
		MemoryContextSwitchTo(loop_context);
		ms = schedule_once(&st, loop_context);
		MemoryContextSwitchTo(TopMemoryContext);
		if (ms > 0)
			sleep_ms(ms);
		else
			CHECK_FOR_INTERRUPTS();
	}
}
