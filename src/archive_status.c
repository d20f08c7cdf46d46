/*
 * archive_status.c - shared-memory counters of the archive module and the
 * set-returning function behind the sgbackup.archiver view.
 */
#include "postgres.h"

#include <dirent.h>

#include "access/xlog_internal.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "port/atomics.h"
#include "storage/ipc.h"
#include "storage/lwlock.h"
#include "storage/shmem.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "backend.h"
#include "archive_status.h"
#include "privileges.h"
#include "config_guc.h"
#include "sgbackup.h"

typedef struct ArchiverState
{
	LWLock	   *lock;
	char		last_archived_wal[MAXFNAMELEN + 16];
	TimestampTz last_archived_time;
	char		last_failed_wal[MAXFNAMELEN + 16];
	TimestampTz last_failed_time;
	char		last_failure[1024];
	int64		files_pushed;	/* uploaded now */
	int64		files_already_stored;	/* identical copy was there */
	int64		bytes_pushed;	/* original bytes of files_pushed */
	int64		bytes_stored;	/* compressed bytes uploaded */
	int64		failures;
	/* commits of applied configuration, counted after their files moved */
	pg_atomic_uint64 config_changes;
} ArchiverState;

static ArchiverState *state = NULL;

PG_FUNCTION_INFO_V1(sgbackup_archiver_status);

static void
init_state(void *area, LWLock *lock)
{
	ArchiverState *s = area;

	pg_atomic_init_u64(&s->config_changes, 0);
	s->lock = lock;
}

const sgb_shmem_area sgb_archiver_area = {
	.name = "sgbackup_archiver",
	.size = sizeof(ArchiverState),
	.area = (void **) &state,
	.init = init_state,
};

void
sgb_archiver_report_success(const char *file, int64_t original_bytes,
							int64_t stored_bytes, bool already_stored)
{
	if (state == NULL)
		return;
	LWLockAcquire(state->lock, LW_EXCLUSIVE);
	strlcpy(state->last_archived_wal, file, sizeof(state->last_archived_wal));
	state->last_archived_time = GetCurrentTimestamp();
	if (already_stored)
		state->files_already_stored++;
	else
	{
		state->files_pushed++;
		state->bytes_pushed += original_bytes;
		state->bytes_stored += stored_bytes;
	}
	LWLockRelease(state->lock);
}

void
sgb_archiver_report_failure(const char *file, const char *message)
{
	if (state == NULL)
		return;
	LWLockAcquire(state->lock, LW_EXCLUSIVE);
	strlcpy(state->last_failed_wal, file, sizeof(state->last_failed_wal));
	strlcpy(state->last_failure, message, sizeof(state->last_failure));
	state->last_failed_time = GetCurrentTimestamp();
	state->failures++;
	LWLockRelease(state->lock);
}

/*
 * A committed configuration change, counted after its files are in place.
 * The directory's mtime alone cannot say this: a poll between the staging
 * of a file and its rename, in the same clock tick, sees no later change.
 */
void
sgb_archiver_note_config_change(void)
{
	if (state == NULL)
		return;
	pg_write_barrier();
	pg_atomic_fetch_add_u64(&state->config_changes, 1);
}

/* the count of changes; read before the files, so a later one is seen */
bool
sgb_archiver_config_changes(uint64_t *count)
{
	if (state == NULL)
		return false;
	*count = pg_atomic_read_u64(&state->config_changes);
	pg_read_barrier();
	return true;
}

/* number of WAL files waiting to be archived (.ready status files) */
static int64
count_backlog(void)
{
	DIR		   *dir = AllocateDir(XLOGDIR "/archive_status");
	struct dirent *de;
	int64		n = 0;

	while ((de = ReadDir(dir, XLOGDIR "/archive_status")) != NULL)
	{
		size_t		len = strlen(de->d_name);

		if (len > 6 && strcmp(de->d_name + len - 6, ".ready") == 0)
			n++;
	}
	FreeDir(dir);
	return n;
}

static Datum
text_or_null(const char *s, bool *isnull)
{
	*isnull = (s[0] == '\0');
	return *isnull ? (Datum) 0 : CStringGetTextDatum(s);
}

static Datum
time_or_null(TimestampTz t, bool *isnull)
{
	*isnull = (t == 0);
	return TimestampTzGetDatum(t);
}

Datum
sgbackup_archiver_status(PG_FUNCTION_ARGS)
{
	TupleDesc	tupdesc;
	Datum		values[11];
	bool		nulls[11] = {0};
	ArchiverState copy;

	sgb_require_read_privilege("sgbackup.archiver");
	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	sgb_require_preloaded(state);
	LWLockAcquire(state->lock, LW_SHARED);
	memcpy(&copy, state, sizeof(copy));
	LWLockRelease(state->lock);

	values[0] = text_or_null(copy.last_archived_wal, &nulls[0]);
	values[1] = time_or_null(copy.last_archived_time, &nulls[1]);
	values[2] = text_or_null(copy.last_failed_wal, &nulls[2]);
	values[3] = time_or_null(copy.last_failed_time, &nulls[3]);
	values[4] = text_or_null(copy.last_failure, &nulls[4]);
	values[5] = Int64GetDatum(copy.files_pushed);
	values[6] = Int64GetDatum(copy.files_already_stored);
	values[7] = Int64GetDatum(copy.bytes_pushed);
	values[8] = Int64GetDatum(copy.bytes_stored);
	values[9] = Int64GetDatum(copy.failures);
	values[10] = Int64GetDatum(count_backlog());
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}
