/*
 * test_config.c - unit tests for config_storage.c: StackGres documents as the
 * StackGres docs write them (test/data/stackgres-*.yaml), every kind of bad
 * document, bucket splitting, checks, summaries and the YAML round trip;
 * every character U+0001..U+00FF, U+2028, U+2029 and every byte that is not
 * UTF-8 in every string field; bucket paths and prefix lengths (with
 * sg_config_load, which joins them); cronSchedule; an SGCluster's
 * spec.initialData.restore and the download concurrencies; and the limits
 * of config_yaml_guard.c with how long each refusal takes.
 * Run from the top of the repository (it reads test/data).
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sg_buf.h"
#include "config_emit.h"
#include "config_stackgres.h"
#include "config_storage.h"
#include "config.h"
#include "config_yaml_guard.h"
#include "unit.h"

/* parse a file of test/data; NULL docs and a printed error on failure */
static int
parse_file(const char *name, sg_document **docs, sg_error *err)
{
	char		path[256];
	size_t		len;
	char	   *text;
	int			n = 0;

	snprintf(path, sizeof(path), "test/data/%s", name);
	text = sg_read_file(path, &len);
	if (text == NULL)
	{
		printf("# cannot read %s (run from the repository top)\n", path);
		*docs = NULL;
		return -1;
	}
	sg_error_clear(err);
	if (!sg_parse_documents(text, len, docs, &n, err))
	{
		printf("# %s: %s | %s | %s\n", name, err->msg, err->detail, err->hint);
		*docs = NULL;
		n = -1;
	}
	free(text);
	return n;
}

static bool
parse_text(const char *text, sg_document **docs, int *n, sg_error *err)
{
	sg_error_clear(err);
	return sg_parse_documents(text, strlen(text), docs, n, err);
}

/* the document must be refused with msg holding want (and detail holding detail) */
static void
expect_error(const char *name, const char *text, const char *want, const char *detail)
{
	sg_document *docs = NULL;
	int			n = 0;
	sg_error	err;
	bool		ok = parse_text(text, &docs, &n, &err);
	bool		good = !ok && strstr(err.msg, want) != NULL &&
		(detail == NULL || strstr(err.detail, detail) != NULL);

	UNIT_OK(good, "refused: %s", name);
	if (!good)
		printf("# want msg with: %s / detail with: %s\n# got: ok=%d msg=%s | detail=%s\n",
			   want, detail ? detail : "-", ok, err.msg, err.detail);
	else
		printf("#   %s | %s | %s\n", err.msg, err.detail, err.hint);
	if (ok)
		sg_documents_free(docs, n);
}

static const char *
str(const char *s)
{
	return s ? s : "(null)";
}

static void
test_stackgres_examples(void)
{
	sg_document *d;
	sg_error	err;
	int			n;

	n = parse_file("stackgres-aws-s3.yaml", &d, &err);
	UNIT_OK(n == 1, "AWS S3 guide example parses");
	if (n == 1)
	{
		UNIT_OK(d[0].kind == SG_DOC_OBJECT_STORAGE, "  it is an SGObjectStorage");
		UNIT_STREQ(d[0].storage.name, "objectstorage", "  metadata.name");
		UNIT_STREQ(d[0].storage.type, "s3", "  type s3");
		UNIT_STREQ(d[0].storage.bucket, "my-stackgres-bucket", "  bucket");
		UNIT_STREQ(d[0].storage.prefix, "", "  no prefix");
		UNIT_OK(d[0].storage.endpoint == NULL, "  no endpoint");
		UNIT_OK(!d[0].storage.force_path_style && !d[0].storage.use_iam_role, "  no path style, no IAM role");
		UNIT_STREQ(d[0].storage.access_key_id.name, "s3-backup-secret", "  accessKeyId name");
		UNIT_STREQ(d[0].storage.access_key_id.key, "accessKeyId", "  accessKeyId key");
		UNIT_STREQ(d[0].storage.secret_access_key.name, "s3-backup-secret", "  secretAccessKey name");
		UNIT_STREQ(d[0].storage.secret_access_key.key, "secretAccessKey", "  secretAccessKey key");
		sg_documents_free(d, n);
	}

	n = parse_file("stackgres-digitalocean.yaml", &d, &err);
	UNIT_OK(n == 1, "DigitalOcean guide example parses (flow-style selectors)");
	if (n == 1)
	{
		UNIT_STREQ(d[0].storage.type, "s3Compatible", "  type s3Compatible");
		UNIT_STREQ(d[0].storage.endpoint, "https://nyc3.digitaloceanspaces.com", "  endpoint");
		UNIT_STREQ(d[0].storage.access_key_id.name, "do-backup-secret", "  accessKeyId name");
		UNIT_STREQ(d[0].storage.secret_access_key.key, "secretAccessKey", "  secretAccessKey key");
		sg_documents_free(d, n);
	}

	n = parse_file("stackgres-oke.yaml", &d, &err);
	UNIT_OK(n == 1, "OCI guide example parses");
	if (n == 1)
	{
		UNIT_STREQ(d[0].storage.region, "<Your-OCI-Region>", "  region");
		UNIT_STREQ(d[0].storage.access_key_id.name, "oke-backup-secret", "  accessKeyId name");
		sg_documents_free(d, n);
	}

	n = parse_file("stackgres-minio.yaml", &d, &err);
	UNIT_OK(n == 1, "CRD reference MinIO example parses");
	if (n == 1)
	{
		char	   *sum = sg_document_summary(&d[0]);

		UNIT_STREQ(d[0].storage.bucket, "stackgres", "  bucket");
		UNIT_STREQ(d[0].storage.region, "k8s", "  region");
		UNIT_OK(d[0].storage.force_path_style, "  enablePathStyleAddressing");
		UNIT_STREQ(d[0].storage.endpoint, "http://my-cluster-minio:9000", "  endpoint");
		UNIT_STREQ(d[0].storage.access_key_id.key, "accesskey", "  accessKeyId key");
		UNIT_STREQ(d[0].storage.secret_access_key.key, "secretkey", "  secretAccessKey key");
		UNIT_STREQ(sum, "SGObjectStorage \"objectstorage\" stored: type s3Compatible, bucket \"stackgres\", region k8s, endpoint http://my-cluster-minio:9000, path style, credentials from secret \"my-cluster-minio\"",
				   "  summary");
		free(sum);
		sg_documents_free(d, n);
	}

	n = parse_file("stackgres-tutorial-s3.yaml", &d, &err);
	UNIT_OK(n == 2, "tutorial S3 example parses: SGObjectStorage + SGCluster");
	if (n == 2)
	{
		char	   *sum = sg_document_summary(&d[1]);

		UNIT_STREQ(d[0].storage.name, "backupconfig1", "  metadata.name, namespace ignored");
		UNIT_STREQ(d[0].storage.bucket, "YOUR_BUCKET_NAME", "  quoted bucket");
		UNIT_STREQ(d[0].storage.type, "s3", "  quoted type");
		UNIT_OK(d[1].kind == SG_DOC_CLUSTER, "  second is an SGCluster");
		UNIT_STREQ(d[1].backups.object_storage, "backupconfig1", "  sgObjectStorage");
		UNIT_STREQ(d[1].backups.cron_schedule, "*/5 * * * *", "  cronSchedule");
		UNIT_OK(d[1].backups.retention == 6, "  retention 6");
		UNIT_OK(!d[1].backups.has_compression, "  no compression given");
		UNIT_OK(d[1].backups.path == NULL && d[1].backups.upload_concurrency == -1,
				"  no path, no uploadConcurrency");
		UNIT_STREQ(sum, "SGCluster backups applied: sgObjectStorage \"backupconfig1\", cronSchedule \"*/5 * * * *\", retention 6",
				   "  cluster summary");
		free(sum);
		sg_documents_free(d, n);
	}

	n = parse_file("stackgres-tutorial-do.yaml", &d, &err);
	UNIT_OK(n == 2, "DigitalOcean tutorial example parses (comment after a value)");
	if (n == 2)
	{
		UNIT_STREQ(d[0].storage.bucket, "stackgres-tutorial", "  bucket");
		UNIT_STREQ(d[0].storage.access_key_id.name, "do-creds-secret", "  selector");
		sg_documents_free(d, n);
	}

	n = parse_file("stackgres-cluster-template.yaml", &d, &err);
	UNIT_OK(n == -1 && strstr(err.msg, "\"spec.configurations.backups[0].sgObjectStorage\"") != NULL,
			"backups template with empty values: sgObjectStorage missing");
}

static void
test_config_file(void)
{
	sg_document *d;
	sg_error	err;
	int			n = parse_file("sgbackup-config.yaml", &d, &err);
	sg_storage *s;
	sg_cluster_backups *b;
	char	   *sum;

	UNIT_OK(n == 2, "config file: two documents, empty one between skipped");
	if (n != 2)
		return;
	s = &d[0].storage;
	b = &d[1].backups;
	UNIT_STREQ(s->bucket, "backups", "  s3:// bucket");
	UNIT_STREQ(s->prefix, "cluster-1", "  prefix without slashes");
	UNIT_STREQ(s->endpoint, "http://127.0.0.1:9000", "  endpoint trailing slash dropped");
	UNIT_STREQ(s->storage_class, "STANDARD_IA", "  storageClass");
	UNIT_STREQ(s->ca_certificate.name, "minio-ca", "  caCertificate name");
	UNIT_STREQ(s->ca_certificate.key, "ca.crt", "  caCertificate key");
	UNIT_STREQ(b->path, "/sgbackup/cluster-1", "  path");
	UNIT_OK(b->has_compression && b->compression == SG_COMPRESSION_LZ4, "  compression lz4");
	UNIT_OK(b->retention == 7, "  retention");
	UNIT_OK(b->upload_concurrency == 8, "  uploadConcurrency");
	UNIT_OK(b->download_concurrency == 4, "  downloadConcurrency");
	UNIT_OK(b->max_network_bandwidth == 52428800 && b->max_disk_bandwidth == 26214400,
			"  bandwidths");
	sum = sg_document_summary(&d[0]);
	UNIT_STREQ(sum, "SGObjectStorage \"backup-minio\" stored: type s3Compatible, bucket \"backups\", prefix \"cluster-1\", region us-east-1, endpoint http://127.0.0.1:9000, path style, storage class STANDARD_IA, credentials from secret \"minio\", CA certificate from secret \"minio-ca\"",
			   "  summary");
	free(sum);
	sum = sg_document_summary(&d[1]);
	UNIT_STREQ(sum, "SGCluster backups applied: sgObjectStorage \"backup-minio\", path \"/sgbackup/cluster-1\", compression lz4, cronSchedule \"0 5 * * *\", retention 7, uploadConcurrency 8, downloadConcurrency 4, maxNetworkBandwidth 52428800, maxDiskBandwidth 26214400",
			   "  cluster summary");
	free(sum);
	sg_documents_free(d, n);
}

#define OS_HEAD "apiVersion: stackgres.io/v1beta1\nkind: SGObjectStorage\nmetadata:\n  name: st\nspec:\n"
#define CL_HEAD "apiVersion: stackgres.io/v1\nkind: SGCluster\nmetadata:\n  name: c\nspec:\n  configurations:\n    backups:\n    - sgObjectStorage: st\n"

