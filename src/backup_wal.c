/*
 * backup_wal.c - confirm that the WAL a backup needs is stored with it
 * (see backup_wal.h).
 *
 * The server has already waited until its archiver marked the backup's
 * last segment done, but "done" means stored where the archiver stores:
 * with archive_library other than sgbackup, archive_mode = off, or an
 * object storage that changed during the backup, that is not where the
 * backup is.  So we list wal/ of the backup's own storage from the start
 * segment on, and complete the backup only when every segment is there.
 */
#include "postgres.h"

#include "access/xlog.h"
#include "access/xlog_internal.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "storage/latch.h"
#include "utils/guc.h"
#include "utils/timestamp.h"

#include "backend.h"
#include "backup_worker.h"
#include "backup_wal.h"
#include "config_guc.h"

/* the segments one backup needs, and which of them were listed */
typedef struct wal_range
{
	XLogSegNo	first;
	XLogSegNo	last;
	TimeLineID	tli;			/* the timeline being listed */
	bool	   *present;		/* [last - first + 1] */
} wal_range;

/* sg_store_list_fn: mark the segments of the range that are stored */
static bool
mark_segment(void *arg, const sg_store_entry *e)
{
	wal_range  *r = arg;
	const char *name = e->key + strlen("wal/");
	TimeLineID	tli;
	XLogSegNo	segno;

	if (strncmp(e->key, "wal/", 4) != 0 || strlen(name) != 24 ||
		strspn(name, "0123456789ABCDEF") != 24)
		return true;			/* .partial, .backup, .history */
	XLogFromFileName(name, &tli, &segno, wal_segment_size);
	if (tli != r->tli || segno > r->last)
		return false;			/* past the range: stop listing */
	if (segno >= r->first)
		r->present[segno - r->first] = true;
	return true;
}

/* list the stored segments of the range on timeline tli */
static void
list_timeline(sg_store *st, wal_range *r, TimeLineID tli)
{
	char		prefix[32];
	char		after[MAXFNAMELEN + 8];
	char		name[MAXFNAMELEN];
	sg_error	err;

	r->tli = tli;
	snprintf(prefix, sizeof(prefix), "wal/%08X", tli);
	if (r->first > 0)
	{
		XLogFileName(name, tli, r->first - 1, wal_segment_size);
		snprintf(after, sizeof(after), "wal/%s", name);
	}
	sg_error_clear(&err);
	if (!sg_store_list(st, prefix, r->first > 0 ? after : NULL,
					   mark_segment, r, &err))
		sgb_report(ERROR, &err);
}

/* the first segment not stored on either timeline, or false when all are */
static bool
first_missing(sg_store *st, wal_range *r, TimeLineID start_tli,
			  TimeLineID stop_tli, char *missing)
{
	memset(r->present, 0, sizeof(bool) * (r->last - r->first + 1));
	list_timeline(st, r, start_tli);
	if (stop_tli != start_tli)
		list_timeline(st, r, stop_tli);
	for (XLogSegNo segno = r->first; segno <= r->last; segno++)
	{
		if (!r->present[segno - r->first])
		{
			XLogFileName(missing, segno == r->last ? stop_tli : start_tli, segno,
						 wal_segment_size);
			return true;
		}
	}
	return false;
}

static void
wait_a_second(void)
{
	(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
					 1000, PG_WAIT_EXTENSION);
	ResetLatch(MyLatch);
	CHECK_FOR_INTERRUPTS();
}

static void
report_missing(const char *name, const char *segment, const sg_store *st)
{
	const char *library = GetConfigOption("archive_library", true, false);

	ereport(ERROR,
			(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			 errmsg("backup \"%s\" cannot be completed: WAL segment \"%s\" is not in its object storage",
					name, segment),
			 errdetail("The backup needs every WAL segment from its start to its stop, but \"wal/%s\" is not stored in %s; "
					   "the server archived it elsewhere or not at all (archive_mode is %s, archive_library is \"%s\").",
					   segment, sg_store_description(st), XLogArchivingActive() ? "on" : "off",
					   library ? library : ""),
			 errhint("Archive WAL to the same object storage as the backups (archive_mode = on, archive_library = 'sgbackup', and the same sgbackup.object_storage or s3_* settings, unchanged during the backup), then take a new backup.")));
}

void
sgb_backup_check_wal(sg_store *st, const char *name, XLogRecPtr start,
					 TimeLineID start_tli, XLogRecPtr stop, TimeLineID stop_tli)
{
	TimestampTz deadline;
	wal_range	r;
	char		missing[MAXFNAMELEN];
	bool		said = false;

	XLByteToSeg(start, r.first, wal_segment_size);
	XLByteToPrevSeg(stop, r.last, wal_segment_size);
	if (r.last < r.first)
		r.last = r.first;
	r.present = palloc(sizeof(bool) * (r.last - r.first + 1));
	if (!XLogArchivingActive())
	{
		XLogFileName(missing, start_tli, r.first, wal_segment_size);
		report_missing(name, missing, st);
	}
	deadline = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), SGB_BACKUP_WAL_WAIT_MS);
	while (first_missing(st, &r, start_tli, stop_tli, missing))
	{
		char		note[512];

		if (GetCurrentTimestamp() >= deadline)
			report_missing(name, missing, st);
		snprintf(note, sizeof(note),
				 "waiting for WAL segment %s to be stored in %s",
				 missing, sg_store_description(st));
		if (!said)
			ereport(LOG, (errmsg("backup \"%s\": %s", name, note)));
		said = true;
		sgb_backup_set_note(name, note);
		wait_a_second();
	}
	sgb_backup_set_note(name, NULL);
	pfree(r.present);
}
