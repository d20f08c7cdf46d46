/*
 * backup_worker.c - base backups in a dynamic background worker (see backup_worker.h).
 *
 * The worker connects to its own server over a replication connection
 * (local socket, as the bootstrap superuser) and runs BASE_BACKUP with
 * TARGET 'sgbackup': the server's own base backup streams into the target
 * of backup_target.c in that walsender.  Shared memory holds the one backup
 * that may run at a time and how the last one ended.
 */
#include "postgres.h"

#include <sys/time.h>
#include <time.h>

#include "catalog/pg_authid.h"
#include "fmgr.h"
#include "libpq-fe.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/postmaster.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/lwlock.h"
#include "storage/shmem.h"
#include "tcop/tcopprot.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/guc.h"

#include "backend.h"
#include "backup_worker.h"
#include "backup_control.h"
#include "privileges.h"
#include "config_guc.h"
#include "sgbackup.h"

#define NAME_LEN 40

typedef enum backup_outcome
{
	OUTCOME_NONE,
	OUTCOME_COMPLETED,
	OUTCOME_FAILED
} backup_outcome;

/*
 * The one backup that may run at a time.  sgbackup_start() claims the slot
 * for its worker's backup; the base backup target (in the walsender that
 * streams it) takes that claim over, or claims the slot itself when a
 * client such as pg_basebackup --target=sgbackup:NAME started the backup.
 */
typedef struct BackupState
{
	LWLock	   *lock;
	bool		running;
	char		name[NAME_LEN];
	pid_t		worker_pid;		/* sgbackup's backup worker, or 0 */
	pid_t		target_pid;		/* the walsender streaming it, or 0 */
	bool		claimed_by_target;	/* no worker: the target ends the claim */
	char		note[1024];		/* what the running backup waits for */
	char		last_name[NAME_LEN];
	backup_outcome last_outcome;
	char		last_error[1024];
} BackupState;

/* what the starter hands the worker in bgw_extra */
typedef struct worker_args
{
	char		name[NAME_LEN];
	bool		fast;
	bool		permanent;
	char		user[NAMEDATALEN];
} worker_args;

static BackupState *state = NULL;

PGDLLEXPORT void sgb_backup_worker_main(Datum arg);

PG_FUNCTION_INFO_V1(sgbackup_start);

static void
init_state(void *area, LWLock *lock)
{
	((BackupState *) area)->lock = lock;
}

const sgb_shmem_area sgb_backup_area = {
	.name = "sgbackup_backup",
	.size = sizeof(BackupState),
	.area = (void **) &state,
	.init = init_state,
};

bool
sgb_backup_is_running(void *arg, const char *name)
{
	bool		running;

	if (state == NULL)
		return false;
	LWLockAcquire(state->lock, LW_SHARED);
	running = state->running && strcmp(state->name, name) == 0;
	LWLockRelease(state->lock);
	return running;
}

bool
sgb_backup_running_note(const char *name, char *buf, size_t size)
{
	bool		found;

	if (state == NULL)
		return false;
	LWLockAcquire(state->lock, LW_SHARED);
	found = state->running && strcmp(state->name, name) == 0 && state->note[0];
	if (found)
		strlcpy(buf, state->note, size);
	LWLockRelease(state->lock);
	return found;
}

/* "backup-20261130-061500-123": UTC time with milliseconds */
static void
make_name(char *out, size_t size)
{
	struct timeval tv;
	struct tm	tm;

	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	snprintf(out, size, "backup-%04d%02d%02d-%02d%02d%02d-%03d",
			 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
			 tm.tm_hour, tm.tm_min, tm.tm_sec, (int) (tv.tv_usec / 1000));
}

static void
report_running(const char *running)
{
	ereport(ERROR,
			(errcode(ERRCODE_OBJECT_IN_USE),
			 errmsg("a backup is already running: \"%s\"", running),
			 errdetail("sgbackup takes one base backup at a time."),
			 errhint("Wait for it to finish; sgbackup.backups shows its progress.")));
}

/* take the free slot for name; lock held */
static void
fill_slot(const char *name, pid_t target_pid)
{
	state->running = true;
	state->worker_pid = 0;
	state->target_pid = target_pid;
	state->claimed_by_target = target_pid != 0;
	state->note[0] = '\0';
	strlcpy(state->name, name, sizeof(state->name));
}

/* claim the one backup slot for sgbackup_start's worker; ERROR when a backup runs */
static void
claim_slot(const char *name)
{
	char		running[NAME_LEN] = "";

	sgb_require_preloaded(state);
	LWLockAcquire(state->lock, LW_EXCLUSIVE);
	if (state->running)
		strlcpy(running, state->name, sizeof(running));
	else
		fill_slot(name, 0);
	LWLockRelease(state->lock);
	if (running[0])
		report_running(running);
}