static void
test_errors(void)
{
	expect_error("unknown field",
				 OS_HEAD "  type: s3\n  s3:\n    bucktet: b\n",
				 "unknown field \"spec.s3.bucktet\"", "at line 8");
	expect_error("unknown field in selector",
				 OS_HEAD "  type: s3\n  s3:\n    bucket: b\n    awsCredentials:\n      secretKeySelectors:\n"
				 "        accessKeyId: {name: a, key: k, namespace: x}\n"
				 "        secretAccessKey: {name: a, key: s}\n",
				 "unknown field \"spec.s3.awsCredentials.secretKeySelectors.accessKeyId.namespace\"", "at line 11");
	expect_error("unknown field in spec",
				 OS_HEAD "  type: s3\n  s3:\n    bucket: b\n  storage: {}\n",
				 "unknown field \"spec.storage\"", NULL);
	expect_error("unknown top-level field",
				 OS_HEAD "  type: s3\n  s3:\n    bucket: b\nstatus: {}\n",
				 "unknown field \"status\"", NULL);
	expect_error("caCertificate is s3Compatible only",
				 OS_HEAD "  type: s3\n  s3:\n    bucket: b\n    awsCredentials:\n      secretKeySelectors:\n"
				 "        caCertificate: {name: a, key: k}\n",
				 "unknown field \"spec.s3.awsCredentials.secretKeySelectors.caCertificate\"", NULL);
	expect_error("useIAMRole is s3 only",
				 OS_HEAD "  type: s3Compatible\n  s3Compatible:\n    bucket: b\n    awsCredentials:\n      useIAMRole: true\n",
				 "unknown field \"spec.s3Compatible.awsCredentials.useIAMRole\"", NULL);
	expect_error("duplicate field",
				 OS_HEAD "  type: s3\n  s3:\n    bucket: b\n    bucket: c\n",
				 "duplicate field \"spec.s3.bucket\"", "line 8");
	expect_error("mapping where a string goes",
				 OS_HEAD "  type: s3\n  s3:\n    bucket: {name: b}\n",
				 "field \"spec.s3.bucket\" requires a string value", "at line 8 is a mapping");
	expect_error("number where a string goes",
				 OS_HEAD "  type: s3\n  s3:\n    bucket: b\n    region: 123\n",
				 "field \"spec.s3.region\" requires a string value", "at line 9");
	expect_error("non-boolean enablePathStyleAddressing",
				 OS_HEAD "  type: s3Compatible\n  s3Compatible:\n    bucket: b\n    enablePathStyleAddressing: \"true\"\n",
				 "field \"spec.s3Compatible.enablePathStyleAddressing\" requires a boolean", "at line 9");
	expect_error("yes is not a boolean here",
				 OS_HEAD "  type: s3Compatible\n  s3Compatible:\n    bucket: b\n    enablePathStyleAddressing: yes\n",
				 "requires a boolean", NULL);
	expect_error("list where a mapping goes",
				 OS_HEAD "  type: s3\n  s3:\n  - bucket: b\n",
				 "field \"spec.s3\" requires a mapping", "at line 8 is a list");
	expect_error("missing bucket",
				 OS_HEAD "  type: s3Compatible\n  s3Compatible:\n    endpoint: http://h:9000\n",
				 "missing required field \"spec.s3Compatible.bucket\"", "at line 8");
	expect_error("null bucket",
				 OS_HEAD "  type: s3\n  s3:\n    bucket:\n    region: r\n",
				 "missing required field \"spec.s3.bucket\"", NULL);
	expect_error("missing type",
				 OS_HEAD "  s3:\n    bucket: b\n",
				 "missing required field \"spec.type\"", NULL);
	expect_error("missing section for the type",
				 OS_HEAD "  type: s3\n  s3Compatible:\n    bucket: b\n",
				 "missing required field \"spec.s3\"", NULL);
	expect_error("missing metadata.name",
				 "apiVersion: stackgres.io/v1beta1\nkind: SGObjectStorage\nmetadata:\n  namespace: x\nspec:\n  type: s3\n  s3:\n    bucket: b\n",
				 "missing required field \"metadata.name\"", "at line 4");
	expect_error("missing metadata",
				 "apiVersion: stackgres.io/v1beta1\nkind: SGObjectStorage\nspec:\n  type: s3\n  s3:\n    bucket: b\n",
				 "missing required field \"metadata.name\"", NULL);
	expect_error("missing spec",
				 "apiVersion: stackgres.io/v1beta1\nkind: SGObjectStorage\nmetadata:\n  name: x\n",
				 "missing required field \"spec\"", NULL);
	expect_error("bad YAML syntax",
				 OS_HEAD "  type: s3\n  s3:\n    bucket: [b\n",
				 "invalid YAML:", "line 8");
	expect_error("bad YAML indentation",
				 OS_HEAD "  type: s3\n   s3: x\n",
				 "invalid YAML:", "line 7");
	expect_error("unknown alias",
				 OS_HEAD "  type: *nothing\n",
				 "invalid YAML:", NULL);
	expect_error("type gcs",
				 OS_HEAD "  type: gcs\n  gcs:\n    bucket: b\n",
				 "unsupported value for \"spec.type\": \"gcs\"", "only s3 and s3Compatible");
	expect_error("type azureBlob",
				 OS_HEAD "  type: azureBlob\n",
				 "unsupported value for \"spec.type\": \"azureBlob\"", "only s3 and s3Compatible");
	expect_error("type unknown",
				 OS_HEAD "  type: S3\n",
				 "invalid value for \"spec.type\": \"S3\"", "at line 6");
	expect_error("encryption",
				 OS_HEAD "  type: s3\n  s3:\n    bucket: b\n  encryption:\n    method: sodium\n    sodium:\n      key: {name: a, key: b}\n",
				 "field \"spec.encryption\" is not supported yet", "line 10");
	expect_error("bad storageClass",
				 OS_HEAD "  type: s3\n  s3:\n    bucket: b\n    storageClass: GLACIER\n",
				 "invalid value for \"spec.s3.storageClass\": \"GLACIER\"", "at line 9");
	expect_error("endpoint without scheme",
				 OS_HEAD "  type: s3Compatible\n  s3Compatible:\n    bucket: b\n    endpoint: minio:9000\n",
				 "invalid value for \"spec.s3Compatible.endpoint\"", "at line 9");
	expect_error("endpoint ftp",
				 OS_HEAD "  type: s3Compatible\n  s3Compatible:\n    bucket: b\n    endpoint: ftp://minio\n",
				 "invalid value for \"spec.s3Compatible.endpoint\"", "http:// or https://");
	expect_error("endpoint without host",
				 OS_HEAD "  type: s3Compatible\n  s3Compatible:\n    bucket: b\n    endpoint: http://:9000\n",
				 "invalid value for \"spec.s3Compatible.endpoint\"", "no host");
	expect_error("endpoint bad port",
				 OS_HEAD "  type: s3Compatible\n  s3Compatible:\n    bucket: b\n    endpoint: http://h:99999\n",
				 "invalid value for \"spec.s3Compatible.endpoint\"", "port");
	expect_error("endpoint with a path",
				 OS_HEAD "  type: s3Compatible\n  s3Compatible:\n    bucket: b\n    endpoint: https://h/bucket\n",
				 "invalid value for \"spec.s3Compatible.endpoint\"", "path");
	expect_error("half a selector",
				 OS_HEAD "  type: s3\n  s3:\n    bucket: b\n    awsCredentials:\n      secretKeySelectors:\n"
				 "        accessKeyId: {name: a}\n        secretAccessKey: {name: a, key: s}\n",
				 "missing required field \"spec.s3.awsCredentials.secretKeySelectors.accessKeyId.key\"", "at line 11");
	expect_error("one selector of two",
				 OS_HEAD "  type: s3\n  s3:\n    bucket: b\n    awsCredentials:\n      secretKeySelectors:\n"
				 "        accessKeyId: {name: a, key: k}\n",
				 "missing required field \"spec.s3.awsCredentials.secretKeySelectors.secretAccessKey\"", "at line 11");
	expect_error("secret name with a path",
				 OS_HEAD "  type: s3\n  s3:\n    bucket: b\n    awsCredentials:\n      secretKeySelectors:\n"
				 "        accessKeyId: {name: ../etc, key: k}\n        secretAccessKey: {name: a, key: s}\n",
				 "invalid value for \"spec.s3.awsCredentials.secretKeySelectors.accessKeyId.name\"", NULL);
	expect_error("secret key ..",
				 OS_HEAD "  type: s3\n  s3:\n    bucket: b\n    awsCredentials:\n      secretKeySelectors:\n"
				 "        accessKeyId: {name: a, key: k}\n        secretAccessKey: {name: a, key: '..'}\n",
				 "invalid value for \"spec.s3.awsCredentials.secretKeySelectors.secretAccessKey.key\"", NULL);
	expect_error("IAM role and selectors",
				 OS_HEAD "  type: s3\n  s3:\n    bucket: b\n    awsCredentials:\n      useIAMRole: true\n      secretKeySelectors:\n"
				 "        accessKeyId: {name: a, key: k}\n        secretAccessKey: {name: a, key: s}\n",
				 "conflicting values for \"spec.s3.awsCredentials.useIAMRole\"", "at line 10");
	expect_error("bucket with a URL scheme",
				 OS_HEAD "  type: s3\n  s3:\n    bucket: https://b/p\n",
				 "invalid value for \"spec.s3.bucket\"", "s3:// scheme");
	expect_error("bucket with a bad character",
				 OS_HEAD "  type: s3\n  s3:\n    bucket: \"b:c/p\"\n",
				 "invalid value for \"spec.s3.bucket\"", NULL);
	expect_error("empty bucket name",
				 OS_HEAD "  type: s3\n  s3:\n    bucket: s3:///p\n",
				 "invalid value for \"spec.s3.bucket\"", "is empty");
	expect_error("document not a mapping",
				 "- a\n- b\n", "YAML document is not a mapping", "a list");
	expect_error("scalar document",
				 "hello\n", "YAML document is not a mapping", NULL);
	expect_error("missing kind",
				 "apiVersion: stackgres.io/v1beta1\nmetadata:\n  name: x\n",
				 "missing required field \"kind\"", NULL);
	expect_error("unsupported kind",
				 "apiVersion: stackgres.io/v1\nkind: SGBackup\nspec:\n  sgCluster: c\n",
				 "unsupported kind \"SGBackup\"", "at line 1");
	expect_error("not a StackGres apiVersion",
				 "apiVersion: v1\nkind: SGObjectStorage\n",
				 "unsupported value for \"apiVersion\": \"v1\"", NULL);
	expect_error("no documents", "# just a comment\n", "no YAML document found", NULL);
	expect_error("empty text", "", "no YAML document found", NULL);

	/* SGCluster */
	expect_error("compression lzma",
				 CL_HEAD "      compression: lzma\n",
				 "unsupported value for \"spec.configurations.backups[0].compression\": \"lzma\"",
				 "zstd, lz4 or none");
	expect_error("compression brotli",
				 CL_HEAD "      compression: brotli\n",
				 "unsupported value for \"spec.configurations.backups[0].compression\"", "at line 9");
	expect_error("compression gzip",
				 CL_HEAD "      compression: gzip\n",
				 "invalid value for \"spec.configurations.backups[0].compression\": \"gzip\"", NULL);
	expect_error("unknown field in backups[0]",
				 CL_HEAD "      retension: 5\n",
				 "unknown field \"spec.configurations.backups[0].retension\"", "at line 9");
	expect_error("unknown field in performance",
				 CL_HEAD "      performance:\n        uploadConcurency: 5\n",
				 "unknown field \"spec.configurations.backups[0].performance.uploadConcurency\"", "at line 10");
	expect_error("retention not an integer",
				 CL_HEAD "      retention: five\n",
				 "field \"spec.configurations.backups[0].retention\" requires an integer value", "at line 9");
	expect_error("retention quoted",
				 CL_HEAD "      retention: '5'\n",
				 "requires an integer value", NULL);
	expect_error("retention zero",
				 CL_HEAD "      retention: 0\n",
				 "value for \"spec.configurations.backups[0].retention\" is out of range", NULL);
	expect_error("uploadConcurrency too big",
				 CL_HEAD "      performance:\n        uploadConcurrency: 99999999999\n",
				 "value for \"spec.configurations.backups[0].performance.uploadConcurrency\" is out of range", NULL);
	expect_error("useVolumeSnapshot not a boolean",
				 CL_HEAD "      useVolumeSnapshot: 1\n",
				 "field \"spec.configurations.backups[0].useVolumeSnapshot\" requires a boolean", NULL);
	expect_error("missing sgObjectStorage",
				 "apiVersion: stackgres.io/v1\nkind: SGCluster\nspec:\n  configurations:\n    backups:\n    - retention: 3\n",
				 "missing required field \"spec.configurations.backups[0].sgObjectStorage\"", "line 6");
	expect_error("no backups section",
				 "apiVersion: stackgres.io/v1\nkind: SGCluster\nspec:\n  instances: 1\n  configurations:\n    sgPostgresConfig: x\n",
				 "missing required field \"spec.configurations.backups\"", NULL);
	expect_error("empty backups list",
				 "apiVersion: stackgres.io/v1\nkind: SGCluster\nspec:\n  configurations:\n    backups: []\n",
				 "missing required field \"spec.configurations.backups[0]\"", NULL);
	expect_error("backups not a list",
				 "apiVersion: stackgres.io/v1\nkind: SGCluster\nspec:\n  configurations:\n    backups:\n      sgObjectStorage: x\n",
				 "field \"spec.configurations.backups\" requires a list", NULL);
	expect_error("error in the second document names its line",
				 OS_HEAD "  type: s3\n  s3:\n    bucket: b\n---\n" CL_HEAD "      compression: lzma\n",
				 "spec.configurations.backups[0].compression", "at line 18");
}

