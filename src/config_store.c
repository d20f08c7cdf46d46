/*
 * config_store.c - the store of documents applied with sgbackup_apply(): the
 * tables, the files the archiver reads, and the commit protocol that
 * keeps them in agreement (see config_store.h).  The same code writes the
 * files (from the tables, at commit) and reads them.
 */
#include "postgres.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "access/xact.h"
#include "commands/trigger.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "postmaster/pgarch.h"
#include "storage/fd.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"

#include "config_emit.h"
#include "config_store.h"
#include "archive_status.h"
#include "sg_buf.h"

#define STORAGE_DIR SGB_APPLIED_DIR "/object_storage"
#define CLUSTER_FILE SGB_APPLIED_DIR "/cluster.yaml"
#define STAGED_SUFFIX ".staged"
#define TABLE_LOCK "LOCK TABLE sgbackup.object_storage, sgbackup.cluster_backups " \
	"IN SHARE ROW EXCLUSIVE MODE"

PG_FUNCTION_INFO_V1(sgbackup_config_changed);

/*
 * A transaction that changed the tables (the statement trigger says so)
 * rewrites every file at commit.  At pre-commit the rows are read with a
 * fresh snapshot (the tables are locked, so it sees exactly what will be
 * committed), checked, and staged as "<file>.staged"; the files without a
 * row are noted.  After the commit the staged files are renamed into place
 * and the others removed; after an abort the staged files are removed.
 */
typedef struct pending_state
{
	bool		sync;			/* the tables changed: rewrite the files */
	List	   *staged;			/* paths of the files staged (TopTransactionContext) */
	List	   *doomed;			/* paths of files with no row, to remove */
} pending_state;

static pending_state pending;

bool
sgb_config_store_name_ok(const char *name)
{
	size_t		len = strlen(name);

	if (len == 0 || len > 253 || name[0] == '.' || name[0] == '-')
		return false;
	for (const char *p = name; *p; p++)
	{
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
			  *p == '-' || *p == '.'))
			return false;
	}
	return strstr(name, "..") == NULL;
}

static void
storage_path(char *out, size_t size, const char *name)
{
	snprintf(out, size, "%s/%s.yaml", STORAGE_DIR, name);
}

static void
staged_path(char *out, size_t size, const char *path)
{
	snprintf(out, size, "%s%s", path, STAGED_SUFFIX);
}

/* ------------------------------------------------------------------------
 * writing files
 * ------------------------------------------------------------------------ */

static void
ensure_dir(const char *path)
{
	if (MakePGDirectory(path) != 0 && errno != EEXIST)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not create directory \"%s\": %m", path)));
}

/* write text to path, durably (fsynced); ERROR on failure */
static void
write_durably(const char *path, const char *text)
{
	size_t		len = strlen(text);
	int			fd;

	ensure_dir(SGB_APPLIED_DIR);
	ensure_dir(STORAGE_DIR);
	fd = OpenTransientFile(path, O_WRONLY | O_CREAT | O_TRUNC | PG_BINARY);
	if (fd < 0)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not create file \"%s\": %m", path)));
	errno = 0;
	if (write(fd, text, len) != (ssize_t) len)
	{
		if (errno == 0)
			errno = ENOSPC;
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not write file \"%s\": %m", path)));
	}
	if (pg_fsync(fd) != 0)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not fsync file \"%s\": %m", path)));
	if (CloseTransientFile(fd) != 0)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not close file \"%s\": %m", path)));
}

/* ------------------------------------------------------------------------
 * the tables
 * ------------------------------------------------------------------------ */

static void
lock_tables(void)
{
	SPI_connect();
	if (SPI_execute(TABLE_LOCK, false, 0) != SPI_OK_UTILITY)
		elog(ERROR, "could not lock the sgbackup configuration tables");
	SPI_finish();
}

/* the statement trigger on both tables: they changed, rewrite at commit */
Datum
sgbackup_config_changed(PG_FUNCTION_ARGS)
{
	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("sgbackup_config_changed() must be called as a trigger")));
	/* one writer at a time, so that each commit's files are the committed rows */
	lock_tables();
	pending.sync = true;
	return PointerGetDatum(NULL);
}

static void
store(const char *sql, int nargs, Oid *types, Datum *values, int expected)
{
	SPI_connect();
	if (SPI_execute_with_args(sql, nargs, types, values, NULL, false, 0) != expected)
		elog(ERROR, "could not store sgbackup configuration: %s", sql);
	SPI_finish();
}

