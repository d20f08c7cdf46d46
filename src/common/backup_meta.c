/*
 * backup_meta.c - a backup's metadata (see backup_meta.h): backup_info, its
 * JSON text (json-c) as stored in metadata.json, started.json and
 * failed.json, and LSNs and times as text.
 */
#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE			/* timegm */
#endif

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "backup_meta.h"
#include "sg_buf.h"

/* how the .json objects are written: readable, with "/" as is */
#define JSON_FLAGS	(JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED | \
					 JSON_C_TO_STRING_NOSLASHESCAPE)

/* ---------------------------------------------------------------- */
/* backup_info */

void
backup_info_init(backup_info *b)
{
	memset(b, 0, sizeof(*b));
	b->status = BACKUP_RUNNING;
}

void
backup_info_free(backup_info *b)
{
	free(b->name);
	free(b->pg_version);
	free(b->compression);
	free(b->error);
	free(b->controldata_json);
	free(b->storage_json);
	for (int i = 0; i < b->nobjects; i++)
		free(b->objects[i].name);
	free(b->objects);
	backup_info_init(b);
}

backup_object *
backup_info_add_object(backup_info *b, const char *name)
{
	backup_object *o;

	b->objects = sg_realloc(b->objects, sizeof(backup_object) * (b->nobjects + 1));
	o = &b->objects[b->nobjects++];
	o->name = sg_strdup(name);
	o->bytes = -1;
	o->sha256[0] = '\0';
	return o;
}

const backup_object *
backup_info_object(const backup_info *b, const char *name)
{
	for (int i = 0; i < b->nobjects; i++)
	{
		if (strcmp(b->objects[i].name, name) == 0)
			return &b->objects[i];
	}
	return NULL;
}

bool
backup_object_name_valid(const char *name)
{
	size_t		len = strlen(name);

	return len >= 1 && len <= 255 && name[0] != '.' &&
		strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			   "0123456789._-") == len;
}

const char *
backup_status_name(backup_status s)
{
	switch (s)
	{
		case BACKUP_COMPLETED:
			return "completed";
		case BACKUP_FAILED:
			return "failed";
		case BACKUP_RUNNING:
			break;
	}
	return "running";
}

void
backup_info_set_error(backup_info *b, const char *fmt,...)
{
	va_list		ap;
	char		text[1024];

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	free(b->error);
	b->error = sg_strdup(text);
}

/* ---------------------------------------------------------------- */
/* LSNs, WAL names and timestamps as text */

void
sg_format_lsn(char *out, size_t size, uint64_t lsn)
{
	snprintf(out, size, "%X/%X", (unsigned) (lsn >> 32), (unsigned) lsn);
}