static void
test_lenient_cluster(void)
{
	const char *text =
		"apiVersion: stackgres.io/v1\nkind: SGCluster\nmetadata:\n  name: c\n  uid: 1234\n"
		"spec:\n  instances: 3\n  postgres: {version: '15', flavor: vanilla}\n"
		"  whateverStackGresAddsNext: {a: [1, 2]}\n"
		"  configurations:\n    observability: {prometheusAutobind: true}\n"
		"    backups:\n    - sgObjectStorage: st\n      compression: none\n"
		"      useVolumeSnapshot: true\n      volumeSnapshotClass: csi\n      fastVolumeSnapshot: false\n"
		"      timeout: 3600\n      reconciliationTimeout: 300\n      maxRetries: 3\n"
		"      retainWalsForUnmanagedLifecycle: true\n"
		"      performance: {maxNetworkBandwitdh: 100, maxDiskBandwitdh: 200, uploadDiskConcurrency: 1, downloadConcurrency: 2}\n"
		"    - sgObjectStorage: second-is-ignored\n"
		"status: {anything: here}\n";
	sg_document *d;
	int			n;
	sg_error	err;

	UNIT_OK(parse_text(text, &d, &n, &err) && n == 1,
			"SGCluster: lenient outside backups, every StackGres backups field accepted");
	if (n == 1 && d)
	{
		UNIT_STREQ(d[0].backups.object_storage, "st", "  first entry used");
		UNIT_OK(d[0].backups.has_compression && d[0].backups.compression == SG_COMPRESSION_NONE,
				"  compression none");
		UNIT_OK(d[0].backups.max_network_bandwidth == 100 && d[0].backups.max_disk_bandwidth == 200,
				"  deprecated bandwidth spellings read");
		sg_documents_free(d, n);
	}
	else
		printf("# %s | %s\n", err.msg, err.detail);
}

static void
test_accepted_variants(void)
{
	sg_document *d;
	int			n;
	sg_error	err;
	bool		ok;

	ok = parse_text(OS_HEAD "  type: s3\n  s3:\n    bucket: b\n    region: us-west-2\n"
					"    storageClass: REDUCED_REDUNDANCY\n    awsCredentials:\n      useIAMRole: true\n",
					&d, &n, &err);
	UNIT_OK(ok && n == 1 && d[0].storage.use_iam_role, "useIAMRole accepted");
	if (ok)
	{
		char	   *sum = sg_document_summary(&d[0]);

		UNIT_STREQ(sum, "SGObjectStorage \"st\" stored: type s3, bucket \"b\", region us-west-2, storage class REDUCED_REDUNDANCY, IAM role credentials",
				   "  summary says IAM role");
		free(sum);
		sg_documents_free(d, n);
	}
	ok = parse_text(OS_HEAD "  type: s3\n  s3:\n    bucket: b\n  encryption:\n    sodium: {}\n"
					"  gcs: {bucket: ignored}\n", &d, &n, &err);
	UNIT_OK(ok && n == 1, "encryption without method and an unused gcs section accepted");
	if (ok)
	{
		char	   *sum = sg_document_summary(&d[0]);

		UNIT_STREQ(sum, "SGObjectStorage \"st\" stored: type s3, bucket \"b\", default AWS credentials",
				   "  summary says default credentials");
		free(sum);
		sg_documents_free(d, n);
	}
	ok = parse_text("---\n" OS_HEAD "  type: s3\n  s3:\n    bucket: b\n...\n", &d, &n, &err);
	UNIT_OK(ok && n == 1, "explicit document start and end markers");
	if (ok)
		sg_documents_free(d, n);
	ok = parse_text("apiVersion: stackgres.io/v1beta1\nkind: SGObjectStorage\nmetadata: &m\n  name: st\n"
					"spec:\n  type: s3\n  s3:\n    bucket: &b bkt\n    region: *b\n", &d, &n, &err);
	UNIT_OK(ok && n == 1 && strcmp(d[0].storage.region, "bkt") == 0, "anchors and aliases");
	if (ok)
		sg_documents_free(d, n);
}

static void
test_set_bucket(void)
{
	static const struct
	{
		const char *in;
		const char *bucket;
		const char *prefix;
	}			cases[] = {
		{"bucket", "bucket", ""},
		{"bucket/", "bucket", ""},
		{"bucket/a/b", "bucket", "a/b"},
		{"s3://bucket/a/b/", "bucket", "a/b"},
		{"s3://bucket", "bucket", ""},
		{"my.bucket_1/x y/z", "my.bucket_1", "x y/z"},
	};
	sg_storage	s;
	sg_error	err;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
	{
		sg_storage_init(&s);
		sg_error_clear(&err);
		UNIT_OK(sg_storage_set_bucket(&s, cases[i].in, &err) &&
				strcmp(str(s.bucket), cases[i].bucket) == 0 &&
				strcmp(str(s.prefix), cases[i].prefix) == 0,
				"set_bucket \"%s\" -> \"%s\" + \"%s\" (got \"%s\" + \"%s\")", cases[i].in,
				cases[i].bucket, cases[i].prefix, str(s.bucket), str(s.prefix));
		sg_storage_free(&s);
	}
	sg_storage_init(&s);
	UNIT_OK(!sg_storage_set_bucket(&s, "", &err) && strstr(err.msg, "\"sgbackup.s3_bucket\""),
			"empty bucket refused naming sgbackup.s3_bucket: %s", err.msg);
	UNIT_OK(!sg_storage_set_bucket(&s, "/prefix", &err) && strstr(err.detail, "empty"),
			"\"/prefix\" refused: %s", err.detail);
	UNIT_OK(!sg_storage_set_bucket(&s, "http://host/b", &err) && strstr(err.hint, "sgbackup.s3_endpoint"),
			"URL refused, hint names sgbackup.s3_endpoint: %s", err.hint);
	sg_storage_free(&s);
}

static void
test_validate_settings(void)
{
	sg_storage	s;
	sg_error	err;

	sg_storage_init(&s);
	UNIT_OK(!sg_storage_validate(&s, &err) && strstr(err.msg, "sgbackup.s3_bucket"),
			"settings: no bucket names sgbackup.s3_bucket: %s", err.msg);
	sg_storage_set_bucket(&s, "b/p", &err);
	s.type = sg_strdup("s3");
	s.endpoint = sg_strdup("http://127.0.0.1:9000");
	UNIT_OK(sg_storage_validate(&s, &err), "settings: type s3 with an endpoint is fine");
	free(s.endpoint);
	s.endpoint = sg_strdup("127.0.0.1:9000");
	UNIT_OK(!sg_storage_validate(&s, &err) && strstr(err.msg, "\"sgbackup.s3_endpoint\""),
			"settings: bad endpoint names sgbackup.s3_endpoint: %s", err.msg);
	free(s.endpoint);
	s.endpoint = sg_strdup("https://[::1]:9000");
	UNIT_OK(sg_storage_validate(&s, &err), "settings: IPv6 endpoint");
	s.storage_class = sg_strdup("FAST");
	UNIT_OK(!sg_storage_validate(&s, &err) && strstr(err.msg, "\"sgbackup.s3_storage_class\""),
			"settings: bad storage class names sgbackup.s3_storage_class: %s", err.msg);
	free(s.storage_class);
	s.storage_class = sg_strdup("STANDARD");
	UNIT_OK(sg_storage_validate(&s, &err), "settings: STANDARD storage class");
	s.type[0] = 'x';
	UNIT_OK(!sg_storage_validate(&s, &err) && strstr(err.msg, "spec.type"), "unknown type refused");
	sg_storage_free(&s);
}

static void
test_compression(void)
{
	sg_compression c;

	UNIT_OK(sg_compression_parse("zstd", &c) && c == SG_COMPRESSION_ZSTD, "compression zstd");
	UNIT_OK(sg_compression_parse("lz4", &c) && c == SG_COMPRESSION_LZ4, "compression lz4");
	UNIT_OK(sg_compression_parse("none", &c) && c == SG_COMPRESSION_NONE, "compression none");
	UNIT_OK(!sg_compression_parse("lzma", &c) && !sg_compression_parse("", &c) &&
			!sg_compression_parse(NULL, &c), "compression lzma, empty, NULL refused");
	UNIT_STREQ(sg_compression_name(SG_COMPRESSION_ZSTD), "zstd", "name zstd");
	UNIT_STREQ(sg_compression_name(SG_COMPRESSION_LZ4), "lz4", "name lz4");
	UNIT_STREQ(sg_compression_name(SG_COMPRESSION_NONE), "none", "name none");
}

