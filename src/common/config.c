/*
 * config.c - the configuration in force, sg_config, made from the settings,
 * an SGCluster backups section and the stored storages (see config.h).
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sg_buf.h"
#include "config.h"

void
sg_config_init(sg_config *o)
{
	memset(o, 0, sizeof(*o));
	sg_storage_init(&o->storage);
	o->compression = SG_COMPRESSION_ZSTD;
	o->upload_concurrency = SG_DEFAULT_UPLOAD_CONCURRENCY;
	o->download_concurrency = SG_DEFAULT_DOWNLOAD_CONCURRENCY;
	o->retention = SG_DEFAULT_RETENTION;
	o->compression_level = SG_DEFAULT_COMPRESSION_LEVEL;
}

void
sg_config_free(sg_config *o)
{
	sg_storage_free(&o->storage);
	free(o->secrets_directory);
	free(o->object_storage);
	free(o->cron_schedule);
	free(o->restore_backup_name);
	sg_config_init(o);
}

bool
sg_parse_bool(const char *value, bool *out)
{
	static const char *const yes[] = {"true", "on", "yes", "1", NULL};
	static const char *const no[] = {"false", "off", "no", "0", NULL};

	for (int i = 0; yes[i]; i++)
	{
		if (strcasecmp(value, yes[i]) == 0)
		{
			*out = true;
			return true;
		}
		if (strcasecmp(value, no[i]) == 0)
		{
			*out = false;
			return true;
		}
	}
	return false;
}

/* a setting's value, NULL when unset or empty */
static const char *
setting(sg_lookup_fn lookup, void *arg, const char *name)
{
	const char *v = lookup(arg, name);

	return (v && v[0]) ? v : NULL;
}

static bool
setting_bool(sg_lookup_fn lookup, void *arg, const char *name, bool *out,
			 sg_error *err)
{
	const char *v = setting(lookup, arg, name);

	*out = false;
	if (v == NULL || sg_parse_bool(v, out))
		return true;
	sg_error_set(err, SG_ERR_CONFIG, "invalid value for sgbackup.%s: \"%s\"", name, v);
	sg_error_hint(err, "Use true or false.");
	return false;
}

static bool
setting_int(sg_lookup_fn lookup, void *arg, const char *name, int min, int max,
			int *out, sg_error *err)
{
	const char *v = setting(lookup, arg, name);
	char	   *end;
	long		n;

	if (v == NULL)
		return true;
	n = strtol(v, &end, 10);
	if (*end == '\0' && n >= min && n <= max)
	{
		*out = (int) n;
		return true;
	}
	sg_error_set(err, SG_ERR_CONFIG, "invalid value for sgbackup.%s: \"%s\"", name, v);
	sg_error_hint(err, "Use a whole number from %d to %d.", min, max);
	return false;
}

/* the bucket described by the s3_* settings */
static bool
storage_from_settings(sg_storage *s, sg_lookup_fn lookup, void *arg,
					  sg_error *err)
{
	const char *bucket = setting(lookup, arg, "s3_bucket");
	const char *endpoint = setting(lookup, arg, "s3_endpoint");

	if (bucket == NULL)
	{
		sg_error_set(err, SG_ERR_CONFIG, "no bucket is configured");
		sg_error_detail(err, "Neither sgbackup.s3_bucket nor sgbackup.object_storage is set.");
		sg_error_hint(err, "Set sgbackup.s3_bucket, or store an SGObjectStorage with sgbackup_apply() and select it with sgbackup.object_storage.");
		return false;
	}
	if (!sg_storage_set_bucket(s, bucket, err))
		return false;
	s->type = sg_strdup(endpoint ? "s3Compatible" : "s3");
	s->endpoint = sg_strdup(endpoint);
	s->region = sg_strdup(setting(lookup, arg, "s3_region"));
	s->storage_class = sg_strdup(setting(lookup, arg, "s3_storage_class"));
	s->ca_file = sg_strdup(setting(lookup, arg, "s3_ca_file"));
	if (!setting_bool(lookup, arg, "s3_force_path_style", &s->force_path_style, err) ||
		!setting_bool(lookup, arg, "s3_use_iam_role", &s->use_iam_role, err))
		return false;
	return sg_storage_validate(s, err);
}

/*
 * Append backups[].path of an SGCluster to the stored spec's prefix.  The
 * parser checked the path (one '/' may start and end it); the prefix the
 * two make may still be too long for the keys sgbackup writes under it.
 */
static bool
add_cluster_path(sg_storage *s, const char *path, sg_error *err)
{
	size_t		stored = s->prefix ? strlen(s->prefix) : 0;
	sg_buf		b;

	while (*path == '/')
		path++;
	if (*path == '\0')
		return true;
	sg_buf_init(&b);
	if (stored > 0)
		sg_buf_printf(&b, "%s/", s->prefix);
	sg_buf_append_str(&b, path);
	while (b.len > 0 && b.data[b.len - 1] == '/')
		b.data[--b.len] = '\0';
	free(s->prefix);
	s->prefix = b.data;
	if (b.len <= SG_PREFIX_MAX)
		return true;
	sg_error_set(err, SG_ERR_CONFIG, "object key prefix is too long: %zu bytes", b.len);
	sg_error_detail(err, "The prefix of SGObjectStorage \"%s\" (%zu bytes) and spec.configurations.backups[0].path (%zu bytes) together make a prefix of %zu bytes. "
					SG_PREFIX_LIMIT, s->name ? s->name : "", stored, b.len - stored - (stored > 0), b.len);
	sg_error_hint(err, "Shorten spec.configurations.backups[0].path of the SGCluster, or the path in the bucket of the SGObjectStorage.");
	return false;
}

