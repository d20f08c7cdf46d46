/*
 * config_apply.c - sgbackup_apply(manifest): store StackGres documents.
 *
 * An SGObjectStorage goes to the table sgbackup.object_storage (by
 * metadata.name), the backups section of an SGCluster to
 * sgbackup.cluster_backups; config_store.c writes the files the archiver reads
 * when the transaction commits, and wakes the archiver.
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/builtins.h"

#include "backend.h"
#include "config_store.h"
#include "privileges.h"
#include "sg_buf.h"
#include "config_guc.h"

PG_FUNCTION_INFO_V1(sgbackup_apply);

static void
store_document(const sg_document *doc)
{
	if (doc->kind == SG_DOC_OBJECT_STORAGE)
		sgb_config_store_store_storage(&doc->storage);
	else
		sgb_config_store_store_cluster(&doc->backups);
}

Datum
sgbackup_apply(PG_FUNCTION_ARGS)
{
	text	   *manifest = PG_GETARG_TEXT_PP(0);
	sg_document *docs;
	int			ndocs;
	sg_error	err;
	sg_buf		summary;

	sgb_require_config_privilege();
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
	PG_RETURN_TEXT_P(cstring_to_text(summary.data));
}