static void
round_trip(const char *name, const sg_storage *s)
{
	char	   *yaml = sg_storage_to_yaml(s);
	sg_document *d = NULL;
	int			n = 0;
	sg_error	err;
	bool		ok;

	UNIT_OK(yaml != NULL, "to_yaml: %s", name);
	if (yaml == NULL)
		return;
	ok = parse_text(yaml, &d, &n, &err);
	UNIT_OK(ok && n == 1 && sg_storage_equal(&d[0].storage, s),
			"  parses back identically");
	if (!(ok && n == 1 && sg_storage_equal(&d[0].storage, s)))
		printf("# yaml:\n%s# err: %s | %s\n", yaml, err.msg, err.detail);
	if (ok)
		sg_documents_free(d, n);
	free(yaml);
}

static void
test_round_trip(void)
{
	sg_storage	s;
	sg_storage	copy;
	sg_error	err;
	char	   *yaml;

	sg_storage_init(&s);
	s.name = sg_strdup("weird-name.1");
	s.type = sg_strdup("s3Compatible");
	sg_storage_set_bucket(&s, "s3://bucket/a: 'quoted'/c&d/*e/!f, ?g/- h/ünïcödé", &err);
	s.region = sg_strdup("us-east-1");
	s.endpoint = sg_strdup("https://minio.example.com:9000");
	s.force_path_style = true;
	s.storage_class = sg_strdup("STANDARD_IA");
	s.access_key_id.name = sg_strdup("keys");
	s.access_key_id.key = sg_strdup("access_key-id.1");
	s.secret_access_key.name = sg_strdup("keys");
	s.secret_access_key.key = sg_strdup("secret");
	s.ca_certificate.name = sg_strdup("ca");
	s.ca_certificate.key = sg_strdup("ca.crt");
	round_trip("s3Compatible with awkward strings", &s);

	sg_storage_copy(&copy, &s);
	UNIT_OK(sg_storage_equal(&copy, &s), "copy is equal");
	free(copy.region);
	copy.region = sg_strdup("other");
	UNIT_OK(!sg_storage_equal(&copy, &s), "changed copy is not equal");
	sg_storage_free(&copy);
	sg_storage_free(&s);

	sg_storage_init(&s);
	s.name = sg_strdup("plain");
	s.type = sg_strdup("s3");
	sg_storage_set_bucket(&s, "true", &err);
	s.region = sg_strdup("");
	s.use_iam_role = true;
	round_trip("s3 with IAM role, bucket \"true\", empty region", &s);
	sg_storage_free(&s);

	sg_storage_init(&s);
	s.name = sg_strdup("123");
	s.type = sg_strdup("s3");
	sg_storage_set_bucket(&s, "null/yes/123/true/1e3", &err);
	s.region = sg_strdup("null");
	s.storage_class = sg_strdup("STANDARD");
	round_trip("values that look like YAML null, numbers and booleans", &s);
	yaml = sg_storage_to_yaml(&s);
	printf("# example output:\n%s", yaml ? yaml : "(null)\n");
	free(yaml);
	sg_storage_free(&s);
}

/* ------------------------------------------------------------------------
 * every character in every string field
 * ------------------------------------------------------------------------ */

/*
 * One string field of a document.  The document templates below hold "@x"
 * where the field with slot x goes; value has "%s" where the character
 * under test goes, and with no character it is a value the field accepts.
 * The parsed value is the string at offset in the document, or what get
 * returns for the fields that are not held as one string.
 */
typedef struct string_field
{
	char		slot;
	const char *path;			/* the field as errors name it */
	const char *value;
	size_t		offset;
	const char *(*get) (const sg_document *d);
} string_field;

/* the bucket field as written: bucket, then '/' and the prefix if any */
static const char *
get_bucket(const sg_document *d)
{
	static char buf[4096];

	snprintf(buf, sizeof(buf), "%s%s%s", str(d->storage.bucket),
			 d->storage.prefix && d->storage.prefix[0] ? "/" : "",
			 d->storage.prefix ? d->storage.prefix : "");
	return buf;
}

static const char *
get_compression(const sg_document *d)
{
	return d->backups.has_compression ? sg_compression_name(d->backups.compression) : NULL;
}

static const char *
field_value(const string_field *f, const sg_document *d)
{
	if (f->get)
		return f->get(d);
	return *(char *const *) ((const char *) d + f->offset);
}

#define AT(member) offsetof(sg_document, member), NULL
#define SELECTORS "spec.s3Compatible.awsCredentials.secretKeySelectors."

static const char storage_template[] =
	"apiVersion: stackgres.io/v1beta1\nkind: SGObjectStorage\nmetadata:\n  name: @a\n"
	"spec:\n  type: @b\n  s3Compatible:\n    bucket: @c\n    region: @d\n"
	"    endpoint: @e\n    storageClass: @f\n    enablePathStyleAddressing: true\n"
	"    awsCredentials:\n      secretKeySelectors:\n"
	"        accessKeyId: {name: @g, key: @h}\n"
	"        secretAccessKey: {name: @i, key: @j}\n"
	"        caCertificate: {name: @k, key: @l}\n";

static const string_field storage_fields[] = {
	{'a', "metadata.name", "st%sx", AT(storage.name)},
	{'b', "spec.type", "s3Compatible%s", AT(storage.type)},
	{'c', "spec.s3Compatible.bucket", "b%skt/p", 0, get_bucket},
	{'c', "spec.s3Compatible.bucket", "bkt/a%sb", 0, get_bucket},
	{'d', "spec.s3Compatible.region", "eu%s1", AT(storage.region)},
	{'e', "spec.s3Compatible.endpoint", "http://h%sx:9000", AT(storage.endpoint)},
	{'f', "spec.s3Compatible.storageClass", "STANDARD%s", AT(storage.storage_class)},
	{'g', SELECTORS "accessKeyId.name", "sec%sx", AT(storage.access_key_id.name)},
	{'h', SELECTORS "accessKeyId.key", "k%sx", AT(storage.access_key_id.key)},
	{'i', SELECTORS "secretAccessKey.name", "sec%sx", AT(storage.secret_access_key.name)},
	{'j', SELECTORS "secretAccessKey.key", "k%sx", AT(storage.secret_access_key.key)},
	{'k', SELECTORS "caCertificate.name", "sec%sx", AT(storage.ca_certificate.name)},
	{'l', SELECTORS "caCertificate.key", "k%sx", AT(storage.ca_certificate.key)},
};

static const char cluster_template[] =
	"apiVersion: stackgres.io/v1\nkind: SGCluster\nmetadata:\n  name: c\n"
	"spec:\n  configurations:\n    backups:\n    - sgObjectStorage: @a\n"
	"      path: @b\n      compression: @c\n      cronSchedule: @d\n"
	"      retention: 3\n      performance: {uploadConcurrency: 2}\n";

#define BACKUPS "spec.configurations.backups[0]."

static const string_field cluster_fields[] = {
	{'a', BACKUPS "sgObjectStorage", "st%sx", AT(backups.object_storage)},
	{'b', BACKUPS "path", "/p/a%sb", AT(backups.path)},
	{'c', BACKUPS "compression", "lz4%s", 0, get_compression},
	{'d', BACKUPS "cronSchedule", "0 5 * * *%s", AT(backups.cron_schedule)},
	{'d', BACKUPS "cronSchedule", "0%s 5 * * *", AT(backups.cron_schedule)},
};

/* how the character under test is written into the document */
typedef enum char_form
{
	FORM_ESCAPED,				/* a YAML escape (\u0085) unless printable ASCII */
	FORM_RAW,					/* its UTF-8 bytes as they are */
	FORM_BYTE					/* one byte 0x80..0xFF alone: not UTF-8 */
} char_form;

static const char *const form_names[] = {"escaped", "raw UTF-8", "invalid UTF-8 byte"};

static int
utf8_encode(unsigned cp, char *out)
{
	if (cp < 0x80)
	{
		out[0] = (char) cp;
		return 1;
	}
	if (cp < 0x800)
	{
		out[0] = (char) (0xc0 | (cp >> 6));
		out[1] = (char) (0x80 | (cp & 0x3f));
		return 2;
	}
	out[0] = (char) (0xe0 | (cp >> 12));
	out[1] = (char) (0x80 | ((cp >> 6) & 0x3f));
	out[2] = (char) (0x80 | (cp & 0x3f));
	return 3;
}

/* the character as it appears inside a double-quoted YAML scalar */
static void
char_in_yaml(unsigned cp, char_form form, char *out)
{
	int			n;

	if (form == FORM_BYTE)
	{
		out[0] = (char) cp;
		out[1] = '\0';
	}
	else if (cp == '"' || cp == '\\')
		sprintf(out, "\\%c", (char) cp);
	else if (form == FORM_ESCAPED && (cp < 0x20 || cp > 0x7e))
		sprintf(out, "\\u%04X", cp);
	else
	{
		n = utf8_encode(cp, out);
		out[n] = '\0';
	}
}

/* template with "%s" replaced by x */
static void
fill(sg_buf *b, const char *tmpl, const char *x)
{
	const char *at = strstr(tmpl, "%s");

	sg_buf_append(b, tmpl, at - tmpl);
	sg_buf_append_str(b, x);
	sg_buf_append_str(b, at + 2);
}

/*
 * The document of template with field f's value holding x (inside double
 * quotes) and every other field its value without a character; *line is
 * the line of field f.
 */
static char *
build_document(const char *template, const string_field *fields, int nfields,
			   int f, const char *x, int *line)
{
	sg_buf		b;
	int			at = 1;

	sg_buf_init(&b);
	for (const char *p = template; *p; p++)
	{
		const string_field *use = NULL;

		if (*p != '@')
		{
			sg_buf_append(&b, p, 1);
			at += *p == '\n';
			continue;
		}
		p++;
		if (fields[f].slot == *p)
		{
			use = &fields[f];
			*line = at;
		}
		for (int i = 0; use == NULL && i < nfields; i++)
			if (fields[i].slot == *p)
				use = &fields[i];
		sg_buf_append_str(&b, "\"");
		fill(&b, use->value, use == &fields[f] ? x : "");
		sg_buf_append_str(&b, "\"");
	}
	return b.data;
}

static bool
documents_equal(const sg_document *a, const sg_document *b)
{
	if (a->kind != b->kind)
		return false;
	if (a->kind == SG_DOC_OBJECT_STORAGE)
		return sg_storage_equal(&a->storage, &b->storage);
	return sg_cluster_backups_equal(&a->backups, &b->backups);
}

/* the YAML a stored document is kept as */
static char *
document_to_yaml(const sg_document *d)
{
	if (d->kind == SG_DOC_OBJECT_STORAGE)
		return sg_storage_to_yaml(&d->storage);
	return sg_cluster_backups_to_yaml(&d->backups);
}

/* counts of one field and one form of the characters */
typedef struct char_tally
{
	int			accepted;
	int			refused;
	int			failed;
	sg_buf		accepted_list;	/* the accepted characters, as U+XXXX ranges */
	unsigned	range_start;
	unsigned	range_end;
} char_tally;

