/*
 * archive_pool.h - the archive module's look-ahead uploads.
 *
 * A few threads in the archiver process push WAL files to S3 through
 * wal_store.c, each with its own kept-alive S3 connection.  While the
 * archiver asks for one file, the next ready ones are already uploading.
 * The threads run only code from src/common (no palloc, no ereport, no
 * signals); everything PostgreSQL happens in the archiver's own thread.
 */
#ifndef SGBACKUP_ARCHIVE_POOL_H
#define SGBACKUP_ARCHIVE_POOL_H

#include <stdbool.h>

#include "sg_error.h"
#include "config.h"
#include "wal_store.h"

/* what the archiver's check says while it waits for an upload */
typedef enum pool_check
{
	POOL_GO_ON,					/* keep waiting */
	POOL_SHUTDOWN,				/* the server is shutting down */
	POOL_RECONFIGURE			/* the configuration may have changed */
} pool_check;

/* how archive_pool_archive ended */
typedef enum pool_outcome
{
	POOL_STORED,				/* stored durably under the configuration in force */
	POOL_FAILED,				/* not stored: err says why */
	POOL_AGAIN					/* check said reconfigure: configure and call again */
} pool_outcome;

/* (re)start the threads for o; changes of bucket or credentials make new connections */
extern bool archive_pool_configure(const sg_config *o, sg_error *err);

/* queue the ready WAL files that come after "file" in archive order */
extern void archive_pool_look_ahead(const char *file);

/*
 * Upload (or take the look-ahead result of) one file and wait for it.
 * POOL_STORED only when stored durably under the configuration in force
 * when it finished: a result of an upload that ran under an earlier
 * configuration is never taken.  Calls check() every 100 ms; on
 * POOL_SHUTDOWN in-flight uploads are cancelled after a grace period; on
 * POOL_RECONFIGURE it returns POOL_AGAIN at once (the upload goes on).
 */
extern pool_outcome archive_pool_archive(const char *file, const char *path,
										pool_check (*check) (void),
										wal_push_result *result, sg_error *err);

/* stop the threads (archiver exit) */
extern void archive_pool_stop(void);

#endif							/* SGBACKUP_ARCHIVE_POOL_H */
