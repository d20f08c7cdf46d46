/*
 * config_emit.c - StackGres documents written with libyaml's emitter (see
 * config_emit.h): an SGObjectStorage spec and an SGCluster backups section,
 * in the form config_stackgres.c reads back to an equal one.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "config_emit.h"
#include "sg_buf.h"

static int
emit_to_buf(void *data, unsigned char *buffer, size_t size)
{
	sg_buf_append((sg_buf *) data, buffer, size);
	return 1;
}

/* plain for our own words, double quoted for values from users */
static bool
emit_scalar(yaml_emitter_t *e, const char *value, bool quoted)
{
	yaml_event_t ev;

	if (!yaml_scalar_event_initialize(&ev, NULL, (yaml_char_t *) YAML_STR_TAG,
									  (yaml_char_t *) value, (int) strlen(value), 1, 1,
									  quoted ? YAML_DOUBLE_QUOTED_SCALAR_STYLE :
									  YAML_PLAIN_SCALAR_STYLE))
		return false;
	return yaml_emitter_emit(e, &ev);
}

static bool
emit_pair(yaml_emitter_t *e, const char *key, const char *value)
{
	return emit_scalar(e, key, false) && emit_scalar(e, value, true);
}

/* a pair whose value is one of our own words, written plain */
static bool
emit_word(yaml_emitter_t *e, const char *key, const char *word)
{
	return emit_scalar(e, key, false) && emit_scalar(e, word, false);
}

static bool
emit_mapping_start(yaml_emitter_t *e, const char *key)
{
	yaml_event_t ev;

	if (key && !emit_scalar(e, key, false))
		return false;
	yaml_mapping_start_event_initialize(&ev, NULL, (yaml_char_t *) YAML_MAP_TAG, 1,
										YAML_BLOCK_MAPPING_STYLE);
	return yaml_emitter_emit(e, &ev);
}

static bool
emit_mapping_end(yaml_emitter_t *e)
{
	yaml_event_t ev;

	yaml_mapping_end_event_initialize(&ev);
	return yaml_emitter_emit(e, &ev);
}

static bool
emit_sequence_start(yaml_emitter_t *e, const char *key)
{
	yaml_event_t ev;

	if (!emit_scalar(e, key, false))
		return false;
	yaml_sequence_start_event_initialize(&ev, NULL, (yaml_char_t *) YAML_SEQ_TAG, 1,
										 YAML_BLOCK_SEQUENCE_STYLE);
	return yaml_emitter_emit(e, &ev);
}

static bool
emit_sequence_end(yaml_emitter_t *e)
{
	yaml_event_t ev;

	yaml_sequence_end_event_initialize(&ev);
	return yaml_emitter_emit(e, &ev);
}

/* a pair whose value is a number, written plain; none when value < 0 */
static bool
emit_number(yaml_emitter_t *e, const char *key, int value)
{
	char		buf[16];

	if (value < 0)
		return true;
	snprintf(buf, sizeof(buf), "%d", value);
	return emit_word(e, key, buf);
}

static bool
emit_selector(yaml_emitter_t *e, const char *key, const sg_secret_selector *sel)
{
	if (sel->name == NULL && sel->key == NULL)
		return true;
	return emit_mapping_start(e, key) &&
		(sel->name == NULL || emit_pair(e, "name", sel->name)) &&
		(sel->key == NULL || emit_pair(e, "key", sel->key)) &&
		emit_mapping_end(e);
}

static bool
emit_credentials(yaml_emitter_t *e, const sg_storage *s, bool compatible)
{
	bool		sels = s->access_key_id.name || s->access_key_id.key ||
		s->secret_access_key.name || s->secret_access_key.key ||
		(compatible && (s->ca_certificate.name || s->ca_certificate.key));

	if (!sels && !s->use_iam_role)
		return true;
	if (!emit_mapping_start(e, "awsCredentials"))
		return false;
	if (s->use_iam_role && !compatible &&
		!emit_word(e, "useIAMRole", "true"))
		return false;
	if (sels &&
		!(emit_mapping_start(e, "secretKeySelectors") &&
		  emit_selector(e, "accessKeyId", &s->access_key_id) &&
		  emit_selector(e, "secretAccessKey", &s->secret_access_key) &&
		  (!compatible || emit_selector(e, "caCertificate", &s->ca_certificate)) &&
		  emit_mapping_end(e)))
		return false;
	return emit_mapping_end(e);
}

/*
 * s3Compatible whenever the spec needs its fields (endpoint, path style, CA
 * certificate).  ca_file has no SGObjectStorage field and is not written.
 */