/* write out the range of accepted characters that ends here */
static void
flush_range(char_tally *t)
{
	if (t->accepted == 0)
		return;
	if (t->range_start == t->range_end)
		sg_buf_printf(&t->accepted_list, " %04X", t->range_start);
	else
		sg_buf_printf(&t->accepted_list, " %04X-%04X", t->range_start, t->range_end);
}

static void
tally_accepted(char_tally *t, unsigned cp)
{
	if (t->accepted > 0 && cp == t->range_end + 1)
		t->range_end = cp;
	else
	{
		flush_range(t);
		t->range_start = t->range_end = cp;
	}
	t->accepted++;
}

/* print the first few failures, and always those of DEL, NEL, LS and PS */
static void
tally_failed(char_tally *t, unsigned cp, const char *why, const sg_error *err)
{
	if (t->failed++ < 4 || cp == 0x7f || cp == 0x85 || cp == 0x2028 || cp == 0x2029)
		printf("#   U+%04X: %s | %s | %s\n", cp, why, err ? err->msg : "", err ? err->detail : "");
}

/*
 * The field holding character cp: the document is refused with an error
 * naming the field and its line, or it is accepted holding exactly that
 * value (escaped form) and what the emitter writes of it reads back the
 * same, byte for byte.
 */
static void
try_character(const char *template, const string_field *fields, int nfields,
			  int f, unsigned cp, char_form form, char_tally *t)
{
	char		x[16];
	char		want_line[32];
	char	   *text;
	char	   *yaml;
	sg_buf		want;
	sg_document *d = NULL;
	sg_document *back = NULL;
	int			n = 0;
	int			nback = 0;
	int			line = 0;
	sg_error	err;
	sg_error	err2;
	char		named[300];

	char_in_yaml(cp, form, x);
	text = build_document(template, fields, nfields, f, x, &line);
	snprintf(named, sizeof(named), "\"%s\"", fields[f].path);
	snprintf(want_line, sizeof(want_line), "line %d", line);
	if (!parse_text(text, &d, &n, &err))
	{
		if (strstr(err.msg, named) && (strstr(err.msg, want_line) || strstr(err.detail, want_line)))
			t->refused++;
		else
			tally_failed(t, cp, "refused without naming the field and its line", &err);
		free(text);
		return;
	}
	free(text);
	sg_buf_init(&want);
	if (form == FORM_ESCAPED)
	{
		char		utf8[8];

		utf8[utf8_encode(cp, utf8)] = '\0';
		fill(&want, fields[f].value, utf8);
	}
	yaml = document_to_yaml(&d[0]);
	if (form == FORM_ESCAPED && strcmp(str(field_value(&fields[f], &d[0])), want.data) != 0)
		tally_failed(t, cp, "accepted with another value", NULL);
	else if (yaml == NULL)
		tally_failed(t, cp, "accepted, but the emitter cannot write it", NULL);
	else if (!parse_text(yaml, &back, &nback, &err2))
		tally_failed(t, cp, "accepted, but what is stored cannot be read back", &err2);
	else if (nback != 1 || !documents_equal(&d[0], &back[0]) ||
			 strcmp(str(field_value(&fields[f], &d[0])), str(field_value(&fields[f], &back[0]))) != 0)
		tally_failed(t, cp, "accepted, but read back with another value", NULL);
	else
		tally_accepted(t, cp);
	if (back)
		sg_documents_free(back, nback);
	sg_documents_free(d, n);
	sg_buf_free(&want);
	free(yaml);
}

static void
try_field(const char *template, const string_field *fields, int nfields, int f)
{
	for (int form = FORM_ESCAPED; form <= FORM_BYTE; form++)
	{
		char_tally	t;
		unsigned	first = form == FORM_BYTE ? 0x80 : 0x01;
		int			total = 0;

		memset(&t, 0, sizeof(t));
		sg_buf_init(&t.accepted_list);
		for (unsigned cp = first; cp <= 0xff; cp++, total++)
			try_character(template, fields, nfields, f, cp, form, &t);
		if (form != FORM_BYTE)
		{
			try_character(template, fields, nfields, f, 0x2028, form, &t);
			try_character(template, fields, nfields, f, 0x2029, form, &t);
			total += 2;
		}
		flush_range(&t);
		UNIT_OK(t.failed == 0 && t.accepted + t.refused == total,
				"%s = \"%s\", %s: %d characters refused naming the field and line, %d accepted and read back byte for byte",
				fields[f].path, fields[f].value, form_names[form], t.refused,
				t.accepted);
		if (t.accepted > 0 && form == FORM_ESCAPED)
			printf("#   accepted:%s\n", t.accepted_list.data);
		sg_buf_free(&t.accepted_list);
	}
}

static void
test_every_character(void)
{
	int			ns = (int) (sizeof(storage_fields) / sizeof(storage_fields[0]));
	int			nc = (int) (sizeof(cluster_fields) / sizeof(cluster_fields[0]));

	for (int f = 0; f < ns; f++)
		try_field(storage_template, storage_fields, ns, f);
	for (int f = 0; f < nc; f++)
		try_field(cluster_template, cluster_fields, nc, f);
}

/* the same for sgbackup.s3_bucket: raw bytes, as a setting can hold them */
static void
test_setting_bucket_characters(void)
{
	int			refused = 0;
	int			accepted = 0;
	int			failed = 0;

	for (unsigned cp = 0x01; cp <= 0x2029; cp++)
	{
		char		value[32] = "bkt/a";
		int			n = 5;
		sg_storage	s;
		sg_error	err;

		if (cp > 0xff && cp != 0x2028 && cp != 0x2029)
			continue;
		/* below 0x80 one byte; 0x80..0xFF both alone (not UTF-8) and encoded */
		for (int encoded = 0; encoded <= (cp >= 0x80); encoded++)
		{
			char	   *yaml;
			sg_document *d = NULL;
			int			nd = 0;

			n = 5;
			if (encoded || cp < 0x80)
				n += utf8_encode(cp, value + n);
			else
				value[n++] = (char) cp;
			strcpy(value + n, "b");
			sg_storage_init(&s);
			sg_error_clear(&err);
			if (!sg_storage_set_bucket(&s, value, &err))
			{
				if (strstr(err.msg, "\"sgbackup.s3_bucket\""))
					refused++;
				else if (failed++ < 4)
					printf("#   U+%04X: refused without naming the setting: %s\n", cp, err.msg);
				sg_storage_free(&s);
				continue;
			}
			s.name = sg_strdup("st");
			s.type = sg_strdup("s3");
			yaml = sg_storage_to_yaml(&s);
			if (yaml && parse_text(yaml, &d, &nd, &err) && nd == 1 &&
				sg_storage_equal(&d[0].storage, &s) && strcmp(s.prefix, value + 4) == 0)
				accepted++;
			else if (failed++ < 4)
				printf("#   U+%04X%s: accepted, but not read back the same: %s\n", cp,
					   encoded ? "" : " (a byte)", yaml ? err.msg : "no YAML written");
			if (d)
				sg_documents_free(d, nd);
			free(yaml);
			sg_storage_free(&s);
		}
	}
	UNIT_OK(failed == 0, "sgbackup.s3_bucket \"bkt/a<character>b\": %d refused naming the setting, %d accepted and read back the same",
			refused, accepted);
}

/* ------------------------------------------------------------------------
 * bucket paths (the object key prefix)
 * ------------------------------------------------------------------------ */

static void
expect_accepted(const char *name, const char *text, const char *bucket, const char *prefix)
{
	sg_document *d = NULL;
	int			n = 0;
	sg_error	err;
	bool		ok = parse_text(text, &d, &n, &err);

	UNIT_OK(ok && n == 1 && (bucket == NULL || strcmp(str(d[0].storage.bucket), bucket) == 0) &&
			(prefix == NULL || strcmp(str(d[0].storage.prefix), prefix) == 0),
			"accepted: %s", name);
	if (!ok)
		printf("# %s | %s\n", err.msg, err.detail);
	else if (bucket || prefix)
		printf("#   bucket \"%s\", prefix \"%s\"\n", str(d[0].storage.bucket), str(d[0].storage.prefix));
	if (ok)
		sg_documents_free(d, n);
}

#define S3_BUCKET(v) OS_HEAD "  type: s3\n  s3:\n    bucket: " v "\n"
#define COMPAT_BUCKET(v) OS_HEAD "  type: s3Compatible\n  s3Compatible:\n    bucket: " v "\n" \
	"    endpoint: http://h:9000\n    enablePathStyleAddressing: true\n"

static void
test_bucket_paths(void)
{
	expect_error("bucket b/../other escapes the bucket",
				 COMPAT_BUCKET("b/../other"), "invalid value for \"spec.s3Compatible.bucket\"", "line 8");
	expect_error("bucket b/a/.. ends in ..",
				 S3_BUCKET("b/a/.."), "invalid value for \"spec.s3.bucket\"", "\"..\"");
	expect_error("bucket b/./a has a . segment",
				 S3_BUCKET("b/./a"), "invalid value for \"spec.s3.bucket\"", "\".\"");
	expect_error("bucket b/a//c has an empty segment",
				 S3_BUCKET("b/a//c"), "invalid value for \"spec.s3.bucket\"", "empty");
	expect_error("bucket b//a: an empty segment first",
				 S3_BUCKET("b//a"), "invalid value for \"spec.s3.bucket\"", "empty");
	expect_error("bucket s3://b/a// ends in two slashes",
				 S3_BUCKET("s3://b/a//"), "invalid value for \"spec.s3.bucket\"", "empty");
	expect_error("bucket name ..",
				 COMPAT_BUCKET("../other"), "invalid value for \"spec.s3Compatible.bucket\"", "line 8");
	expect_error("bucket name .",
				 COMPAT_BUCKET("./p"), "invalid value for \"spec.s3Compatible.bucket\"", NULL);
	expect_error("bucket name starting with -",
				 S3_BUCKET("-b"), "invalid value for \"spec.s3.bucket\"", NULL);
	expect_error("backslash in the prefix",
				 S3_BUCKET("'b/a\\b'"), "invalid value for \"spec.s3.bucket\"", "'\\'");
	expect_error("curly brace in the prefix",
				 S3_BUCKET("'b/a{b}'"), "invalid value for \"spec.s3.bucket\"", "'{'");
	expect_error("DEL in the prefix",
				 S3_BUCKET("\"b/a\\x7fb\""), "invalid value for \"spec.s3.bucket\"", "U+007F");
	expect_error("NEL in the prefix",
				 S3_BUCKET("\"b/a\\Nb\""), "invalid value for \"spec.s3.bucket\"", "U+0085");
	expect_error("line separator in the prefix",
				 S3_BUCKET("\"b/a\\Lb\""), "invalid value for \"spec.s3.bucket\"", "U+2028");
	expect_error("raw byte 0xFF in the prefix",
				 S3_BUCKET("\"b/a\xff" "b\""), "invalid value for \"spec.s3.bucket\"", "line 8");
	expect_accepted("bucket b/ (one trailing slash)", S3_BUCKET("b/"), "b", "");
	expect_accepted("bucket s3://b/a/c/ (one trailing slash)", S3_BUCKET("s3://b/a/c/"), "b", "a/c");
	expect_accepted("bucket with spaces, ':', '+', '=', '!', '(' and non-ASCII letters",
					S3_BUCKET("\"b/x y/a:b+c=d!(e)/ünï\""), "b", "x y/a:b+c=d!(e)/ünï");
	expect_accepted("segments that only start with dots", S3_BUCKET("b/.a/..b/...") , "b", ".a/..b/...");

	expect_error("path a/../b",
				 CL_HEAD "      path: a/../b\n", "invalid value for \"spec.configurations.backups[0].path\"", "line 9");
	expect_error("path /.",
				 CL_HEAD "      path: /.\n", "invalid value for \"spec.configurations.backups[0].path\"", "\".\"");
	expect_error("path //a: two leading slashes",
				 CL_HEAD "      path: //a\n", "invalid value for \"spec.configurations.backups[0].path\"", "empty");
	expect_error("path a//b",
				 CL_HEAD "      path: a//b\n", "invalid value for \"spec.configurations.backups[0].path\"", "empty");
	expect_error("path with a tab",
				 CL_HEAD "      path: \"a\\tb\"\n", "invalid value for \"spec.configurations.backups[0].path\"", "U+0009");
	expect_error("path with a raw DEL",
				 CL_HEAD "      path: \"a\x7f" "b\"\n", "invalid value for \"spec.configurations.backups[0].path\"", "line 9");
}

