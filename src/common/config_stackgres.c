/*
 * config_stackgres.c - the StackGres documents sgbackup reads (see
 * config_stackgres.h): SGObjectStorage, and of an SGCluster the backups
 * section (spec.configurations.backups[0]) and spec.initialData.restore
 * (for `sgbackup restore`), walked with config_yaml.h after sg_yaml_guard
 * has checked the text's size, characters and nesting; and the one-line
 * summary sgbackup_apply() returns.
 *
 * Inside SGObjectStorage.spec, SGCluster spec.configurations.backups[0]
 * and spec.initialData.restore the reader is as strict as StackGres's CRD
 * schema: unknown fields, wrong types and missing required fields are
 * errors naming the field's path and line.  Everything else of an
 * SGCluster is ignored, and so is Kubernetes metadata other than
 * metadata.name.  As in Kubernetes, a null value (an empty plain scalar,
 * "~" or "null") counts as not given.
 *
 * Every string value of the backups section and of an SGObjectStorage is
 * either refused, naming its field and line, or written back by the
 * emitter (config_emit.c) so that it reads back byte for byte.  Names are
 * Kubernetes object names, a bucket's path and backups[].path are safe
 * object key prefixes (sg_storage_set_bucket in config_storage.h), a
 * region and an endpoint's host are plain ASCII, and cronSchedule is a
 * schedule sg_cron_parse accepts.  Of the restore section, which is not
 * written back, fromBackup.name is a backup name (backup_catalog.h) and
 * restoreToTimestamp an RFC 3339 time.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "backup_catalog.h"
#include "config_stackgres.h"
#include "config_yaml.h"
#include "config_yaml_guard.h"
#include "cron.h"
#include "sg_buf.h"

void
sg_cluster_backups_init(sg_cluster_backups *b)
{
	memset(b, 0, sizeof(*b));
	b->compression = SG_COMPRESSION_ZSTD;
	b->retention = -1;
	b->upload_concurrency = -1;
	b->download_concurrency = -1;
	b->max_network_bandwidth = -1;
	b->max_disk_bandwidth = -1;
	b->restore.download_disk_concurrency = -1;
}

void
sg_cluster_backups_free(sg_cluster_backups *b)
{
	free(b->object_storage);
	free(b->path);
	free(b->cron_schedule);
	free(b->restore.backup_name);
	sg_cluster_backups_init(b);
}

/* compression counts only when given */
bool
sg_cluster_backups_equal(const sg_cluster_backups *a, const sg_cluster_backups *b)
{
	return sg_str_equal(a->object_storage, b->object_storage) &&
		sg_str_equal(a->path, b->path) &&
		a->has_compression == b->has_compression &&
		(!a->has_compression || a->compression == b->compression) &&
		sg_str_equal(a->cron_schedule, b->cron_schedule) &&
		a->retention == b->retention &&
		a->upload_concurrency == b->upload_concurrency &&
		a->download_concurrency == b->download_concurrency &&
		a->max_network_bandwidth == b->max_network_bandwidth &&
		a->max_disk_bandwidth == b->max_disk_bandwidth;
}

/* the name of an SGObjectStorage, given or referred to */
static bool
check_name(sg_yaml_walker *w, const char *field, const char *value, int line)
{
	char		vbuf[SG_SHOWN_SIZE];

	if (sg_k8s_name_ok(value))
		return true;
	sg_error_set(w->err, SG_ERR_CONFIG, "invalid value for \"%s\": \"%s\"",
				 field, sg_shown_value(value, vbuf, sizeof(vbuf)));
	sg_error_detail(w->err, "The name at line %d is not a Kubernetes object name: " SG_K8S_NAME_RULE ".",
					line);
	sg_error_hint(w->err, "Name the SGObjectStorage as Kubernetes would, such as \"backup-storage\".");
	return false;
}

/* ------------------------------------------------------------------------
 * SGObjectStorage
 * ------------------------------------------------------------------------ */

static bool
read_selector(sg_yaml_walker *w, const yaml_node_t *selectors, const char *path,
			  const char *key, sg_secret_selector *sel, int *line)
{
	static const char *const keys[] = {"name", "key", NULL};
	yaml_node_t *m;
	char		fbuf[SG_PATH_LEN];

	if (!sg_yaml_get_map(w, selectors, path, key, &m))
		return false;
	if (m == NULL)
		return true;
	sg_yaml_join(fbuf, sizeof(fbuf), path, key);
	*line = sg_yaml_line(m);
	if (!sg_yaml_check_keys(w, m, fbuf, keys) ||
		!sg_yaml_get_string(w, m, fbuf, "name", &sel->name, NULL) ||
		!sg_yaml_get_string(w, m, fbuf, "key", &sel->key, NULL))
		return false;
	if (sel->name == NULL)
		return sg_yaml_missing(w, fbuf, "name", m);
	if (sel->key == NULL)
		return sg_yaml_missing(w, fbuf, "key", m);
	return true;
}

