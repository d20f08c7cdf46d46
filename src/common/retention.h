/*
 * retention.h - applying retention to the bucket: list the backups and
 * the WAL, make the plan (backup_catalog.h) and carry it out.  Shared by
 * sgbackup_apply_retention(), the scheduler and `sgbackup retention`.
 */
#ifndef SG_RETENTION_H
#define SG_RETENTION_H

#include "backup_catalog.h"

/* on success plan holds what was deleted (free with retention_plan_free) */
extern bool sg_retention_run(s3_client *c, int keep,
							 backup_running_fn is_running, void *arg,
							 retention_plan *plan, sg_error *err);

#endif							/* SG_RETENTION_H */