/* the bucket setting is held to the same rules */
static void
test_setting_bucket_paths(void)
{
	static const char *const bad[] = {
		"b/../other", "b/a/./c", "b/a//c", "../b", "b/a\\c", "b/a\x7f", "b/a\xc2\x85", "b/\xff", "b/a%2e"
	};
	sg_storage	s;
	sg_error	err;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
	{
		sg_storage_init(&s);
		sg_error_clear(&err);
		UNIT_OK(!sg_storage_set_bucket(&s, bad[i], &err) &&
				strstr(err.msg, "\"sgbackup.s3_bucket\"") != NULL,
				"sgbackup.s3_bucket bad value %zu refused: %s | %s", i, err.msg, err.detail);
		sg_storage_free(&s);
	}
}


/* n bytes of path segments "pppp/pppp/..." not ending in '/' */
static void
segments(char *out, int n)
{
	for (int i = 0; i < n; i++)
		out[i] = (i % 5 == 4 && i != n - 1) ? '/' : 'p';
	out[n] = '\0';
}

static const char *
no_settings(void *arg, const char *name)
{
	return NULL;
}

/* the stored SGObjectStorage is the one arg points to */
static bool
find_arg_spec(void *arg, const char *name, sg_storage *out, sg_error *err)
{
	sg_storage_free(out);
	sg_storage_copy(out, (const sg_storage *) arg);
	return true;
}

/* the prefix alone, as a bucket setting and as backups[].path */
static void
test_prefix_length_alone(void)
{
	char		value[SG_PREFIX_MAX + 8];
	sg_storage	spec;
	sg_error	err;
	sg_buf		b;

	for (int n = SG_PREFIX_MAX; n <= SG_PREFIX_MAX + 1; n++)
	{
		bool		ok;

		strcpy(value, "b/");
		segments(value + 2, n);
		sg_storage_init(&spec);
		sg_error_clear(&err);
		ok = sg_storage_set_bucket(&spec, value, &err);
		if (n == SG_PREFIX_MAX)
			UNIT_OK(ok && strlen(spec.prefix) == (size_t) n,
					"a bucket prefix of %d bytes is accepted", n);
		else
			UNIT_OK(!ok && strstr(err.msg, "sgbackup.s3_bucket") && strstr(err.detail, "1024"),
					"a bucket prefix of %d bytes is refused: %s | %s", n, err.msg, err.detail);
		sg_storage_free(&spec);

		sg_buf_init(&b);
		sg_buf_printf(&b, CL_HEAD "      path: /%s/\n", value + 2);
		if (n == SG_PREFIX_MAX)
		{
			sg_document *d = NULL;
			int			nd = 0;

			UNIT_OK(parse_text(b.data, &d, &nd, &err),
					"a path of %d bytes between two slashes is accepted", n);
			if (d)
				sg_documents_free(d, nd);
		}
		else
			expect_error("a path one byte too long",
						 b.data, "invalid value for \"spec.configurations.backups[0].path\"", "1024");
		sg_buf_free(&b);
	}
}

/* the stored spec's prefix and the SGCluster's path together, where joined */
static void
test_prefix_length_joined(void)
{
	sg_storage	spec;
	sg_cluster_backups cluster;
	sg_config	o;
	sg_error	err;

	sg_storage_init(&spec);
	spec.name = sg_strdup("st");
	spec.type = sg_strdup("s3");
	spec.bucket = sg_strdup("b");
	spec.prefix = sg_malloc(501);
	segments(spec.prefix, 500);
	for (int n = SG_PREFIX_MAX - 501; n <= SG_PREFIX_MAX - 500; n++)
	{
		bool		ok;

		sg_cluster_backups_init(&cluster);
		cluster.object_storage = sg_strdup("st");
		cluster.path = sg_malloc(n + 2);
		cluster.path[0] = '/';
		segments(cluster.path + 1, n);
		sg_config_init(&o);
		sg_error_clear(&err);
		ok = sg_config_load(&o, no_settings, NULL, &cluster, find_arg_spec, &spec, &err);
		if (n == SG_PREFIX_MAX - 501)
			UNIT_OK(ok && strlen(o.storage.prefix) == SG_PREFIX_MAX,
					"bucket prefix of 500 bytes and a path of %d: the prefix of %d bytes is accepted",
					n, SG_PREFIX_MAX);
		else
			UNIT_OK(!ok && strstr(err.detail, "spec.configurations.backups[0].path") &&
					strstr(err.detail, "\"st\"") && strstr(err.detail, "1024"),
					"bucket prefix of 500 bytes and a path of %d are refused together: %s | %s | %s",
					n, err.msg, err.detail, err.hint);
		sg_config_free(&o);
		sg_cluster_backups_free(&cluster);
	}
	sg_storage_free(&spec);
}

/* ------------------------------------------------------------------------
 * compression_level and the bandwidth caps, from settings and SGCluster
 * ------------------------------------------------------------------------ */

/* settings from a NULL-terminated list of name, value pairs */
static const char *
table_settings(void *arg, const char *name)
{
	const char *const *t = arg;

	for (; t[0]; t += 2)
		if (strcmp(t[0], name) == 0)
			return t[1];
	return NULL;
}

static bool
load_with(const char *const *table, const sg_cluster_backups *cluster,
		  sg_config *o, sg_error *err)
{
	sg_config_init(o);
	sg_error_clear(err);
	return sg_config_load(o, table_settings, (void *) table, cluster, NULL, NULL, err);
}

static void
test_level_and_bandwidth(void)
{
	const char *const defaults[] = {"s3_bucket", "b", NULL};
	const char *const set[] = {"s3_bucket", "b", "compression_level", "7",
		"max_network_bandwidth", "1000", "max_disk_bandwidth", "4000",
	"upload_concurrency", "4", NULL};
	const char *const bad_level[] = {"s3_bucket", "b", "compression_level", "20", NULL};
	const char *const zero_level[] = {"s3_bucket", "b", "compression_level", "0", NULL};
	const char *const bad_net[] = {"s3_bucket", "b", "max_network_bandwidth", "-1", NULL};
	const char *const bad_disk[] = {"s3_bucket", "b", "max_disk_bandwidth", "1MB", NULL};
	sg_cluster_backups cluster;
	sg_config	o;
	sg_error	err;

	UNIT_OK(load_with(defaults, NULL, &o, &err) && o.compression_level == 1 &&
			o.max_network_bandwidth == 0 && o.max_disk_bandwidth == 0,
			"defaults: compression_level 1, no bandwidth caps");
	UNIT_OK(sg_config_share(&o, o.max_network_bandwidth) == 0, "  no cap: no share");
	sg_config_free(&o);
	UNIT_OK(load_with(set, NULL, &o, &err) && o.compression_level == 7 &&
			o.max_network_bandwidth == 1000 && o.max_disk_bandwidth == 4000,
			"settings compression_level, max_network_bandwidth, max_disk_bandwidth are read");
	UNIT_OK(sg_config_share(&o, o.max_network_bandwidth) == 250 &&
			sg_config_share(&o, o.max_disk_bandwidth) == 1000,
			"  a cap is shared by upload_concurrency connections");
	sg_config_free(&o);
	UNIT_OK(!load_with(bad_level, NULL, &o, &err) &&
			strstr(err.msg, "sgbackup.compression_level") && strstr(err.hint, "1 to 19"),
			"compression_level 20 is refused: %s | %s", err.msg, err.hint);
	sg_config_free(&o);
	UNIT_OK(!load_with(zero_level, NULL, &o, &err) &&
			strstr(err.msg, "sgbackup.compression_level"),
			"compression_level 0 is refused: %s", err.msg);
	sg_config_free(&o);
	UNIT_OK(!load_with(bad_net, NULL, &o, &err) &&
			strstr(err.msg, "sgbackup.max_network_bandwidth"),
			"max_network_bandwidth -1 is refused: %s", err.msg);
	sg_config_free(&o);
	UNIT_OK(!load_with(bad_disk, NULL, &o, &err) &&
			strstr(err.msg, "sgbackup.max_disk_bandwidth"),
			"max_disk_bandwidth 1MB (not bytes) is refused: %s", err.msg);
	sg_config_free(&o);

	sg_cluster_backups_init(&cluster);
	cluster.max_network_bandwidth = 52428800;
	cluster.max_disk_bandwidth = 26214400;
	UNIT_OK(load_with(defaults, &cluster, &o, &err) &&
			o.max_network_bandwidth == 52428800 && o.max_disk_bandwidth == 26214400,
			"SGCluster performance.maxNetworkBandwidth and maxDiskBandwidth fill in the caps");
	sg_config_free(&o);
	UNIT_OK(load_with(set, &cluster, &o, &err) &&
			o.max_network_bandwidth == 1000 && o.max_disk_bandwidth == 4000,
			"  settings that are set win over the SGCluster");
	sg_config_free(&o);
	sg_cluster_backups_free(&cluster);
}

/* sg_storage_equal notices a change of any one field */
static void
test_storage_equal(void)
{
	sg_storage	a;
	sg_storage	b;
	char	  **fields[] = {&b.name, &b.type, &b.bucket, &b.prefix, &b.region,
		&b.endpoint, &b.storage_class, &b.ca_file, &b.access_key_id.name,
		&b.access_key_id.key, &b.secret_access_key.name, &b.secret_access_key.key,
	&b.ca_certificate.name, &b.ca_certificate.key};
	int			missed = 0;

	sg_storage_init(&a);
	a.bucket = sg_strdup("b");
	a.prefix = sg_strdup("");
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
	{
		sg_storage_copy(&b, &a);
		free(*fields[i]);
		*fields[i] = sg_strdup("changed");
		missed += sg_storage_equal(&a, &b);
		sg_storage_free(&b);
	}
	sg_storage_copy(&b, &a);
	UNIT_OK(sg_storage_equal(&a, &b), "a copy of a storage is equal to it");
	b.force_path_style = true;
	missed += sg_storage_equal(&a, &b);
	b.force_path_style = false;
	b.use_iam_role = true;
	missed += sg_storage_equal(&a, &b);
	sg_storage_free(&b);
	UNIT_OK(missed == 0, "sg_storage_equal notices a change of each field (%d missed)", missed);
	sg_storage_free(&a);
}

