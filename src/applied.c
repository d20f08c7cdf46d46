/*
 * applied.c - files under $PGDATA/sgbackup/ holding the documents applied
 * with sgbackup_apply() (see applied.h).
 */
#include "postgres.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "miscadmin.h"
#include "storage/fd.h"

#include "applied.h"
#include "sg_buf.h"

bool
sgb_applied_name_ok(const char *name)
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
ensure_dir(const char *path)
{
	if (MakePGDirectory(path) != 0 && errno != EEXIST)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not create directory \"%s\": %m", path)));
}

void
sgb_applied_write(const char *relpath, const char *text)
{
	char		path[MAXPGPATH];
	char		tmp[MAXPGPATH];
	size_t		len = strlen(text);
	int			fd;

	ensure_dir(SGB_APPLIED_DIR);
	ensure_dir(SGB_APPLIED_DIR "/object_storage");
	snprintf(path, sizeof(path), "%s/%s", SGB_APPLIED_DIR, relpath);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fd = OpenTransientFile(tmp, O_WRONLY | O_CREAT | O_TRUNC | PG_BINARY);
	if (fd < 0)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not create file \"%s\": %m", tmp)));
	errno = 0;
	if (write(fd, text, len) != (ssize_t) len)
	{
		if (errno == 0)
			errno = ENOSPC;
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not write file \"%s\": %m", tmp)));
	}
	if (pg_fsync(fd) != 0)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not fsync file \"%s\": %m", tmp)));
	CloseTransientFile(fd);
	durable_rename(tmp, path, ERROR);
}

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
sgb_applied_find_storage(void *arg, const char *name, sg_storage *out,
						 sg_error *err)
{
	char		path[MAXPGPATH];
	sg_document *docs;
	int			ndocs;

	if (!sgb_applied_name_ok(name))
		return sg_error_set(err, SG_ERR_CONFIG, "invalid object storage name \"%s\"", name);
	snprintf(path, sizeof(path), "%s/%s/object_storage/%s.yaml",
			 DataDir, SGB_APPLIED_DIR, name);
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

const sg_backup_config *
sgb_applied_cluster(sg_error *err)
{
	char		path[MAXPGPATH];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s/cluster.yaml", DataDir, SGB_APPLIED_DIR);
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
