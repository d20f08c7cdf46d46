/*
 * sgbackup.c - the sgbackup program: WAL push and fetch (and, later,
 * backups and restore) from outside the server, with the same code the
 * archive module uses.
 *
 *   sgbackup [--config FILE] wal-push PATH
 *   sgbackup [--config FILE] wal-fetch FILE DEST
 */
#include <getopt.h>
#include <signal.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_config.h"
#include "s3_client.h"
#include "sg_buf.h"
#include "walstore.h"

#define EXIT_NOT_FOUND 1
#define EXIT_FAILURE_ 2

static const char *usage_text =
"sgbackup: WAL archiving and backups to S3 object storage\n"
"\n"
"Usage:\n"
"  sgbackup [--config FILE] wal-push PATH\n"
"  sgbackup [--config FILE] wal-fetch FILE DEST\n"
"\n"
"Options:\n"
"  -c, --config FILE   SGObjectStorage YAML (optionally with an SGCluster\n"
"                      document after ---); wins over SGBACKUP_* variables\n"
"  -h, --help          show this help\n"
"\n"
"Settings come from SGBACKUP_* environment variables named after the\n"
"server's settings (sgbackup.s3_bucket is SGBACKUP_S3_BUCKET).\n"
"Exit status of wal-fetch: 0 stored file written, 1 no such file, 2 error.\n";

static int
fail(const sg_error *err)
{
	cli_report(err);
	return EXIT_FAILURE_;
}

/* configuration and a connected client, or NULL after reporting */
static s3_client *
connect_storage(const char *config_path, sg_options *o, sg_error *err)
{
	s3_client  *c;

	sg_options_init(o);
	if (!cli_load_options(config_path, o, err) || !s3_global_init(err))
		return NULL;
	c = s3_client_new(&o->storage, o->secrets_directory, NULL, err);
	return c;
}

static int
cmd_wal_push(const char *config_path, const char *path)
{
	sg_options	o;
	sg_error	err;
	s3_client  *c;
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
	if ((c = connect_storage(config_path, &o, &err)) == NULL)
	{
		free(copy);
		return fail(&err);
	}
	ok = wal_push(c, path, name, o.compression, o.compression_level, &result, &err);
	s3_client_free(c);
	sg_options_free(&o);
	free(copy);
	return ok ? 0 : fail(&err);
}

static int
cmd_wal_fetch(const char *config_path, const char *name, const char *dest)
{
	sg_options	o;
	sg_error	err;
	s3_client  *c;
	int			rc;

	sg_error_clear(&err);
	if (!wal_name_valid(name))
	{
		sg_error_set(&err, SG_ERR_CONFIG, "\"%s\" is not the name of a WAL file", name);
		return fail(&err);
	}
	if ((c = connect_storage(config_path, &o, &err)) == NULL)
		return fail(&err);
	rc = wal_fetch(c, name, dest, &err);
	s3_client_free(c);
	sg_options_free(&o);
	if (rc == 1)
		return 0;
	if (rc == 0)
		return EXIT_NOT_FOUND;	/* quietly: recovery probes for files */
	return fail(&err);
}

int
main(int argc, char **argv)
{
	static const struct option options[] = {
		{"config", required_argument, NULL, 'c'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0}
	};
	const char *config_path = NULL;
	const char *cmd;
	int			opt;

	/* libcurl runs without signals: a closed connection must not kill us */
	signal(SIGPIPE, SIG_IGN);
	while ((opt = getopt_long(argc, argv, "+c:h", options, NULL)) != -1)
	{
		if (opt == 'c')
			config_path = optarg;
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
	/* options may also follow the command: sgbackup wal-fetch --config F ... */
	while ((opt = getopt_long(argc, argv, "c:h", options, NULL)) != -1)
		if (opt == 'c')
			config_path = optarg;
	if (strcmp(cmd, "wal-push") == 0 && argc - optind == 1)
		return cmd_wal_push(config_path, argv[optind]);
	if (strcmp(cmd, "wal-fetch") == 0 && argc - optind == 2)
		return cmd_wal_fetch(config_path, argv[optind], argv[optind + 1]);
	fprintf(stderr, "sgbackup: unknown command or wrong arguments: %s\n\n", cmd);
	fputs(usage_text, stderr);
	return EXIT_FAILURE_;
}
