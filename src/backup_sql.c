/*
 * backup_sql.c - SQL over the backups in the bucket: the sgbackup.backups
 * view, sgbackup_apply_retention(), sgbackup_delete() and
 * sgbackup_verify().  The bucket is
 * the source of truth: a new server pointed at it lists its backups.
 */
#include "postgres.h"

#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/pg_lsn.h"
#include "utils/timestamp.h"

#include "backend.h"
#include "backup_worker.h"
#include "backup_catalog.h"
#include "backup_control.h"
#include "privileges.h"
#include "backup_retention.h"
#include "backup_verify.h"
#include "config_guc.h"

PG_FUNCTION_INFO_V1(sgbackup_backups);
PG_FUNCTION_INFO_V1(sgbackup_apply_retention);
PG_FUNCTION_INFO_V1(sgbackup_delete);
PG_FUNCTION_INFO_V1(sgbackup_verify);

/* the store of the configuration in force; ERROR when there is none */
static sg_store *
open_store(sg_config *o)
{
	sg_error	err;
	s3_limits	limits = sgb_backend_limits();
	sg_store   *st;

	sg_error_clear(&err);
	st = sgb_open_store(o, &limits, &err);
	if (st == NULL)
		sgb_report(ERROR, &err);
	return st;
}

static Datum
time_datum(int64 usec, bool *isnull)
{
	*isnull = usec == 0;
	/* Unix microseconds to PostgreSQL's epoch (2000-01-01) */
	return TimestampTzGetDatum(usec - (int64) (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * USECS_PER_DAY);
}

static Datum
text_datum(const char *s, bool *isnull)
{
	*isnull = s == NULL || s[0] == '\0';
	return *isnull ? (Datum) 0 : CStringGetTextDatum(s);
}

/*
 * A running backup whose server is waiting for WAL archiving says so, with
 * the archiver's last failure, instead of looking merely slow.
 */
static bool
archiving_note(char *buf, size_t size)
{
	bool		found = false;

	SPI_connect();
	if (SPI_execute("SELECT coalesce(a.last_failure, 'none recorded') "
					"FROM pg_stat_progress_basebackup p, sgbackup.archiver a "
					"WHERE p.phase LIKE 'waiting for wal archiving%'", true, 1) == SPI_OK_SELECT &&
		SPI_processed > 0)
	{
		snprintf(buf, size, "waiting for WAL archiving: the backup's last WAL segment is not archived yet; last archiving failure: %s",
				 SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1));
		found = true;
	}
	SPI_finish();
	return found;
}

static void
put_row(Tuplestorestate *ts, TupleDesc desc, const backup_info *b)
{
	Datum		v[15];
	bool		n[15] = {0};
	char		sysid[32];
	char		note[1024];

	v[0] = CStringGetTextDatum(b->name);
	v[1] = CStringGetTextDatum(backup_status_name(b->status));
	v[2] = BoolGetDatum(b->permanent);
	v[3] = LSNGetDatum(b->start_lsn);
	n[3] = b->start_lsn == 0;
	v[4] = LSNGetDatum(b->stop_lsn);
	n[4] = b->stop_lsn == 0;
	v[5] = Int64GetDatum(b->timeline);
	n[5] = b->timeline == 0;
	v[6] = text_datum(b->start_wal, &n[6]);
	v[7] = text_datum(b->stop_wal, &n[7]);
	v[8] = Int64GetDatum(b->size_bytes);
	n[8] = b->status != BACKUP_COMPLETED;
	v[9] = Int64GetDatum(b->compressed_bytes);
	n[9] = b->status != BACKUP_COMPLETED;
	v[10] = time_datum(b->started_at, &n[10]);
	v[11] = time_datum(b->finished_at, &n[11]);
	v[12] = text_datum(b->pg_version, &n[12]);
	snprintf(sysid, sizeof(sysid), UINT64_FORMAT, b->system_identifier);
	v[13] = text_datum(b->system_identifier ? sysid : NULL, &n[13]);
	if (b->status == BACKUP_RUNNING &&
		(sgb_backup_running_note(b->name, note, sizeof(note)) ||
		 archiving_note(note, sizeof(note))))
		v[14] = text_datum(note, &n[14]);
	else
		v[14] = text_datum(b->error, &n[14]);
	tuplestore_putvalues(ts, desc, v, n);
}

