/*
 * config_guc.c - the sgbackup.* settings, checked when set, and the
 * configuration in force (see config_guc.h).
 *
 * None of these settings is secret: the server logs changed values in
 * clear text, so credentials are read from files (secret key selectors)
 * or the environment, never from here.
 */
#include "postgres.h"

#include <limits.h>

#include "miscadmin.h"
#include "utils/guc.h"

#include "config_store.h"
#include "cron.h"
#include "s3_writer.h"
#include "config_guc.h"

char	   *sgb_database = NULL;
int			sgb_max_upload_parts = S3_WRITER_MAX_PARTS;
static char *s3_bucket = NULL;
static char *s3_region = NULL;
static char *s3_endpoint = NULL;
static bool s3_force_path_style = false;
static int	s3_storage_class = 0;
static bool s3_use_iam_role = false;
static char *s3_ca_file = NULL;
static char *secrets_directory = NULL;
static char *object_storage = NULL;
static char *repository_path = NULL;
static int	compression = SG_COMPRESSION_ZSTD;
static int	upload_concurrency = SG_DEFAULT_UPLOAD_CONCURRENCY;
static int	download_concurrency = SG_DEFAULT_DOWNLOAD_CONCURRENCY;
static char *cron_schedule = NULL;
static int	retention = SG_DEFAULT_RETENTION;
static int	compression_level = SG_DEFAULT_COMPRESSION_LEVEL;
static int	max_network_bandwidth = 0;
static int	max_disk_bandwidth = 0;

uint64		sgb_settings_changes = 0;

static const struct config_enum_entry storage_class_options[] = {
	{"STANDARD", 0, false},
	{"STANDARD_IA", 1, false},
	{"REDUCED_REDUNDANCY", 2, false},
	{NULL, 0, false}
};

static const struct config_enum_entry compression_options[] = {
	{"zstd", SG_COMPRESSION_ZSTD, false},
	{"lz4", SG_COMPRESSION_LZ4, false},
	{"none", SG_COMPRESSION_NONE, false},
	{NULL, 0, false}
};

static bool
check_bucket(char **newval, void **extra, GucSource source)
{
	sg_storage	s;
	sg_error	err;
	bool		ok;

	if (*newval == NULL || (*newval)[0] == '\0')
		return true;
	sg_storage_init(&s);
	sg_error_clear(&err);
	ok = sg_storage_set_bucket(&s, *newval, &err);
	sg_storage_free(&s);
	if (!ok)
	{
		/* the same checks as where the value is used, with their reason */
		GUC_check_errdetail("%s", err.detail);
		GUC_check_errhint("%s", err.hint);
	}
	return ok;
}

static bool
check_endpoint(char **newval, void **extra, GucSource source)
{
	const char *v = *newval;

	if (v == NULL || v[0] == '\0')
		return true;
	if ((strncmp(v, "http://", 7) == 0 && v[7] != '\0' && v[7] != '/') ||
		(strncmp(v, "https://", 8) == 0 && v[8] != '\0' && v[8] != '/'))
		return true;
	GUC_check_errdetail("The endpoint must be a URL such as https://host:port.");
	return false;
}

static bool
check_object_storage(char **newval, void **extra, GucSource source)
{
	if (*newval == NULL || (*newval)[0] == '\0' || sgb_config_store_name_ok(*newval))
		return true;
	GUC_check_errdetail("An object storage name has lower-case letters, digits, '-' and '.', at most 253 characters.");
	return false;
}

static bool
check_absolute_path(char **newval, void **extra, GucSource source)
{
	if (*newval == NULL || (*newval)[0] == '\0' || is_absolute_path(*newval))
		return true;
	GUC_check_errdetail("The path must be absolute.");
	return false;
}

static bool
check_cron(char **newval, void **extra, GucSource source)
{
	sg_cron		cron;
	sg_error	err;

	if (*newval == NULL || (*newval)[0] == '\0')
		return true;
	sg_error_clear(&err);
	if (sg_cron_parse(*newval, &cron, &err))
		return true;
	GUC_check_errmsg("%s", err.msg);
	if (err.detail[0])
		GUC_check_errdetail("%s", err.detail);
	if (err.hint[0])
		GUC_check_errhint("%s", err.hint);
	return false;
}

/*
 * Assign hooks of every setting the configuration is made from: each
 * assignment (at start and at each reload of the settings in this process)
 * counts, so that a process can tell that its configuration may be out of
 * date without comparing every value.
 */
