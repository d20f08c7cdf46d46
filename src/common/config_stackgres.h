/*
 * config_stackgres.h - the StackGres documents sgbackup reads: an
 * SGObjectStorage (a storage, config_storage.h) and the backups section of
 * an SGCluster (sg_cluster_backups).  config_emit.h writes them back.
 */
#ifndef SG_CONFIG_STACKGRES_H
#define SG_CONFIG_STACKGRES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config_storage.h"
#include "sg_error.h"

/*
 * spec.initialData.restore of an SGCluster: what `sgbackup restore` takes
 * from a --config file.  The server neither stores nor writes it back.
 */
typedef struct sg_cluster_restore
{
	char	   *backup_name;	/* fromBackup.name, NULL when not given */
	int64_t		to_usec;		/* fromBackup.pointInTimeRecovery.restoreToTimestamp
								 * as Unix microseconds; 0 when not given */
	int			download_disk_concurrency;	/* downloadDiskConcurrency; -1 when not given */
} sg_cluster_restore;

/*
 * What sgbackup reads of an SGCluster: the backups section
 * (spec.configurations.backups[0]) and spec.initialData.restore
 */
typedef struct sg_cluster_backups
{
	char	   *object_storage;	/* sgObjectStorage: name of a stored spec */
	char	   *path;			/* backups[].path, or NULL */
	bool		has_compression;
	sg_compression compression;
	char	   *cron_schedule;	/* NULL when not given */
	int			retention;		/* -1 when not given */
	int			upload_concurrency;	/* performance.uploadConcurrency, -1 when not given */
	int			download_concurrency;	/* performance.downloadConcurrency, -1 when not given */
	int			max_network_bandwidth;	/* -1 when not given */
	int			max_disk_bandwidth;	/* -1 when not given */
	sg_cluster_restore restore; /* spec.initialData.restore */
} sg_cluster_backups;

/* what one YAML document turned out to be */
typedef enum sg_doc_kind
{
	SG_DOC_OBJECT_STORAGE,
	SG_DOC_CLUSTER
} sg_doc_kind;

typedef struct sg_document
{
	sg_doc_kind kind;
	sg_storage	storage;		/* when kind == SG_DOC_OBJECT_STORAGE */
	sg_cluster_backups backups;	/* when kind == SG_DOC_CLUSTER */
} sg_document;

extern void sg_cluster_backups_init(sg_cluster_backups *b);
extern void sg_cluster_backups_free(sg_cluster_backups *b);
/*
 * true when every field of the backups sections of a and b is the same
 * (compression only when given); restore is not compared
 */
extern bool sg_cluster_backups_equal(const sg_cluster_backups *a,
									 const sg_cluster_backups *b);

/*
 * Parse a YAML text holding one or more documents separated by "---".
 * Each must be kind SGObjectStorage or SGCluster.  On success *docs is a
 * malloc'ed array of *ndocs documents (free with sg_documents_free).
 * Errors name the field by its path, e.g. "spec.s3.bucket", and the line.
 * The text must keep within the limits of config_yaml_guard.h (1.5 MiB, 32
 * levels of nesting, 32 anchors and aliases, 10000 nodes per document).
 */
extern bool sg_parse_documents(const char *yaml, size_t len,
							   sg_document **docs, int *ndocs, sg_error *err);
extern void sg_documents_free(sg_document *docs, int ndocs);

/* one-line summary of a document for sgbackup_apply's result (no secrets) */
extern char *sg_document_summary(const sg_document *doc);

#endif							/* SG_CONFIG_STACKGRES_H */