static bool
read_credentials(sg_yaml_walker *w, const yaml_node_t *section, const char *path,
				 bool compatible, sg_storage *s, sg_field_lines *lines)
{
	static const char *const s3_keys[] = {"secretKeySelectors", "useIAMRole", NULL};
	static const char *const compat_keys[] = {"secretKeySelectors", NULL};
	static const char *const s3_sel[] = {"accessKeyId", "secretAccessKey", NULL};
	static const char *const compat_sel[] = {"accessKeyId", "secretAccessKey", "caCertificate", NULL};
	yaml_node_t *creds;
	yaml_node_t *sels;
	char		cpath[SG_PATH_LEN];
	char		spath[SG_PATH_LEN];

	if (!sg_yaml_get_map(w, section, path, "awsCredentials", &creds))
		return false;
	if (creds == NULL)
		return true;			/* the default AWS credentials chain */
	sg_yaml_join(cpath, sizeof(cpath), path, "awsCredentials");
	if (!sg_yaml_check_keys(w, creds, cpath, compatible ? compat_keys : s3_keys) ||
		!sg_yaml_get_bool(w, creds, cpath, "useIAMRole", &s->use_iam_role, &lines->use_iam_role) ||
		!sg_yaml_get_map(w, creds, cpath, "secretKeySelectors", &sels))
		return false;
	if (sels == NULL)
		return true;
	sg_yaml_join(spath, sizeof(spath), cpath, "secretKeySelectors");
	if (!sg_yaml_check_keys(w, sels, spath, compatible ? compat_sel : s3_sel) ||
		!read_selector(w, sels, spath, "accessKeyId", &s->access_key_id,
					   &lines->access_key_id) ||
		!read_selector(w, sels, spath, "secretAccessKey", &s->secret_access_key,
					   &lines->secret_access_key))
		return false;
	if (compatible &&
		!read_selector(w, sels, spath, "caCertificate", &s->ca_certificate,
					   &lines->ca_certificate))
		return false;
	return true;
}

/* spec.s3 or spec.s3Compatible */
static bool
read_section(sg_yaml_walker *w, const yaml_node_t *section, bool compatible,
			 sg_storage *s, sg_field_lines *lines)
{
	static const char *const s3_keys[] = {
		"bucket", "region", "storageClass", "awsCredentials", NULL
	};
	static const char *const compat_keys[] = {
		"bucket", "enablePathStyleAddressing", "endpoint", "region",
		"storageClass", "awsCredentials", NULL
	};
	const char *path = compatible ? "spec.s3Compatible" : "spec.s3";
	char	   *bucket = NULL;
	bool		ok;

	if (!sg_yaml_check_keys(w, section, path, compatible ? compat_keys : s3_keys) ||
		!sg_yaml_get_string(w, section, path, "bucket", &bucket, &lines->bucket))
		return false;
	if (bucket == NULL)
		return sg_yaml_missing(w, path, "bucket", section);
	ok = sg_storage_set_bucket(s, bucket, w->err);
	free(bucket);
	if (!ok)
	{
		char		detail[sizeof(w->err->detail)];

		snprintf(detail, sizeof(detail), "%s", w->err->detail);
		sg_error_detail(w->err, "The bucket is at line %d. %s", lines->bucket, detail);
		return false;
	}
	if (!sg_yaml_get_string(w, section, path, "region", &s->region, &lines->region) ||
		!sg_yaml_get_string(w, section, path, "storageClass", &s->storage_class,
					&lines->storage_class) ||
		!sg_yaml_get_string(w, section, path, "endpoint", &s->endpoint, &lines->endpoint) ||
		!sg_yaml_get_bool(w, section, path, "enablePathStyleAddressing",
				  &s->force_path_style, NULL))
		return false;
	if (s->endpoint)
	{
		size_t		n = strlen(s->endpoint);

		while (n > 0 && s->endpoint[n - 1] == '/')
			s->endpoint[--n] = '\0';
	}
	return read_credentials(w, section, path, compatible, s, lines);
}

