# 130_one_backup.pl - one base backup at a time, whoever starts it: the base
# backup target claims the slot, so pg_basebackup --target=sgbackup:NAME
# cannot run beside another backup (nor abort its uploads as "stale"), and
# sgbackup_start() cannot run beside a pg_basebackup.  Against the RADOS
# Gateway.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::RealBin/../perl";
use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use SgTest;
use Test::More;

my $s3 = s3_env();
my $prefix = unique_prefix('onebackup');
my $tmp = PostgreSQL::Test::Utils::tempdir;
my $st = gateway_storage($s3, 'backups', $prefix, $tmp);
my $node = archiving_node('onebackup', $st);
# 64 MB of random bytes: the compressed archive needs several parts
$node->safe_psql('postgres', q{CREATE TABLE r AS
	SELECT g, decode(md5(random()::text) || md5(random()::text) || md5(random()::text) || md5(random()::text), 'hex') AS b
	FROM generate_series(1, 1000000) g});

sub basebackup
{
	my ($name, $out, @more) = @_;
	return IPC::Run::start([ 'pg_basebackup', '--target', "sgbackup:$name", '-X', 'none',
		@more, '-c', 'fast', '-d',
		'host=' . $node->host . ' port=' . $node->port . ' dbname=postgres' ],
		'>', '/dev/null', '2>', $out);
}

my $first_err = '';
my $first = basebackup('first', \$first_err, '--max-rate', '4M');
ok(wait_for_multipart($s3, "$prefix/backups/first/", 1), 'a slow pg_basebackup --target=sgbackup is uploading');

my $second_err = '';
my $second = basebackup('second', \$second_err);
$second->finish;
isnt($?, 0, 'a second pg_basebackup --target=sgbackup beside it is refused');
like($second_err, qr/a backup is already running: "first"/, "... saying which: $second_err");
my ($ret, $out, $err) = $node->psql('postgres', 'SELECT sgbackup_start()');
like($err, qr/a backup is already running: "first"/, 'sgbackup_start() beside it is refused too');

$first->finish;
is($?, 0, 'the first backup completes: its uploads were not aborted') or diag($first_err);
is($node->safe_psql('postgres', q{SELECT status FROM sgbackup.backups WHERE name = 'first'}),
	'completed', '... and is listed as completed');
is($node->safe_psql('postgres', q{SELECT count(*) FROM sgbackup.backups WHERE name = 'second'}),
	'0', 'the refused one left nothing in the bucket');
my $next = $node->safe_psql('postgres', 'SELECT sgbackup_start(wait => true)');
is($node->safe_psql('postgres', "SELECT status FROM sgbackup.backups WHERE name = '$next'"),
	'completed', 'once it is done, the next backup runs');

$node->stop;
aws($s3, 's3', 'rm', '--recursive', '--quiet', "s3://$s3->{bucket}/$prefix/");
done_testing();
