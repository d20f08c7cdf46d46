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
 * metadata.json holds what StackGres records in SGBackup.status.
 * backup_retention.h plans and carries out retention over this catalog.
 */
#ifndef SG_BACKUP_CATALOG_H
#define SG_BACKUP_CATALOG_H

#include <stdbool.h>
#include <stdint.h>

#include "s3_client.h"
#include "sg_error.h"

typedef enum backup_status
{
	BACKUP_RUNNING,
	BACKUP_COMPLETED,
	BACKUP_FAILED
} backup_status;

typedef struct backup_info
{
	char	   *name;
	backup_status status;
	bool		permanent;		/* StackGres managedLifecycle: false */
	uint64_t	start_lsn;		/* 0 when unknown */
	uint64_t	stop_lsn;
	uint32_t	timeline;
	char		start_wal[25];	/* "" when unknown */
	char		stop_wal[25];
	int64_t		size_bytes;		/* uncompressed */
	int64_t		compressed_bytes;	/* as stored */
	int64_t		started_at;		/* Unix time in microseconds; 0 unknown */
	int64_t		finished_at;
	int64_t		stored_at;
	char	   *pg_version;		/* "15.20" */
	int			pg_version_num;	/* 150020 */
	uint64_t	system_identifier;
	char	   *compression;	/* "zstd", "lz4", "none" */
	char	   *error;			/* why it failed, or NULL */
	char	   *controldata_json;	/* JSON object of pg_controldata fields, or NULL */
	char	   *storage_json;	/* JSON object: object storage used, no secrets */
	char	  **archives;		/* object names of the archives, relative to backups/<name>/ */
	int			narchives;
} backup_info;

extern void backup_info_init(backup_info *b);
extern void backup_info_free(backup_info *b);

/* metadata.json / started.json / failed.json text for b (malloc'ed JSON) */
extern char *backup_info_to_json(const backup_info *b);
/* parse such a JSON text; unknown fields are ignored */
extern bool backup_info_from_json(const char *json, size_t len, backup_info *out,
								  sg_error *err);

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

/* text helpers shared with backup_retention.c: 1 to 8 hex digits; "%X/%X" */
extern bool sg_parse_hex32(const char *s, size_t len, uint32_t *out);
extern bool sg_parse_lsn(const char *s, size_t len, uint64_t *out);

#endif							/* SG_BACKUP_CATALOG_H */