/* spec.encryption: StackGres can encrypt backups, sgbackup cannot yet */
static bool
read_encryption(sg_yaml_walker *w, const yaml_node_t *spec)
{
	static const char *const keys[] = {"method", "sodium", "openpgp", NULL};
	yaml_node_t *enc;
	yaml_node_t *method;

	if (!sg_yaml_get_map(w, spec, "spec", "encryption", &enc))
		return false;
	if (enc == NULL)
		return true;
	if (!sg_yaml_check_keys(w, enc, "spec.encryption", keys))
		return false;
	method = sg_yaml_lookup(w, enc, "method");
	if (method == NULL)
		return true;			/* StackGres does not encrypt either */
	sg_error_set(w->err, SG_ERR_CONFIG, "field \"spec.encryption\" is not supported yet");
	sg_error_detail(w->err, "Encryption is requested at line %d, but sgbackup cannot encrypt backups and WAL, and storing them unencrypted would not be what was asked.",
					sg_yaml_line(method));
	sg_error_hint(w->err, "Remove spec.encryption, or keep using StackGres's own backups for encrypted storage.");
	return false;
}

static bool
read_object_storage(sg_yaml_walker *w, const yaml_node_t *root, sg_storage *s)
{
	static const char *const top_keys[] = {"apiVersion", "kind", "metadata", "spec", NULL};
	static const char *const spec_keys[] = {
		"type", "s3", "s3Compatible", "gcs", "azureBlob", "encryption", NULL
	};
	yaml_node_t *meta;
	yaml_node_t *spec;
	yaml_node_t *section;
	sg_field_lines lines;
	char	   *type = NULL;
	int			type_line = 0;
	int			name_line = 0;
	bool		compatible;
	char		vbuf[SG_SHOWN_SIZE];

	memset(&lines, 0, sizeof(lines));
	if (!sg_yaml_check_keys(w, root, "", top_keys) ||
		!sg_yaml_get_map(w, root, "", "metadata", &meta))
		return false;
	if (meta == NULL)
	{
		sg_error_set(w->err, SG_ERR_CONFIG, "missing required field \"metadata.name\"");
		sg_error_detail(w->err, "The document at line %d has no metadata.", sg_yaml_line(root));
		return false;
	}
	if (!sg_yaml_get_string(w, meta, "metadata", "name", &s->name, &name_line))
		return false;
	if (s->name == NULL)
		return sg_yaml_missing(w, "metadata", "name", meta);
	if (!check_name(w, "metadata.name", s->name, name_line))
		return false;
	if (!sg_yaml_get_map(w, root, "", "spec", &spec))
		return false;
	if (spec == NULL)
		return sg_yaml_missing(w, "", "spec", root);
	if (!sg_yaml_check_keys(w, spec, "spec", spec_keys) ||
		!sg_yaml_get_string(w, spec, "spec", "type", &type, &type_line))
		return false;
	if (type == NULL)
		return sg_yaml_missing(w, "spec", "type", spec);
	if (strcmp(type, "gcs") == 0 || strcmp(type, "azureBlob") == 0)
	{
		sg_error_set(w->err, SG_ERR_CONFIG, "unsupported value for \"spec.type\": \"%s\"", type);
		sg_error_detail(w->err, "The type at line %d is valid in StackGres, but sgbackup supports only s3 and s3Compatible.",
						type_line);
		sg_error_hint(w->err, "Use an S3 or S3-compatible object storage.");
		free(type);
		return false;
	}
	if (strcmp(type, "s3") != 0 && strcmp(type, "s3Compatible") != 0)
	{
		sg_error_set(w->err, SG_ERR_CONFIG, "invalid value for \"spec.type\": \"%s\"",
					 sg_shown_value(type, vbuf, sizeof(vbuf)));
		sg_error_detail(w->err, "The type at line %d must be one of s3, s3Compatible, gcs or azureBlob, and sgbackup supports only s3 and s3Compatible.",
						type_line);
		free(type);
		return false;
	}
	s->type = type;
	compatible = strcmp(type, "s3Compatible") == 0;
	if (!read_encryption(w, spec) ||
		!sg_yaml_get_map(w, spec, "spec", type, &section))
		return false;
	if (section == NULL)
	{
		sg_yaml_missing(w, "spec", type, spec);
		sg_error_hint(w->err, "spec.type is %s, so the %s section must describe the bucket.", type, type);
		return false;
	}
	return read_section(w, section, compatible, s, &lines) &&
		sg_storage_check(s, &lines, w->err);
}

/* ------------------------------------------------------------------------
 * SGCluster: spec.configurations.backups[0]
 * ------------------------------------------------------------------------ */

