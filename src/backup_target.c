/*
 * backup_target.c - the "sgbackup" base backup target (see backup_target.h).
 *
 * Runs in the walsender that executes BASE_BACKUP.  The target claims the
 * one-backup-at-a-time slot itself (backup_worker.h), whoever started the backup.
 * Each archive the server produces (base.tar.zst, <oid>.tar.zst) streams
 * into a store writer (store.h): in S3 an s3_writer, whose threads upload
 * parts while the server reads the next files, parts sized from the
 * server's estimate of the backup's size; in a local repository a
 * temporary file renamed into place.  The manifest follows; the size and
 * sha256 of each object as stored go into the backup's objects, and
 * metadata.json is written last, once the server has waited for the
 * backup's last WAL segment to be archived and every segment it needs is
 * confirmed stored with it (backup_wal.h).  Any
 * failure aborts the uploads and records failed.json; a backup without
 * metadata.json is never listed as completed.  Every S3 request stops when
 * the walsender is cancelled or terminated, and on any exit of the process
 * (FATAL included) the upload threads are stopped and joined.
 */
#include "postgres.h"

#include <sys/time.h>

#include "access/xact.h"
#include "access/xlog.h"
#include "access/xlog_internal.h"
#include "catalog/pg_control.h"
#include "common/controldata_utils.h"
#include "miscadmin.h"
#include "storage/ipc.h"
#include "utils/acl.h"
#include "utils/guc.h"
#include "utils/memutils.h"

#include "backend.h"
#include "backup_worker.h"
#include "backup_catalog.h"
#include "backup_control.h"
#include "backup_wal.h"
#include "backup_sink.h"
#include "backup_target.h"
#include "privileges.h"
#include "s3_writer.h"
#include "config_guc.h"
#include "pace.h"

typedef struct backup_sink
{
	bbsink		base;
	char	   *name;
	bool		permanent;
	sg_config	options;
	s3_limits	limits;			/* stop when cancelled or terminated */
	sg_pacer	pacer;			/* sgbackup.max_disk_bandwidth */
	sg_store   *store;			/* where the backup goes */
	sg_store_writer *writer;	/* the archive or manifest being written */
	backup_info info;
	bool		claimed;		/* holds the one-backup slot */
	bool		done;
	bool		cleaned;		/* cleanup ran */
	MemoryContextCallback reset_cb; /* cleanup when the sink's memory goes */
	char		error[1024];	/* our own error, for failed.json */
} backup_sink;

/* the sink of this process's running backup, for the exit callback */
static backup_sink *current_sink = NULL;

static void
raise_error(backup_sink *s, const sg_error *err)
{
	snprintf(s->error, sizeof(s->error), "%s%s%s", err->msg,
			 err->detail[0] ? ": " : "", err->detail);
	sgb_report(ERROR, err);
}

/*
 * A FATAL exit (terminate, fast shutdown) skips the sink's cleanup: stop
 * and join the upload threads and abort the upload here, so that no thread
 * outlives the walsender and no upload is left behind.
 */
static void
stop_uploads_on_exit(int code, Datum arg)
{
	if (current_sink && current_sink->writer)
	{
		sg_store_writer_free(current_sink->writer);
		current_sink->writer = NULL;
	}
	current_sink = NULL;
}

static int64
now_usec(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (int64) tv.tv_sec * 1000000 + tv.tv_usec;
}

static void
wal_name(char out[25], XLogRecPtr lsn, TimeLineID tli, bool previous)
{
	XLogSegNo	segno;

	if (previous)
		XLByteToPrevSeg(lsn, segno, wal_segment_size);
	else
		XLByteToSeg(lsn, segno, wal_segment_size);
	XLogFileName(out, tli, segno, wal_segment_size);
}

