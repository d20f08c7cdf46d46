/*
 * backup_meta.h - a base backup's metadata: backup_info, its JSON text as
 * stored in metadata.json / started.json / failed.json (backup_catalog.h
 * says where), and LSNs and times as text.  metadata.json holds what
 * StackGres records in SGBackup.status.
 */
#ifndef SG_BACKUP_META_H
#define SG_BACKUP_META_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sg_error.h"

typedef enum backup_status
{
	BACKUP_RUNNING,
	BACKUP_COMPLETED,
	BACKUP_FAILED
} backup_status;

/*
 * One object of a backup as stored under backups/<name>/: an archive
 * (base.tar.zst, <oid>.tar.zst) or the manifest.  Metadata written before
 * sizes and checksums were recorded lists the archives by name only.
 */
typedef struct backup_object
{
	char	   *name;			/* relative to backups/<name>/ */
	int64_t		bytes;			/* size as stored; -1 when not recorded */
	char		sha256[65];		/* hex sha256 of the stored bytes; "" when not recorded */
} backup_object;

#define BACKUP_MANIFEST_NAME "backup_manifest"

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
	backup_object *objects;		/* the archives in the order written, then the manifest */
	int			nobjects;
} backup_info;

extern void backup_info_init(backup_info *b);
extern void backup_info_free(backup_info *b);

/* append an object named name (size and checksum not recorded yet) */
extern backup_object *backup_info_add_object(backup_info *b, const char *name);
/* the object named name, or NULL */
extern const backup_object *backup_info_object(const backup_info *b, const char *name);
/*
 * An object name as the server names archives: 1 to 255 letters, digits,
 * '.', '_' and '-', not starting with '.' (so never a path)
 */
extern bool backup_object_name_valid(const char *name);

/* metadata.json / started.json / failed.json text for b (malloc'ed JSON) */
extern char *backup_info_to_json(const backup_info *b);
/* parse such a JSON text; unknown fields are ignored */
extern bool backup_info_from_json(const char *json, size_t len, backup_info *out,
								  sg_error *err);

/* "running", "completed", "failed" */
extern const char *backup_status_name(backup_status s);
/* b->error = the formatted text (replacing any earlier one) */
extern void backup_info_set_error(backup_info *b, const char *fmt,...)
			__attribute__((format(printf, 2, 3)));

/* text helpers: 1 to 8 hex digits; "%X/%X" */
extern bool sg_parse_hex32(const char *s, size_t len, uint32_t *out);
extern bool sg_parse_lsn(const char *s, size_t len, uint64_t *out);
extern void sg_format_lsn(char *out, size_t size, uint64_t lsn);
/*
 * "2026-11-30T06:15:00.123456Z" from Unix microseconds, and back: RFC 3339
 * times, with any fraction (S3's listing times have milliseconds) and Z or
 * an offset such as +02:00
 */
extern void sg_format_time(char *out, size_t size, int64_t usec);
extern bool sg_parse_time(const char *s, int64_t *out);

#endif							/* SG_BACKUP_META_H */
