/*
 * cli_config.c - the program's configuration (see cli_config.h).
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_config.h"
#include "sg_buf.h"

typedef struct config_file
{
	sg_document *docs;
	int			ndocs;
	const char *selected;		/* name of the SGObjectStorage the file selects */
} config_file;

/* SGBACKUP_S3_BUCKET for "s3_bucket"; the file's selection wins for object_storage */
static const char *
lookup(void *arg, const char *name)
{
	config_file *cf = arg;
	char		var[64] = "SGBACKUP_";
	size_t		n = strlen(var);

	if (cf && cf->selected && strcmp(name, "object_storage") == 0)
		return cf->selected;
	for (const char *p = name; *p && n < sizeof(var) - 1; p++)
		var[n++] = (char) toupper((unsigned char) *p);
	var[n] = '\0';
	return getenv(var);
}

static bool
find_spec(void *arg, const char *name, sg_storage *out, sg_error *err)
{
	config_file *cf = arg;

	for (int i = 0; cf && i < cf->ndocs; i++)
	{
		const sg_document *d = &cf->docs[i];

		if (d->kind == SG_DOC_OBJECT_STORAGE && d->storage.name &&
			strcmp(d->storage.name, name) == 0)
		{
			sg_storage_free(out);
			sg_storage_copy(out, &d->storage);
			return true;
		}
	}
	sg_error_set(err, SG_ERR_CONFIG, "object storage \"%s\" is not defined", name);
	sg_error_hint(err, "Put an SGObjectStorage named \"%s\" in the --config file.", name);
	return false;
}

static bool
read_config(const char *path, config_file *cf, sg_error *err)
{
	size_t		len;
	char	   *text = sg_read_file(path, &len);
	bool		ok;

	if (text == NULL)
		return sg_error_set(err, SG_ERR_CONFIG, "could not read configuration file \"%s\": %s",
							path, strerror(errno));
	ok = sg_parse_documents(text, len, &cf->docs, &cf->ndocs, err);
	free(text);
	if (!ok)
	{
		/* the detail is both source and target: copy it first */
		char		detail[sizeof(err->detail)];

		snprintf(detail, sizeof(detail), "%s", err->detail);
		sg_error_detail(err, "%s%sIn configuration file \"%s\".", detail,
						detail[0] ? " " : "", path);
	}
	return ok;
}

/* the SGCluster's choice, else the file's first SGObjectStorage */
static const sg_cluster_backups *
select_storage(config_file *cf)
{
	const sg_cluster_backups *cluster = NULL;

	for (int i = 0; i < cf->ndocs; i++)
		if (cf->docs[i].kind == SG_DOC_CLUSTER && cluster == NULL)
			cluster = &cf->docs[i].backups;
	if (cluster && cluster->object_storage)
		cf->selected = cluster->object_storage;
	for (int i = 0; i < cf->ndocs && cf->selected == NULL; i++)
		if (cf->docs[i].kind == SG_DOC_OBJECT_STORAGE)
			cf->selected = cf->docs[i].storage.name;
	return cluster;
}

bool
cli_load_config(const char *config_path, sg_config *o, sg_error *err)
{
	config_file cf = {0};
	const sg_cluster_backups *cluster = NULL;
	bool		ok;

	sg_error_clear(err);
	if (config_path && !read_config(config_path, &cf, err))
		return false;
	if (config_path)
		cluster = select_storage(&cf);
	ok = sg_config_load(o, lookup, config_path ? &cf : NULL, cluster,
						 find_spec, &cf, err);
	if (cf.docs)
		sg_documents_free(cf.docs, cf.ndocs);
	return ok;
}

void
cli_report(const sg_error *err)
{
	fprintf(stderr, "sgbackup: error: %s\n", err->msg);
	if (err->detail[0])
		fprintf(stderr, "DETAIL: %s\n", err->detail);
	if (err->hint[0])
		fprintf(stderr, "HINT: %s\n", err->hint);
}
