/*
 * apply.c - sgbackup_apply(manifest): store StackGres documents.
 *
 * An SGObjectStorage goes to the table sgbackup.object_storage (by
 * metadata.name) and to $PGDATA/sgbackup/object_storage/<name>.yaml; the
 * backups section of an SGCluster to $PGDATA/sgbackup/cluster.yaml.  The
 * files are what processes without catalog access read; the archiver is
 * woken so that it sees the change at once.
 */
#include "postgres.h"

#include "executor/spi.h"
#include "fmgr.h"
#include "postmaster/pgarch.h"
#include "utils/builtins.h"

#include "applied.h"
#include "sg_buf.h"
#include "settings.h"

PG_FUNCTION_INFO_V1(sgbackup_apply);

/* a YAML double-quoted scalar */
static void
append_quoted(sg_buf *b, const char *s)
{
	sg_buf_append_str(b, "\"");
	for (; *s; s++)
	{
		if (*s == '"' || *s == '\\')
			sg_buf_printf(b, "\\%c", *s);
		else if ((unsigned char) *s < 0x20)
			sg_buf_printf(b, "\\x%02x", (unsigned char) *s);
		else
			sg_buf_append(b, s, 1);
	}
	sg_buf_append_str(b, "\"");
}

static void
append_field(sg_buf *b, const char *indent, const char *name, const char *value)
{
	if (value == NULL)
		return;
	sg_buf_printf(b, "%s%s: ", indent, name);
	append_quoted(b, value);
	sg_buf_append_str(b, "\n");
}

/* the SGCluster backups section as a minimal SGCluster document */
static char *
cluster_to_yaml(const sg_backup_config *c)
{
	sg_buf		fields;
	sg_buf		b;
	const char *in = "      ";

	sg_buf_init(&fields);
	append_field(&fields, in, "sgObjectStorage", c->object_storage);
	append_field(&fields, in, "path", c->path);
	if (c->has_compression)
		append_field(&fields, in, "compression", sg_compression_name(c->compression));
	append_field(&fields, in, "cronSchedule", c->cron_schedule);
	if (c->retention >= 0)
		sg_buf_printf(&fields, "%sretention: %d\n", in, c->retention);
	if (c->upload_concurrency > 0)
		sg_buf_printf(&fields, "%sperformance:\n%s  uploadConcurrency: %d\n",
					  in, in, c->upload_concurrency);
	sg_buf_init(&b);
	sg_buf_append_str(&b, "apiVersion: stackgres.io/v1\nkind: SGCluster\n"
					  "metadata:\n  name: applied\nspec:\n  configurations:\n"
					  "    backups:\n");
	if (fields.len == 0)
		sg_buf_append_str(&b, "    - {}\n");
	else
	{
		/* the first field starts the list item */
		sg_buf_append_str(&b, "    - ");
		sg_buf_append_str(&b, fields.data + strlen(in));
	}
	sg_buf_free(&fields);
	return b.data;
}

static void
store_object_storage(const sg_storage *s)
{
	char	   *yaml = sg_storage_to_yaml(s);
	char		relpath[MAXPGPATH];
	Oid			types[2] = {TEXTOID, TEXTOID};
	Datum		values[2];

	if (!sgb_applied_name_ok(s->name))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid metadata.name \"%s\"", s->name),
				 errdetail("A name has lower-case letters, digits, '-' and '.', at most 253 characters.")));
	values[0] = CStringGetTextDatum(s->name);
	values[1] = CStringGetTextDatum(yaml);
	SPI_connect();
	if (SPI_execute_with_args("INSERT INTO sgbackup.object_storage (name, spec, applied_at) "
							  "VALUES ($1, $2, now()) ON CONFLICT (name) DO UPDATE "
							  "SET spec = EXCLUDED.spec, applied_at = EXCLUDED.applied_at",
							  2, types, values, NULL, false, 0) != SPI_OK_INSERT)
		elog(ERROR, "could not store object storage \"%s\"", s->name);
	SPI_finish();
	snprintf(relpath, sizeof(relpath), "object_storage/%s.yaml", s->name);
	sgb_applied_write(relpath, yaml);
	free(yaml);
}

static void
store_document(const sg_document *doc)
{
	if (doc->kind == SG_DOC_OBJECT_STORAGE)
		store_object_storage(&doc->storage);
	else
	{
		char	   *yaml = cluster_to_yaml(&doc->backups);

		sgb_applied_write("cluster.yaml", yaml);
		free(yaml);
	}
}

Datum
sgbackup_apply(PG_FUNCTION_ARGS)
{
	text	   *manifest = PG_GETARG_TEXT_PP(0);
	sg_document *docs;
	int			ndocs;
	sg_error	err;
	sg_buf		summary;

	sg_error_clear(&err);
	if (!sg_parse_documents(VARDATA_ANY(manifest), VARSIZE_ANY_EXHDR(manifest),
							&docs, &ndocs, &err))
		sgb_report(ERROR, &err);
	sg_buf_init(&summary);
	for (int i = 0; i < ndocs; i++)
	{
		char	   *line = sg_document_summary(&docs[i]);

		store_document(&docs[i]);
		sg_buf_printf(&summary, "%s%s", i ? "; " : "", line);
		free(line);
	}
	sg_documents_free(docs, ndocs);
	PgArchWakeup();
	PG_RETURN_TEXT_P(cstring_to_text(summary.data));
}
