/*
 * config_storage.h - a storage: where and how to reach the bucket, as an
 * SGObjectStorage spec says (sg_storage), with its checks.  Both the server
 * and the sgbackup program work from it; config_stackgres.h reads one from
 * a document, config.h builds one from the s3_* settings.
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
	char	   *repository_path;	/* a local directory used instead of S3, or NULL */
} sg_storage;

extern void sg_storage_init(sg_storage *s);
extern void sg_storage_free(sg_storage *s);
extern void sg_storage_copy(sg_storage *dst, const sg_storage *src);
/* true when every field of a and b is the same */
extern bool sg_storage_equal(const sg_storage *a, const sg_storage *b);

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

/* a and b are both NULL, or the same string (as sg_storage_equal compares) */
extern bool sg_str_equal(const char *a, const char *b);

/*
 * For the readers of config_*.c, so that a value is refused in the same
 * words wherever it is read: the checks of sg_storage_validate with the
 * lines where the fields were found, the rules of object key paths and
 * Kubernetes names, and how a value is quoted in a message.
 */
#define SG_PATH_LEN 256			/* longest field path a message builds */
#define SG_SHOWN_LEN 80			/* most characters of a value quoted in a message */
#define SG_SHOWN_SIZE (SG_SHOWN_LEN * 6 + 8)	/* room for them, escaped */
#define SG_WHY_LEN 400			/* a sentence saying why a value is refused */

/* where the fields sg_storage_check checks were found; 0: unknown */
typedef struct sg_field_lines
{
	int			bucket;
	int			region;
	int			endpoint;
	int			storage_class;
	int			access_key_id;
	int			secret_access_key;
	int			ca_certificate;
	int			use_iam_role;
} sg_field_lines;

/* sg_storage_validate, naming the line of a field found in a document */
extern bool sg_storage_check(const sg_storage *s, const sg_field_lines *lines,
							 sg_error *err);

/*
 * An object key path (sg_storage_set_bucket's rules); leading: one '/' may
 * start it.  False with a sentence in why starting with subject.
 */
extern bool sg_key_path_ok(const char *path, bool leading, const char *subject,
						   char *why, size_t len);

/* a Kubernetes object name (RFC 1123 subdomain) */
extern bool sg_k8s_name_ok(const char *v);
#define SG_K8S_NAME_RULE "at most 253 lower-case letters, digits, '-' and '.', each part between dots starting and ending with a letter or digit"

/* " at line N" when line > 0, else "" */
extern const char *sg_at_line(int line, char *buf, size_t len);

/*
 * value fit to quote in a message: at most SG_SHOWN_LEN characters, control
 * characters, line separators and bytes that are not UTF-8 escaped; buf
 * holds SG_SHOWN_SIZE bytes
 */
extern const char *sg_shown_value(const char *value, char *buf, size_t len);

#endif							/* SG_CONFIG_STORAGE_H */
