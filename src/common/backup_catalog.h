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
#include "store.h"
#include "sg_error.h"

/*
 * The one rule for backup names, in the server and the program: 1 to 200
 * letters, digits, '-', '_' and '.', not starting with '.'.
 */
#define BACKUP_NAME_MAX 200
#define BACKUP_NAME_RULE "A backup name has 1 to 200 letters, digits, '-', '_' and '.', and does not start with '.'."
extern bool backup_name_valid(const char *name, size_t len);
/* the same, with err saying why */
extern bool backup_name_check(const char *name, sg_error *err);

/* write backups/<name>/<object> (one of the .json objects) */
extern bool backup_catalog_put(sg_store *st, const backup_info *b,
							   const char *object, sg_error *err);

/*
 * All backups under backups/, oldest first (newest last): completed ones by
 * when they finished, the others by when they started, never by LSN or
 * name (backup_order_cmp).  Status: metadata.json → completed; failed.json
 * → failed; otherwise running when is_running(name) says so, else failed
 * ("interrupted").  is_running may be NULL (then: running).
 */
typedef bool (*backup_running_fn) (void *arg, const char *name);
extern bool backup_catalog_list(sg_store *st, backup_running_fn is_running,
								void *arg, backup_info **out, int *n,
								sg_error *err);
extern void backup_list_free(backup_info *list, int n);
/* the order of backup_catalog_list (qsort style) */
extern int	backup_order_cmp(const backup_info *a, const backup_info *b);

/*
 * delete one backup's objects (metadata.json first); a backup with no
 * objects is SG_ERR_NOT_FOUND, "backup "X" does not exist"
 */
extern bool backup_catalog_delete(sg_store *st, const char *name, sg_error *err);

#endif							/* SG_BACKUP_CATALOG_H */
