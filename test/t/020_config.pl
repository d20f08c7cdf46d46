# 020_config.pl - configuration reaches the archiver: a new SGObjectStorage
# applied with sgbackup_apply takes effect within seconds without a restart
# and is still in force after one; settings alone (sgbackup.s3_*) work, with
# lz4 compression and environment credentials; a shutdown while object
# storage is unreachable is not held up for long and loses nothing; the
# settings compression_level, max_network_bandwidth and max_disk_bandwidth
# exist, refuse bad values and are shown as the others are.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::RealBin/../perl";
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use SgTest;
use Test::More;
use Time::HiRes qw(time);

my $s3 = s3_env();
my $prefix = unique_prefix('config');
my $tmp = PostgreSQL::Test::Utils::tempdir;
my $secrets = "$tmp/secrets";
write_secrets($secrets, 'creds',
	accessKeyId => $s3->{access_key},
	secretAccessKey => $s3->{secret_key});

sub storage
{
	my ($name, $sub) = @_;
	return storage_yaml(
		name => $name,
		bucket => "$s3->{bucket}/$prefix/$sub",
		endpoint => $s3->{http},
		region => $s3->{region},
		secret => 'creds');
}

# WAL object names under a sub-prefix
sub stored
{
	my ($sub) = @_;
	my ($rc, $out) = aws($s3, 's3', 'ls', "s3://$s3->{bucket}/$prefix/$sub/wal/");
	return $rc == 0 ? [ map { (split)[-1] } split /\n/, $out ] : [];
}

sub wait_stored
{
	my ($sub, $name) = @_;
	for (1 .. 150)
	{
		return 1 if grep { $_ eq $name } @{ stored($sub) };
		select(undef, undef, undef, 0.2);
	}
	return 0;
}

sub switch_wal
{
	my ($node) = @_;
	$node->safe_psql('postgres', 'CREATE TABLE IF NOT EXISTS w (i int); INSERT INTO w VALUES (1)');
	return $node->safe_psql('postgres', 'SELECT pg_walfile_name(pg_switch_wal())');
}

my $node = PostgreSQL::Test::Cluster->new('config');
$node->init(has_archiving => 0, allows_streaming => 1);
$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'sgbackup'
archive_mode = on
archive_library = 'sgbackup'
sgbackup.secrets_directory = '$secrets'
sgbackup.object_storage = 'one'
});
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION sgbackup');
$node->safe_psql('postgres', "SELECT sgbackup_apply(\$y\$${\ storage('one', 'a')}\$y\$)");
my $seg = switch_wal($node);
ok(wait_stored('a', $seg), "WAL goes to the applied object storage ($seg)");

# re-apply "one" with another bucket prefix: no reload, no restart
$node->safe_psql('postgres', "SELECT sgbackup_apply(\$y\$${\ storage('one', 'b')}\$y\$)");
my $t0 = time;
$seg = switch_wal($node);
ok(wait_stored('b', $seg), 'a re-applied SGObjectStorage is used without a restart');
note(sprintf('took %.1f s', time - $t0));
ok(!grep({ $_ eq $seg } @{ stored('a') }), '... and the old location gets no more WAL');

$node->restart;
$seg = switch_wal($node);
ok(wait_stored('b', $seg), 'the applied SGObjectStorage is still in force after a restart');

# compression_level, max_network_bandwidth and max_disk_bandwidth are
# settings like the others: shown with SHOW and pg_settings, bad values
# refused with the reason, and WAL still archived once they are set
is($node->safe_psql('postgres', q{SELECT string_agg(name || '=' || setting || coalesce(unit, ''), ',' ORDER BY name)
	FROM pg_settings WHERE name IN ('sgbackup.compression_level', 'sgbackup.max_network_bandwidth', 'sgbackup.max_disk_bandwidth')}),
	'sgbackup.compression_level=1,sgbackup.max_disk_bandwidth=0B,sgbackup.max_network_bandwidth=0B',
	'the new settings exist, with their defaults, in pg_settings');
for my $bad (['compression_level', '0'], ['compression_level', '20'],
	['max_network_bandwidth', '-1'], ['max_disk_bandwidth', "'fast'"])
{
	my ($rc, $out, $err) = $node->psql('postgres', "ALTER SYSTEM SET sgbackup.$bad->[0] = $bad->[1]");
	like($err, qr/invalid value for parameter "sgbackup\.$bad->[0]"|is outside the valid range for parameter "sgbackup\.$bad->[0]"/,
		"sgbackup.$bad->[0] = $bad->[1] is refused with a clear error");
}
$node->safe_psql('postgres', q{ALTER SYSTEM SET sgbackup.compression_level = 19});
$node->safe_psql('postgres', q{ALTER SYSTEM SET sgbackup.max_network_bandwidth = '50MB'});
$node->safe_psql('postgres', q{ALTER SYSTEM SET sgbackup.max_disk_bandwidth = '64MB'});
$node->reload;
$node->poll_query_until('postgres', q{SELECT current_setting('sgbackup.compression_level') = '19'});
is($node->safe_psql('postgres', q{SHOW sgbackup.max_network_bandwidth}), '50MB',
	'SHOW gives max_network_bandwidth with its unit');