/* start writing backups/<name>/<object>, listed in the backup's objects */
static void
open_writer(backup_sink *s, const char *object)
{
	char		key[MAXPGPATH];
	sg_store_writer_options wo = {0};
	sg_error	err;

	sg_error_clear(&err);
	snprintf(key, sizeof(key), "backups/%s/%s", s->name, object);
	wo.concurrency = s->options.upload_concurrency;
	wo.max_parts = sgb_max_upload_parts;
	/* the whole backup's estimate: an archive is never larger */
	if (s->base.bbs_state->bytes_total_is_valid)
		wo.expected_size = (int64) s->base.bbs_state->bytes_total;
	s->writer = sg_store_writer_open(s->store, key, NULL, 0, &wo, &err);
	if (s->writer == NULL)
		raise_error(s, &err);
	backup_info_add_object(&s->info, object);
}

/*
 * Finish the object being written and record its stored size and sha256
 * in the backup's objects; returns the size.
 */
static int64
close_writer(backup_sink *s)
{
	sg_error	err;
	backup_object *o = &s->info.objects[s->info.nobjects - 1];
	const char *sha256;
	bool		ok;

	sg_error_clear(&err);
	ok = sg_store_writer_finish(s->writer, &err);
	if (ok)
	{
		o->bytes = sg_store_writer_bytes(s->writer);
		sha256 = sg_store_writer_sha256(s->writer);
		if (sha256 == NULL || strlen(sha256) != 64)
			ok = sg_error_set(&err, SG_ERR_INTERNAL,
							  "the store did not give the sha256 of \"%s\"", o->name);
		else
			memcpy(o->sha256, sha256, 65);
	}
	sg_store_writer_free(s->writer);
	s->writer = NULL;
	if (!ok)
		raise_error(s, &err);
	return o->bytes;
}

static void
write_to(backup_sink *s, size_t len)
{
	sg_error	err;

	sg_error_clear(&err);
	if (!sg_store_writer_write(s->writer, s->base.bbs_buffer, len, &err))
		raise_error(s, &err);
}

static void
put_json(backup_sink *s, const char *object)
{
	sg_error	err;

	sg_error_clear(&err);
	if (!backup_catalog_put(s->store, &s->info, object, &err))
		raise_error(s, &err);
}

/*
 * One backup runs at a time (this one holds the slot), so multipart uploads
 * under backups/ at its start were left by a backup whose process died:
 * abort them.  Refused (the StackGres guide's policy does not grant it),
 * that is a warning: a lifecycle rule can clean up instead.
 */
static void
abort_stale_uploads(backup_sink *s)
{
	sg_error	err;
	int			aborted = 0;

	sg_error_clear(&err);
	if (!sg_store_abort_stale(s->store, "backups/", &aborted, &err))
	{
		CHECK_FOR_INTERRUPTS();
		sgb_report(WARNING, &err);
	}
	else if (aborted > 0)
		ereport(LOG,
				(errmsg("aborted %d unfinished uploads left by an earlier backup", aborted)));
}

static void
sink_begin_backup(bbsink *sink)
{
	backup_sink *s = (backup_sink *) sink;
	bbsink_state *state = sink->bbs_state;
	sg_error	err;

	bbsink_forward_begin_backup(sink);
	sgb_backup_target_claim(s->name);
	s->claimed = true;
	current_sink = s;
	sg_error_clear(&err);
	s->limits = sgb_backend_limits();
	if (!sgb_load_config(&s->options, &err))
		raise_error(s, &err);
	/* the bandwidth caps come from the configuration the store is opened with */
	s->limits.max_bandwidth = sg_config_share(&s->options, s->options.max_network_bandwidth);
	sg_pacer_init(&s->pacer, s->options.max_disk_bandwidth, s->limits.cancel_fn, NULL);
	s->store = sg_store_open(&s->options.storage, s->options.secrets_directory,
							 &s->limits, &err);
	if (s->store == NULL)
		raise_error(s, &err);
	s->info.name = sg_strdup(s->name);
	s->info.status = BACKUP_RUNNING;
	s->info.permanent = s->permanent;
	s->info.start_lsn = state->startptr;
	s->info.timeline = state->starttli;
	wal_name(s->info.start_wal, state->startptr, state->starttli, false);
	s->info.started_at = now_usec();
	s->info.compression = sg_strdup(sg_compression_name(s->options.compression));
	s->info.pg_version = sg_strdup(GetConfigOption("server_version", false, false));
	s->info.pg_version_num = atoi(GetConfigOption("server_version_num", false, false));
	s->info.system_identifier = GetSystemIdentifier();
	s->info.storage_json = sgb_storage_json(&s->options.storage);
	/* from here on, whatever happens, the backup is listed (failed at worst) */
	put_json(s, "started.json");
	abort_stale_uploads(s);
}

