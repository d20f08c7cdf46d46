/*
 * archive_module.c - the archive module: archive_library = 'sgbackup'.
 *
 * The archiver hands us one file at a time.  We answer true only when S3
 * holds it durably.  Every failure is logged with its cause and answered
 * false, and no ERROR escapes the callback: on PostgreSQL 15 and 16 an
 * ERROR there would kill the archiver (this follows contrib/basic_archive's
 * own handler; 17 does the same in core, where it is harmless).
 */
#include "postgres.h"

#include <signal.h>

#include "miscadmin.h"
#include "postmaster/interrupt.h"
#include "storage/fd.h"
#include "storage/ipc.h"
#include "storage/pmsignal.h"
#include "utils/memutils.h"
#if PG_VERSION_NUM >= 160000
#include "archive/archive_module.h"
#else
#include "postmaster/pgarch.h"
#endif

#include "backend.h"
#include "config_store.h"
#include "archive_status.h"
#include "config_guc.h"
#include "archive_pool.h"

static MemoryContext archive_context = NULL;
static volatile sig_atomic_t shutdown_started = false;
static pqsigfunc previous_usr2 = NULL;

/*
 * The postmaster sends SIGUSR2 to make the archiver archive what is left
 * and exit.  We note it, so that a slow upload cannot hold up shutdown for
 * more than a bounded time, and pass it on to the archiver's own handler.
 */
static void
note_shutdown(SIGNAL_ARGS)
{
	shutdown_started = true;
	if (previous_usr2 && previous_usr2 != SIG_IGN && previous_usr2 != SIG_DFL)
		previous_usr2(postgres_signal_arg);
}

static bool
shutting_down(void)
{
	return shutdown_started || ShutdownRequestPending || !PostmasterIsAlive();
}

/*
 * Polled while an upload runs: shutdown, or a configuration applied with
 * sgbackup_apply that committed meanwhile (a reload of the settings is
 * taken by the archiver between files, before it hands us the next one).
 */
static pool_check
check_while_waiting(void)
{
	if (shutting_down())
		return POOL_SHUTDOWN;
	if (sgb_config_store_changed())
		return POOL_RECONFIGURE;
	return POOL_GO_ON;
}

static void
on_archiver_exit(int code, Datum arg)
{
	archive_pool_stop();
}

/* the view shows the message and its detail, which holds the cause */
static void
report_failure(const char *file, const sg_error *err)
{
	char		text[sizeof(err->msg) + sizeof(err->detail) + 4];

	snprintf(text, sizeof(text), "%s%s%s", err->msg, err->detail[0] ? ": " : "",
			 err->detail);
	sgb_archiver_report_failure(file, text);
}

/*
 * The configuration is loaded once per change, not per file: again only
 * when the applied documents changed (sgb_config_store_changed, which
 * check_while_waiting also polls during an upload) or this process
 * reloaded its settings (sgb_settings_changes moved: the archiver reloads
 * them between files, before it hands us the next one), or the last load
 * failed.
 */
static bool configured = false;
static uint64 configured_settings = 0;

/* load the configuration in force and hand it to the upload threads */
static bool
configure(sg_error *err)
{
	sg_config	o;
	bool		ok;

	/* what is loaded now is what a later change is compared with */
	(void) sgb_config_store_changed();
	configured_settings = sgb_settings_changes;
	sg_config_init(&o);
	ok = sgb_load_config(&o, err) && archive_pool_configure(&o, err);
	sg_config_free(&o);
	configured = ok;
	return ok;
}

/* configure() when something may have changed since the last time */
static bool
configure_if_changed(sg_error *err)
{
	if (configured && configured_settings == sgb_settings_changes &&
		!sgb_config_store_changed())
		return true;
	return configure(err);
}

static bool
check_configured(void)
{
	sg_error	err;

	sg_error_clear(&err);
	if (configure_if_changed(&err))
		return true;
	sgb_report(WARNING, &err);
	report_failure("", &err);
	return false;
}

