/*
 * backup_catalog.c - base backups as objects under backups/<name>/ (see
 * backup_catalog.h): the listing that tells
 * completed, failed and running backups apart, and deleting a backup.
 * The metadata's JSON is in backup_meta.c, the retention plan over this
 * catalog in backup_retention.c.
 *
 * Order of backups, oldest first: a completed backup by when it finished,
 * any other by when it started; a backup whose time is not known sorts
 * last.  Not by LSN: a restore into the same bucket path forks a new
 * timeline at an older LSN, so the newest backup can have the lowest LSN.
 * Equal times are ordered by start LSN (unknown last), and the name breaks
 * exact ties, so that the order is stable.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backup_catalog.h"

#define BACKUPS_DIR		"backups/"
#define METADATA_JSON	"metadata.json"
#define FAILED_JSON		"failed.json"
#define STARTED_JSON	"started.json"

/* a metadata object is a few kB; anything this large is not ours */
#define METADATA_MAX_BYTES	(4 * 1024 * 1024)

/* ---------------------------------------------------------------- */
/* objects in the bucket */

bool
backup_name_valid(const char *name, size_t len)
{
	if (name == NULL || len == 0 || len > BACKUP_NAME_MAX || name[0] == '.')
		return false;
	for (size_t i = 0; i < len; i++)
	{
		char		c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			  (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.'))
			return false;
	}
	return true;
}

bool
backup_name_check(const char *name, sg_error *err)
{
	if (backup_name_valid(name, name ? strlen(name) : 0))
		return true;
	sg_error_set(err, SG_ERR_CONFIG, "invalid backup name \"%s\"", name ? name : "");
	sg_error_detail(err, "%s", BACKUP_NAME_RULE);
	return false;
}

static char *
backup_key(const char *name, const char *object)
{
	sg_buf		key;

	sg_buf_init(&key);
	sg_buf_printf(&key, BACKUPS_DIR "%s/%s", name, object);
	return key.data;
}

bool
backup_catalog_put(sg_store *st, const backup_info *b, const char *object,
				   sg_error *err)
{
	char	   *key,
			   *json;
	bool		ok;

	if (!backup_name_check(b->name, err))
		return false;
	key = backup_key(b->name, object);
	json = backup_info_to_json(b);
	ok = sg_store_put(st, key, json, strlen(json), NULL, 0, err);
	free(json);
	free(key);
	return ok;
}

/*
 * Get and parse backups/<name>/<object>.  Returns 1 when read (a parse
 * failure is reported in out->error with status failed), 0 when there is
 * no such object, -1 on a storage error.
 */
static int
fetch_json(sg_store *st, const char *name, const char *object,
		   backup_info *out, sg_error *err)
{
	char	   *key = backup_key(name, object);
	sg_buf		body;
	sg_error	perr;
	bool		ok;

	sg_buf_init(&body);
	ok = sg_store_get(st, key, METADATA_MAX_BYTES, &body, NULL, err);
	free(key);
	if (!ok)
	{
		sg_buf_free(&body);
		if (err->kind != SG_ERR_NOT_FOUND)
			return -1;
		sg_error_clear(err);
		return 0;
	}
	if (!backup_info_from_json(body.data, body.len, out, &perr))
	{
		backup_info_init(out);
		out->status = BACKUP_FAILED;
		backup_info_set_error(out, "unreadable %s: %s", object, perr.msg);
	}
	sg_buf_free(&body);
	free(out->name);
	out->name = sg_strdup(name);
	return 1;
}

/* what the listing found of one backup */
typedef struct listed_backup
{
	char	   *name;
	bool		has_metadata;
	bool		has_failed;
	bool		has_started;
	int64_t		first_modified; /* earliest object, Unix microseconds; 0 unknown */
} listed_backup;

typedef struct listing
{
	listed_backup *items;
	int			n;
	size_t		cap;
} listing;

static listed_backup *
listing_find(listing *l, const char *name, size_t len)
{
	for (int i = l->n - 1; i >= 0; i--)
	{
		if (strlen(l->items[i].name) == len && memcmp(l->items[i].name, name, len) == 0)
			return &l->items[i];
	}
	l->items = sg_array_grow(l->items, sizeof(listed_backup), l->n, &l->cap, 16);
	memset(&l->items[l->n], 0, sizeof(listed_backup));
	l->items[l->n].name = sg_malloc(len + 1);
	memcpy(l->items[l->n].name, name, len);
	l->items[l->n].name[len] = '\0';
	return &l->items[l->n++];
}

static bool
listing_add(void *arg, const sg_store_entry *entry)
{
	const char *rest = entry->key + strlen(BACKUPS_DIR);
	const char *slash = strchr(rest, '/');
	listed_backup *lb;
	int64_t		modified;

	if (strncmp(entry->key, BACKUPS_DIR, strlen(BACKUPS_DIR)) != 0 ||
		slash == NULL || slash == rest)
		return true;			/* not backups/<name>/<object>: not ours */
	lb = listing_find(arg, rest, slash - rest);
	if (strcmp(slash + 1, METADATA_JSON) == 0)
		lb->has_metadata = true;
	else if (strcmp(slash + 1, FAILED_JSON) == 0)
		lb->has_failed = true;
	else if (strcmp(slash + 1, STARTED_JSON) == 0)
		lb->has_started = true;
	if (entry->last_modified && sg_parse_time(entry->last_modified, &modified) &&
		(lb->first_modified == 0 || modified < lb->first_modified))
		lb->first_modified = modified;
	return true;
}

/* metadata.json: completed, unless its content says otherwise */
static int
read_completed(sg_store *st, const char *name, backup_info *out, sg_error *err)
{
	int			rc = fetch_json(st, name, METADATA_JSON, out, err);

	if (rc != 1 || out->status == BACKUP_FAILED)
		return rc;
	if (out->status != BACKUP_COMPLETED)
	{
		backup_info_set_error(out, "metadata.json says status \"%s\"", backup_status_name(out->status));
		out->status = BACKUP_FAILED;
	}
	else if (out->start_lsn == 0 || out->start_wal[0] == '\0')
	{
		out->status = BACKUP_FAILED;
		backup_info_set_error(out, "metadata.json lacks the start LSN or start WAL file");
	}
	return rc;
}

/* started.json only: running, or interrupted when it is not running */
static int
read_unfinished(sg_store *st, const listed_backup *lb, backup_running_fn is_running,
				void *arg, backup_info *out, sg_error *err)
{
	int			rc = 0;

	if (lb->has_started)
		rc = fetch_json(st, lb->name, STARTED_JSON, out, err);
	if (rc < 0)
		return rc;
	if (rc == 0)
	{
		backup_info_init(out);
		out->name = sg_strdup(lb->name);
	}
	if (is_running == NULL || is_running(arg, lb->name))
	{
		/* never failed while running, even with an unreadable started.json */
		out->status = BACKUP_RUNNING;
		return 1;
	}

	/* it may have completed between the listing and now */
	backup_info_free(out);
	rc = read_completed(st, lb->name, out, err);
	if (rc != 0)
		return rc;
	if (lb->has_started)
		rc = fetch_json(st, lb->name, STARTED_JSON, out, err);
	if (rc < 0)
		return rc;
	if (rc == 0)
	{
		backup_info_init(out);
		out->name = sg_strdup(lb->name);
		backup_info_set_error(out, "interrupted: no started.json, failed.json or metadata.json");
	}
	else if (out->error == NULL)
		backup_info_set_error(out, "interrupted: the backup is not running and never completed");
	out->status = BACKUP_FAILED;
	return 1;
}

/* one backup's entry; 0 when it vanished meanwhile (deleted), -1 on error */
static int
read_backup(sg_store *st, const listed_backup *lb, backup_running_fn is_running,
			void *arg, backup_info *out, sg_error *err)
{
	int			rc;

	if (lb->has_metadata && (rc = read_completed(st, lb->name, out, err)) != 0)
		return rc;
	if (lb->has_failed && (rc = fetch_json(st, lb->name, FAILED_JSON, out, err)) != 0)
	{
		if (rc == 1)
		{
			out->status = BACKUP_FAILED;
			if (out->error == NULL)
				out->error = sg_strdup("failed (no reason recorded)");
		}
		return rc;
	}
	if (lb->has_metadata || lb->has_failed)
		return 0;				/* deleted since the listing */
	return read_unfinished(st, lb, is_running, arg, out, err);
}

/* when a backup counts as taken, for the order (see the top of this file) */
static int64_t
order_time(const backup_info *b)
{
	int64_t		t = b->status == BACKUP_COMPLETED && b->finished_at != 0 ?
		b->finished_at : b->started_at;

	return t != 0 ? t : INT64_MAX;
}

int
backup_order_cmp(const backup_info *a, const backup_info *b)
{
	int64_t		ta = order_time(a);
	int64_t		tb = order_time(b);
	uint64_t	la = a->start_lsn ? a->start_lsn : UINT64_MAX;
	uint64_t	lb = b->start_lsn ? b->start_lsn : UINT64_MAX;

	if (ta != tb)
		return ta < tb ? -1 : 1;
	if (la != lb)
		return la < lb ? -1 : 1;
	return strcmp(a->name ? a->name : "", b->name ? b->name : "");
}

static int
backup_qsort_cmp(const void *a, const void *b)
{
	return backup_order_cmp(a, b);
}

bool
backup_catalog_list(sg_store *st, backup_running_fn is_running, void *arg,
					backup_info **out, int *n, sg_error *err)
{
	listing		l = {0};
	backup_info *list;
	int			count = 0;
	bool		ok;

	*out = NULL;
	*n = 0;
	ok = sg_store_list(st, BACKUPS_DIR, NULL, listing_add, &l, err);
	list = sg_malloc(sizeof(backup_info) * (l.n ? l.n : 1));
	for (int i = 0; ok && i < l.n; i++)
	{
		int			rc;

		backup_info_init(&list[count]);
		rc = read_backup(st, &l.items[i], is_running, arg, &list[count], err);

		if (rc < 0)
			ok = false;
		else if (rc == 1)
		{
			/* without a recorded start, the first object's time will do */
			if (list[count].started_at == 0)
				list[count].started_at = l.items[i].first_modified;
			count++;
		}
	}
	for (int i = 0; i < l.n; i++)
		free(l.items[i].name);
	free(l.items);
	if (!ok)
	{
		backup_list_free(list, count);
		return false;
	}
	qsort(list, count, sizeof(backup_info), backup_qsort_cmp);
	*out = list;
	*n = count;
	return true;
}

void
backup_list_free(backup_info *list, int n)
{
	for (int i = 0; i < n; i++)
		backup_info_free(&list[i]);
	free(list);
}

/* ---------------------------------------------------------------- */
/* deleting */

typedef struct key_list
{
	char	  **keys;
	int			n;
} key_list;

static bool
collect_key(void *arg, const sg_store_entry *entry)
{
	key_list   *kl = arg;

	kl->keys = sg_realloc(kl->keys, sizeof(char *) * (kl->n + 1));
	kl->keys[kl->n++] = sg_strdup(entry->key);
	return true;
}

bool
backup_catalog_delete(sg_store *st, const char *name, sg_error *err)
{
	char	   *key;
	key_list	kl = {0};
	bool		ok;

	if (!backup_name_check(name, err))
		return false;
	key = backup_key(name, "");
	ok = sg_store_list(st, key, NULL, collect_key, &kl, err);
	free(key);
	if (ok && kl.n == 0)
	{
		sg_error_set(err, SG_ERR_NOT_FOUND, "backup \"%s\" does not exist", name);
		sg_error_hint(err, "List the backups with \"sgbackup backup-list\" or SELECT name FROM sgbackup.backups.");
		ok = false;
	}
	/* metadata.json first: a half-deleted backup is never listed as completed */
	key = backup_key(name, METADATA_JSON);
	for (int i = 0; i < kl.n; i++)
	{
		if (strcmp(kl.keys[i], key) == 0)
		{
			free(kl.keys[i]);
			kl.keys[i] = kl.keys[--kl.n];
			break;
		}
	}
	ok = ok && sg_store_delete(st, (const char *const *) &key, 1, err) &&
		sg_store_delete(st, (const char *const *) kl.keys, kl.n, err);
	free(key);
	for (int i = 0; i < kl.n; i++)
		free(kl.keys[i]);
	free(kl.keys);
	return ok;
}
