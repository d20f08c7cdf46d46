/*
 * scheduler.c - scheduled backups and retention (see scheduler.h).
 *
 * The worker connects to sgbackup.database, waits while the extension is
 * not installed there (saying so once), re-reads the schedule on every
 * loop (so a changed schedule takes effect without a restart), sleeps
 * until the next minute the schedule names (UTC), takes the backup and
 * waits for it (so runs never overlap), then applies retention.
 */
#include "postgres.h"

#include <time.h>

#include "access/xact.h"
#include "commands/extension.h"
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

#include "backup.h"
#include "cron.h"
#include "retention.h"
#include "scheduler.h"
#include "settings.h"

PGDLLEXPORT void sgb_scheduler_main(Datum arg);

void
sgb_register_scheduler(void)
{
	BackgroundWorker worker = {0};

	worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	worker.bgw_start_time = BgWorkerStart_RecoveryFinished;
	worker.bgw_restart_time = 10;
	strlcpy(worker.bgw_library_name, "sgbackup", BGW_MAXLEN);
	strlcpy(worker.bgw_function_name, "sgb_scheduler_main", BGW_MAXLEN);
	strlcpy(worker.bgw_name, "sgbackup scheduler", BGW_MAXLEN);
	strlcpy(worker.bgw_type, "sgbackup scheduler", BGW_MAXLEN);
	RegisterBackgroundWorker(&worker);
}

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

static bool
extension_installed(void)
{
	bool		found;

	StartTransactionCommand();
	found = OidIsValid(get_extension_oid("sgbackup", true));
	CommitTransactionCommand();
	return found;
}

/* the schedule in force, parsed; false (said once per value) when bad or unset */
static bool
current_schedule(sg_cron *cron, int *keep)
{
	static char *reported = NULL;
	sg_options	o;
	sg_error	err;
	bool		ok = false;

	sg_options_init(&o);
	sg_error_clear(&err);
	if (sgb_load_options(&o, &err) && o.cron_schedule &&
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
	sg_options_free(&o);
	return ok;
}

static void
take_backup(void)
{
	MemoryContext oldcontext = CurrentMemoryContext;

	StartTransactionCommand();
	PG_TRY();
	{
		char	   *name = sgb_backup_start(true, false, true);

		ereport(LOG, (errmsg("scheduled backup \"%s\" completed", name)));
		CommitTransactionCommand();
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(oldcontext);
		EmitErrorReport();
		FlushErrorState();
		AbortCurrentTransaction();
	}
	PG_END_TRY();
}

static void
apply_retention(int keep)
{
	sg_options	o;
	sg_error	err;
	s3_client  *c = NULL;
	retention_plan plan;

	sg_options_init(&o);
	sg_error_clear(&err);
	if (sgb_load_options(&o, &err) &&
		(c = s3_client_new(&o.storage, o.secrets_directory, NULL, &err)) != NULL &&
		sg_retention_run(c, keep, sgb_backup_is_running, NULL, &plan, &err))
	{
		ereport(LOG,
				(errmsg("retention kept %d managed backups: deleted %d backups and %d WAL files",
						keep, plan.nbackups, plan.nwal)));
		retention_plan_free(&plan);
	}
	else
		sgb_report(LOG, &err);
	if (c)
		s3_client_free(c);
	sg_options_free(&o);
}

void
sgb_scheduler_main(Datum arg)
{
	bool		said_missing = false;
	time_t		checked = time(NULL);

	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();
	BackgroundWorkerInitializeConnection(sgb_database, NULL, 0);
	pgstat_report_appname("sgbackup scheduler");
	for (;;)
	{
		sg_cron		cron;
		int			keep;
		time_t		next;
		time_t		now = time(NULL);

		if (!extension_installed())
		{
			if (!said_missing)
				ereport(LOG,
						(errmsg("sgbackup scheduler is waiting for CREATE EXTENSION sgbackup in database \"%s\"",
								sgb_database)));
			said_missing = true;
			sleep_ms(10000);
			continue;
		}
		if (!current_schedule(&cron, &keep) ||
			(next = sg_cron_next(&cron, checked)) == (time_t) -1)
		{
			checked = now;
			sleep_ms(10000);
			continue;
		}
		if (now < next)
		{
			sleep_ms(Min((long) (next - now) * 1000, 10000L));
			continue;
		}
		checked = now;
		take_backup();
		apply_retention(keep);
	}
}