$seg = switch_wal($node);
ok(wait_stored('b', $seg), 'WAL is archived with compression_level 19 and both bandwidth caps set');
$node->safe_psql('postgres', q{ALTER SYSTEM RESET sgbackup.compression_level});
$node->safe_psql('postgres', q{ALTER SYSTEM RESET sgbackup.max_network_bandwidth});
$node->safe_psql('postgres', q{ALTER SYSTEM RESET sgbackup.max_disk_bandwidth});
$node->reload;

# an SGCluster selects another stored spec and compression
$node->safe_psql('postgres', "SELECT sgbackup_apply(\$y\$${\ storage('two', 'c')}\$y\$)");
$node->safe_psql('postgres', q{ALTER SYSTEM SET sgbackup.object_storage = ''});
$node->reload;
$node->safe_psql('postgres', q{SELECT sgbackup_apply($y$
apiVersion: stackgres.io/v1
kind: SGCluster
metadata:
  name: c
spec:
  configurations:
    backups:
    - sgObjectStorage: two
      compression: lz4
$y$)});
$seg = switch_wal($node);
ok(wait_stored('c', $seg), 'an SGCluster selects the object storage by sgObjectStorage');
my ($rc, $head) = aws($s3, 's3api', 'head-object', '--bucket', $s3->{bucket},
	'--key', "$prefix/c/wal/$seg");
like($head, qr/"sgbackup-compression":\s*"lz4"/, '... and its compression (lz4)');
# the tables are the configuration: a superuser's DELETE removes the SGCluster's file at commit
$node->safe_psql('postgres', 'DELETE FROM sgbackup.cluster_backups');
ok(!-e $node->data_dir . '/sgbackup/cluster.yaml', 'a committed DELETE of the SGCluster row removes its file');
$node->stop;

# settings alone, credentials from the environment, no compression
$node->append_conf('postgresql.conf', qq{
sgbackup.object_storage = ''
sgbackup.secrets_directory = ''
sgbackup.s3_bucket = 's3://$s3->{bucket}/$prefix/d'
sgbackup.s3_endpoint = '$s3->{https}'
sgbackup.s3_ca_file = '$s3->{ca_file}'
sgbackup.s3_force_path_style = on
sgbackup.s3_region = '$s3->{region}'
sgbackup.s3_storage_class = 'STANDARD_IA'
sgbackup.compression = 'none'
});
{
	local $ENV{AWS_ACCESS_KEY_ID} = $s3->{access_key};
	local $ENV{AWS_SECRET_ACCESS_KEY} = $s3->{secret_key};
	$node->start;
}
$seg = switch_wal($node);
ok(wait_stored('d', $seg), 'settings alone describe the bucket (TLS with s3_ca_file, environment credentials)');
($rc, $head) = aws($s3, 's3api', 'head-object', '--bucket', $s3->{bucket},
	'--key', "$prefix/d/wal/$seg");
like($head, qr/"sgbackup-compression":\s*"none"/, 'sgbackup.compression = none stores the file as is');
like($head, qr/"ContentLength":\s*16777216/, '... all 16 MB of it');
like($head, qr/"StorageClass":\s*"STANDARD_IA"/, 'sgbackup.s3_storage_class is applied');

# object storage unreachable: a fast shutdown is not held up for long
$node->append_conf('postgresql.conf', "sgbackup.s3_endpoint = 'https://127.0.0.1:9'\n");
$node->reload;
$seg = switch_wal($node);
ok(wait_for_query($node, q{SELECT last_failure IS NOT NULL FROM sgbackup.archiver}, 't', 60),
	'archiving fails while the endpoint is unreachable');
$t0 = time;
$node->stop('fast');
my $took = time - $t0;
# the archive module gives an upload 10 s after shutdown starts
# (SHUTDOWN_GRACE_MS in src/archive_pool.c); 10 s more for the rest of the
# stop on a busy machine (13.5 s seen with two cores shared by several runs)
ok($took < 20, sprintf('shutdown completes within the 10 s grace and a 10 s margin (%.1f s)', $took));
ok(-e $node->data_dir . "/pg_wal/archive_status/$seg.ready", 'the unarchived segment is still waiting in pg_wal');

aws($s3, 's3', 'rm', '--recursive', '--quiet', "s3://$s3->{bucket}/$prefix/");
# the library exports only what PostgreSQL looks up by name (src/exports.map)
my $libdir = `pg_config --pkglibdir`;
chomp $libdir;
my @symbols = map { (split)[2] } grep { /\s[A-Z]\s/ } split /\n/,
  `nm -D --defined-only $libdir/sgbackup.so`;
my @stray = grep { !/^(Pg_magic_func|_PG_init|_PG_archive_module_init|pg_finfo_sgbackup_\w+|sgbackup_\w+|sgb_\w+_main)$/ } @symbols;
ok(@symbols >= 10, scalar(@symbols) . ' symbols exported');
is_deeply(\@stray, [], 'no other symbol is exported (wal_push, s3_*, sg_* stay local)');

done_testing();