static bool
read_performance(sg_yaml_walker *w, const yaml_node_t *entry, const char *path,
				 sg_cluster_backups *b)
{
	static const char *const keys[] = {
		"maxNetworkBandwidth", "maxDiskBandwidth", "uploadDiskConcurrency",
		"uploadConcurrency", "downloadConcurrency",
		"maxNetworkBandwitdh", "maxDiskBandwitdh",	/* deprecated spellings */
		NULL
	};
	yaml_node_t *perf;
	char		ppath[SG_PATH_LEN];
	int			ignored;

	if (!sg_yaml_get_map(w, entry, path, "performance", &perf))
		return false;
	if (perf == NULL)
		return true;
	sg_yaml_join(ppath, sizeof(ppath), path, "performance");
	return sg_yaml_check_keys(w, perf, ppath, keys) &&
		sg_yaml_get_int(w, perf, ppath, "maxNetworkBandwitdh", 0, &b->max_network_bandwidth) &&
		sg_yaml_get_int(w, perf, ppath, "maxDiskBandwitdh", 0, &b->max_disk_bandwidth) &&
		sg_yaml_get_int(w, perf, ppath, "maxNetworkBandwidth", 0, &b->max_network_bandwidth) &&
		sg_yaml_get_int(w, perf, ppath, "maxDiskBandwidth", 0, &b->max_disk_bandwidth) &&
		sg_yaml_get_int(w, perf, ppath, "uploadConcurrency", 1, &b->upload_concurrency) &&
		sg_yaml_get_int(w, perf, ppath, "uploadDiskConcurrency", 1, &ignored) &&
		sg_yaml_get_int(w, perf, ppath, "downloadConcurrency", 1, &b->download_concurrency);
}

static bool
read_compression(sg_yaml_walker *w, const yaml_node_t *entry, const char *path,
				 sg_cluster_backups *b)
{
	char	   *value = NULL;
	char		fbuf[SG_PATH_LEN];
	char		vbuf[SG_SHOWN_SIZE];
	int			line = 0;
	bool		ok;

	if (!sg_yaml_get_string(w, entry, path, "compression", &value, &line))
		return false;
	if (value == NULL)
		return true;
	ok = sg_compression_parse(value, &b->compression);
	if (ok)
		b->has_compression = true;
	else
	{
		sg_yaml_join(fbuf, sizeof(fbuf), path, "compression");
		if (strcmp(value, "lzma") == 0 || strcmp(value, "brotli") == 0)
			sg_error_set(w->err, SG_ERR_CONFIG, "unsupported value for \"%s\": \"%s\"",
						 fbuf, value);
		else
			sg_error_set(w->err, SG_ERR_CONFIG, "invalid value for \"%s\": \"%s\"",
						 fbuf, sg_shown_value(value, vbuf, sizeof(vbuf)));
		sg_error_detail(w->err, "The compression at line %d is not one sgbackup supports: zstd, lz4 or none.",
						line);
		sg_error_hint(w->err, "Use compression: zstd, lz4 or none.");
	}
	free(value);
	return ok;
}

/* backups[].path: the rules of a bucket's path (sg_storage_set_bucket) */
static bool
check_path(sg_yaml_walker *w, const char *path, const char *value, int line)
{
	char		fbuf[SG_PATH_LEN];
	char		vbuf[SG_SHOWN_SIZE];
	char		why[SG_WHY_LEN];

	if (sg_key_path_ok(value, true, "It", why, sizeof(why)))
		return true;
	sg_yaml_join(fbuf, sizeof(fbuf), path, "path");
	sg_error_set(w->err, SG_ERR_CONFIG, "invalid value for \"%s\": \"%s\"",
				 fbuf, sg_shown_value(value, vbuf, sizeof(vbuf)));
	sg_error_detail(w->err, "The path at line %d is not a safe object key prefix. %s", line, why);
	sg_error_hint(w->err, "Write the path as names separated by single slashes, such as \"sgbackups/cluster-1\".");
	return false;
}

/*
 * cronSchedule: printable ASCII (so that the scheduler's messages quote it
 * as it is) that sg_cron_parse accepts.
 */
static bool
check_cron(sg_yaml_walker *w, const char *path, const char *value, int line)
{
	char		fbuf[SG_PATH_LEN];
	char		vbuf[SG_SHOWN_SIZE];
	char		what[96];
	sg_error	cron_err;
	sg_cron		cron;

	sg_yaml_join(fbuf, sizeof(fbuf), path, "cronSchedule");
	for (const char *c = value; *c; c++)
	{
		if (*c == '\t' || ((unsigned char) *c >= 0x20 && (unsigned char) *c < 0x7f))
			continue;
		sg_describe_char(c, strlen(c), what, sizeof(what));
		sg_error_set(w->err, SG_ERR_CONFIG, "invalid value for \"%s\": \"%s\"",
					 fbuf, sg_shown_value(value, vbuf, sizeof(vbuf)));
		sg_error_detail(w->err, "The schedule at line %d holds %s; a cron schedule is five fields of printable ASCII.",
						line, what);
		sg_error_hint(w->err, "Write the schedule as five fields, such as \"0 5 * * *\" for 05:00 UTC every day.");
		return false;
	}
	sg_error_clear(&cron_err);
	if (sg_cron_parse(value, &cron, &cron_err))
		return true;
	sg_error_set(w->err, SG_ERR_CONFIG, "invalid value for \"%s\": \"%s\"",
				 fbuf, sg_shown_value(value, vbuf, sizeof(vbuf)));
	sg_error_detail(w->err, "The schedule at line %d is not a valid cron schedule: %s. %s",
					line, cron_err.msg, cron_err.detail);
	sg_error_hint(w->err, "%s", cron_err.hint);
	return false;
}

