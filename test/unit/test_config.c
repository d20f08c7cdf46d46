/*
 * test_config.c - unit tests for sg_config.c: StackGres documents as the
 * StackGres docs write them (test/data/stackgres-*.yaml), every kind of bad
 * document, bucket splitting, checks, summaries and the YAML round trip.
 * Run from the top of the repository (it reads test/data).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sg_buf.h"
#include "sg_config.h"
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
	sg_backup_config *b;
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
	UNIT_OK(b->max_network_bandwidth == 52428800 && b->max_disk_bandwidth == 26214400,
			"  bandwidths");
	sum = sg_document_summary(&d[0]);
	UNIT_STREQ(sum, "SGObjectStorage \"backup-minio\" stored: type s3Compatible, bucket \"backups\", prefix \"cluster-1\", region us-east-1, endpoint http://127.0.0.1:9000, path style, storage class STANDARD_IA, credentials from secret \"minio\", CA certificate from secret \"minio-ca\"",
			   "  summary");
	free(sum);
	sum = sg_document_summary(&d[1]);
	UNIT_STREQ(sum, "SGCluster backups applied: sgObjectStorage \"backup-minio\", path \"/sgbackup/cluster-1\", compression lz4, cronSchedule \"0 5 * * *\", retention 7, uploadConcurrency 8, maxNetworkBandwidth 52428800, maxDiskBandwidth 26214400",
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
		{"s3://bucket/a//b/", "bucket", "a/b"},
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
	s.name = sg_strdup("weird: \"name\" # not a comment");
	s.type = sg_strdup("s3Compatible");
	sg_storage_set_bucket(&s, "s3://bucket/a: \"quoted\"/c#d/'single'\\back/ünïcödé", &err);
	s.region = sg_strdup("us: \"east\": 1");
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
	sg_storage_set_bucket(&s, "null/~/123/true", &err);
	s.region = sg_strdup("null");
	s.storage_class = sg_strdup("STANDARD");
	round_trip("values that look like YAML null, numbers and booleans", &s);
	yaml = sg_storage_to_yaml(&s);
	printf("# example output:\n%s", yaml ? yaml : "(null)\n");
	free(yaml);
	sg_storage_free(&s);
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
	return UNIT_DONE();
}