static bool
emit_storage(yaml_emitter_t *e, const void *arg)
{
	const sg_storage *s = arg;
	const char *type = "s3";
	bool		compatible;
	sg_buf		bucket;
	bool		ok;

	if ((s->type && strcmp(s->type, "s3Compatible") == 0) || s->endpoint ||
		s->force_path_style || s->ca_certificate.name || s->ca_certificate.key)
		type = "s3Compatible";
	compatible = strcmp(type, "s3Compatible") == 0;
	sg_buf_init(&bucket);
	sg_buf_append_str(&bucket, s->bucket ? s->bucket : "");
	if (s->prefix && s->prefix[0])
		sg_buf_printf(&bucket, "/%s", s->prefix);
	ok = emit_mapping_start(e, NULL) &&
		emit_word(e, "apiVersion", "stackgres.io/v1beta1") &&
		emit_word(e, "kind", "SGObjectStorage") &&
		emit_mapping_start(e, "metadata") &&
		(s->name == NULL || emit_pair(e, "name", s->name)) &&
		emit_mapping_end(e) &&
		emit_mapping_start(e, "spec") &&
		emit_word(e, "type", type) &&
		emit_mapping_start(e, type) &&
		emit_pair(e, "bucket", bucket.data) &&
		(s->region == NULL || emit_pair(e, "region", s->region)) &&
		(s->storage_class == NULL || emit_pair(e, "storageClass", s->storage_class)) &&
		(!compatible || s->endpoint == NULL || emit_pair(e, "endpoint", s->endpoint)) &&
		(!compatible || !s->force_path_style ||
		 emit_word(e, "enablePathStyleAddressing", "true")) &&
		emit_credentials(e, s, compatible) &&
		emit_mapping_end(e) &&
		emit_mapping_end(e) &&
		emit_mapping_end(e);
	sg_buf_free(&bucket);
	return ok;
}

static bool
emit_performance(yaml_emitter_t *e, const sg_cluster_backups *c)
{
	if (c->upload_concurrency < 0 && c->download_concurrency < 0 &&
		c->max_network_bandwidth < 0 && c->max_disk_bandwidth < 0)
		return true;
	return emit_mapping_start(e, "performance") &&
		emit_number(e, "uploadConcurrency", c->upload_concurrency) &&
		emit_number(e, "downloadConcurrency", c->download_concurrency) &&
		emit_number(e, "maxNetworkBandwidth", c->max_network_bandwidth) &&
		emit_number(e, "maxDiskBandwidth", c->max_disk_bandwidth) &&
		emit_mapping_end(e);
}

/* an SGCluster holding only the backups section */
static bool
emit_backups(yaml_emitter_t *e, const void *arg)
{
	const sg_cluster_backups *c = arg;

	return emit_mapping_start(e, NULL) &&
		emit_word(e, "apiVersion", "stackgres.io/v1") &&
		emit_word(e, "kind", "SGCluster") &&
		emit_mapping_start(e, "metadata") &&
		emit_word(e, "name", "applied") &&
		emit_mapping_end(e) &&
		emit_mapping_start(e, "spec") &&
		emit_mapping_start(e, "configurations") &&
		emit_sequence_start(e, "backups") &&
		emit_mapping_start(e, NULL) &&
		emit_pair(e, "sgObjectStorage", c->object_storage) &&
		(c->path == NULL || emit_pair(e, "path", c->path)) &&
		(!c->has_compression ||
		 emit_word(e, "compression", sg_compression_name(c->compression))) &&
		(c->cron_schedule == NULL || emit_pair(e, "cronSchedule", c->cron_schedule)) &&
		emit_number(e, "retention", c->retention) &&
		emit_performance(e, c) &&
		emit_mapping_end(e) &&
		emit_sequence_end(e) &&
		emit_mapping_end(e) &&
		emit_mapping_end(e) &&
		emit_mapping_end(e);
}

/*
 * A YAML stream of the one document that emit_document writes, or NULL if
 * libyaml fails (out of memory, or a value that is not UTF-8).  Values are
 * double-quoted, so that libyaml escapes what YAML would change or refuse.
 */
static char *
emit_yaml(bool (*emit_document) (yaml_emitter_t *e, const void *arg),
		  const void *arg)
{
	yaml_emitter_t e;
	yaml_event_t ev;
	sg_buf		out;
	bool		ok;

	if (!yaml_emitter_initialize(&e))
		return NULL;
	sg_buf_init(&out);
	yaml_emitter_set_output(&e, emit_to_buf, &out);
	yaml_emitter_set_unicode(&e, 1);
	yaml_emitter_set_width(&e, -1);
	yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING);
	ok = yaml_emitter_emit(&e, &ev);
	yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1);
	ok = ok && yaml_emitter_emit(&e, &ev) && emit_document(&e, arg);
	yaml_document_end_event_initialize(&ev, 1);
	ok = ok && yaml_emitter_emit(&e, &ev);
	yaml_stream_end_event_initialize(&ev);
	ok = ok && yaml_emitter_emit(&e, &ev) && yaml_emitter_flush(&e);
	yaml_emitter_delete(&e);
	if (!ok)
	{
		sg_buf_free(&out);
		return NULL;
	}
	return out.data;
}

char *
sg_storage_to_yaml(const sg_storage *s)
{
	return emit_yaml(emit_storage, s);
}

char *
sg_cluster_backups_to_yaml(const sg_cluster_backups *c)
{
	if (c->object_storage == NULL)
		return NULL;
	return emit_yaml(emit_backups, c);
}