static void
count_string(const char *newval, void *extra)
{
	sgb_settings_changes++;
}

static void
count_bool(bool newval, void *extra)
{
	sgb_settings_changes++;
}

static void
count_int(int newval, void *extra)
{
	sgb_settings_changes++;
}

static void
define_string(const char *name, const char *desc, char **var,
			  GucStringCheckHook check)
{
	DefineCustomStringVariable(name, desc, NULL, var, "", PGC_SIGHUP, 0,
							   check, count_string, NULL);
}

static void
define_s3_settings(void)
{
	define_string("sgbackup.s3_bucket",
				  "S3 bucket, optionally with a key prefix: bucket/prefix.",
				  &s3_bucket, check_bucket);
	define_string("sgbackup.s3_region",
				  "S3 region; empty: discovered, else us-east-1.",
				  &s3_region, NULL);
	define_string("sgbackup.s3_endpoint",
				  "URL of an S3-compatible service; empty: AWS.",
				  &s3_endpoint, check_endpoint);
	DefineCustomBoolVariable("sgbackup.s3_force_path_style",
							 "Use path-style instead of virtual-hosted addressing.",
							 NULL, &s3_force_path_style, false, PGC_SIGHUP, 0,
							 NULL, count_bool, NULL);
	DefineCustomEnumVariable("sgbackup.s3_storage_class",
							 "S3 storage class of uploaded objects.",
							 NULL, &s3_storage_class, 0, storage_class_options,
							 PGC_SIGHUP, 0, NULL, count_int, NULL);
	DefineCustomBoolVariable("sgbackup.s3_use_iam_role",
							 "Take credentials from the environment's IAM role.",
							 NULL, &s3_use_iam_role, false, PGC_SIGHUP, 0,
							 NULL, count_bool, NULL);
	define_string("sgbackup.s3_ca_file",
				  "PEM bundle of certificate authorities to trust for the endpoint.",
				  &s3_ca_file, check_absolute_path);
}

void
sgb_define_settings(void)
{
	DefineCustomStringVariable("sgbackup.database",
							   "Database where CREATE EXTENSION sgbackup was run.",
							   NULL, &sgb_database, "postgres", PGC_POSTMASTER, 0,
							   NULL, NULL, NULL);
	define_s3_settings();
	define_string("sgbackup.secrets_directory",
				  "Directory where secret key selectors are read: <dir>/<name>/<key>.",
				  &secrets_directory, check_absolute_path);
	define_string("sgbackup.repository_path",
				  "Local directory to store WAL and backups in instead of object storage.",
				  &repository_path, check_absolute_path);
	define_string("sgbackup.object_storage",
				  "Name of a stored SGObjectStorage to use instead of the s3_* settings.",
				  &object_storage, check_object_storage);
	DefineCustomEnumVariable("sgbackup.compression",
							 "Compression of stored WAL and backups.",
							 NULL, &compression, SG_COMPRESSION_ZSTD,
							 compression_options, PGC_SIGHUP, 0,
							 NULL, count_int, NULL);
	DefineCustomIntVariable("sgbackup.upload_concurrency",
							"Parallel uploads (WAL look-ahead, backup parts).",
							NULL, &upload_concurrency,
							SG_DEFAULT_UPLOAD_CONCURRENCY, 1,
							SG_MAX_UPLOAD_CONCURRENCY, PGC_SIGHUP, 0,
							NULL, count_int, NULL);
	DefineCustomIntVariable("sgbackup.download_concurrency",
							"Parallel downloads (restore, verify, WAL prefetch).",
							NULL, &download_concurrency,
							SG_DEFAULT_DOWNLOAD_CONCURRENCY, 1,
							SG_MAX_DOWNLOAD_CONCURRENCY, PGC_SIGHUP, 0,
							NULL, count_int, NULL);
	define_string("sgbackup.cron_schedule",
				  "Five-field cron schedule (UTC) of base backups; empty: none.",
				  &cron_schedule, check_cron);
	DefineCustomIntVariable("sgbackup.max_upload_parts",
							"Most parts of one multipart upload of a backup archive.",
							"S3 allows 10000; lower it only to test how parts are sized.",
							&sgb_max_upload_parts, S3_WRITER_MAX_PARTS, 2,
							S3_WRITER_MAX_PARTS, PGC_SIGHUP, GUC_NOT_IN_SAMPLE,
							NULL, NULL, NULL);
	DefineCustomIntVariable("sgbackup.retention",
							"Number of managed base backups to keep.",
							NULL, &retention, SG_DEFAULT_RETENTION, 1, 10000,
							PGC_SIGHUP, 0, NULL, count_int, NULL);
	DefineCustomIntVariable("sgbackup.compression_level",
							"Compression level: zstd 1 to 19; lz4 1-2 fast, 3 and up LZ4 HC (at most 12).",
							NULL, &compression_level,
							SG_DEFAULT_COMPRESSION_LEVEL, 1,
							SG_MAX_COMPRESSION_LEVEL, PGC_SIGHUP, 0,
							NULL, count_int, NULL);
	DefineCustomIntVariable("sgbackup.max_network_bandwidth",
							"Most bytes per second sent to S3 by one upload (WAL or backup); 0: no limit.",
							"Shared by the operation's parallel connections (upload_concurrency).",
							&max_network_bandwidth, 0, 0, INT_MAX,
							PGC_SIGHUP, GUC_UNIT_BYTE, NULL, count_int, NULL);
	DefineCustomIntVariable("sgbackup.max_disk_bandwidth",
							"Most bytes per second read from disk for uploads; 0: no limit.",
							"Shared by the operation's parallel readers (upload_concurrency).",
							&max_disk_bandwidth, 0, 0, INT_MAX,
							PGC_SIGHUP, GUC_UNIT_BYTE, NULL, count_int, NULL);
	MarkGUCPrefixReserved("sgbackup");
}

