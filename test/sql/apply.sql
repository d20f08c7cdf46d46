-- sgbackup_apply: StackGres documents as users write them, and bad ones.
CREATE EXTENSION sgbackup;

-- the AWS S3 example of StackGres's backup guide
SELECT sgbackup_apply($$
apiVersion: stackgres.io/v1beta1
kind: SGObjectStorage
metadata:
  name: objectstorage
spec:
  type: s3
  s3:
    bucket: my-stackgres-bucket
    awsCredentials:
      secretKeySelectors:
        accessKeyId:
          name: s3-backup-secret
          key: accessKeyId
        secretAccessKey:
          name: s3-backup-secret
          key: secretAccessKey
$$);

-- an S3-compatible service (MinIO), with a prefix in the bucket
SELECT sgbackup_apply($$
apiVersion: stackgres.io/v1beta1
kind: SGObjectStorage
metadata:
  name: minio
spec:
  type: s3Compatible
  s3Compatible:
    bucket: stackgres/cluster-a
    region: k8s
    enablePathStyleAddressing: true
    endpoint: http://my-cluster-minio:9000
    awsCredentials:
      secretKeySelectors:
        accessKeyId:
          key: accesskey
          name: my-cluster-minio
        secretAccessKey:
          key: secretkey
          name: my-cluster-minio
$$);

-- applying again replaces the stored spec
SELECT sgbackup_apply($$
apiVersion: stackgres.io/v1beta1
kind: SGObjectStorage
metadata:
  name: minio
spec:
  type: s3Compatible
  s3Compatible:
    bucket: stackgres/cluster-b
    endpoint: https://minio.example.com
    awsCredentials:
      secretKeySelectors:
        accessKeyId: {name: minio-secret, key: accesskey}
        secretAccessKey: {name: minio-secret, key: secretkey}
$$);
SELECT name, spec ~ 'cluster-b' AS replaced FROM sgbackup.object_storage ORDER BY name;

-- the backups section of an SGCluster
SELECT sgbackup_apply($$
apiVersion: stackgres.io/v1
kind: SGCluster
metadata:
  name: stackgres
spec:
  instances: 1
  postgres:
    version: '15'
  pods:
    persistentVolume:
      size: '10Gi'
  configurations:
    backups:
    - sgObjectStorage: minio
      cronSchedule: '*/5 * * * *'
      retention: 6
      compression: lz4
$$);

-- bad documents: each error names the field
SELECT sgbackup_apply($$
kind: SGObjectStorage
metadata:
  name: typo
spec:
  type: s3
  s3:
    bucktet: b
$$);
SELECT sgbackup_apply($$
kind: SGObjectStorage
metadata:
  name: nobucket
spec:
  type: s3
  s3:
    region: us-east-1
$$);
SELECT sgbackup_apply($$
kind: SGObjectStorage
metadata:
  name: wrongtype
spec:
  type: s3Compatible
  s3Compatible:
    bucket: b
    enablePathStyleAddressing: [1, 2]
$$);
SELECT sgbackup_apply($$
kind: SGObjectStorage
metadata:
  name: gcs
spec:
  type: gcs
  gcs:
    bucket: b
$$);
SELECT sgbackup_apply($$
kind: SGObjectStorage
spec:
  type: s3
  s3:
    bucket: b
$$);
SELECT sgbackup_apply($$
kind: SGObjectStorage
metadata:
  name: badclass
spec:
  type: s3
  s3:
    bucket: b
    storageClass: GLACIER
$$);
SELECT sgbackup_apply($$
kind: SGObjectStorage
metadata:
  name: badendpoint
spec:
  type: s3Compatible
  s3Compatible:
    bucket: b
    endpoint: minio:9000
$$);
SELECT sgbackup_apply($$
kind: SGObjectStorage
metadata:
  name: halfselector
spec:
  type: s3
  s3:
    bucket: b
    awsCredentials:
      secretKeySelectors:
        accessKeyId: {name: s, key: a}
$$);
SELECT sgbackup_apply($$
kind: SGCluster
metadata:
  name: c
spec:
  configurations:
    backups:
    - sgObjectStorage: minio
      compression: brotli
$$);
SELECT sgbackup_apply($$
kind: SGCluster
metadata:
  name: c
spec:
  configurations:
    backups:
    - sgObjectStorage: minio
      retention: many
$$);
SELECT sgbackup_apply('kind: SGObjectStorage
metadata: {name: x
spec: [');
SELECT sgbackup_apply('kind: ConfigMap');
SELECT sgbackup_apply('just a string');

-- a bucket path must stay inside the bucket, and a schedule must be one
SELECT sgbackup_apply($$
kind: SGObjectStorage
metadata:
  name: escape
spec:
  type: s3Compatible
  s3Compatible:
    bucket: b/../other
    endpoint: http://minio:9000
    enablePathStyleAddressing: true
$$);
SELECT sgbackup_apply($$
kind: SGCluster
metadata:
  name: c
spec:
  configurations:
    backups:
    - sgObjectStorage: minio
      cronSchedule: '0 5 0 0 0'
$$);

-- nothing bad was stored
SELECT name FROM sgbackup.object_storage ORDER BY name;

-- settings are checked when set
ALTER SYSTEM SET sgbackup.s3_endpoint = 'minio:9000';
ALTER SYSTEM SET sgbackup.compression = 'gzip';
ALTER SYSTEM SET sgbackup.s3_storage_class = 'GLACIER';
ALTER SYSTEM SET sgbackup.upload_concurrency = 0;
ALTER SYSTEM SET sgbackup.object_storage = 'Bad Name';
ALTER SYSTEM SET sgbackup.secrets_directory = 'relative/path';
ALTER SYSTEM SET sgbackup.s3_bucket = 's3://';
ALTER SYSTEM SET sgbackup.s3_bucket = 'b/../other';
-- good values are taken
ALTER SYSTEM SET sgbackup.s3_bucket = 's3://bucket/some/prefix';
ALTER SYSTEM SET sgbackup.s3_storage_class = 'STANDARD_IA';
ALTER SYSTEM RESET ALL;

-- only superusers may apply (050_privileges tries every role)
CREATE ROLE plain_user;
SET ROLE plain_user;
SELECT sgbackup_apply('kind: SGObjectStorage');
SELECT * FROM sgbackup.object_storage;
RESET ROLE;
DROP ROLE plain_user;