/* ------------------------------------------------------------------------
 * cronSchedule, checked when the document is read
 * ------------------------------------------------------------------------ */

static void
test_cron_schedule(void)
{
	sg_document *d = NULL;
	sg_error	err;
	int			n = 0;
	char	   *text;
	size_t		len;
	const char *at;
	sg_buf		b;

	expect_error("StackGres's example cronSchedule '0 5 0 0 0'",
				 CL_HEAD "      cronSchedule: '0 5 0 0 0'\n",
				 "invalid value for \"spec.configurations.backups[0].cronSchedule\": \"0 5 0 0 0\"",
				 "line 9");
	expect_error("cronSchedule with four fields",
				 CL_HEAD "      cronSchedule: '0 5 * *'\n",
				 "invalid value for \"spec.configurations.backups[0].cronSchedule\"", "five");
	expect_error("cronSchedule with minute 60",
				 CL_HEAD "      retention: 2\n      cronSchedule: '60 * * * *'\n",
				 "invalid value for \"spec.configurations.backups[0].cronSchedule\"", "line 10");
	expect_error("cronSchedule @reboot",
				 CL_HEAD "      cronSchedule: '@reboot'\n",
				 "invalid value for \"spec.configurations.backups[0].cronSchedule\"", "@reboot");
	expect_error("cronSchedule with a line break",
				 CL_HEAD "      cronSchedule: \"0 5\\n* * *\"\n",
				 "invalid value for \"spec.configurations.backups[0].cronSchedule\"", "U+000A");
	UNIT_OK(parse_text(CL_HEAD "      cronSchedule: '@daily'\n", &d, &n, &err) && n == 1,
			"cronSchedule @daily accepted");
	if (d)
		sg_documents_free(d, n);

	/* the StackGres template with its sgObjectStorage filled in */
	text = sg_read_file("test/data/stackgres-cluster-template.yaml", &len);
	at = text ? strstr(text, "sgObjectStorage:") : NULL;
	UNIT_OK(at != NULL, "read test/data/stackgres-cluster-template.yaml");
	if (at == NULL)
		return;
	sg_buf_init(&b);
	sg_buf_append(&b, text, at - text);
	sg_buf_append_str(&b, "sgObjectStorage: backup-storage");
	sg_buf_append_str(&b, at + strlen("sgObjectStorage:"));
	expect_error("the StackGres template's cronSchedule '0 5 0 0 0'", b.data,
				 "invalid value for \"spec.configurations.backups[0].cronSchedule\"", "line 17");
	sg_buf_free(&b);
	free(text);
}

/* ------------------------------------------------------------------------
 * YAML limits: nesting, size, aliases and nodes
 * ------------------------------------------------------------------------ */

static double
seconds_now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

/*
 * Refused with want in msg, or accepted when want is NULL; prints how long
 * the parser took (never a failure: the time depends on the machine).
 */
static void
expect_limit(const char *name, const char *text, size_t len, const char *want)
{
	sg_document *d = NULL;
	int			n = 0;
	sg_error	err;
	double		t0 = seconds_now();
	bool		ok;

	sg_error_clear(&err);
	ok = sg_parse_documents(text, len, &d, &n, &err);
	if (want)
		UNIT_OK(!ok && strstr(err.msg, want) != NULL, "refused: %s", name);
	else
		UNIT_OK(ok, "accepted: %s", name);
	printf("#   %.3f s %s | %s | %s\n", seconds_now() - t0, err.msg, err.detail, err.hint);
	if (ok)
		sg_documents_free(d, n);
}

/* an SGCluster with "extra: <value>" in its spec, which sgbackup ignores */
static char *
cluster_with(const char *extra)
{
	sg_buf		b;

	sg_buf_init(&b);
	sg_buf_printf(&b, "apiVersion: stackgres.io/v1\nkind: SGCluster\nmetadata:\n  name: c\n"
				  "spec:\n  configurations:\n    backups:\n    - sgObjectStorage: st\n"
				  "  extra: %s\n", extra);
	return b.data;
}

/* depth levels of flow sequences: "[[[...]]]" */
static char *
nested(int depth)
{
	char	   *s = sg_malloc(2 * depth + 1);

	memset(s, '[', depth);
	memset(s + depth, ']', depth);
	s[2 * depth] = '\0';
	return s;
}

static void
test_nesting_limit(void)
{
	char	   *text;
	char	   *inner;
	sg_buf		b;

	/* libyaml alone takes about 40 s for these */
	text = nested(100000);
	expect_limit("100000 levels of '['", text, strlen(text), "nested too deeply");
	free(text);
	text = sg_malloc(200001);
	memset(text, '[', 200000);
	text[200000] = '\0';
	expect_limit("200000 '[' never closed", text, strlen(text), "nested too deeply");
	free(text);

	/* the document and spec are 2 levels */
	inner = nested(SG_YAML_MAX_DEPTH - 2);
	text = cluster_with(inner);
	expect_limit("a document nested exactly as deep as the limit", text, strlen(text), NULL);
	free(text);
	free(inner);
	inner = nested(SG_YAML_MAX_DEPTH - 1);
	text = cluster_with(inner);
	expect_limit("a document nested one level deeper than the limit", text, strlen(text),
				 "nested too deeply");
	free(text);
	free(inner);

	sg_buf_init(&b);
	sg_buf_append_str(&b, OS_HEAD);
	for (int i = 0; i < 100; i++)
		sg_buf_printf(&b, "%*sk%d:\n", 2 + 2 * i, "", i);
	expect_limit("100 levels of block mappings", b.data, b.len, "nested too deeply");
	sg_buf_free(&b);
}

static void
test_size_limit(void)
{
	sg_buf		b;

	sg_buf_init(&b);
	sg_buf_append_str(&b, OS_HEAD "  type: s3\n  s3:\n    bucket: b\n# ");
	while (b.len < SG_YAML_MAX_BYTES - 1)
		sg_buf_append_str(&b, "x");
	sg_buf_append_str(&b, "\n");
	expect_limit("a text of exactly the size limit", b.data, b.len, NULL);
	sg_buf_append_str(&b, "\n");
	expect_limit("a text one byte larger than the limit", b.data, b.len, "too large");
	sg_buf_free(&b);
}

/*
 * An SGCluster whose ignored extra field is the flow list
 * [first, more, more, ...] of n items; "%d" in more is the item's index.
 */
static char *
cluster_with_list(const char *first, const char *more, int n)
{
	sg_buf		b;
	char	   *text;

	sg_buf_init(&b);
	sg_buf_printf(&b, "[%s", first);
	for (int i = 1; i < n; i++)
	{
		sg_buf_append_str(&b, ",");
		sg_buf_printf(&b, more, i);
	}
	sg_buf_append_str(&b, "]");
	text = cluster_with(b.data);
	sg_buf_free(&b);
	return text;
}

static void
test_alias_limit(void)
{
	sg_buf		b;
	char	   *text;

	text = cluster_with_list("&a x", " *a", SG_YAML_MAX_ALIASES + 1);
	expect_limit("as many aliases as the limit", text, strlen(text), NULL);
	free(text);
	text = cluster_with_list("&a x", " *a", SG_YAML_MAX_ALIASES + 2);
	expect_limit("one alias more than the limit", text, strlen(text), "too many aliases");
	free(text);
	text = cluster_with_list("&a0 x", " &a%d x", SG_YAML_MAX_ALIASES + 1);
	expect_limit("one anchor more than the limit", text, strlen(text), "too many anchors");
	free(text);

	/* nine levels of nine aliases each: a billion x's if expanded */
	sg_buf_init(&b);
	sg_buf_append_str(&b, "{a: &a [x, x, x, x, x, x, x, x, x]");
	for (char c = 'b'; c <= 'i'; c++)
	{
		sg_buf_printf(&b, ", %c: &%c [*%c", c, c, c - 1);
		for (int i = 1; i < 9; i++)
			sg_buf_printf(&b, ", *%c", c - 1);
		sg_buf_append_str(&b, "]");
	}
	sg_buf_append_str(&b, "}");
	text = cluster_with(b.data);
	expect_limit("billion laughs", text, strlen(text), "too many aliases");
	free(text);
	sg_buf_free(&b);
}

static void
test_node_limit(void)
{
	char	   *text;

	/* the SGCluster around the list has 20 nodes, keys counted */
	text = cluster_with_list("x", "x", SG_YAML_MAX_NODES - 20);
	expect_limit("a document of exactly as many nodes as the limit", text, strlen(text), NULL);
	free(text);
	text = cluster_with_list("x", "x", SG_YAML_MAX_NODES - 19);
	expect_limit("a document of one node more than the limit", text, strlen(text),
				 "too many");
	free(text);
	text = cluster_with_list("x", "x", 750000);
	expect_limit("a list of 750000 items (1.5 MB)", text, strlen(text), "too many");
	free(text);
}

/* ------------------------------------------------------------------------
 * SGCluster spec.initialData.restore, and the download concurrencies
 * ------------------------------------------------------------------------ */

#define RESTORE_HEAD CL_HEAD "  initialData:\n    restore:\n"
#define FROM_HEAD RESTORE_HEAD "      fromBackup:\n"
#define PITR_HEAD FROM_HEAD "        name: b1\n        pointInTimeRecovery:\n"

/* 2026-11-30T06:15:00Z */
#define RESTORE_TO	(INT64_C(1796019300) * 1000000)

static void
test_restore_file(void)
{
	sg_document *d;
	sg_error	err;
	sg_config	o;
	int			n = parse_file("stackgres-restore.yaml", &d, &err);
	const sg_cluster_backups *b;
	char	   *yaml;
	sg_document *back = NULL;
	int			nback = 0;

	UNIT_OK(n == 2 && d[1].kind == SG_DOC_CLUSTER,
			"restore file: an SGObjectStorage and an SGCluster with initialData.restore");
	if (n != 2)
		return;
	b = &d[1].backups;
	UNIT_STREQ(b->restore.backup_name, "backup-demo-1", "  fromBackup.name");
	UNIT_OK(b->restore.to_usec == RESTORE_TO,
			"  pointInTimeRecovery.restoreToTimestamp 2026-11-30T06:15:00Z");
	UNIT_OK(b->restore.download_disk_concurrency == 2, "  downloadDiskConcurrency");
	UNIT_OK(b->download_concurrency == 6, "  backups[0].performance.downloadConcurrency");

	sg_config_init(&o);
	sg_error_clear(&err);
	UNIT_OK(sg_config_load(&o, no_settings, NULL, b, find_arg_spec, &d[0].storage, &err) &&
			o.object_storage && strcmp(o.object_storage, "backup-minio") == 0 &&
			o.restore_to_usec == RESTORE_TO &&
			o.restore_download_disk_concurrency == 2 && o.download_concurrency == 6 &&
			o.restore_backup_name && strcmp(o.restore_backup_name, "backup-demo-1") == 0,
			"  sg_config carries the restore section and downloadConcurrency%s%s",
			err.msg[0] ? ": " : "", err.msg);
	sg_config_free(&o);

	/* what the server stores of an applied SGCluster: the backups section */
	yaml = sg_cluster_backups_to_yaml(b);
	UNIT_OK(yaml && strstr(yaml, "downloadConcurrency: 6") && !strstr(yaml, "initialData") &&
			parse_text(yaml, &back, &nback, &err) && nback == 1 &&
			sg_cluster_backups_equal(&back[0].backups, b) &&
			back[0].backups.restore.backup_name == NULL,
			"  written back: downloadConcurrency, not the restore section");
	if (back)
		sg_documents_free(back, nback);
	free(yaml);
	sg_documents_free(d, n);
}