static bool
read_backups(sg_yaml_walker *w, const yaml_node_t *entry, const char *path,
			 sg_cluster_backups *b)
{
	static const char *const keys[] = {
		"sgObjectStorage", "path", "compression", "cronSchedule", "retention",
		"performance", "useVolumeSnapshot", "volumeSnapshotClass",
		"fastVolumeSnapshot", "timeout", "reconciliationTimeout", "maxRetries",
		"retainWalsForUnmanagedLifecycle", NULL
	};
	char	   *ignored_str = NULL;
	int			ignored_int;
	bool		ignored_bool;
	int			name_line = 0;
	int			path_line = 0;
	int			cron_line = 0;
	char		fbuf[SG_PATH_LEN];
	bool		ok;

	if (entry->type != YAML_MAPPING_NODE)
		return sg_yaml_type_error(w, path, entry, "a mapping");
	ok = sg_yaml_check_keys(w, entry, path, keys) &&
		sg_yaml_get_string(w, entry, path, "sgObjectStorage", &b->object_storage, &name_line) &&
		sg_yaml_get_string(w, entry, path, "path", &b->path, &path_line) &&
		read_compression(w, entry, path, b) &&
		sg_yaml_get_string(w, entry, path, "cronSchedule", &b->cron_schedule, &cron_line) &&
		sg_yaml_get_int(w, entry, path, "retention", 1, &b->retention) &&
		read_performance(w, entry, path, b) &&
		/* valid in StackGres, meaningless to sgbackup: checked, then ignored */
		sg_yaml_get_bool(w, entry, path, "useVolumeSnapshot", &ignored_bool, NULL) &&
		sg_yaml_get_string(w, entry, path, "volumeSnapshotClass", &ignored_str, NULL) &&
		sg_yaml_get_bool(w, entry, path, "fastVolumeSnapshot", &ignored_bool, NULL) &&
		sg_yaml_get_int(w, entry, path, "timeout", 0, &ignored_int) &&
		sg_yaml_get_int(w, entry, path, "reconciliationTimeout", 0, &ignored_int) &&
		sg_yaml_get_int(w, entry, path, "maxRetries", 0, &ignored_int) &&
		sg_yaml_get_bool(w, entry, path, "retainWalsForUnmanagedLifecycle", &ignored_bool, NULL);
	free(ignored_str);
	if (!ok)
		return false;
	if (b->object_storage == NULL)
		return sg_yaml_missing(w, path, "sgObjectStorage", entry);
	sg_yaml_join(fbuf, sizeof(fbuf), path, "sgObjectStorage");
	return check_name(w, fbuf, b->object_storage, name_line) &&
		(b->path == NULL || check_path(w, path, b->path, path_line)) &&
		(b->cron_schedule == NULL || check_cron(w, path, b->cron_schedule, cron_line));
}

/* ------------------------------------------------------------------------
 * SGCluster: spec.initialData.restore
 * ------------------------------------------------------------------------ */

#define RESTORE_PATH "spec.initialData.restore"
#define FROM_BACKUP_PATH RESTORE_PATH ".fromBackup"
#define PITR_PATH FROM_BACKUP_PATH ".pointInTimeRecovery"

/* fromBackup.name: a backup name sgbackup can look up */
static bool
check_backup_name(sg_yaml_walker *w, const char *value, int line)
{
	char		vbuf[SG_SHOWN_SIZE];

	if (backup_name_valid(value, strlen(value)))
		return true;
	sg_error_set(w->err, SG_ERR_CONFIG, "invalid value for \"%s\": \"%s\"",
				 FROM_BACKUP_PATH ".name", sg_shown_value(value, vbuf, sizeof(vbuf)));
	sg_error_detail(w->err, "The name at line %d is not a backup name. " BACKUP_NAME_RULE, line);
	sg_error_hint(w->err, "Give the name of a backup as \"sgbackup backup-list\" lists it.");
	return false;
}

