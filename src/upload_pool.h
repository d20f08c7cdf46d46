/*
 * upload_pool.h - the archive module's look-ahead uploads.
 *
 * A few threads in the archiver process push WAL files to S3 through
 * walstore.c, each with its own kept-alive S3 connection.  While the
 * archiver asks for one file, the next ready ones are already uploading.
 * The threads run only code from src/common (no palloc, no ereport, no
 * signals); everything PostgreSQL happens in the archiver's own thread.
 */
#ifndef SGBACKUP_UPLOAD_POOL_H
#define SGBACKUP_UPLOAD_POOL_H

#include <stdbool.h>

#include "sg_error.h"
#include "sg_settings.h"
#include "walstore.h"

/* why a wait for an upload gave up early */
typedef enum pool_wait_stop
{
	POOL_WAIT_DONE,				/* the upload finished (ok or not) */
	POOL_WAIT_SHUTDOWN			/* the server is shutting down */
} pool_wait_stop;

/* (re)start the threads for o; changes of bucket or credentials make new connections */
extern bool upload_pool_configure(const sg_options *o, sg_error *err);

/* queue the ready WAL files that come after "file" in archive order */
extern void upload_pool_look_ahead(const char *file);

/*
 * Upload (or take the look-ahead result of) one file and wait for it.
 * True when stored durably.  Calls shutdown_check() every 100 ms; when it
 * returns true, in-flight uploads are cancelled after a grace period.
 */
extern bool upload_pool_archive(const char *file, const char *path,
								bool (*shutdown_check) (void),
								wal_push_result *result, sg_error *err);

/* stop the threads (archiver exit) */
extern void upload_pool_stop(void);

#endif							/* SGBACKUP_UPLOAD_POOL_H */