bool
sg_parse_hex32(const char *s, size_t len, uint32_t *out)
{
	uint32_t	v = 0;

	if (len == 0 || len > 8)
		return false;
	for (size_t i = 0; i < len; i++)
	{
		char		c = s[i];
		int			d;

		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (c >= 'A' && c <= 'F')
			d = c - 'A' + 10;
		else if (c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else
			return false;
		v = (v << 4) | (uint32_t) d;
	}
	*out = v;
	return true;
}

bool
sg_parse_lsn(const char *s, size_t len, uint64_t *out)
{
	const char *slash = memchr(s, '/', len);
	uint32_t	hi,
				lo;

	if (slash == NULL ||
		!sg_parse_hex32(s, slash - s, &hi) ||
		!sg_parse_hex32(slash + 1, len - (slash + 1 - s), &lo))
		return false;
	*out = ((uint64_t) hi << 32) | lo;
	return true;
}

static bool
is_segment_name(const char *s)
{
	return strlen(s) == 24 && strspn(s, "0123456789ABCDEF") == 24;
}

/* "2026-11-30T06:15:00.123456Z" from Unix microseconds */
void
sg_format_time(char *out, size_t size, int64_t usec)
{
	int64_t		secs = usec / 1000000;
	int64_t		frac = usec % 1000000;
	time_t		t;
	struct tm	tm;

	if (frac < 0)
	{
		frac += 1000000;
		secs--;
	}
	t = (time_t) secs;
	gmtime_r(&t, &tm);
	snprintf(out, size, "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ",
			 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
			 tm.tm_hour, tm.tm_min, tm.tm_sec, (int) frac);
}

/* n decimal digits at *p (no sign, no spaces), advancing *p */
static bool
fixed_digits(const char **p, int n, int *out)
{
	int			v = 0;

	for (int i = 0; i < n; i++)
	{
		char		c = (*p)[i];

		if (c < '0' || c > '9')
			return false;
		v = v * 10 + (c - '0');
	}
	*p += n;
	*out = v;
	return true;
}

/* one of the characters any at *p, advancing *p */
static bool
expect_char(const char **p, const char *any)
{
	if (**p == '\0' || strchr(any, **p) == NULL)
		return false;
	(*p)++;
	return true;
}

/* "Z", or "+HH:MM" / "-HH:MM" east of UTC, as seconds */
static bool
parse_offset(const char *p, int *seconds)
{
	int			sign,
				hours,
				minutes;

	*seconds = 0;
	if ((p[0] == 'Z' || p[0] == 'z') && p[1] == '\0')
		return true;
	if (p[0] != '+' && p[0] != '-')
		return false;
	sign = p[0] == '-' ? -1 : 1;
	p++;
	if (!fixed_digits(&p, 2, &hours) || !expect_char(&p, ":") ||
		!fixed_digits(&p, 2, &minutes) || *p != '\0' ||
		hours > 23 || minutes > 59)
		return false;
	*seconds = sign * (hours * 3600 + minutes * 60);
	return true;
}

/*
 * Parse an RFC 3339 time, "YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM)",
 * into Unix microseconds; digits of the fraction past the sixth are
 * dropped.  S3 listings use the form with Z and milliseconds.
 */
bool
sg_parse_time(const char *s, int64_t *out)
{
	struct tm	tm,
				check;
	int64_t		frac = 0;
	int			offset;
	time_t		t;
	const char *p = s;

	memset(&tm, 0, sizeof(tm));
	if (!fixed_digits(&p, 4, &tm.tm_year) || !expect_char(&p, "-") ||
		!fixed_digits(&p, 2, &tm.tm_mon) || !expect_char(&p, "-") ||
		!fixed_digits(&p, 2, &tm.tm_mday) || !expect_char(&p, "Tt") ||
		!fixed_digits(&p, 2, &tm.tm_hour) || !expect_char(&p, ":") ||
		!fixed_digits(&p, 2, &tm.tm_min) || !expect_char(&p, ":") ||
		!fixed_digits(&p, 2, &tm.tm_sec))
		return false;
	if (*p == '.')
	{
		int			digits = 0;

		for (p++; *p >= '0' && *p <= '9'; p++, digits++)
		{
			if (digits < 6)
				frac = frac * 10 + (*p - '0');
		}
		if (digits == 0)
			return false;
		for (; digits < 6; digits++)
			frac *= 10;
	}
	if (!parse_offset(p, &offset))
		return false;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	check = tm;
	t = timegm(&tm);
	/* timegm normalises out-of-range fields: refuse dates like 02-31 */
	if (tm.tm_year != check.tm_year || tm.tm_mon != check.tm_mon ||
		tm.tm_mday != check.tm_mday || tm.tm_hour != check.tm_hour ||
		tm.tm_min != check.tm_min || tm.tm_sec != check.tm_sec)
		return false;
	*out = ((int64_t) t - offset) * 1000000 + frac;
	return true;
}

/* ---------------------------------------------------------------- */
/* to JSON */

static void
add_string(json_object *obj, const char *key, const char *value)
{
	if (value != NULL && value[0] != '\0')
		json_object_object_add(obj, key, json_object_new_string(value));
}

static void
add_lsn(json_object *obj, const char *key, uint64_t lsn)
{
	char		text[32];

	if (lsn == 0)
		return;
	sg_format_lsn(text, sizeof(text), lsn);
	add_string(obj, key, text);
}

static void
add_time(json_object *obj, const char *key, int64_t usec)
{
	char		text[64];

	if (usec == 0)
		return;
	sg_format_time(text, sizeof(text), usec);
	add_string(obj, key, text);
}

/* a JSON object given as text, added as is; anything else is left out */
static void
add_object_text(json_object *obj, const char *key, const char *text)
{
	json_object *value;

	if (text == NULL)
		return;
	value = json_tokener_parse(text);
	if (value != NULL && json_object_is_type(value, json_type_object))
		json_object_object_add(obj, key, value);
	else
		json_object_put(value);
}

static json_object *
backup_information(const backup_info *b)
{
	json_object *info = json_object_new_object();
	json_object *size = json_object_new_object();
	char		sysid[32];

	add_lsn(info, "startLsn", b->start_lsn);
	add_lsn(info, "stopLsn", b->stop_lsn);
	if (b->timeline != 0)
		json_object_object_add(info, "timeline", json_object_new_int64(b->timeline));
	add_string(info, "startWalFile", b->start_wal);
	add_string(info, "stopWalFile", b->stop_wal);
	add_string(info, "postgresVersion", b->pg_version);
	if (b->pg_version_num != 0)
		json_object_object_add(info, "postgresVersionNum",
							   json_object_new_int(b->pg_version_num));
	if (b->system_identifier != 0)
	{
		snprintf(sysid, sizeof(sysid), "%" PRIu64, b->system_identifier);
		add_string(info, "systemIdentifier", sysid);
	}
	add_object_text(info, "controlData", b->controldata_json);
	json_object_object_add(size, "uncompressed", json_object_new_int64(b->size_bytes));
	json_object_object_add(size, "compressed", json_object_new_int64(b->compressed_bytes));
	json_object_object_add(info, "size", size);
	return info;
}

/* "objects": [{"name": ..., "bytes": ..., "sha256": ...}], what is recorded */
static json_object *
backup_objects(const backup_info *b)
{
	json_object *arr = json_object_new_array();

	for (int i = 0; i < b->nobjects; i++)
	{
		const backup_object *o = &b->objects[i];
		json_object *obj = json_object_new_object();

		add_string(obj, "name", o->name);
		if (o->bytes >= 0)
			json_object_object_add(obj, "bytes", json_object_new_int64(o->bytes));
		add_string(obj, "sha256", o->sha256);
		json_object_array_add(arr, obj);
	}
	return arr;
}

char *
backup_info_to_json(const backup_info *b)
{
	json_object *root = json_object_new_object();
	json_object *timing = json_object_new_object();
	char	   *text;

	add_string(root, "name", b->name);
	add_string(root, "status", backup_status_name(b->status));
	json_object_object_add(root, "managedLifecycle", json_object_new_boolean(!b->permanent));
	json_object_object_add(root, "permanent", json_object_new_boolean(b->permanent));
	json_object_object_add(root, "backupInformation", backup_information(b));
	add_time(timing, "start", b->started_at);
	add_time(timing, "end", b->finished_at);
	add_time(timing, "stored", b->stored_at);
	json_object_object_add(root, "timing", timing);
	add_string(root, "compression", b->compression);
	if (b->nobjects > 0)
		json_object_object_add(root, "objects", backup_objects(b));
	add_string(root, "error", b->error);
	add_object_text(root, "sgObjectStorage", b->storage_json);

	text = sg_strdup(json_object_to_json_string_ext(root, JSON_FLAGS));
	json_object_put(root);
	return text;
}

/* ---------------------------------------------------------------- */
/* from JSON */

static bool
bad_field(sg_error *err, const char *field, const char *what)
{
	sg_error_set(err, SG_ERR_CORRUPT, "invalid backup metadata: field \"%s\" %s",
				 field, what);
	sg_error_detail(err, "The backup's JSON object in the bucket was not written by this version of sgbackup or was damaged.");
	return false;
}

/* field of obj with the given type, or NULL when absent or null */
static bool
get_field(json_object *obj, const char *key, const char *path, json_type type,
		  json_object **out, sg_error *err)
{
	json_object *v = NULL;

	*out = NULL;
	if (obj == NULL || !json_object_object_get_ex(obj, key, &v) || v == NULL)
		return true;
	if (!json_object_is_type(v, type))
	{
		static const char *const type_what[] = {
			[json_type_null] = "is not null",
			[json_type_boolean] = "is not a boolean",
			[json_type_double] = "is not a number",
			[json_type_int] = "is not an integer",
			[json_type_object] = "is not an object",
			[json_type_array] = "is not an array",
			[json_type_string] = "is not a string",
		};

		return bad_field(err, path, type_what[type]);
	}
	*out = v;
	return true;
}

static bool
get_string(json_object *obj, const char *key, const char *path, char **out,
		   sg_error *err)
{
	json_object *v;

	if (!get_field(obj, key, path, json_type_string, &v, err))
		return false;
	if (v != NULL)
	{
		free(*out);
		*out = sg_strdup(json_object_get_string(v));
	}
	return true;
}

static bool
get_int64(json_object *obj, const char *key, const char *path, int64_t min,
		  int64_t max, int64_t *out, sg_error *err)
{
	json_object *v;
	int64_t		n;

	if (!get_field(obj, key, path, json_type_int, &v, err))
		return false;
	if (v == NULL)
		return true;
	n = json_object_get_int64(v);
	if (n < min || n > max)
		return bad_field(err, path, "is out of range");
	*out = n;
	return true;
}

static bool
get_bool(json_object *obj, const char *key, const char *path, bool *present,
		 bool *out, sg_error *err)
{
	json_object *v;

	if (!get_field(obj, key, path, json_type_boolean, &v, err))
		return false;
	*present = v != NULL;
	if (v != NULL)
		*out = json_object_get_boolean(v);
	return true;
}

static bool
get_lsn(json_object *obj, const char *key, const char *path, uint64_t *out,
		sg_error *err)
{
	char	   *text = NULL;
	bool		ok;

	if (!get_string(obj, key, path, &text, err))
		return false;
	ok = text == NULL || sg_parse_lsn(text, strlen(text), out);
	free(text);
	return ok ? true : bad_field(err, path, "is not an LSN like \"0/2000028\"");
}

static bool
get_time(json_object *obj, const char *key, const char *path, int64_t *out,
		 sg_error *err)
{
	char	   *text = NULL;
	bool		ok;

	if (!get_string(obj, key, path, &text, err))
		return false;
	ok = text == NULL || sg_parse_time(text, out);
	free(text);
	return ok ? true :
		bad_field(err, path, "is not a UTC time like \"2026-11-30T06:15:00.123456Z\"");
}

static bool
get_segment(json_object *obj, const char *key, const char *path, char *out,
			sg_error *err)
{
	char	   *text = NULL;
	bool		ok;

	if (!get_string(obj, key, path, &text, err))
		return false;
	ok = text == NULL || is_segment_name(text);
	if (text != NULL && ok)
		memcpy(out, text, 25);
	free(text);
	return ok ? true : bad_field(err, path, "is not a WAL segment name");
}

static bool
get_object_text(json_object *obj, const char *key, const char *path, char **out,
				sg_error *err)
{
	json_object *v;

	if (!get_field(obj, key, path, json_type_object, &v, err))
		return false;
	if (v != NULL)
	{
		free(*out);
		*out = sg_strdup(json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN |
														JSON_C_TO_STRING_NOSLASHESCAPE));
	}
	return true;
}

