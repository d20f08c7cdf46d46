/*
 * backend.h - what code shared with the program (src/common) needs from the
 * backend when the server runs it: an sg_error reported with ereport, S3
 * request limits that honour cancel and exit, and the check that the
 * library was preloaded.
 */
#ifndef SGBACKUP_BACKEND_H
#define SGBACKUP_BACKEND_H

#include "s3_client.h"
#include "sg_error.h"

/*
 * Request limits for S3 calls made by a backend or walsender: they stop
 * within about a second when the statement is cancelled (pg_cancel_backend,
 * statement_timeout) or the process is told to exit.  Then call
 * CHECK_FOR_INTERRUPTS (sgb_report does) to raise the right error.
 */
extern s3_limits sgb_backend_limits(void);

/*
 * Report an sg_error at elevel, with errdetail and errhint.  At ERROR and
 * above, a pending cancel or exit is raised first: a request stopped by it
 * reports why it stopped, not that it failed.
 */
extern void sgb_report(int elevel, const sg_error *err);

/* ERROR unless the library was preloaded (shared memory set up) */
extern void sgb_require_preloaded(const void *shared_state);

#endif							/* SGBACKUP_BACKEND_H */
