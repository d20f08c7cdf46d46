/* TEMPORARY: the hand-written SGCluster writer until sg_config.c has the emitter (config helper). */
#include <string.h>
#include "sg_buf.h"
#include "sg_config.h"
#include "compress.h"
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
char *
sg_backup_config_to_yaml(const sg_backup_config *c)
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