static bool
parse_status(json_object *root, backup_info *out, sg_error *err)
{
	char	   *text = NULL;
	bool		ok = true;

	if (!get_string(root, "status", "status", &text, err))
		return false;
	if (text == NULL || strcmp(text, "running") == 0)
		out->status = BACKUP_RUNNING;
	else if (strcmp(text, "completed") == 0)
		out->status = BACKUP_COMPLETED;
	else if (strcmp(text, "failed") == 0)
		out->status = BACKUP_FAILED;
	else
		ok = bad_field(err, "status", "is not \"running\", \"completed\" or \"failed\"");
	free(text);
	return ok;
}

static bool
parse_permanent(json_object *root, backup_info *out, sg_error *err)
{
	bool		has_permanent,
				has_managed,
				permanent = false,
				managed = true;

	if (!get_bool(root, "permanent", "permanent", &has_permanent, &permanent, err) ||
		!get_bool(root, "managedLifecycle", "managedLifecycle", &has_managed, &managed, err))
		return false;
	if (has_permanent && has_managed && permanent == managed)
		return bad_field(err, "managedLifecycle", "contradicts field \"permanent\"");
	out->permanent = has_permanent ? permanent : (has_managed && !managed);
	return true;
}

static bool
parse_system_identifier(json_object *info, backup_info *out, sg_error *err)
{
	const char *path = "backupInformation.systemIdentifier";
	char	   *text = NULL;
	char	   *end = NULL;
	bool		ok = true;

	if (!get_string(info, "systemIdentifier", path, &text, err))
		return false;
	if (text != NULL)
	{
		unsigned long long v;

		errno = 0;
		v = strtoull(text, &end, 10);
		if (text[0] < '0' || text[0] > '9' || *end != '\0' || errno == ERANGE)
			ok = bad_field(err, path, "is not an unsigned 64-bit integer");
		else
			out->system_identifier = v;
	}
	free(text);
	return ok;
}