/* pointInTimeRecovery.restoreToTimestamp: an RFC 3339 time after 1970 */
static bool
read_pitr(sg_yaml_walker *w, const yaml_node_t *from, sg_cluster_restore *r)
{
	static const char *const keys[] = {"restoreToTimestamp", NULL};
	yaml_node_t *pitr;
	char	   *value = NULL;
	char		vbuf[SG_SHOWN_SIZE];
	int			line = 0;
	int64_t		t = 0;
	bool		ok;

	if (!sg_yaml_get_map(w, from, FROM_BACKUP_PATH, "pointInTimeRecovery", &pitr))
		return false;
	if (pitr == NULL)
		return true;
	if (!sg_yaml_check_keys(w, pitr, PITR_PATH, keys) ||
		!sg_yaml_get_string(w, pitr, PITR_PATH, "restoreToTimestamp", &value, &line))
		return false;
	if (value == NULL)
		return true;
	ok = sg_parse_time(value, &t) && t > 0;
	if (ok)
		r->to_usec = t;
	else
	{
		sg_error_set(w->err, SG_ERR_CONFIG, "invalid value for \"%s\": \"%s\"",
					 PITR_PATH ".restoreToTimestamp", sg_shown_value(value, vbuf, sizeof(vbuf)));
		sg_error_detail(w->err, "The time at line %d is not an RFC 3339 time after 1970.", line);
		sg_error_hint(w->err, "Write the time in UTC as StackGres does, such as \"2026-11-30T06:15:00Z\", or with an offset such as \"2026-11-30T07:15:00+01:00\".");
	}
	free(value);
	return ok;
}

static bool
read_from_backup(sg_yaml_walker *w, const yaml_node_t *restore, sg_cluster_restore *r)
{
	static const char *const keys[] = {"name", "uid", "pointInTimeRecovery", NULL};
	yaml_node_t *from;
	char	   *uid = NULL;
	int			name_line = 0;
	int			uid_line = 0;

	if (!sg_yaml_get_map(w, restore, RESTORE_PATH, "fromBackup", &from))
		return false;
	if (from == NULL)
		return true;
	if (!sg_yaml_check_keys(w, from, FROM_BACKUP_PATH, keys) ||
		!sg_yaml_get_string(w, from, FROM_BACKUP_PATH, "name", &r->backup_name, &name_line) ||
		!sg_yaml_get_string(w, from, FROM_BACKUP_PATH, "uid", &uid, &uid_line))
		return false;
	free(uid);
	if (uid != NULL && r->backup_name == NULL)
	{
		sg_error_set(w->err, SG_ERR_CONFIG, "field \"%s\" is not supported", FROM_BACKUP_PATH ".uid");
		sg_error_detail(w->err, "The backup at line %d is given by the uid of its SGBackup, which sgbackup does not know; StackGres deprecates the field.",
						uid_line);
		sg_error_hint(w->err, "Give the backup's name in %s.name.", FROM_BACKUP_PATH);
		return false;
	}
	return (r->backup_name == NULL || check_backup_name(w, r->backup_name, name_line)) &&
		read_pitr(w, from, r);
}

/*
 * spec.initialData.restore; the rest of initialData (scripts) is not
 * sgbackup's
 */
static bool
read_initial_data(sg_yaml_walker *w, const yaml_node_t *spec, sg_cluster_restore *r)
{
	static const char *const keys[] = {"fromBackup", "downloadDiskConcurrency", NULL};
	yaml_node_t *init;
	yaml_node_t *restore;

	if (!sg_yaml_get_map(w, spec, "spec", "initialData", &init))
		return false;
	if (init == NULL)
		return true;
	if (!sg_yaml_get_map(w, init, "spec.initialData", "restore", &restore))
		return false;
	if (restore == NULL)
		return true;
	return sg_yaml_check_keys(w, restore, RESTORE_PATH, keys) &&
		sg_yaml_get_int(w, restore, RESTORE_PATH, "downloadDiskConcurrency", 1,
						&r->download_disk_concurrency) &&
		read_from_backup(w, restore, r);
}