Datum
sgbackup_backups(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	sg_config	o;
	sg_store   *st;
	backup_info *list;
	int			n;
	sg_error	err;
	bool		ok;

	sgb_require_read_privilege("sgbackup.backups");
	InitMaterializedSRF(fcinfo, 0);
	st = open_store(&o);
	sg_error_clear(&err);
	ok = backup_catalog_list(st, sgb_backup_is_running, NULL, &list, &n, &err);
	sg_store_free(st);
	sg_config_free(&o);
	if (!ok)
		sgb_report(ERROR, &err);
	for (int i = 0; i < n; i++)
		put_row(rsinfo->setResult, rsinfo->setDesc, &list[i]);
	backup_list_free(list, n);
	return (Datum) 0;
}

Datum
sgbackup_apply_retention(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	sg_config	o;
	sg_store   *st;
	retention_plan plan;
	sg_error	err;
	bool		ok;

	sgb_require_backup_privilege("apply retention");
	InitMaterializedSRF(fcinfo, 0);
	st = open_store(&o);
	sg_error_clear(&err);
	ok = sg_retention_run(st, o.retention, sgb_backup_is_running, NULL, &plan, &err);
	sg_store_free(st);
	sg_config_free(&o);
	if (!ok)
		sgb_report(ERROR, &err);
	for (int i = 0; i < plan.nbackups + plan.nwal; i++)
	{
		Datum		v[2];
		bool		nulls[2] = {0};
		bool		is_backup = i < plan.nbackups;

		v[0] = CStringGetTextDatum(is_backup ? "backup" : "wal");
		v[1] = CStringGetTextDatum(is_backup ? plan.backups[i] : plan.wal[i - plan.nbackups]);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, v, nulls);
	}
	retention_plan_free(&plan);
	return (Datum) 0;
}

Datum
sgbackup_delete(PG_FUNCTION_ARGS)
{
	char	   *name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	sg_config	o;
	sg_store   *st;
	sg_error	err;
	bool		ok;

	sgb_require_backup_privilege("delete a backup");
	if (sgb_backup_is_running(NULL, name))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_IN_USE),
				 errmsg("backup \"%s\" is running", name)));
	st = open_store(&o);
	sg_error_clear(&err);
	ok = backup_catalog_delete(st, name, &err);
	sg_store_free(st);
	sg_config_free(&o);
	if (!ok)
		sgb_report(ERROR, &err);
	PG_RETURN_BOOL(true);
}

/*
 * The checks of `sgbackup verify`: the objects are downloaded (in parallel,
 * download_concurrency threads) and checked in memory; cancel and
 * statement_timeout stop them (sgb_backend_limits).
 */
Datum
sgbackup_verify(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	char	   *name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	s3_limits	limits = sgb_backend_limits();
	sg_config	o;
	sg_store   *st;
	verify_report report;
	sg_error	err;
	bool		ok;

	sgb_require_backup_privilege("verify backups");
	InitMaterializedSRF(fcinfo, 0);
	st = open_store(&o);
	sg_error_clear(&err);
	{
		restore_source src = {&o.storage, o.secrets_directory, &limits, st,
		o.download_concurrency};

		ok = backup_verify(&src, name, false, &report, &err);
	}
	sg_store_free(st);
	sg_config_free(&o);
	CHECK_FOR_INTERRUPTS();
	if (!ok)
		sgb_report(ERROR, &err);
	for (int i = 0; i < report.nchecks; i++)
	{
		Datum		values[3];
		bool		nulls[3] = {false, false, false};

		values[0] = CStringGetTextDatum(report.checks[i].check);
		values[1] = BoolGetDatum(report.checks[i].ok);
		values[2] = CStringGetTextDatum(report.checks[i].detail);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	verify_report_free(&report);
	return (Datum) 0;
}