static bool
parse_information(json_object *root, backup_info *out, sg_error *err)
{
	json_object *info,
			   *size;
	int64_t		n;

	if (!get_field(root, "backupInformation", "backupInformation", json_type_object,
				   &info, err))
		return false;
	if (info == NULL)
		return true;
	if (!get_lsn(info, "startLsn", "backupInformation.startLsn", &out->start_lsn, err) ||
		!get_lsn(info, "stopLsn", "backupInformation.stopLsn", &out->stop_lsn, err) ||
		!get_segment(info, "startWalFile", "backupInformation.startWalFile", out->start_wal, err) ||
		!get_segment(info, "stopWalFile", "backupInformation.stopWalFile", out->stop_wal, err) ||
		!get_string(info, "postgresVersion", "backupInformation.postgresVersion", &out->pg_version, err) ||
		!parse_system_identifier(info, out, err) ||
		!get_object_text(info, "controlData", "backupInformation.controlData",
						 &out->controldata_json, err))
		return false;
	n = out->timeline;
	if (!get_int64(info, "timeline", "backupInformation.timeline", 0, UINT32_MAX, &n, err))
		return false;
	out->timeline = (uint32_t) n;
	n = out->pg_version_num;
	if (!get_int64(info, "postgresVersionNum", "backupInformation.postgresVersionNum",
				   0, INT32_MAX, &n, err))
		return false;
	out->pg_version_num = (int) n;
	if (!get_field(info, "size", "backupInformation.size", json_type_object, &size, err))
		return false;
	return get_int64(size, "uncompressed", "backupInformation.size.uncompressed",
					 INT64_MIN, INT64_MAX, &out->size_bytes, err) &&
		get_int64(size, "compressed", "backupInformation.size.compressed",
				  INT64_MIN, INT64_MAX, &out->compressed_bytes, err);
}