static bool
read_cluster(sg_yaml_walker *w, const yaml_node_t *root, sg_cluster_backups *b)
{
	yaml_node_t *spec;
	yaml_node_t *conf;
	yaml_node_t *backups;
	yaml_node_t *entry;

	if (!sg_yaml_get_map(w, root, "", "spec", &spec))
		return false;
	if (spec == NULL)
		return sg_yaml_missing(w, "", "spec", root);
	if (!read_initial_data(w, spec, &b->restore) ||
		!sg_yaml_get_map(w, spec, "spec", "configurations", &conf))
		return false;
	if (conf == NULL)
		return sg_yaml_missing(w, "spec", "configurations", spec);
	backups = sg_yaml_lookup(w, conf, "backups");
	if (backups == NULL)
		sg_yaml_missing(w, "spec.configurations", "backups", conf);
	else if (backups->type != YAML_SEQUENCE_NODE)
		return sg_yaml_type_error(w, "spec.configurations.backups", backups, "a list");
	else if (backups->data.sequence.items.top == backups->data.sequence.items.start)
	{
		sg_error_set(w->err, SG_ERR_CONFIG, "missing required field \"spec.configurations.backups[0]\"");
		sg_error_detail(w->err, "The backups list at line %d is empty.", sg_yaml_line(backups));
	}
	else
	{
		/* StackGres uses only the first entry, and so do we */
		entry = yaml_document_get_node(w->doc, backups->data.sequence.items.start[0]);
		return read_backups(w, entry, "spec.configurations.backups[0]", b);
	}
	sg_error_hint(w->err, "sgbackup uses only spec.configurations.backups[0] of an SGCluster, which must name its sgObjectStorage.");
	return false;
}

/* ------------------------------------------------------------------------
 * documents
 * ------------------------------------------------------------------------ */

static bool
read_document(sg_yaml_walker *w, const yaml_node_t *root, sg_document *d)
{
	char	   *kind = NULL;
	char	   *api = NULL;
	char		vbuf[SG_SHOWN_SIZE];
	bool		ok;

	if (root->type != YAML_MAPPING_NODE)
	{
		sg_error_set(w->err, SG_ERR_CONFIG, "YAML document is not a mapping");
		sg_error_detail(w->err, "The document at line %d is %s; a StackGres resource is a mapping with apiVersion, kind, metadata and spec.",
						sg_yaml_line(root), root->type == YAML_SEQUENCE_NODE ? "a list" : "a single value");
		return false;
	}
	if (!sg_yaml_get_string(w, root, "", "kind", &kind, NULL) ||
		!sg_yaml_get_string(w, root, "", "apiVersion", &api, NULL))
	{
		free(kind);
		return false;
	}
	if (api && strncmp(api, "stackgres.io/", 13) != 0)
	{
		sg_error_set(w->err, SG_ERR_CONFIG, "unsupported value for \"apiVersion\": \"%s\"",
					 sg_shown_value(api, vbuf, sizeof(vbuf)));
		sg_error_detail(w->err, "The document at line %d is not a StackGres resource.",
						sg_yaml_line(root));
		sg_error_hint(w->err, "Use apiVersion: stackgres.io/v1beta1 for SGObjectStorage and stackgres.io/v1 for SGCluster.");
		free(kind);
		free(api);
		return false;
	}
	free(api);
	if (kind == NULL)
	{
		sg_yaml_missing(w, "", "kind", root);
		sg_error_hint(w->err, "Add kind: SGObjectStorage or kind: SGCluster.");
		return false;
	}
	if (strcmp(kind, "SGObjectStorage") == 0)
	{
		d->kind = SG_DOC_OBJECT_STORAGE;
		ok = read_object_storage(w, root, &d->storage);
	}
	else if (strcmp(kind, "SGCluster") == 0)
	{
		d->kind = SG_DOC_CLUSTER;
		ok = read_cluster(w, root, &d->backups);
	}
	else
	{
		sg_error_set(w->err, SG_ERR_CONFIG, "unsupported kind \"%s\"",
					 sg_shown_value(kind, vbuf, sizeof(vbuf)));
		sg_error_detail(w->err, "The document at line %d is not an SGObjectStorage or SGCluster, the only kinds sgbackup accepts.",
						sg_yaml_line(root));
		ok = false;
	}
	free(kind);
	return ok;
}

bool
sg_parse_documents(const char *yaml, size_t len, sg_document **docs, int *ndocs,
				   sg_error *err)
{
	yaml_parser_t parser;
	sg_document *out = NULL;
	int			n = 0;
	size_t		cap = 0;
	bool		ok = true;

	*docs = NULL;
	*ndocs = 0;
	if (!sg_yaml_guard(yaml, len, err))
		return false;
	if (!yaml_parser_initialize(&parser))
		return sg_error_set(err, SG_ERR_INTERNAL, "could not initialize the YAML parser");
	yaml_parser_set_input_string(&parser, (const unsigned char *) yaml, len);
	while (ok)
	{
		yaml_document_t doc;
		yaml_node_t *root;
		sg_yaml_walker		w;

		if (!yaml_parser_load(&parser, &doc))
		{
			ok = sg_yaml_problem(&parser, err);
			break;
		}
		root = yaml_document_get_root_node(&doc);
		if (root == NULL)
		{
			yaml_document_delete(&doc);
			break;				/* end of the stream */
		}
		if (!sg_yaml_is_null(root))		/* skip empty documents, as kubectl does */
		{
			out = sg_array_grow(out, sizeof(*out), n, &cap, 2);
			memset(&out[n], 0, sizeof(out[n]));
			sg_storage_init(&out[n].storage);
			sg_cluster_backups_init(&out[n].backups);
			w.doc = &doc;
			w.err = err;
			ok = read_document(&w, root, &out[n]);
			n++;
		}
		yaml_document_delete(&doc);
	}
	yaml_parser_delete(&parser);
	if (ok && n == 0)
	{
		sg_error_set(err, SG_ERR_CONFIG, "no YAML document found");
		sg_error_hint(err, "Give an SGObjectStorage or SGCluster document.");
		ok = false;
	}
	if (!ok)
	{
		sg_documents_free(out, n);
		return false;
	}
	*docs = out;
	*ndocs = n;
	return true;
}

