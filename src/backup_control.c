/*
 * backup_control.c - the pg_controldata fields and the object storage of a
 * backup's metadata, as JSON (json-c); see backup_control.h.
 */
#include "postgres.h"

#include <json.h>

#include "access/xlog_internal.h"
#include "catalog/pg_control.h"
#include "common/controldata_utils.h"
#include "miscadmin.h"

#include "backup_control.h"
#include "sg_buf.h"

static char *
to_string(json_object *obj)
{
	char	   *text = sg_strdup(json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN));

	json_object_put(obj);
	return text;
}

static void
add_str(json_object *obj, const char *name, const char *value)
{
	if (value && value[0])
		json_object_object_add(obj, name, json_object_new_string(value));
}

static void
add_lsn(json_object *obj, const char *name, XLogRecPtr lsn)
{
	char		text[32];

	snprintf(text, sizeof(text), "%X/%X", LSN_FORMAT_ARGS(lsn));
	add_str(obj, name, text);
}

static const char *
db_state_name(DBState state)
{
	switch (state)
	{
		case DB_STARTUP:
			return "starting up";
		case DB_SHUTDOWNED:
			return "shut down";
		case DB_SHUTDOWNED_IN_RECOVERY:
			return "shut down in recovery";
		case DB_SHUTDOWNING:
			return "shutting down";
		case DB_IN_CRASH_RECOVERY:
			return "in crash recovery";
		case DB_IN_ARCHIVE_RECOVERY:
			return "in archive recovery";
		case DB_IN_PRODUCTION:
			return "in production";
	}
	return "unrecognized status code";
}

/* the fields of pg_controldata that describe the cluster a backup is of */
char *
sgb_controldata_json(void)
{
	bool		crc_ok;
	ControlFileData *cf = get_controlfile(DataDir, &crc_ok);
	json_object *obj = json_object_new_object();
	char		sysid[32];

	snprintf(sysid, sizeof(sysid), UINT64_FORMAT, cf->system_identifier);
	add_str(obj, "Database system identifier", sysid);
	json_object_object_add(obj, "pg_control version number", json_object_new_int64(cf->pg_control_version));
	json_object_object_add(obj, "Catalog version number", json_object_new_int64(cf->catalog_version_no));
	add_str(obj, "Database cluster state", db_state_name(cf->state));
	add_lsn(obj, "Latest checkpoint location", cf->checkPoint);
	add_lsn(obj, "Latest checkpoint's REDO location", cf->checkPointCopy.redo);
	json_object_object_add(obj, "Latest checkpoint's TimeLineID", json_object_new_int64(cf->checkPointCopy.ThisTimeLineID));
	json_object_object_add(obj, "wal_level setting", json_object_new_int(cf->wal_level));
	json_object_object_add(obj, "max_connections setting", json_object_new_int(cf->MaxConnections));
	json_object_object_add(obj, "Database block size", json_object_new_int64(cf->blcksz));
	json_object_object_add(obj, "Bytes per WAL segment", json_object_new_int64(cf->xlog_seg_size));
	json_object_object_add(obj, "Data page checksum version", json_object_new_int64(cf->data_checksum_version));
	json_object_object_add(obj, "crc_ok", json_object_new_boolean(crc_ok));
	pfree(cf);
	return to_string(obj);
}

static json_object *
selector(const sg_secret_selector *sel)
{
	json_object *obj = json_object_new_object();

	add_str(obj, "name", sel->name);
	add_str(obj, "key", sel->key);
	return obj;
}

/* what the backup was stored with; secret key selectors are names, not secrets */
char *
sgb_storage_json(const sg_storage *s)
{
	json_object *obj = json_object_new_object();

	add_str(obj, "name", s->name);
	add_str(obj, "type", s->type);
	add_str(obj, "bucket", s->bucket);
	add_str(obj, "repositoryPath", s->repository_path);
	add_str(obj, "prefix", s->prefix);
	add_str(obj, "region", s->region);
	add_str(obj, "endpoint", s->endpoint);
	json_object_object_add(obj, "enablePathStyleAddressing", json_object_new_boolean(s->force_path_style));
	add_str(obj, "storageClass", s->storage_class);
	json_object_object_add(obj, "useIAMRole", json_object_new_boolean(s->use_iam_role));
	if (s->access_key_id.name)
		json_object_object_add(obj, "accessKeyId", selector(&s->access_key_id));
	if (s->secret_access_key.name)
		json_object_object_add(obj, "secretAccessKey", selector(&s->secret_access_key));
	if (s->ca_certificate.name)
		json_object_object_add(obj, "caCertificate", selector(&s->ca_certificate));
	return to_string(obj);
}