static void
sink_begin_archive(bbsink *sink, const char *archive_name)
{
	open_writer((backup_sink *) sink, archive_name);
	bbsink_forward_begin_archive(sink, archive_name);
}

static void
sink_archive_contents(bbsink *sink, size_t len)
{
	backup_sink *s = (backup_sink *) sink;

	if (!sg_pacer_account(&s->pacer, len))
		CHECK_FOR_INTERRUPTS();
	write_to(s, len);
	bbsink_forward_archive_contents(sink, len);
}

static void
sink_end_archive(bbsink *sink)
{
	backup_sink *s = (backup_sink *) sink;

	s->info.compressed_bytes += close_writer(s);
	bbsink_forward_end_archive(sink);
}

static void
sink_begin_manifest(bbsink *sink)
{
	open_writer((backup_sink *) sink, BACKUP_MANIFEST_NAME);
	bbsink_forward_begin_manifest(sink);
}

static void
sink_manifest_contents(bbsink *sink, size_t len)
{
	write_to((backup_sink *) sink, len);
	bbsink_forward_manifest_contents(sink, len);
}

static void
sink_end_manifest(bbsink *sink)
{
	close_writer((backup_sink *) sink);
	bbsink_forward_end_manifest(sink);
}

/*
 * The server has waited for the last WAL segment to be archived: once every
 * segment the backup needs is confirmed in its own storage, it is whole.
 */
static void
sink_end_backup(bbsink *sink, XLogRecPtr endptr, TimeLineID endtli)
{
	backup_sink *s = (backup_sink *) sink;
	backup_info *b = &s->info;

	PG_TRY();
	{
		sgb_backup_check_wal(s->store, s->name, b->start_lsn, b->timeline,
							 endptr, endtli);
	}
	PG_CATCH();
	{
		ErrorData  *edata;
		MemoryContext context = MemoryContextSwitchTo(TopMemoryContext);

		edata = CopyErrorData();
		MemoryContextSwitchTo(context);
		snprintf(s->error, sizeof(s->error), "%s%s%s", edata->message,
				 edata->detail ? ": " : "", edata->detail ? edata->detail : "");
		FreeErrorData(edata);
		PG_RE_THROW();
	}
	PG_END_TRY();
	b->stop_lsn = endptr;
	wal_name(b->stop_wal, endptr, endtli, true);
	b->size_bytes = sink->bbs_state->bytes_done;
	b->finished_at = now_usec();
	b->controldata_json = sgb_controldata_json();
	b->status = BACKUP_COMPLETED;
	b->stored_at = now_usec();
	put_json(s, "metadata.json");
	s->done = true;
	bbsink_forward_end_backup(sink, endptr, endtli);
}

/*
 * After an error (or after end_backup): abort uploads, record the failure,
 * end the claim.  Runs once, from the cleanup callback or, since the
 * server's zstd and lz4 sinks do not pass cleanup on to the next sink,
 * from the reset of the sink's memory context after the error.  Never
 * raises an error.
 */