void
sg_documents_free(sg_document *docs, int ndocs)
{
	for (int i = 0; i < ndocs; i++)
	{
		sg_storage_free(&docs[i].storage);
		sg_cluster_backups_free(&docs[i].backups);
	}
	free(docs);
}

/* ------------------------------------------------------------------------
 * summary
 * ------------------------------------------------------------------------ */

static void
summarize_credentials(sg_buf *b, const sg_storage *s)
{
	const sg_secret_selector *ak = &s->access_key_id;
	const sg_secret_selector *sk = &s->secret_access_key;

	if (s->use_iam_role)
		sg_buf_append_str(b, ", IAM role credentials");
	else if (ak->name && sk->name && strcmp(ak->name, sk->name) == 0)
		sg_buf_printf(b, ", credentials from secret \"%s\"", ak->name);
	else if (ak->name && sk->name)
		sg_buf_printf(b, ", credentials from secrets \"%s\" and \"%s\"",
					  ak->name, sk->name);
	else
		sg_buf_append_str(b, ", default AWS credentials");
	if (s->ca_certificate.name)
		sg_buf_printf(b, ", CA certificate from secret \"%s\"", s->ca_certificate.name);
	else if (s->ca_file)
		sg_buf_printf(b, ", CA file %s", s->ca_file);
}

static char *
summarize_storage(const sg_storage *s)
{
	sg_buf		b;

	sg_buf_init(&b);
	sg_buf_printf(&b, "SGObjectStorage \"%s\" stored: type %s, bucket \"%s\"",
				  s->name ? s->name : "", s->type ? s->type : "s3",
				  s->bucket ? s->bucket : "");
	if (s->prefix && s->prefix[0])
		sg_buf_printf(&b, ", prefix \"%s\"", s->prefix);
	if (s->region && s->region[0])
		sg_buf_printf(&b, ", region %s", s->region);
	if (s->endpoint)
		sg_buf_printf(&b, ", endpoint %s", s->endpoint);
	if (s->force_path_style)
		sg_buf_append_str(&b, ", path style");
	if (s->storage_class && s->storage_class[0])
		sg_buf_printf(&b, ", storage class %s", s->storage_class);
	summarize_credentials(&b, s);
	return b.data;
}

static char *
summarize_backups(const sg_cluster_backups *c)
{
	sg_buf		b;

	sg_buf_init(&b);
	sg_buf_printf(&b, "SGCluster backups applied: sgObjectStorage \"%s\"",
				  c->object_storage ? c->object_storage : "");
	if (c->path)
		sg_buf_printf(&b, ", path \"%s\"", c->path);
	if (c->has_compression)
		sg_buf_printf(&b, ", compression %s", sg_compression_name(c->compression));
	if (c->cron_schedule)
		sg_buf_printf(&b, ", cronSchedule \"%s\"", c->cron_schedule);
	if (c->retention >= 0)
		sg_buf_printf(&b, ", retention %d", c->retention);
	if (c->upload_concurrency >= 0)
		sg_buf_printf(&b, ", uploadConcurrency %d", c->upload_concurrency);
	if (c->download_concurrency >= 0)
		sg_buf_printf(&b, ", downloadConcurrency %d", c->download_concurrency);
	if (c->max_network_bandwidth >= 0)
		sg_buf_printf(&b, ", maxNetworkBandwidth %d", c->max_network_bandwidth);
	if (c->max_disk_bandwidth >= 0)
		sg_buf_printf(&b, ", maxDiskBandwidth %d", c->max_disk_bandwidth);
	return b.data;
}

char *
sg_document_summary(const sg_document *doc)
{
	if (doc->kind == SG_DOC_OBJECT_STORAGE)
		return summarize_storage(&doc->storage);
	return summarize_backups(&doc->backups);
}