static void
finish_slot(const char *name, backup_outcome outcome, const char *error)
{
	LWLockAcquire(state->lock, LW_EXCLUSIVE);
	if (strcmp(state->name, name) == 0)
	{
		state->running = false;
		state->target_pid = 0;
		state->claimed_by_target = false;
	}
	strlcpy(state->last_name, name, sizeof(state->last_name));
	state->last_outcome = outcome;
	strlcpy(state->last_error, error ? error : "", sizeof(state->last_error));
	LWLockRelease(state->lock);
}

static BackgroundWorkerHandle *
launch_worker(const worker_args *args)
{
	BackgroundWorker worker = {0};
	BackgroundWorkerHandle *handle;
	pid_t		pid;

	worker.bgw_flags = BGWORKER_SHMEM_ACCESS;
	worker.bgw_start_time = BgWorkerStart_RecoveryFinished;
	worker.bgw_restart_time = BGW_NEVER_RESTART;
	strlcpy(worker.bgw_library_name, "sgbackup", BGW_MAXLEN);
	strlcpy(worker.bgw_function_name, "sgb_backup_worker_main", BGW_MAXLEN);
	snprintf(worker.bgw_name, BGW_MAXLEN, "sgbackup backup %s", args->name);
	strlcpy(worker.bgw_type, "sgbackup backup", BGW_MAXLEN);
	StaticAssertStmt(sizeof(worker_args) <= BGW_EXTRALEN, "worker_args too large");
	memcpy(worker.bgw_extra, args, sizeof(worker_args));
	worker.bgw_notify_pid = MyProcPid;
	if (!RegisterDynamicBackgroundWorker(&worker, &handle))
		return NULL;
	if (WaitForBackgroundWorkerStartup(handle, &pid) != BGWH_STARTED)
		return NULL;
	return handle;
}

char *
sgb_backup_launch(bool fast, bool permanent, BackgroundWorkerHandle **handle)
{
	worker_args args = {0};

	sgb_require_backup_privilege("start a backup");
	make_name(args.name, sizeof(args.name));
	args.fast = fast;
	args.permanent = permanent;
	strlcpy(args.user, GetUserNameFromId(BOOTSTRAP_SUPERUSERID, false), sizeof(args.user));
	claim_slot(args.name);
	*handle = launch_worker(&args);
	if (*handle == NULL)
	{
		finish_slot(args.name, OUTCOME_FAILED, "could not start the backup worker");
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_RESOURCES),
				 errmsg("could not start the backup worker"),
				 errhint("Raise max_worker_processes.")));
	}
	return pstrdup(args.name);
}

void
sgb_backup_wait(const char *name, BackgroundWorkerHandle *handle)
{
	char		error[1024];
	bool		completed;

	WaitForBackgroundWorkerShutdown(handle);
	LWLockAcquire(state->lock, LW_SHARED);
	completed = strcmp(state->last_name, name) == 0 &&
		state->last_outcome == OUTCOME_COMPLETED;
	strlcpy(error, state->last_outcome == OUTCOME_FAILED ? state->last_error :
			"the backup worker exited without finishing", sizeof(error));
	LWLockRelease(state->lock);
	if (completed)
		return;
	finish_slot(name, OUTCOME_FAILED, error);
	ereport(ERROR,
			(errcode(ERRCODE_EXTERNAL_ROUTINE_EXCEPTION),
			 errmsg("backup \"%s\" failed", name),
			 errdetail("%s", error)));
}

char *
sgb_backup_start(bool fast, bool permanent, bool wait)
{
	BackgroundWorkerHandle *handle;
	char	   *name = sgb_backup_launch(fast, permanent, &handle);

	if (wait)
		sgb_backup_wait(name, handle);
	return name;
}

Datum
sgbackup_start(PG_FUNCTION_ARGS)
{
	bool		fast = PG_GETARG_BOOL(0);
	bool		permanent = PG_GETARG_BOOL(1);
	bool		wait = PG_GETARG_BOOL(2);

	PG_RETURN_TEXT_P(cstring_to_text(sgb_backup_start(fast, permanent, wait)));
}

/* --- the worker ------------------------------------------------------- */

static char worker_name[NAME_LEN];

