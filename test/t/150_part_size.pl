# 150_part_size.pl - multipart parts are sized so that one archive fits in
# S3's part limit: with the limit lowered to 3 (sgbackup.max_upload_parts,
# a setting for tests), a backup of about 100 MB of incompressible data is
# stored in at most 3 parts, and a restore of it holds the same data.
# Against the RADOS Gateway.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::RealBin/../perl";
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use SgTest;
use Test::More;

my $s3 = s3_env();
my $prefix = unique_prefix('partsize');
my $tmp = PostgreSQL::Test::Utils::tempdir;
my $st = gateway_storage($s3, 'backups', $prefix, $tmp);
my $node = archiving_node('partsize', $st);
$node->safe_psql('postgres', 'ALTER SYSTEM SET sgbackup.max_upload_parts = 3; SELECT pg_reload_conf()');
# 64 random bytes a row: zstd cannot shrink them
$node->safe_psql('postgres', q{CREATE TABLE r AS
	SELECT g, decode(md5(random()::text) || md5(random()::text) || md5(random()::text) || md5(random()::text), 'hex') AS b
	FROM generate_series(1, 1000000) g});
my $sum = $node->safe_psql('postgres', 'SELECT md5(string_agg(b, NULL ORDER BY g)) FROM r');
my $name = $node->safe_psql('postgres', 'SELECT sgbackup_start(wait => true)');
my $row = $node->safe_psql('postgres',
	"SELECT status, compressed_bytes FROM sgbackup.backups WHERE name = '$name'");
my ($status, $bytes) = split /\|/, $row;
is($status, 'completed', "the backup completes ($bytes bytes stored)");
ok($bytes > 3 * 16 * 1024 * 1024, '... more than three parts of the default 16 MiB would hold');
my ($rc, $head) = aws($s3, 's3api', 'head-object', '--bucket', $s3->{bucket},
	'--key', "$prefix/backups/$name/base.tar.zst");
my ($parts) = $head =~ /"ETag":\s*"\\?"?[0-9a-f]+-(\d+)/;
ok(defined $parts && $parts <= 3, 'base.tar.zst went up in at most 3 parts (' . ($parts // 'one PUT') . ')');
$node->safe_psql('postgres', 'SELECT pg_switch_wal()');
ok(wait_for_query($node, 'SELECT backlog FROM sgbackup.archiver', '0'), 'WAL is archived');
$node->stop;

my $restored = PostgreSQL::Test::Cluster->new('restored');
restore_backup($s3, $prefix, $name, $restored, config => $st->{config},
	secrets => $st->{secrets}, conf => "archive_mode = off\nrecovery_target = 'immediate'\n");
$restored->start;
ok($restored->poll_query_until('postgres', 'SELECT NOT pg_is_in_recovery()'),
	'the restored backup reaches consistency and is promoted');
is($restored->safe_psql('postgres', 'SELECT md5(string_agg(b, NULL ORDER BY g)) FROM r'), $sum,
	'it holds the same data');
$restored->stop;
aws($s3, 's3', 'rm', '--recursive', '--quiet', "s3://$s3->{bucket}/$prefix/");
done_testing();
