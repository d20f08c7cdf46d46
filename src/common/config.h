/*
 * config.h - turning sgbackup's settings into the configuration in
 * force.  The server reads them from its GUCs, the program from SGBACKUP_*
 * environment variables and a --config file; both go through here, so the
 * same names mean the same thing everywhere.
 *
 * Precedence: a stored object storage selected by name (the
 * sgbackup.object_storage setting, or sgObjectStorage of an applied
 * SGCluster) is used whole and the s3_* settings are ignored; otherwise the
 * s3_* settings describe the bucket.  An SGCluster backups section fills in
 * compression, concurrency, schedule and retention where the settings are
 * left at their defaults; its spec.initialData.restore is taken as is.
 *
 * The words: "settings" are the sgbackup.* GUCs and their SGBACKUP_*
 * environment equivalents; a "storage" is an SGObjectStorage spec
 * (config_storage.h); the "configuration" (sg_config) is what is in force.
 */
#ifndef SG_CONFIG_H
#define SG_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#include "config_stackgres.h"
#include "sg_error.h"

#define SG_DEFAULT_UPLOAD_CONCURRENCY 4
#define SG_MAX_UPLOAD_CONCURRENCY 64
#define SG_DEFAULT_DOWNLOAD_CONCURRENCY 4
#define SG_MAX_DOWNLOAD_CONCURRENCY 64
#define SG_DEFAULT_RETENTION 5
#define SG_DEFAULT_COMPRESSION_LEVEL 1
#define SG_MAX_COMPRESSION_LEVEL 19

typedef struct sg_config
{
	sg_storage	storage;		/* the bucket in force */
	char	   *secrets_directory;	/* NULL when not set */
	char	   *object_storage;	/* name of the stored spec in use, or NULL */
	sg_compression compression;
	int			compression_level;	/* 1 to 19; lz4: 1-2 fast, 3+ HC */
	int			upload_concurrency;
	int			download_concurrency;	/* parallel downloads (restore, WAL prefetch) */
	int64_t		max_network_bandwidth;	/* bytes per second; 0: no limit */
	int64_t		max_disk_bandwidth; /* bytes per second; 0: no limit */
	char	   *cron_schedule;	/* NULL: no scheduled backups */
	int			retention;
	/* an SGCluster's spec.initialData.restore, for `sgbackup restore` */
	char	   *restore_backup_name;	/* fromBackup.name, or NULL */
	int64_t		restore_to_usec;	/* restoreToTimestamp, Unix microseconds; 0: none */
	int			restore_download_disk_concurrency;	/* downloadDiskConcurrency; 0: not given */
} sg_config;

/* returns a setting's value ("s3_bucket" → its value) or NULL/"" when unset */
typedef const char *(*sg_lookup_fn) (void *arg, const char *name);

/* finds a stored SGObjectStorage by name; false with err when missing */
typedef bool (*sg_find_storage_fn) (void *arg, const char *name, sg_storage *out,
							sg_error *err);

extern void sg_config_init(sg_config *o);
extern void sg_config_free(sg_config *o);

/*
 * Fill o from settings, the optional SGCluster backups section (may be
 * NULL) and the stored specs.  Fails with an error naming the setting or
 * field when something is missing or wrong (e.g. no bucket at all).
 */
extern bool sg_config_load(sg_config *o, sg_lookup_fn lookup, void *lookup_arg,
							const sg_cluster_backups *cluster,
							sg_find_storage_fn find_spec, void *spec_arg,
							sg_error *err);

/*
 * One connection's or one reader's share of a bandwidth cap (0: none), for
 * an operation that runs upload_concurrency of them at once.
 */
extern int64_t sg_config_share(const sg_config *o, int64_t cap);

/* "true"/"on"/"yes"/"1" and their opposites; false if neither */
extern bool sg_parse_bool(const char *value, bool *out);

#endif							/* SG_CONFIG_H */