void
sgb_config_store_store_storage(const sg_storage *s)
{
	char	   *yaml;
	Oid			types[2] = {TEXTOID, TEXTOID};
	Datum		values[2];

	if (s->name == NULL || !sgb_config_store_name_ok(s->name))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid metadata.name \"%s\"", s->name ? s->name : ""),
				 errdetail("A name has lower-case letters, digits, '-' and '.', at most 253 characters.")));
	yaml = sg_storage_to_yaml(s);
	if (yaml == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("could not write SGObjectStorage \"%s\" as YAML", s->name)));
	values[0] = CStringGetTextDatum(s->name);
	values[1] = CStringGetTextDatum(yaml);
	free(yaml);
	lock_tables();
	store("INSERT INTO sgbackup.object_storage (name, spec, applied_at) "
		  "VALUES ($1, $2, now()) ON CONFLICT (name) DO UPDATE "
		  "SET spec = EXCLUDED.spec, applied_at = EXCLUDED.applied_at",
		  2, types, values, SPI_OK_INSERT);
}

void
sgb_config_store_store_cluster(const sg_cluster_backups *c)
{
	char	   *yaml = sg_cluster_backups_to_yaml(c);
	Oid			types[1] = {TEXTOID};
	Datum		values[1];

	if (yaml == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("could not write the SGCluster backups section as YAML")));
	values[0] = CStringGetTextDatum(yaml);
	free(yaml);
	lock_tables();
	store("DELETE FROM sgbackup.cluster_backups", 0, NULL, NULL, SPI_OK_DELETE);
	store("INSERT INTO sgbackup.cluster_backups (spec, applied_at) VALUES ($1, now())",
		  1, types, values, SPI_OK_INSERT);
}

void
sgb_config_store_sync_all(void)
{
	lock_tables();
	pending.sync = true;
}

/* ------------------------------------------------------------------------
 * the commit protocol
 * ------------------------------------------------------------------------ */

/* a row must hold the one document its file is read as */
static void
check_row(const char *what, const char *spec, sg_doc_kind kind, const char *name)
{
	sg_document *docs;
	int			ndocs;
	sg_error	err;
	bool		ok;

	sg_error_clear(&err);
	ok = sg_parse_documents(spec, strlen(spec), &docs, &ndocs, &err);
	if (ok)
	{
		ok = ndocs == 1 && docs[0].kind == kind &&
			(name == NULL || (docs[0].storage.name && strcmp(docs[0].storage.name, name) == 0));
		sg_documents_free(docs, ndocs);
		if (!ok && kind == SG_DOC_CLUSTER)
			sg_error_set(&err, SG_ERR_CONFIG, "it must hold exactly one SGCluster");
		else if (!ok)
			sg_error_set(&err, SG_ERR_CONFIG, "it must hold exactly one SGObjectStorage named \"%s\"",
						 name);
	}
	if (!ok)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid %s: %s", what, err.msg),
				 err.detail[0] ? errdetail("%s", err.detail) : 0,
				 errhint("Store configuration with sgbackup_apply().")));
}

/* stage one file: "<path>.staged", remembered for the commit */
static void
stage(const char *path, const char *text)
{
	char		staged[MAXPGPATH];
	MemoryContext old;

	staged_path(staged, sizeof(staged), path);
	write_durably(staged, text);
	old = MemoryContextSwitchTo(TopTransactionContext);
	pending.staged = lappend(pending.staged, pstrdup(path));
	MemoryContextSwitchTo(old);
}

/* note the files of object_storage/ (and leftovers) that have no row */
static void
note_unlisted(void)
{
	DIR		   *dir = AllocateDir(STORAGE_DIR);
	struct dirent *de;
	MemoryContext old = MemoryContextSwitchTo(TopTransactionContext);

	while (dir && (de = ReadDir(dir, STORAGE_DIR)) != NULL)
	{
		char		path[MAXPGPATH];
		bool		keep = false;
		ListCell   *lc;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", STORAGE_DIR, de->d_name);
		foreach(lc, pending.staged)
		{
			char		staged[MAXPGPATH];

			staged_path(staged, sizeof(staged), lfirst(lc));
			keep = keep || strcmp(path, lfirst(lc)) == 0 || strcmp(path, staged) == 0;
		}
		if (!keep)
			pending.doomed = lappend(pending.doomed, pstrdup(path));
	}
	if (dir)
		FreeDir(dir);
	MemoryContextSwitchTo(old);
}

