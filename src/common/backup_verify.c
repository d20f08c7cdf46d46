/*
 * backup_verify.c - checking a stored backup without restoring it (see
 * backup_verify.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backup_catalog.h"
#include "backup_select.h"
#include "backup_verify.h"
#include "sg_buf.h"
#include "wal_store.h"

static void add_check(verify_report *r, const char *check, bool ok, const char *fmt,...)
			__attribute__((format(printf, 4, 5)));

static void
add_check(verify_report *r, const char *check, bool ok, const char *fmt,...)
{
	verify_check *c = &r->checks[r->nchecks++];
	va_list		ap;

	c->check = check;
	c->ok = ok;
	va_start(ap, fmt);
	vsnprintf(c->detail, sizeof(c->detail), fmt, ap);
	va_end(ap);
	if (!ok)
		r->ok = false;
}

static void
add_error(verify_report *r, const char *check, const sg_error *e)
{
	add_check(r, check, false, "%s%s%s", e->msg, e->detail[0] ? ": " : "", e->detail);
}

/* index of the backup to check, or -1 with err */
static int
find_backup(const backup_info *list, int n, const char *name, sg_error *err)
{
	bool		latest = strcmp(name, "LATEST") == 0;

	for (int i = n - 1; i >= 0; i--)
		if (latest ? list[i].status == BACKUP_COMPLETED : strcmp(list[i].name, name) == 0)
			return i;
	if (latest)
		sg_error_set(err, SG_ERR_NOT_FOUND, "there is no completed backup in storage");
	else
		sg_error_set(err, SG_ERR_NOT_FOUND, "backup \"%s\" does not exist", name);
	sg_error_hint(err, "List the backups with sgbackup backup-list.");
	return -1;
}

static void
check_wal(const restore_source *src, const backup_info *b, bool to_latest,
		  verify_report *r)
{
	wal_listing l;
	timeline_history h;
	sg_error	e;
	wal_chain	gap;
	uint32_t	tli = b->timeline;
	bool		ok;

	sg_error_clear(&e);
	memset(&h, 0, sizeof(h));
	ok = wal_list(src->store, &l, &e);
	if (ok && to_latest && (tli = wal_latest_timeline(l.names, l.n)) > 1)
	{
		int			rc = wal_fetch_history(src->store, tli, &h, &e);

		if (rc == 0)
			sg_error_set(&e, SG_ERR_CORRUPT, "the history file %08X.history of timeline %u is missing",
						 tli, tli);
		ok = rc == 1;
	}
	if (ok)
		ok = wal_chain_check(l.names, l.n, WAL_DEFAULT_SEGMENT_SIZE, b->timeline, b->start_lsn,
							 to_latest ? tli : b->timeline, to_latest ? 0 : b->stop_lsn,
							 to_latest && tli > 1 ? &h : NULL, &gap, &e);
	if (!ok)
		add_error(r, "wal", &e);
	else if (!gap.complete)
		add_check(r, "wal", false, "WAL file %s is missing between %s and %s",
				  gap.first_missing, gap.first, gap.last);
	else
		add_check(r, "wal", true, "%llu WAL files from %s to %s",
				  (unsigned long long) gap.nsegments, gap.first, gap.last);
	timeline_history_free(&h);
	wal_listing_free(&l);
}

static void
check_content(const restore_source *src, const backup_info *b, verify_report *r)
{
	backup_manifest *m = NULL;
	sg_error	e;
	sg_error	files;
	unpack_stats stats;
	restore_options o = {0};

	sg_error_clear(&e);
	sg_error_clear(&files);
	if (!backup_fetch_manifest(src, b, &m, NULL, &e))
	{
		add_error(r, "manifest", &e);
		return;
	}
	add_check(r, "manifest", true, "%d files, manifest checksum correct", manifest_nfiles(m));
	o.files_err = &files;
	if (!backup_unpack_all(src, b, m, &o, &stats, &e))
		add_error(r, "objects", &e);
	else
		add_check(r, "objects", true, "%d objects present with the recorded checksums",
				  b->nobjects - 1);
	if (files.kind != SG_ERR_NONE)
		add_error(r, "files", &files);
	else if (e.kind == SG_ERR_NONE)
		add_check(r, "files", true, "%lld files, %lld bytes, each as backup_manifest says",
				  (long long) stats.files, (long long) stats.bytes);
	else
		add_check(r, "files", false, "not checked to the end: an object could not be read");
	manifest_free(m);
}

bool
backup_verify(const restore_source *src, const char *name, bool to_latest,
			  verify_report *report, sg_error *err)
{
	backup_info *list = NULL;
	int			n = 0;
	int			i;

	memset(report, 0, sizeof(*report));
	report->ok = true;
	if (!backup_catalog_list(src->store, NULL, NULL, &list, &n, err))
		return false;
	if ((i = find_backup(list, n, name, err)) < 0)
	{
		backup_list_free(list, n);
		return false;
	}
	report->name = sg_strdup(list[i].name);
	if (list[i].status != BACKUP_COMPLETED)
		add_check(report, "backup", false, "backup \"%s\" is %s, not completed",
				  list[i].name, backup_status_name(list[i].status));
	else
	{
		add_check(report, "backup", true, "completed, PostgreSQL %s, timeline %u",
				  list[i].pg_version ? list[i].pg_version : "?", list[i].timeline);
		check_content(src, &list[i], report);
		check_wal(src, &list[i], to_latest, report);
	}
	backup_list_free(list, n);
	return true;
}

void
verify_report_free(verify_report *report)
{
	free(report->name);
	report->name = NULL;
}
