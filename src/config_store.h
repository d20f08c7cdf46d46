/*
 * config_store.h - the documents applied with sgbackup_apply(): one store,
 * written at commit.
 *
 * The tables sgbackup.object_storage (one SGObjectStorage per name) and
 * sgbackup.cluster_backups (the SGCluster backups section) are the source
 * of truth.  Processes without catalog access (the archiver) read copies
 * kept as files in the data directory:
 *
 *   $PGDATA/sgbackup/object_storage/<name>.yaml   one SGObjectStorage each
 *   $PGDATA/sgbackup/cluster.yaml                 the SGCluster backups section
 *
 * A transaction that changed the tables (sgbackup_apply, or a superuser's
 * own DELETE: a statement trigger notes it) rewrites every file from the
 * committed rows: just before it commits it checks each row and writes
 * "<file>.staged" (an error there aborts it), and once it has committed it
 * renames them into place and removes the files that have no row; an
 * aborted one leaves the files alone.  A crash between the commit and the
 * renames leaves the old files: the scheduler rewrites every file from the
 * tables when it starts (after every crash recovery and after a
 * promotion, so a new primary gets them too), so files and tables agree
 * again seconds after the server is up.
 */
#ifndef SGBACKUP_CONFIG_STORE_H
#define SGBACKUP_CONFIG_STORE_H

#include "config_stackgres.h"
#include "sg_error.h"

#define SGB_APPLIED_DIR "sgbackup"

/* store a document in its table; its file follows at commit (backend only) */
extern void sgb_config_store_store_storage(const sg_storage *s);
extern void sgb_config_store_store_cluster(const sg_cluster_backups *c);

/*
 * Rewrite every file from the tables when the transaction commits, and
 * remove files with no row (and leftovers of interrupted commits).  In a
 * transaction, in the database where the extension is installed.
 */
extern void sgb_config_store_sync_all(void);

/* register the transaction callbacks; from _PG_init */
extern void sgb_config_store_init(void);

/* read a stored SGObjectStorage by name (sg_find_storage_fn for sg_config_load) */
extern bool sgb_config_store_find_storage(void *arg, const char *name,
									 sg_storage *out, sg_error *err);

/*
 * The applied SGCluster backups section, or NULL when none was applied.
 * Cached; re-read when the file changes.  Errors are reported in err.
 */
extern const sg_cluster_backups *sgb_config_store_cluster(sg_error *err);

/*
 * True when the applied files changed since the last call (the archiver
 * polls this while it waits for an upload); cheap: one stat per file.
 */
extern bool sgb_config_store_changed(void);

/* a safe file name for a stored spec name (DNS-1123 like StackGres) */
extern bool sgb_config_store_name_ok(const char *name);

#endif							/* SGBACKUP_CONFIG_STORE_H */
