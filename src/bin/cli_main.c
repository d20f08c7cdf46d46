/*
 * cli_main.c - the sgbackup program: WAL push and fetch (and, later,
 * backups and restore) from outside the server, with the same code the
 * archive module uses.
 *
 *   sgbackup [--config FILE] wal-push PATH
 *   sgbackup [--config FILE] wal-fetch FILE DEST
 *   sgbackup [--config FILE] backup-list [--json]
 *   sgbackup [--config FILE] retention
 *   sgbackup [--config FILE] delete NAME
 *   sgbackup [--config FILE] restore NAME|LATEST PGDATA [target...]
 *   sgbackup [--config FILE] verify NAME|LATEST [--to-latest] [--json]
 *
 * --repository DIR (or SGBACKUP_REPOSITORY_PATH) uses a local directory
 * instead of object storage (store_local.c).  wal-fetch is in
 * cli_wal_fetch.c.
 */
#include <getopt.h>
#include <signal.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "backup_catalog.h"
#include "cli_config.h"
#include "cli_restore.h"
#include "cli_wal_fetch.h"
#include "backup_retention.h"
#include "store.h"
#include "sg_buf.h"
#include "wal_store.h"

#define EXIT_FAILURE_ 2

static const char *usage_text =
"sgbackup: WAL archiving and backups to S3 object storage or a local directory\n"
"\n"
"Usage:\n"
"  sgbackup [--config FILE] wal-push PATH\n"
"  sgbackup [--config FILE] wal-fetch FILE DEST\n"
"  sgbackup [--config FILE] backup-list [--json]\n"
"  sgbackup [--config FILE] retention\n"
"  sgbackup [--config FILE] delete NAME\n"
"  sgbackup [--config FILE] restore NAME|LATEST PGDATA [--target-time T |\n"
"           --target-lsn L | --target-xid X | --target-name N | --target immediate]\n"
"           [--target-timeline latest|current|TLI] [--target-exclusive]\n"
"           [--tablespace-mapping OLDDIR=NEWDIR]... [--force] [--json]\n"
"  sgbackup [--config FILE] verify NAME|LATEST [--to-latest] [--json]\n"
"\n"
"Options:\n"
"  -c, --config FILE   SGObjectStorage YAML (optionally with an SGCluster\n"
"                      document after ---); wins over SGBACKUP_* variables\n"
"  -r, --repository DIR\n"
"                      a local directory used instead of object storage\n"
"                      (also SGBACKUP_REPOSITORY_PATH)\n"
"  -h, --help          show this help\n"
"\n"
"Settings come from SGBACKUP_* environment variables named after the\n"
"server's settings (sgbackup.s3_bucket is SGBACKUP_S3_BUCKET).\n"
"Exit status of wal-fetch: 0 stored file written, 1 no such file, 255 any\n"
"other error (so that PostgreSQL stops recovery rather than end it early),\n"
"after retrying it for SGBACKUP_WAL_FETCH_RETRY_SECONDS (default 60; 0: no\n"
"retry), 128 + N when signal N (SIGTERM, SIGINT) stopped it.  wal-fetch of a\n"
"segment also fetches the next SGBACKUP_DOWNLOAD_CONCURRENCY segments (default\n"
"4; 1: none) into .sgbackup-prefetch/ next to DEST, for the next calls.\n";

static int
fail(const sg_error *err)
{
	cli_report(err);
	return EXIT_FAILURE_;
}

/* the configuration in force and its store (NULL with err on failure) */
static sg_store *
open_store(const char *config_path, sg_config *o, sg_error *err)
{
	sg_config_init(o);
	if (!cli_load_config(config_path, o, err))
		return NULL;
	return sg_store_open(&o->storage, o->secrets_directory, NULL, err);
}

static int
cmd_wal_push(const char *config_path, const char *path)
{
	sg_config	o;
	sg_error	err;
	sg_store   *st;
	wal_push_result result;
	char	   *copy = sg_strdup(path);
	const char *name = basename(copy);
	bool		ok;

	sg_error_clear(&err);
	if (!wal_name_valid(name))
	{
		sg_error_set(&err, SG_ERR_CONFIG, "\"%s\" is not the name of a WAL file", name);
		sg_error_hint(&err, "Give the path of a WAL segment, .history, .backup or .partial file.");
		free(copy);
		return fail(&err);
	}
	if ((st = open_store(config_path, &o, &err)) == NULL)
	{
		free(copy);
		return fail(&err);
	}
	ok = wal_push(st, path, name, o.compression, o.compression_level, &result, &err);
	sg_store_free(st);
	sg_config_free(&o);
	free(copy);
	return ok ? 0 : fail(&err);
}

static void
format_time(char *out, size_t size, int64_t usec)
{
	time_t		t = (time_t) (usec / 1000000);
	struct tm	tm;

	if (usec == 0)
	{
		snprintf(out, size, "-");
		return;
	}
	gmtime_r(&t, &tm);
	strftime(out, size, "%Y-%m-%d %H:%M:%SZ", &tm);
}

static void
print_backup(const backup_info *b)
{
	char		started[32];
	char		finished[32];

	format_time(started, sizeof(started), b->started_at);
	format_time(finished, sizeof(finished), b->finished_at);
	printf("%-28s %-9s %-9s %-24s %-24s %12lld %12lld %-20s %-20s\n",
		   b->name, backup_status_name(b->status), b->permanent ? "permanent" : "managed",
		   b->start_wal[0] ? b->start_wal : "-", b->stop_wal[0] ? b->stop_wal : "-",
		   (long long) b->size_bytes, (long long) b->compressed_bytes,
		   started, finished);
}

