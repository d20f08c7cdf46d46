/*
 * applied.h - documents applied with sgbackup_apply(), kept as files in
 * the data directory ($PGDATA/sgbackup/) so that processes without catalog
 * access (the archiver) see them within seconds and after a restart.
 *
 *   sgbackup/object_storage/<name>.yaml   one SGObjectStorage each
 *   sgbackup/cluster.yaml                 the SGCluster backups section
 */
#ifndef SGBACKUP_APPLIED_H
#define SGBACKUP_APPLIED_H

#include "sg_config.h"
#include "sg_error.h"

#define SGB_APPLIED_DIR "sgbackup"

/* write atomically and durably; ERROR on failure (backend only) */
extern void sgb_applied_write(const char *relpath, const char *text);

/* read a stored SGObjectStorage by name (sg_spec_fn for sg_options_load) */
extern bool sgb_applied_find_storage(void *arg, const char *name,
									 sg_storage *out, sg_error *err);

/*
 * The applied SGCluster backups section, or NULL when none was applied.
 * Cached; re-read when the file changes.  Errors are reported in err.
 */
extern const sg_backup_config *sgb_applied_cluster(sg_error *err);

/* a safe file name for a stored spec name (DNS-1123 like StackGres) */
extern bool sgb_applied_name_ok(const char *name);

#endif							/* SGBACKUP_APPLIED_H */