static bool
parse_timing(json_object *root, backup_info *out, sg_error *err)
{
	json_object *timing;

	return get_field(root, "timing", "timing", json_type_object, &timing, err) &&
		get_time(timing, "start", "timing.start", &out->started_at, err) &&
		get_time(timing, "end", "timing.end", &out->finished_at, err) &&
		get_time(timing, "stored", "timing.stored", &out->stored_at, err);
}

/* an object's name: one the server gives an archive, never a path */
static bool
object_name(json_object *v, const char *path, char **out, sg_error *err)
{
	const char *name;

	if (v == NULL || !json_object_is_type(v, json_type_string))
		return bad_field(err, path, "holds a name that is not a string");
	name = json_object_get_string(v);
	if (!backup_object_name_valid(name))
		return bad_field(err, path, "holds a name that is not an object name like \"base.tar.zst\"");
	*out = sg_strdup(name);
	return true;
}

static bool
is_sha256_hex(const char *s)
{
	return strlen(s) == 64 && strspn(s, "0123456789abcdef") == 64;
}

/* entry i of "objects": {"name", "bytes", "sha256"}, the last two optional */
static bool
parse_object(json_object *v, size_t i, backup_object *o, sg_error *err)
{
	json_object *name = NULL;
	char	   *sha = NULL;
	char		path[64],
				bytes_path[64],
				sha_path[64];

	snprintf(path, sizeof(path), "objects[%zu].name", i);
	snprintf(bytes_path, sizeof(bytes_path), "objects[%zu].bytes", i);
	snprintf(sha_path, sizeof(sha_path), "objects[%zu].sha256", i);
	if (v == NULL || !json_object_is_type(v, json_type_object))
		return bad_field(err, "objects", "holds something other than objects");
	if (!json_object_object_get_ex(v, "name", &name) || name == NULL)
		return bad_field(err, path, "is missing");
	if (!object_name(name, path, &o->name, err) ||
		!get_int64(v, "bytes", bytes_path, 0, INT64_MAX, &o->bytes, err) ||
		!get_string(v, "sha256", sha_path, &sha, err))
		return false;
	if (sha != NULL && !is_sha256_hex(sha))
	{
		free(sha);
		return bad_field(err, sha_path, "is not 64 lower-case hexadecimal digits");
	}
	if (sha != NULL)
		memcpy(o->sha256, sha, 65);
	free(sha);
	return true;
}