static bool
load_storage(sg_config *o, sg_lookup_fn lookup, void *lookup_arg,
			 const sg_cluster_backups *cluster, sg_find_storage_fn find_spec,
			 void *spec_arg, sg_error *err)
{
	const char *name = setting(lookup, lookup_arg, "object_storage");
	const char *repository = setting(lookup, lookup_arg, "repository_path");

	/* a local repository, when set, is used instead of any bucket */
	if (repository)
	{
		o->storage.repository_path = sg_strdup(repository);
		return sg_storage_validate(&o->storage, err);
	}
	if (name == NULL && cluster && cluster->object_storage)
		name = cluster->object_storage;
	if (name == NULL)
		return storage_from_settings(&o->storage, lookup, lookup_arg, err);
	o->object_storage = sg_strdup(name);
	if (find_spec == NULL || !find_spec(spec_arg, name, &o->storage, err))
	{
		if (find_spec == NULL)
			sg_error_set(err, SG_ERR_CONFIG, "object storage \"%s\" is not defined", name);
		return false;
	}
	if (cluster && cluster->path)
		return add_cluster_path(&o->storage, cluster->path, err);
	return true;
}

/* an SGCluster's concurrency, capped */
static int
cluster_concurrency(int value, int max)
{
	return value > max ? max : value;
}

/* SGCluster values fill in what the settings leave at their defaults */
static void
apply_cluster(sg_config *o, const sg_cluster_backups *c, bool compression_set,
			  bool concurrency_set, bool download_set, bool retention_set)
{
	if (c->has_compression && !compression_set)
		o->compression = c->compression;
	if (c->upload_concurrency > 0 && !concurrency_set)
		o->upload_concurrency = cluster_concurrency(c->upload_concurrency,
													SG_MAX_UPLOAD_CONCURRENCY);
	if (c->download_concurrency > 0 && !download_set)
		o->download_concurrency = cluster_concurrency(c->download_concurrency,
													  SG_MAX_DOWNLOAD_CONCURRENCY);
	if (c->retention > 0 && !retention_set)
		o->retention = c->retention;
	if (c->max_network_bandwidth > 0 && o->max_network_bandwidth == 0)
		o->max_network_bandwidth = c->max_network_bandwidth;
	if (c->max_disk_bandwidth > 0 && o->max_disk_bandwidth == 0)
		o->max_disk_bandwidth = c->max_disk_bandwidth;
	if (c->cron_schedule && o->cron_schedule == NULL)
		o->cron_schedule = sg_strdup(c->cron_schedule);
	o->restore_backup_name = sg_strdup(c->restore.backup_name);
	o->restore_to_usec = c->restore.to_usec;
	if (c->restore.download_disk_concurrency > 0)
		o->restore_download_disk_concurrency =
			cluster_concurrency(c->restore.download_disk_concurrency,
								SG_MAX_DOWNLOAD_CONCURRENCY);
}

bool
sg_config_load(sg_config *o, sg_lookup_fn lookup, void *lookup_arg,
				const sg_cluster_backups *cluster,
				sg_find_storage_fn find_spec, void *spec_arg, sg_error *err)
{
	const char *v;
	bool		compression_set = false;
	int			concurrency = -1;
	int			download = -1;
	int			retention = -1;
	int			network = 0;
	int			disk = 0;

	sg_config_free(o);
	o->secrets_directory = sg_strdup(setting(lookup, lookup_arg, "secrets_directory"));
	o->cron_schedule = sg_strdup(setting(lookup, lookup_arg, "cron_schedule"));
	if ((v = setting(lookup, lookup_arg, "compression")) != NULL)
	{
		if (!sg_compression_parse(v, &o->compression))
		{
			sg_error_set(err, SG_ERR_CONFIG, "invalid value for sgbackup.compression: \"%s\"", v);
			sg_error_hint(err, "Use zstd, lz4 or none.");
			return false;
		}
		/* zstd is the default: only another value overrides an SGCluster */
		compression_set = o->compression != SG_COMPRESSION_ZSTD;
	}
	if (!setting_int(lookup, lookup_arg, "upload_concurrency", 1,
					 SG_MAX_UPLOAD_CONCURRENCY, &concurrency, err) ||
		!setting_int(lookup, lookup_arg, "download_concurrency", 1,
					 SG_MAX_DOWNLOAD_CONCURRENCY, &download, err) ||
		!setting_int(lookup, lookup_arg, "retention", 1, 10000, &retention, err) ||
		!setting_int(lookup, lookup_arg, "compression_level", 1,
					 SG_MAX_COMPRESSION_LEVEL, &o->compression_level, err) ||
		!setting_int(lookup, lookup_arg, "max_network_bandwidth", 0, INT_MAX,
					 &network, err) ||
		!setting_int(lookup, lookup_arg, "max_disk_bandwidth", 0, INT_MAX,
					 &disk, err))
		return false;
	o->max_network_bandwidth = network;
	o->max_disk_bandwidth = disk;
	if (concurrency > 0)
		o->upload_concurrency = concurrency;
	if (download > 0)
		o->download_concurrency = download;
	if (retention > 0)
		o->retention = retention;
	if (cluster)
		apply_cluster(o, cluster, compression_set,
					  concurrency > 0 && concurrency != SG_DEFAULT_UPLOAD_CONCURRENCY,
					  download > 0 && download != SG_DEFAULT_DOWNLOAD_CONCURRENCY,
					  retention > 0 && retention != SG_DEFAULT_RETENTION);
	return load_storage(o, lookup, lookup_arg, cluster, find_spec, spec_arg, err);
}

int64_t
sg_config_share(const sg_config *o, int64_t cap)
{
	int64_t		share;

	if (cap <= 0)
		return 0;
	share = cap / (o->upload_concurrency > 0 ? o->upload_concurrency : 1);
	return share > 0 ? share : 1;
}