/* notices of the walsender, e.g. that WAL archiving holds up the backup */
static void
log_notice(void *arg, const char *message)
{
	ereport(LOG,
			(errmsg("backup \"%s\": %s", worker_name, message)));
	if (strstr(message, "still waiting") != NULL)
	{
		LWLockAcquire(state->lock, LW_EXCLUSIVE);
		snprintf(state->note, sizeof(state->note),
				 "WAL archiving holds up this backup: %s", message);
		LWLockRelease(state->lock);
	}
}

static const char *
socket_directory(void)
{
	const char *dirs = GetConfigOption("unix_socket_directories", false, false);
	static char first[MAXPGPATH];
	const char *comma = strchr(dirs, ',');
	size_t		len = comma ? (size_t) (comma - dirs) : strlen(dirs);

	while (len > 0 && dirs[0] == ' ')
		dirs++, len--;
	snprintf(first, sizeof(first), "%.*s", (int) len, dirs);
	return first;
}

static char *
base_backup_command(const worker_args *args, const sg_config *o)
{
	StringInfoData cmd;

	initStringInfo(&cmd);
	appendStringInfo(&cmd, "BASE_BACKUP (LABEL 'sgbackup %s', TARGET 'sgbackup', "
					 "TARGET_DETAIL '%s%s', CHECKPOINT '%s', MANIFEST 'yes', "
					 "WAIT true, PROGRESS true",
					 args->name, args->name, args->permanent ? ":permanent" : "",
					 args->fast ? "fast" : "spread");
	if (o->compression == SG_COMPRESSION_ZSTD)
		appendStringInfo(&cmd, ", COMPRESSION 'zstd', COMPRESSION_DETAIL 'level=%d,workers=%d'",
						 o->compression_level > 0 ? o->compression_level : 1,
						 Max(o->upload_concurrency / 2, 1));
	else if (o->compression == SG_COMPRESSION_LZ4)
		appendStringInfoString(&cmd, ", COMPRESSION 'lz4'");
	appendStringInfoChar(&cmd, ')');
	return cmd.data;
}

/* the replication connection, so that an exit can cancel the walsender's backup */
static PGconn *base_conn = NULL;

/* wait until the connection has input; honours cancel, terminate and shutdown */
static bool
wait_for_input(PGconn *conn)
{
	(void) WaitLatchOrSocket(MyLatch,
							 WL_LATCH_SET | WL_SOCKET_READABLE | WL_EXIT_ON_PM_DEATH,
							 PQsocket(conn), -1L, PG_WAIT_EXTENSION);
	ResetLatch(MyLatch);
	CHECK_FOR_INTERRUPTS();
	return PQconsumeInput(conn) != 0;
}

/* the next result, waiting without blocking interrupts; NULL at the end */
static PGresult *
next_result(PGconn *conn, char **error)
{
	while (PQisBusy(conn))
	{
		if (!wait_for_input(conn))
		{
			if (*error == NULL)
				*error = pstrdup(PQerrorMessage(conn));
			return NULL;
		}
	}
	return PQgetResult(conn);
}

/* drain the COPY stream (progress messages) */
static void
drain_copy(PGconn *conn, char **error)
{
	for (;;)
	{
		char	   *buf;
		int			n = PQgetCopyData(conn, &buf, 1);

		if (n > 0)
			PQfreemem(buf);
		else if (n == 0)
		{
			if (wait_for_input(conn))
				continue;
			n = -2;
		}
		if (n == -2 && *error == NULL)
			*error = pstrdup(PQerrorMessage(conn));
		if (n < 0)
			return;
	}
}

/* run the command, draining the COPY stream; NULL or the error text */
static char *
run_base_backup(PGconn *conn, const char *command)
{
	PGresult   *res;
	char	   *error = NULL;

	if (!PQsendQuery(conn, command))
		return pstrdup(PQerrorMessage(conn));
	base_conn = conn;
	while ((res = next_result(conn, &error)) != NULL)
	{
		ExecStatusType st = PQresultStatus(res);

		if (st == PGRES_COPY_OUT)
			drain_copy(conn, &error);
		else if (st == PGRES_FATAL_ERROR && error == NULL)
			error = pstrdup(PQresultErrorMessage(res));
		PQclear(res);
	}
	base_conn = NULL;
	return error;
}

/* ask the walsender to stop the backup we are leaving (signal-safe libpq call) */
static void
cancel_walsender(void)
{
	PGcancel   *cancel;
	char		errbuf[256];

	if (base_conn == NULL || (cancel = PQgetCancel(base_conn)) == NULL)
		return;
	(void) PQcancel(cancel, errbuf, sizeof(errbuf));
	PQfreeCancel(cancel);
	base_conn = NULL;
}