/* sg_lookup_fn over the GUC variables; names without "sgbackup." */
static const char *
lookup_setting(void *arg, const char *name)
{
	static char number[32];

	if (strcmp(name, "s3_bucket") == 0)
		return s3_bucket;
	if (strcmp(name, "s3_region") == 0)
		return s3_region;
	if (strcmp(name, "s3_endpoint") == 0)
		return s3_endpoint;
	if (strcmp(name, "s3_force_path_style") == 0)
		return s3_force_path_style ? "true" : "false";
	if (strcmp(name, "s3_storage_class") == 0)
		return storage_class_options[s3_storage_class].name;
	if (strcmp(name, "s3_use_iam_role") == 0)
		return s3_use_iam_role ? "true" : "false";
	if (strcmp(name, "s3_ca_file") == 0)
		return s3_ca_file;
	if (strcmp(name, "secrets_directory") == 0)
		return secrets_directory;
	if (strcmp(name, "object_storage") == 0)
		return object_storage;
	if (strcmp(name, "repository_path") == 0)
		return repository_path;
	if (strcmp(name, "compression") == 0)
		return sg_compression_name((sg_compression) compression);
	if (strcmp(name, "cron_schedule") == 0)
		return cron_schedule;
	if (strcmp(name, "upload_concurrency") == 0)
		snprintf(number, sizeof(number), "%d", upload_concurrency);
	else if (strcmp(name, "download_concurrency") == 0)
		snprintf(number, sizeof(number), "%d", download_concurrency);
	else if (strcmp(name, "retention") == 0)
		snprintf(number, sizeof(number), "%d", retention);
	else if (strcmp(name, "compression_level") == 0)
		snprintf(number, sizeof(number), "%d", compression_level);
	else if (strcmp(name, "max_network_bandwidth") == 0)
		snprintf(number, sizeof(number), "%d", max_network_bandwidth);
	else if (strcmp(name, "max_disk_bandwidth") == 0)
		snprintf(number, sizeof(number), "%d", max_disk_bandwidth);
	else
		return NULL;
	return number;
}

bool
sgb_load_config(sg_config *o, sg_error *err)
{
	const sg_cluster_backups *cluster;

	sg_error_clear(err);
	cluster = sgb_config_store_cluster(err);
	if (err->kind != SG_ERR_NONE)
		return false;
	return sg_config_load(o, lookup_setting, NULL, cluster,
						   sgb_config_store_find_storage, NULL, err);
}

sg_store *
sgb_open_store(sg_config *o, const s3_limits *limits, sg_error *err)
{
	sg_config_init(o);
	if (!sgb_load_config(o, err))
		return NULL;
	return sg_store_open(&o->storage, o->secrets_directory, limits, err);
}