/* pre-commit: every row checked and staged, every file without a row noted */
static void
stage_all(void)
{
	char		path[MAXPGPATH];
	char	   *cluster = NULL;

	/* the latest snapshot: the locked tables as this transaction commits them */
	PushActiveSnapshot(GetLatestSnapshot());
	SPI_connect();
	/* the extension was dropped in this transaction: leave the files alone */
	if (SPI_execute("SELECT to_regclass('sgbackup.object_storage') IS NULL", true, 1) != SPI_OK_SELECT ||
		strcmp(SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1), "t") == 0)
	{
		SPI_finish();
		PopActiveSnapshot();
		return;
	}
	if (SPI_execute("SELECT name, spec FROM sgbackup.object_storage ORDER BY name",
					true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read sgbackup.object_storage");
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		char	   *name = SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1);
		char	   *spec = SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 2);
		char		what[300];

		snprintf(what, sizeof(what), "row \"%s\" of sgbackup.object_storage", name);
		if (!sgb_config_store_name_ok(name))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid %s: the name is not a valid object storage name", what)));
		check_row(what, spec, SG_DOC_OBJECT_STORAGE, name);
		storage_path(path, sizeof(path), name);
		stage(path, spec);
	}
	if (SPI_execute("SELECT spec FROM sgbackup.cluster_backups", true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read sgbackup.cluster_backups");
	if (SPI_processed > 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("sgbackup.cluster_backups holds more than one row")));
	if (SPI_processed == 1)
		cluster = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
	if (cluster)
	{
		check_row("row of sgbackup.cluster_backups", cluster, SG_DOC_CLUSTER, NULL);
		stage(CLUSTER_FILE, cluster);
	}
	note_unlisted();
	if (cluster == NULL)
	{
		MemoryContext old = MemoryContextSwitchTo(TopTransactionContext);

		pending.doomed = lappend(pending.doomed, pstrdup(CLUSTER_FILE));
		MemoryContextSwitchTo(old);
	}
	SPI_finish();
	PopActiveSnapshot();
}

/* after the commit: staged files into place, others removed; no ERROR here */
static void
install_staged(void)
{
	ListCell   *lc;

	foreach(lc, pending.staged)
	{
		const char *path = lfirst(lc);
		char		staged[MAXPGPATH];

		staged_path(staged, sizeof(staged), path);
		if (durable_rename(staged, path, LOG) != 0)
			ereport(WARNING,
					(errmsg("applied configuration file \"%s\" is not in force yet", path),
					 errdetail("The transaction committed, but its file could not be renamed into place."),
					 errhint("The scheduler rewrites the files from the tables when the server starts.")));
	}
	foreach(lc, pending.doomed)
	{
		if (unlink(lfirst(lc)) != 0 && errno != ENOENT)
			ereport(LOG,
					(errcode_for_file_access(),
					 errmsg("could not remove file \"%s\": %m", (char *) lfirst(lc))));
	}
	sgb_archiver_note_config_change();
	PgArchWakeup();
}

/* after an abort: the staged files go */
static void
remove_staged(void)
{
	ListCell   *lc;

	foreach(lc, pending.staged)
	{
		char		staged[MAXPGPATH];

		staged_path(staged, sizeof(staged), lfirst(lc));
		if (unlink(staged) != 0 && errno != ENOENT)
			ereport(LOG,
					(errcode_for_file_access(),
					 errmsg("could not remove file \"%s\": %m", staged)));
	}
}

static void
xact_callback(XactEvent event, void *arg)
{
	if (!pending.sync)
		return;
	switch (event)
	{
		case XACT_EVENT_PRE_COMMIT:
			stage_all();
			return;
		case XACT_EVENT_PRE_PREPARE:
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("cannot PREPARE a transaction that changed sgbackup configuration")));
			return;
		case XACT_EVENT_COMMIT:
			install_staged();
			break;
		case XACT_EVENT_ABORT:
			remove_staged();
			break;
		default:
			return;
	}
	/* the lists lived in TopTransactionContext, which goes now */
	memset(&pending, 0, sizeof(pending));
}

void
sgb_config_store_init(void)
{
	RegisterXactCallback(xact_callback, NULL);
}

/* ------------------------------------------------------------------------
 * reading files
 * ------------------------------------------------------------------------ */