/* the restore section of one SGCluster text, or false with err */
static bool
restore_of(const char *text, sg_cluster_restore *out, sg_error *err)
{
	sg_document *d = NULL;
	int			n = 0;
	bool		ok = parse_text(text, &d, &n, err) && n == 1;

	if (ok)
	{
		*out = d[0].backups.restore;
		out->backup_name = sg_strdup(out->backup_name);
	}
	if (d)
		sg_documents_free(d, n);
	return ok;
}

static void
test_restore_variants(void)
{
	sg_cluster_restore r;
	sg_error	err;
	sg_config	o;
	const char *const defaults[] = {"s3_bucket", "b", NULL};
	sg_cluster_backups c;

	UNIT_OK(restore_of(PITR_HEAD "          restoreToTimestamp: 2026-11-30T06:15:00Z\n", &r, &err) &&
			r.to_usec == RESTORE_TO && strcmp(r.backup_name, "b1") == 0 &&
			r.download_disk_concurrency == -1,
			"restore: an unquoted timestamp, no downloadDiskConcurrency");
	free(r.backup_name);
	UNIT_OK(restore_of(PITR_HEAD "          restoreToTimestamp: '2026-11-30T07:45:00.5+01:30'\n", &r, &err) &&
			r.to_usec == RESTORE_TO + 500000, "restore: a timestamp with an offset and a fraction");
	free(r.backup_name);
	UNIT_OK(restore_of(FROM_HEAD "        name: b1\n        uid: 5f2e6c1a-0000-4000-8000-000000000001\n", &r, &err) &&
			strcmp(r.backup_name, "b1") == 0 && r.to_usec == 0,
			"restore: uid next to name is ignored; no point in time");
	free(r.backup_name);
	UNIT_OK(restore_of(PITR_HEAD "          restoreToTimestamp: ~\n", &r, &err) && r.to_usec == 0,
			"restore: a null restoreToTimestamp is not given");
	free(r.backup_name);
	UNIT_OK(restore_of(CL_HEAD "  initialData:\n    scripts:\n    - script: select 1\n", &r, &err) &&
			r.backup_name == NULL && r.to_usec == 0 && r.download_disk_concurrency == -1,
			"initialData without restore: nothing to restore");
	UNIT_OK(restore_of(RESTORE_HEAD "      downloadDiskConcurrency: 3\n", &r, &err) &&
			r.backup_name == NULL && r.download_disk_concurrency == 3,
			"restore without fromBackup: only downloadDiskConcurrency");

	sg_cluster_backups_init(&c);
	UNIT_OK(load_with(defaults, &c, &o, &err) && o.restore_backup_name == NULL &&
			o.restore_to_usec == 0 && o.restore_download_disk_concurrency == 0 &&
			o.download_concurrency == SG_DEFAULT_DOWNLOAD_CONCURRENCY,
			"no restore section: sg_config has none, download_concurrency %d", SG_DEFAULT_DOWNLOAD_CONCURRENCY);
	sg_config_free(&o);
	c.restore.download_disk_concurrency = 1000;
	UNIT_OK(load_with(defaults, &c, &o, &err) &&
			o.restore_download_disk_concurrency == SG_MAX_DOWNLOAD_CONCURRENCY,
			"downloadDiskConcurrency 1000 is capped at %d", SG_MAX_DOWNLOAD_CONCURRENCY);
	sg_config_free(&o);
	sg_cluster_backups_free(&c);
}

static void
test_restore_errors(void)
{
	expect_error("restoreToTimestamp that is no time",
				 PITR_HEAD "          restoreToTimestamp: yesterday\n",
				 "invalid value for \"spec.initialData.restore.fromBackup.pointInTimeRecovery.restoreToTimestamp\": \"yesterday\"",
				 "at line 14 is not an RFC 3339 time");
	expect_error("restoreToTimestamp written as PostgreSQL does",
				 PITR_HEAD "          restoreToTimestamp: '2026-11-30 06:15:00+00'\n",
				 "invalid value for \"spec.initialData.restore.fromBackup.pointInTimeRecovery.restoreToTimestamp\"", NULL);
	expect_error("restoreToTimestamp without a zone",
				 PITR_HEAD "          restoreToTimestamp: '2026-11-30T06:15:00'\n",
				 "restoreToTimestamp\"", "RFC 3339");
	expect_error("restoreToTimestamp on a day that does not exist",
				 PITR_HEAD "          restoreToTimestamp: '2026-02-29T06:15:00Z'\n",
				 "restoreToTimestamp\"", NULL);
	expect_error("restoreToTimestamp before 1970",
				 PITR_HEAD "          restoreToTimestamp: '1969-12-31T23:59:59Z'\n",
				 "restoreToTimestamp\"", "after 1970");
	expect_error("restoreToTimestamp as a number",
				 PITR_HEAD "          restoreToTimestamp: 1796019300\n",
				 "field \"spec.initialData.restore.fromBackup.pointInTimeRecovery.restoreToTimestamp\" requires a string value", "line 14");
	expect_error("pointInTimeRecovery as a string",
				 FROM_HEAD "        pointInTimeRecovery: '2026-11-30T06:15:00Z'\n",
				 "field \"spec.initialData.restore.fromBackup.pointInTimeRecovery\" requires a mapping", NULL);
	expect_error("unknown field in pointInTimeRecovery",
				 PITR_HEAD "          restoreToTime: '2026-11-30T06:15:00Z'\n",
				 "unknown field \"spec.initialData.restore.fromBackup.pointInTimeRecovery.restoreToTime\"", NULL);
	expect_error("unknown field in fromBackup",
				 FROM_HEAD "        name: b1\n        target: immediate\n",
				 "unknown field \"spec.initialData.restore.fromBackup.target\"", NULL);
	expect_error("unknown field in restore",
				 RESTORE_HEAD "      fromSnapshot: s1\n",
				 "unknown field \"spec.initialData.restore.fromSnapshot\"", NULL);
	expect_error("fromBackup.name that is no backup name",
				 FROM_HEAD "        name: ../etc\n",
				 "invalid value for \"spec.initialData.restore.fromBackup.name\": \"../etc\"", "at line 12 is not a backup name");
	expect_error("fromBackup.name as a number",
				 FROM_HEAD "        name: 42\n",
				 "field \"spec.initialData.restore.fromBackup.name\" requires a string value", NULL);
	expect_error("fromBackup.uid alone",
				 FROM_HEAD "        uid: 5f2e6c1a-0000-4000-8000-000000000001\n",
				 "field \"spec.initialData.restore.fromBackup.uid\" is not supported", "at line 12");
	expect_error("downloadDiskConcurrency 0",
				 RESTORE_HEAD "      downloadDiskConcurrency: 0\n",
				 "value for \"spec.initialData.restore.downloadDiskConcurrency\" is out of range: 0", NULL);
	expect_error("downloadDiskConcurrency as text",
				 RESTORE_HEAD "      downloadDiskConcurrency: two\n",
				 "field \"spec.initialData.restore.downloadDiskConcurrency\" requires an integer value", NULL);
	expect_error("restore as a list",
				 CL_HEAD "  initialData:\n    restore: [b1]\n",
				 "field \"spec.initialData.restore\" requires a mapping", NULL);
	expect_error("performance.downloadConcurrency 0",
				 CL_HEAD "      performance: {downloadConcurrency: 0}\n",
				 "value for \"spec.configurations.backups[0].performance.downloadConcurrency\" is out of range", NULL);
}

/* sgbackup.download_concurrency, and the SGCluster's when it is left alone */
static void
test_download_concurrency(void)
{
	const char *const defaults[] = {"s3_bucket", "b", NULL};
	const char *const eight[] = {"s3_bucket", "b", "download_concurrency", "8", NULL};
	const char *const four[] = {"s3_bucket", "b", "download_concurrency", "4", NULL};
	const char *const zero[] = {"s3_bucket", "b", "download_concurrency", "0", NULL};
	const char *const many[] = {"s3_bucket", "b", "download_concurrency", "65", NULL};
	sg_cluster_backups c;
	sg_config	o;
	sg_error	err;

	sg_cluster_backups_init(&c);
	c.download_concurrency = 12;
	UNIT_OK(load_with(eight, NULL, &o, &err) && o.download_concurrency == 8,
			"download_concurrency 8 is read");
	sg_config_free(&o);
	UNIT_OK(load_with(defaults, &c, &o, &err) && o.download_concurrency == 12,
			"the SGCluster's downloadConcurrency fills in the default");
	sg_config_free(&o);
	UNIT_OK(load_with(eight, &c, &o, &err) && o.download_concurrency == 8,
			"  a setting that is set wins");
	sg_config_free(&o);
	UNIT_OK(load_with(four, &c, &o, &err) && o.download_concurrency == 12,
			"  a setting at the default does not");
	sg_config_free(&o);
	c.download_concurrency = 1000;
	UNIT_OK(load_with(defaults, &c, &o, &err) && o.download_concurrency == SG_MAX_DOWNLOAD_CONCURRENCY,
			"  capped at %d", SG_MAX_DOWNLOAD_CONCURRENCY);
	sg_config_free(&o);
	UNIT_OK(!load_with(zero, NULL, &o, &err) && strstr(err.msg, "sgbackup.download_concurrency") &&
			strstr(err.hint, "1 to 64"), "download_concurrency 0 is refused: %s | %s", err.msg, err.hint);
	sg_config_free(&o);
	UNIT_OK(!load_with(many, NULL, &o, &err) && strstr(err.msg, "sgbackup.download_concurrency"),
			"download_concurrency 65 is refused");
	sg_config_free(&o);
	sg_cluster_backups_free(&c);
}

int
main(void)
{
	test_stackgres_examples();
	test_config_file();
	test_errors();
	test_lenient_cluster();
	test_accepted_variants();
	test_set_bucket();
	test_validate_settings();
	test_compression();
	test_round_trip();
	test_every_character();
	test_setting_bucket_characters();
	test_bucket_paths();
	test_setting_bucket_paths();
	test_prefix_length_alone();
	test_prefix_length_joined();
	test_level_and_bandwidth();
	test_storage_equal();
	test_cron_schedule();
	test_restore_file();
	test_restore_variants();
	test_restore_errors();
	test_download_concurrency();
	test_nesting_limit();
	test_size_limit();
	test_alias_limit();
	test_node_limit();
	return UNIT_DONE();
}
