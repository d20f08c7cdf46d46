/*
 * backup_catalog.h - base backups as objects in the bucket, which is the
 * source of truth: their metadata, listing and deletion.
 *
 * Under <prefix>/backups/<name>/:
 *   started.json      written first: name, start time, permanent
 *   base.tar.zst ...  the archives (base.tar[.zst|.lz4], <oid>.tar[...])
 *   backup_manifest   PostgreSQL's manifest, as the server wrote it
 *   failed.json       written when the backup is known to have failed
 *   metadata.json     written last: a backup without it is not complete
 * backup_meta.h has their metadata and its JSON text;
 * backup_retention.h plans and carries out retention over this catalog.
 */
#ifndef SG_BACKUP_CATALOG_H
#define SG_BACKUP_CATALOG_H

#include <stdbool.h>
#include <stdint.h>

#include "backup_meta.h"
#include "s3_client.h"
#include "sg_error.h"

/* write backups/<name>/<object> (one of the .json objects) */
extern bool backup_catalog_put(s3_client *c, const backup_info *b,
							   const char *object, sg_error *err);

/*
 * All backups under backups/, oldest first (newest last): completed ones by
 * when they finished, the others by when they started, never by LSN or
 * name (backup_order_cmp).  Status: metadata.json → completed; failed.json
 * → failed; otherwise running when is_running(name) says so, else failed
 * ("interrupted").  is_running may be NULL (then: running).
 */
typedef bool (*backup_running_fn) (void *arg, const char *name);
extern bool backup_catalog_list(s3_client *c, backup_running_fn is_running,
								void *arg, backup_info **out, int *n,
								sg_error *err);
extern void backup_list_free(backup_info *list, int n);
/* the order of backup_catalog_list (qsort style) */
extern int	backup_order_cmp(const backup_info *a, const backup_info *b);

/* delete one backup's objects (metadata.json first) */
extern bool backup_catalog_delete(s3_client *c, const char *name, sg_error *err);

#endif							/* SG_BACKUP_CATALOG_H */