/* parse the single document of a file; false with err */
static bool
parse_file(const char *path, sg_doc_kind want, sg_document **docs, int *ndocs,
		   sg_error *err)
{
	size_t		len;
	char	   *text = sg_read_file(path, &len);
	bool		ok;

	if (text == NULL)
	{
		if (errno == ENOENT)
			return sg_error_set(err, SG_ERR_NOT_FOUND, "file \"%s\" does not exist", path);
		return sg_error_set(err, SG_ERR_IO, "could not read file \"%s\": %s",
							path, strerror(errno));
	}
	ok = sg_parse_documents(text, len, docs, ndocs, err);
	free(text);
	if (ok && (*ndocs != 1 || (*docs)[0].kind != want))
	{
		sg_documents_free(*docs, *ndocs);
		return sg_error_set(err, SG_ERR_CORRUPT, "file \"%s\" does not hold the expected document", path);
	}
	return ok;
}

bool
sgb_config_store_find_storage(void *arg, const char *name, sg_storage *out,
						 sg_error *err)
{
	char		path[MAXPGPATH];
	sg_document *docs;
	int			ndocs;

	if (!sgb_config_store_name_ok(name))
		return sg_error_set(err, SG_ERR_CONFIG, "invalid object storage name \"%s\"", name);
	snprintf(path, sizeof(path), "%s/%s/%s.yaml", DataDir, STORAGE_DIR, name);
	if (!parse_file(path, SG_DOC_OBJECT_STORAGE, &docs, &ndocs, err))
	{
		if (err->kind == SG_ERR_NOT_FOUND)
		{
			sg_error_set(err, SG_ERR_CONFIG, "object storage \"%s\" is not defined", name);
			sg_error_detail(err, "sgbackup.object_storage names it, but no SGObjectStorage of that name was applied.");
			sg_error_hint(err, "Apply it with SELECT sgbackup_apply($$...$$), or correct sgbackup.object_storage.");
		}
		return false;
	}
	sg_storage_free(out);
	sg_storage_copy(out, &docs[0].storage);
	sg_documents_free(docs, ndocs);
	return true;
}

/* cached SGCluster section, re-read when the file's mtime or size changes */
static sg_document *cluster_docs = NULL;
static int	cluster_ndocs = 0;
static struct timespec cluster_mtime;
static off_t cluster_size = -1;

const sg_cluster_backups *
sgb_config_store_cluster(sg_error *err)
{
	char		path[MAXPGPATH];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", DataDir, CLUSTER_FILE);
	if (stat(path, &st) != 0)
	{
		if (cluster_docs)
			sg_documents_free(cluster_docs, cluster_ndocs);
		cluster_docs = NULL;
		cluster_size = -1;
		return NULL;
	}
	if (cluster_docs && st.st_size == cluster_size &&
		st.st_mtim.tv_sec == cluster_mtime.tv_sec &&
		st.st_mtim.tv_nsec == cluster_mtime.tv_nsec)
		return &cluster_docs[0].backups;
	if (cluster_docs)
		sg_documents_free(cluster_docs, cluster_ndocs);
	cluster_docs = NULL;
	if (!parse_file(path, SG_DOC_CLUSTER, &cluster_docs, &cluster_ndocs, err))
	{
		cluster_docs = NULL;
		return NULL;
	}
	cluster_mtime = st.st_mtim;
	cluster_size = st.st_size;
	return &cluster_docs[0].backups;
}

/* identity of a directory's content: a rename into it changes its mtime */
typedef struct dir_stamp
{
	bool		exists;
	ino_t		ino;
	struct timespec mtime;
} dir_stamp;

static bool
stamp_moved(const char *relpath, dir_stamp *last)
{
	char		path[MAXPGPATH];
	struct stat st;
	dir_stamp	now = {0};

	snprintf(path, sizeof(path), "%s/%s", DataDir, relpath);
	if (stat(path, &st) == 0)
	{
		now.exists = true;
		now.ino = st.st_ino;
		now.mtime = st.st_mtim;
	}
	if (now.exists == last->exists && now.ino == last->ino &&
		now.mtime.tv_sec == last->mtime.tv_sec && now.mtime.tv_nsec == last->mtime.tv_nsec)
		return false;
	*last = now;
	return true;
}

/*
 * Did applied configuration change since the last call?  The count of
 * commits in shared memory is exact; without sgbackup preloaded only the
 * directories' stamps tell.  All are checked, so that all stay current.
 */
bool
sgb_config_store_changed(void)
{
	static bool counted = false;
	static uint64_t last_count;
	static dir_stamp top;
	static dir_stamp storage;
	uint64_t	count;
	bool		moved = false;

	if (sgb_archiver_config_changes(&count))
	{
		moved = !counted || count != last_count;
		counted = true;
		last_count = count;
	}
	moved = stamp_moved(SGB_APPLIED_DIR, &top) || moved;
	return stamp_moved(STORAGE_DIR, &storage) || moved;
}
