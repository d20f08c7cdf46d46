/*
 * cli_verify.c - `sgbackup verify NAME|LATEST [--to-latest] [--json]`:
 * the checks of backup_verify.h, one line (or JSON object) each.  Exit
 * status 0 every check passed, 1 a check failed, 2 usage or
 * configuration, 3 the checks could not run (storage).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "backup_verify.h"
#include "cli_config.h"
#include "cli_restore.h"

static void
print_report(const verify_report *r, bool json)
{
	json_object *root;
	json_object *checks;

	if (!json)
	{
		for (int i = 0; i < r->nchecks; i++)
			printf("%-8s %-4s %s\n", r->checks[i].check, r->checks[i].ok ? "ok" : "FAIL",
				   r->checks[i].detail);
		printf("backup %s: %s\n", r->name, r->ok ? "verified" : "verification FAILED");
		return;
	}
	root = json_object_new_object();
	checks = json_object_new_array();
	json_object_object_add(root, "backup", json_object_new_string(r->name));
	json_object_object_add(root, "ok", json_object_new_boolean(r->ok));
	for (int i = 0; i < r->nchecks; i++)
	{
		json_object *c = json_object_new_object();

		json_object_object_add(c, "check", json_object_new_string(r->checks[i].check));
		json_object_object_add(c, "ok", json_object_new_boolean(r->checks[i].ok));
		json_object_object_add(c, "detail", json_object_new_string(r->checks[i].detail));
		json_object_array_add(checks, c);
	}
	json_object_object_add(root, "checks", checks);
	printf("%s\n", json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY));
	json_object_put(root);
}

int
cmd_verify(int argc, char **argv, const char *config_path)
{
	static const struct option options[] = {
		{"config", required_argument, NULL, 'c'},
		{"repository", required_argument, NULL, 'r'},
		{"to-latest", no_argument, NULL, 'l'},
		{"json", no_argument, NULL, 'j'},
		{NULL, 0, NULL, 0}
	};
	bool		to_latest = false;
	bool		json = false;
	sg_config	o;
	sg_error	err;
	sg_store   *st = NULL;
	verify_report report;
	int			opt;
	bool		ok;

	sg_error_clear(&err);
	optind = 0;
	while ((opt = getopt_long(argc, argv, "c:r:", options, NULL)) != -1)
	{
		if (opt == 'c')
			config_path = optarg;
		else if (opt == 'r')
			setenv("SGBACKUP_REPOSITORY_PATH", optarg, 1);
		else if (opt == 'l')
			to_latest = true;
		else if (opt == 'j')
			json = true;
		else
			optind = argc + 1;
	}
	if (argc - optind != 1)
	{
		fputs("Usage: sgbackup verify NAME|LATEST [--to-latest] [--json]\n", stderr);
		return 2;
	}
	sg_config_init(&o);
	ok = cli_load_config(config_path, &o, &err) &&
		(st = sg_store_open(&o.storage, o.secrets_directory, NULL, &err)) != NULL;
	if (ok)
	{
		restore_source src = {&o.storage, o.secrets_directory, NULL, st, o.download_concurrency};

		ok = backup_verify(&src, argv[optind], to_latest, &report, &err);
	}
	sg_store_free(st);
	sg_config_free(&o);
	if (!ok)
	{
		cli_report(&err);
		return err.kind == SG_ERR_CONFIG ? 2 : 3;
	}
	print_report(&report, json);
	verify_report_free(&report);
	return report.ok ? 0 : 1;
}