static int
cmd_backup_list(const char *config_path, bool json)
{
	sg_config	o;
	sg_error	err;
	sg_store   *st;
	backup_info *list;
	int			n;
	bool		ok;

	sg_error_clear(&err);
	if ((st = open_store(config_path, &o, &err)) == NULL)
		return fail(&err);
	ok = backup_catalog_list(st, NULL, NULL, &list, &n, &err);
	sg_store_free(st);
	sg_config_free(&o);
	if (!ok)
		return fail(&err);
	if (json)
		printf("[");
	else
		printf("%-28s %-9s %-9s %-24s %-24s %12s %12s %-20s %-20s\n", "name", "status",
			   "lifecycle", "start_wal", "stop_wal", "size_bytes", "compressed",
			   "started_at", "finished_at");
	for (int i = 0; i < n; i++)
	{
		if (json)
		{
			char	   *text = backup_info_to_json(&list[i]);

			printf("%s%s", i ? ",\n" : "\n", text);
			free(text);
		}
		else
			print_backup(&list[i]);
	}
	if (json)
		printf("\n]\n");
	backup_list_free(list, n);
	return 0;
}

static int
cmd_retention(const char *config_path)
{
	sg_config	o;
	sg_error	err;
	sg_store   *st;
	retention_plan plan;
	bool		ok;

	sg_error_clear(&err);
	if ((st = open_store(config_path, &o, &err)) == NULL)
		return fail(&err);
	ok = sg_retention_run(st, o.retention, NULL, NULL, &plan, &err);
	sg_store_free(st);
	sg_config_free(&o);
	if (!ok)
		return fail(&err);
	for (int i = 0; i < plan.nbackups; i++)
		printf("deleted backup %s\n", plan.backups[i]);
	printf("deleted %d backups and %d WAL files (retention %d)\n",
		   plan.nbackups, plan.nwal, o.retention);
	retention_plan_free(&plan);
	return 0;
}

static int
cmd_delete(const char *config_path, const char *name)
{
	sg_config	o;
	sg_error	err;
	sg_store   *st;
	bool		ok;

	sg_error_clear(&err);
	if ((st = open_store(config_path, &o, &err)) == NULL)
		return fail(&err);
	ok = backup_catalog_delete(st, name, &err);
	sg_store_free(st);
	sg_config_free(&o);
	if (!ok)
		return fail(&err);
	printf("deleted backup %s\n", name);
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option options[] = {
		{"config", required_argument, NULL, 'c'},
		{"repository", required_argument, NULL, 'r'},
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0}
	};
	const char *config_path = NULL;
	const char *cmd;
	bool		json = false;
	int			opt;

	/* libcurl runs without signals: a closed connection must not kill us */
	signal(SIGPIPE, SIG_IGN);
	while ((opt = getopt_long(argc, argv, "+c:r:h", options, NULL)) != -1)
	{
		if (opt == 'c')
			config_path = optarg;
		else if (opt == 'r')
			setenv("SGBACKUP_REPOSITORY_PATH", optarg, 1);
		else
		{
			fputs(usage_text, opt == 'h' ? stdout : stderr);
			return opt == 'h' ? 0 : EXIT_FAILURE_;
		}
	}
	if (optind >= argc)
	{
		fputs(usage_text, stderr);
		return EXIT_FAILURE_;
	}
	cmd = argv[optind++];
	/* these parse their own options, from the command name on */
	if (strcmp(cmd, "restore") == 0)
		return cmd_restore(argc - optind + 1, argv + optind - 1, config_path);
	if (strcmp(cmd, "verify") == 0)
		return cmd_verify(argc - optind + 1, argv + optind - 1, config_path);
	/* options may also follow the command: sgbackup wal-fetch --config F ... */
	while ((opt = getopt_long(argc, argv, "c:r:h", options, NULL)) != -1)
	{
		if (opt == 'c')
			config_path = optarg;
		else if (opt == 'r')
			setenv("SGBACKUP_REPOSITORY_PATH", optarg, 1);
		else if (opt == 'j')
			json = true;
	}
	if (strcmp(cmd, "wal-push") == 0 && argc - optind == 1)
		return cmd_wal_push(config_path, argv[optind]);
	if (strcmp(cmd, "wal-fetch") == 0 && argc - optind == 2)
		return cli_wal_fetch(config_path, argv[optind], argv[optind + 1]);
	if (strcmp(cmd, "wal-fetch") == 0)
	{
		fputs("sgbackup: wal-fetch takes a WAL file name and a destination path\n\n", stderr);
		fputs(usage_text, stderr);
		return WAL_FETCH_FAILED;
	}
	if (strcmp(cmd, "backup-list") == 0 && argc == optind)
		return cmd_backup_list(config_path, json);
	if (strcmp(cmd, "retention") == 0 && argc == optind)
		return cmd_retention(config_path);
	if (strcmp(cmd, "delete") == 0 && argc - optind == 1)
		return cmd_delete(config_path, argv[optind]);
	fprintf(stderr, "sgbackup: unknown command or wrong arguments: %s\n\n", cmd);
	fputs(usage_text, stderr);
	return EXIT_FAILURE_;
}
