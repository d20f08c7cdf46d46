/*
 * config_storage.h - the object storage configuration both the server and the
 * sgbackup program work from, and the parsers that fill it: StackGres
 * SGObjectStorage / SGCluster YAML documents (libyaml) and SGBACKUP_*
 * environment variables.
 *
 * Secrets are never stored here: only secret key selectors {name, key},
 * which name the file <secrets_directory>/<name>/<key> holding the value.
 */
#ifndef SG_CONFIG_STORAGE_H
#define SG_CONFIG_STORAGE_H

#include <stdbool.h>

#include "sg_error.h"

/*
 * The longest object key prefix (bucket path and backups[].path joined):
 * an S3 key holds 1024 bytes, and sgbackup appends at most 256 to the
 * prefix: "/backups/", a backup name of up to 200 bytes, '/' and an
 * archive name of up to 46 ("/wal/" and a WAL file name are shorter).
 */
#define SG_PREFIX_MAX 768
#define SG_PREFIX_LIMIT "An S3 key holds at most 1024 bytes, and sgbackup appends up to 256 to the prefix, so a prefix may be at most 768."

/* a Kubernetes secret key selector: file <secrets_directory>/<name>/<key> */
typedef struct sg_secret_selector
{
	char	   *name;			/* NULL when not given */
	char	   *key;
} sg_secret_selector;

typedef enum sg_compression
{
	SG_COMPRESSION_ZSTD = 0,	/* the default */
	SG_COMPRESSION_LZ4,
	SG_COMPRESSION_NONE
} sg_compression;

/* where and how to reach the bucket; what an SGObjectStorage spec says */
typedef struct sg_storage
{
	char	   *name;			/* metadata.name, or NULL for settings */
	char	   *type;			/* "s3" or "s3Compatible" */
	char	   *bucket;			/* bucket name only, no prefix */
	char	   *prefix;			/* key prefix without leading or trailing '/'; "" for none */
	char	   *region;			/* NULL or "": discover, else us-east-1 */
	char	   *endpoint;		/* "http(s)://host[:port]"; NULL for AWS */
	bool		force_path_style;
	char	   *storage_class;	/* NULL: STANDARD */
	bool		use_iam_role;
	sg_secret_selector access_key_id;
	sg_secret_selector secret_access_key;
	sg_secret_selector ca_certificate;	/* PEM bundle, s3Compatible only */
	char	   *ca_file;		/* sgbackup.s3_ca_file: a plain path */
} sg_storage;

/* the backups section of an SGCluster (spec.configurations.backups[0]) */
typedef struct sg_cluster_backups
{
	char	   *object_storage;	/* sgObjectStorage: name of a stored spec */
	char	   *path;			/* backups[].path, or NULL */
	bool		has_compression;
	sg_compression compression;
	char	   *cron_schedule;	/* NULL when not given */
	int			retention;		/* -1 when not given */
	int			upload_concurrency;	/* performance.uploadConcurrency, -1 when not given */
	int			max_network_bandwidth;	/* -1 when not given */
	int			max_disk_bandwidth;	/* -1 when not given */
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

extern void sg_storage_init(sg_storage *s);
extern void sg_storage_free(sg_storage *s);
extern void sg_storage_copy(sg_storage *dst, const sg_storage *src);
/* true when every field of a and b is the same */
extern bool sg_storage_equal(const sg_storage *a, const sg_storage *b);
extern void sg_cluster_backups_init(sg_cluster_backups *b);
extern void sg_cluster_backups_free(sg_cluster_backups *b);
/* true when every field of a and b is the same */
extern bool sg_cluster_backups_equal(const sg_cluster_backups *a, const sg_cluster_backups *b);

/*
 * Split "bucket", "bucket/some/prefix" or "s3://bucket/prefix/" into
 * s->bucket and s->prefix (without the trailing '/').  False with err,
 * naming the field (s->name set) or sgbackup.s3_bucket, when:
 * - the bucket name is empty, holds other than letters, digits, '.', '-'
 *   and '_', or does not start and end with a letter or digit;
 * - the path has an empty segment ("a//b", or a second '/' at its end;
 *   one '/' at the end is harmless and dropped), or a "." or ".." segment,
 *   which HTTP clients resolve as in a file path ("b/../other" would reach
 *   the bucket "other" with path-style addressing);
 * - the path holds a character an object key cannot or should not hold:
 *   bytes that are not UTF-8, control characters (C0, DEL, C1, so NEL),
 *   U+2028 and U+2029 (line breaks to YAML and to logs), U+FFFE and U+FFFF
 *   (not in XML, so S3 could not list the key), and the ASCII characters
 *   AWS's object key naming guidelines say to avoid: \ { } ^ % ` [ ] " < >
 *   ~ # |.  Spaces, other punctuation and non-ASCII letters are allowed:
 *   the S3 client percent-encodes them;
 * - the path is longer than SG_PREFIX_MAX.
 * SGCluster backups[].path follows the same rules, and may also start
 * with one '/'.
 */
extern bool sg_storage_set_bucket(sg_storage *s, const char *value, sg_error *err);

/*
 * Check that s is complete and consistent (bucket given, endpoint a http(s)
 * URL, known storage class, both key selectors or none).  err names the
 * field (YAML path when from a document, setting name otherwise).
 */
extern bool sg_storage_validate(const sg_storage *s, sg_error *err);

extern bool sg_compression_parse(const char *value, sg_compression *out);
extern const char *sg_compression_name(sg_compression c);

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

/*
 * Serialize a storage spec to a small YAML SGObjectStorage document that
 * sg_parse_documents reads back identically (used to hand a spec applied
 * with sgbackup_apply to the archiver through a file).  s->name must be
 * set; ca_file has no SGObjectStorage field and is not written.  NULL only
 * if libyaml fails.
 */
extern char *sg_storage_to_yaml(const sg_storage *s);

/*
 * Serialize a backups section to a minimal SGCluster document (metadata.name
 * "applied") that sg_parse_documents reads back to an equal one
 * (sg_cluster_backups_equal).  NULL if c->object_storage is not set, or if
 * libyaml fails.
 */
extern char *sg_cluster_backups_to_yaml(const sg_cluster_backups *c);

#endif							/* SG_CONFIG_STORAGE_H */