static void
cleanup_once(backup_sink *s)
{
	sg_error	err;

	if (s->cleaned)
		return;
	s->cleaned = true;
	if (s->writer)
		sg_store_writer_free(s->writer);
	s->writer = NULL;
	if (!s->done && s->store && s->info.name)
	{
		s->info.status = BACKUP_FAILED;
		s->info.finished_at = now_usec();
		s->info.error = sg_strdup(s->error[0] ? s->error :
								  "the base backup was aborted by an error; see the server log");
		sg_error_clear(&err);
		if (!backup_catalog_put(s->store, &s->info, "failed.json", &err))
			ereport(WARNING,
					(errmsg("could not record the failure of backup \"%s\": %s",
							s->name, err.msg)));
	}
	sg_store_free(s->store);
	s->store = NULL;
	if (s->claimed)
		sgb_backup_target_release(s->name, s->done, s->done ? NULL :
								  (s->error[0] ? s->error : "the base backup was aborted by an error"));
	s->claimed = false;
	current_sink = NULL;
	backup_info_free(&s->info);
	sg_config_free(&s->options);
}

static void
sink_cleanup(bbsink *sink)
{
	cleanup_once((backup_sink *) sink);
	bbsink_forward_cleanup(sink);
}

static void
cleanup_on_reset(void *arg)
{
	cleanup_once((backup_sink *) arg);
}

static const bbsink_ops sink_ops = {
	.begin_backup = sink_begin_backup,
	.begin_archive = sink_begin_archive,
	.archive_contents = sink_archive_contents,
	.end_archive = sink_end_archive,
	.begin_manifest = sink_begin_manifest,
	.manifest_contents = sink_manifest_contents,
	.end_manifest = sink_end_manifest,
	.end_backup = sink_end_backup,
	.cleanup = sink_cleanup
};

/* TARGET_DETAIL: "<name>" or "<name>:permanent"; privilege checked here */
static void *
check_detail(char *target, char *detail)
{
	MemoryContext context = CurrentMemoryContext;
	char	   *copy;
	char	   *colon;
	bool		allowed;

	/*
	 * A replication walsender reads the role catalogs only in a transaction;
	 * the caller's memory context must survive it (the sink is allocated in
	 * it, and cleaned up when it is reset).
	 */
	StartTransactionCommand();
	allowed = sgb_may_take_backups();
	CommitTransactionCommand();
	MemoryContextSwitchTo(context);
	if (!allowed)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to take a backup with target \"%s\"", target),
				 errdetail("Only superusers and members of %s may take sgbackup backups.",
						   SGB_OPERATOR_ROLE)));
	if (detail == NULL || detail[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_SYNTAX_ERROR),
				 errmsg("target \"%s\" requires a backup name as target detail", target)));
	copy = pstrdup(detail);
	colon = strchr(copy, ':');
	if (colon && strcmp(colon, ":permanent") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_SYNTAX_ERROR),
				 errmsg("invalid target detail \"%s\"", detail),
				 errhint("Use NAME or NAME:permanent.")));
	if (!backup_name_valid(copy, colon ? (size_t) (colon - copy) : strlen(copy)))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_NAME),
				 errmsg("invalid backup name \"%s\"", detail),
				 errdetail("%s", BACKUP_NAME_RULE)));
	return copy;
}

static bbsink *
get_sink(bbsink *next, void *detail_arg)
{
	static bool registered = false;
	backup_sink *s = palloc0(sizeof(backup_sink));
	char	   *detail = detail_arg;
	char	   *colon = strchr(detail, ':');

	/* before the backup starts: exit callbacks are LIFO */
	if (!registered)
		before_shmem_exit(stop_uploads_on_exit, (Datum) 0);
	registered = true;
	sgb_backup_target_prepare();
	*((const bbsink_ops **) &s->base.bbs_ops) = &sink_ops;
	s->base.bbs_next = next;
	s->permanent = colon != NULL;
	if (colon)
		*colon = '\0';
	s->name = detail;
	sg_config_init(&s->options);
	backup_info_init(&s->info);
	/* the server's compression sinks do not pass cleanup on: see cleanup_once */
	s->reset_cb.func = cleanup_on_reset;
	s->reset_cb.arg = s;
	MemoryContextRegisterResetCallback(CurrentMemoryContext, &s->reset_cb);
	return &s->base;
}

void
sgb_register_backup_target(void)
{
	BaseBackupAddTarget("sgbackup", check_detail, get_sink);
}