/* a worker that exits early (SIGTERM, FATAL) must not leave the slot taken */
static void
release_on_exit(int code, Datum arg)
{
	bool		ours;

	cancel_walsender();
	LWLockAcquire(state->lock, LW_SHARED);
	ours = state->running && strcmp(state->name, worker_name) == 0;
	LWLockRelease(state->lock);
	if (ours)
		finish_slot(worker_name, OUTCOME_FAILED, "the backup worker was terminated");
}

void
sgb_backup_worker_main(Datum arg)
{
	worker_args args;
	sg_config	o;
	sg_error	err;
	char		conninfo[2 * MAXPGPATH];
	PGconn	   *conn;
	char	   *error = NULL;

	memcpy(&args, MyBgworkerEntry->bgw_extra, sizeof(args));
	strlcpy(worker_name, args.name, sizeof(worker_name));
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();
	LWLockAcquire(state->lock, LW_EXCLUSIVE);
	state->worker_pid = MyProcPid;
	LWLockRelease(state->lock);
	before_shmem_exit(release_on_exit, (Datum) 0);

	sg_config_init(&o);
	sg_error_clear(&err);
	if (!sgb_load_config(&o, &err))
		error = psprintf("%s", err.msg);
	else
	{
		snprintf(conninfo, sizeof(conninfo),
				 "host='%s' port=%d user='%s' replication=true application_name='sgbackup backup'",
				 socket_directory(), PostPortNumber, args.user);
		conn = PQconnectdb(conninfo);
		if (PQstatus(conn) != CONNECTION_OK)
			error = psprintf("could not connect for the base backup: %s", PQerrorMessage(conn));
		else
		{
			PQsetNoticeProcessor(conn, log_notice, NULL);
			error = run_base_backup(conn, base_backup_command(&args, &o));
		}
		PQfinish(conn);
	}
	sg_config_free(&o);
	if (error)
	{
		ereport(LOG, (errmsg("backup \"%s\" failed: %s", args.name, error)));
		finish_slot(args.name, OUTCOME_FAILED, error);
	}
	else
	{
		ereport(LOG, (errmsg("backup \"%s\" completed", args.name)));
		finish_slot(args.name, OUTCOME_COMPLETED, NULL);
	}
	proc_exit(0);
}

/* --- the base backup target's side of the slot ------------------------------ */

/* the target's claim ends on any exit, FATAL included */
static char target_name[NAME_LEN];

static void
release_target_on_exit(int code, Datum arg)
{
	if (target_name[0])
		sgb_backup_target_release(target_name, false, "the walsender exited");
}

void
sgb_backup_target_prepare(void)
{
	static bool registered = false;

	/* before the server's own exit callbacks of the backup, which are LIFO */
	if (!registered)
		before_shmem_exit(release_target_on_exit, (Datum) 0);
	registered = true;
}

void
sgb_backup_target_claim(const char *name)
{
	char		running[NAME_LEN] = "";

	sgb_require_preloaded(state);
	LWLockAcquire(state->lock, LW_EXCLUSIVE);
	if (state->running && strcmp(state->name, name) == 0 && state->target_pid == 0 &&
		!state->claimed_by_target)
		state->target_pid = MyProcPid;	/* sgbackup_start's backup */
	else if (!state->running)
		fill_slot(name, MyProcPid);
	else
		strlcpy(running, state->name, sizeof(running));
	LWLockRelease(state->lock);
	if (running[0])
		report_running(running);
	strlcpy(target_name, name, sizeof(target_name));
}

void
sgb_backup_target_release(const char *name, bool completed, const char *error)
{
	bool		ours_alone = false;
	char		claimed[NAME_LEN];

	if (state == NULL || target_name[0] == '\0')
		return;
	/* name may be target_name itself */
	strlcpy(claimed, name, sizeof(claimed));
	target_name[0] = '\0';
	name = claimed;
	LWLockAcquire(state->lock, LW_EXCLUSIVE);
	if (state->running && strcmp(state->name, name) == 0 &&
		state->target_pid == MyProcPid)
	{
		state->target_pid = 0;
		ours_alone = state->claimed_by_target;
	}
	LWLockRelease(state->lock);
	/* a worker's backup is ended by the worker, which knows how it went */
	if (ours_alone)
		finish_slot(name, completed ? OUTCOME_COMPLETED : OUTCOME_FAILED, error);
}

void
sgb_backup_set_note(const char *name, const char *note)
{
	if (state == NULL)
		return;
	LWLockAcquire(state->lock, LW_EXCLUSIVE);
	if (state->running && strcmp(state->name, name) == 0)
		strlcpy(state->note, note ? note : "", sizeof(state->note));
	LWLockRelease(state->lock);
}