/* the body of the callback; may ERROR, caught by archive_file() */
static bool
archive_file_internal(const char *file, const char *path)
{
	sg_error	err;
	wal_push_result result = {0};
	pool_outcome outcome;

	do
	{
		sg_error_clear(&err);
		if (!configure_if_changed(&err))
		{
			sgb_report(WARNING, &err);
			report_failure(file, &err);
			return false;
		}
		archive_pool_look_ahead(file);
		outcome = archive_pool_archive(file, path, check_while_waiting, &result, &err);
		/* check_while_waiting saw a change (and took it): load it */
		if (outcome == POOL_AGAIN)
			configured = false;
	} while (outcome == POOL_AGAIN);
	if (outcome != POOL_STORED)
	{
		ereport(WARNING,
				(errmsg("could not archive \"%s\": %s", file, err.msg),
				 err.detail[0] ? errdetail("%s", err.detail) : 0,
				 err.hint[0] ? errhint("%s", err.hint) : 0));
		report_failure(file, &err);
		return false;
	}
	sgb_archiver_report_success(file, result.original_bytes, result.stored_bytes,
								result.outcome == WAL_PUSH_ALREADY_STORED);
	ereport(DEBUG1,
			(errmsg("archived \"%s\" (%lld bytes stored)", file,
					(long long) result.stored_bytes)));
	return true;
}

static bool
archive_file(const char *file, const char *path)
{
	sigjmp_buf	local_sigjmp_buf;
	MemoryContext oldcontext;
	bool		ok;

	oldcontext = MemoryContextSwitchTo(archive_context);
	if (sigsetjmp(local_sigjmp_buf, 1) != 0)
	{
		/* an ERROR: report it, clean up, and let the archiver retry */
		error_context_stack = NULL;
		HOLD_INTERRUPTS();
		EmitErrorReport();
		FlushErrorState();
		AtEOSubXact_Files(false, InvalidSubTransactionId, InvalidSubTransactionId);
		MemoryContextSwitchTo(oldcontext);
		MemoryContextReset(archive_context);
		PG_exception_stack = NULL;
		RESUME_INTERRUPTS();
		sgb_archiver_report_failure(file, "unexpected error, see the server log");
		return false;
	}
	PG_exception_stack = &local_sigjmp_buf;
	ok = archive_file_internal(file, path);
	PG_exception_stack = NULL;
	MemoryContextSwitchTo(oldcontext);
	MemoryContextReset(archive_context);
	return ok;
}

static void
archive_startup(void)
{
	archive_context = AllocSetContextCreate(TopMemoryContext, "sgbackup archive",
											ALLOCSET_DEFAULT_SIZES);
	previous_usr2 = pqsignal(SIGUSR2, note_shutdown);
	on_proc_exit(on_archiver_exit, (Datum) 0);
}

#if PG_VERSION_NUM >= 160000

static bool
check_configured16(ArchiveModuleState *state)
{
	return check_configured();
}

static bool
archive_file16(ArchiveModuleState *state, const char *file, const char *path)
{
	return archive_file(file, path);
}

static void
startup16(ArchiveModuleState *state)
{
	archive_startup();
}

static const ArchiveModuleCallbacks callbacks = {
	.startup_cb = startup16,
	.check_configured_cb = check_configured16,
	.archive_file_cb = archive_file16,
	.shutdown_cb = NULL
};

PGDLLEXPORT const ArchiveModuleCallbacks *
_PG_archive_module_init(void)
{
	return &callbacks;
}

#else

PGDLLEXPORT void _PG_archive_module_init(ArchiveModuleCallbacks *cb);

void
_PG_archive_module_init(ArchiveModuleCallbacks *cb)
{
	archive_startup();
	cb->check_configured_cb = check_configured;
	cb->archive_file_cb = archive_file;
	cb->shutdown_cb = NULL;
}

#endif