/*
 * The backup's objects: "objects", or in metadata written before sizes and
 * checksums were recorded, "archives" (names only).
 */
static bool
parse_objects(json_object *root, backup_info *out, sg_error *err)
{
	json_object *arr;
	bool		old_form = false;
	size_t		n;

	if (!get_field(root, "objects", "objects", json_type_array, &arr, err))
		return false;
	if (arr == NULL)
	{
		if (!get_field(root, "archives", "archives", json_type_array, &arr, err))
			return false;
		old_form = true;
	}
	if (arr == NULL)
		return true;
	n = json_object_array_length(arr);
	out->objects = sg_malloc(sizeof(backup_object) * (n ? n : 1));
	for (size_t i = 0; i < n; i++)
	{
		json_object *v = json_object_array_get_idx(arr, i);
		backup_object *o = &out->objects[out->nobjects];

		o->name = NULL;
		o->bytes = -1;
		o->sha256[0] = '\0';
		if (!(old_form ? object_name(v, "archives", &o->name, err) : parse_object(v, i, o, err)))
		{
			free(o->name);
			return false;
		}
		out->nobjects++;
	}
	return true;
}

static bool
parse_root(json_object *root, backup_info *out, sg_error *err)
{
	if (!json_object_is_type(root, json_type_object))
		return bad_field(err, "(top level)", "is not an object");
	if (!get_string(root, "name", "name", &out->name, err) ||
		!parse_status(root, out, err) ||
		!parse_permanent(root, out, err) ||
		!parse_information(root, out, err) ||
		!parse_timing(root, out, err) ||
		!get_string(root, "compression", "compression", &out->compression, err) ||
		!parse_objects(root, out, err) ||
		!get_string(root, "error", "error", &out->error, err))
		return false;
	/* the object storage: sgObjectStorage, or storage as a fallback */
	if (!get_object_text(root, "storage", "storage", &out->storage_json, err) ||
		!get_object_text(root, "sgObjectStorage", "sgObjectStorage", &out->storage_json, err))
		return false;
	if (out->name == NULL || out->name[0] == '\0')
		return bad_field(err, "name", "is missing");
	return true;
}

bool
backup_info_from_json(const char *json, size_t len, backup_info *out,
					  sg_error *err)
{
	json_tokener *tok = json_tokener_new();
	json_object *root;
	bool		ok;

	backup_info_init(out);
	sg_error_clear(err);
	root = json_tokener_parse_ex(tok, json, (int) len);
	if (root == NULL || tok->char_offset != (int) len)
	{
		enum json_tokener_error jerr = json_tokener_get_error(tok);

		if (root != NULL && jerr == json_tokener_success)
			jerr = json_tokener_error_parse_unexpected;
		if (jerr == json_tokener_continue)
			jerr = json_tokener_error_parse_eof;
		json_object_put(root);
		json_tokener_free(tok);
		sg_error_set(err, SG_ERR_CORRUPT, "invalid backup metadata: %s",
					 json_tokener_error_desc(jerr));
		sg_error_detail(err, "The backup's JSON object in the bucket is not valid JSON.");
		return false;
	}
	json_tokener_free(tok);
	ok = parse_root(root, out, err);
	json_object_put(root);
	if (!ok)
		backup_info_free(out);
	return ok;
}
