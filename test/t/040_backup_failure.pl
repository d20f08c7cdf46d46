# 040_backup_failure.pl - object storage goes away in the middle of a base
# backup: the backup fails with a clear message, is never listed as
# completed, its multipart uploads do not linger, WAL is not lost, and the
# next backup works once storage is back.  The outage starts at a point the
# test controls, not after a sleep: the proxy in front of the gateway cuts
# every connection when the first part of the backup's base.tar.zst goes up
# (after started.json, so the backup is listed).
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
my $prefix = unique_prefix('backup-failure');
my $tmp = PostgreSQL::Test::Utils::tempdir;
my ($http_port) = $s3->{http} =~ /:(\d+)$/;
my $proxy_port = PostgreSQL::Test::Cluster::get_free_port();
my $proxy;
my $cut_on = 'PUT \S*/backups/\S*/base\.tar\.zst\?\S*partNumber=';
sub start_proxy { $proxy = tcp_proxy_start($proxy_port, $http_port, "$tmp/proxy.log", @_); return; }
sub stop_proxy { tcp_proxy_stop($proxy); return; }
start_proxy('--cut-on', $cut_on);

my $node = sgbackup_node('failure', qq{sgbackup.s3_bucket = '$s3->{bucket}/$prefix'
sgbackup.s3_endpoint = 'http://127.0.0.1:$proxy_port'
sgbackup.s3_force_path_style = on
sgbackup.s3_region = '$s3->{region}'
sgbackup.upload_concurrency = 2
});
{
	local $ENV{AWS_ACCESS_KEY_ID} = $s3->{access_key};
	local $ENV{AWS_SECRET_ACCESS_KEY} = $s3->{secret_key};
	$node->start;
}
$node->safe_psql('postgres', 'CREATE EXTENSION sgbackup');
$node->safe_psql('postgres',
	'CREATE TABLE big AS SELECT g, md5(g::text) || md5((g + 1)::text) AS v FROM generate_series(1, 4000000) g');

my $name = $node->safe_psql('postgres', 'SELECT sgbackup_start()');
ok($node->wait_for_log(qr/backup "\Q$name\E" failed: /), 'the backup ends instead of hanging');
like(slurp("$tmp/proxy.log"), qr/^cut: /m,
	'object storage went away when the first part of base.tar.zst was sent');
stop_proxy();
my $log = slurp($node->logfile);
like($log, qr/ERROR:  could not [^\n]*backups\/\Q$name\E\/base\.tar\.zst"[^\n]*\n[^\n]*DETAIL:  Could not talk to/,
	'the log says why the backup failed');

start_proxy();
my $status = $node->safe_psql('postgres', "SELECT status FROM sgbackup.backups WHERE name = '$name'");
is($status, 'failed', 'the backup is listed as failed');
my $next = $node->safe_psql('postgres', 'SELECT sgbackup_start(wait => true)');
is($node->safe_psql('postgres', "SELECT status FROM sgbackup.backups WHERE name = '$next'"),
	'completed', 'the next backup completes once storage is back');
is(multipart_uploads($s3, "$prefix/"), 0, 'no multipart upload of the failed backup lingers');
ok(wait_for_query($node, 'SELECT backlog FROM sgbackup.archiver', '0'),
	'WAL written during the outage is archived afterwards');

$node->stop;
stop_proxy();
aws($s3, 's3', 'rm', '--recursive', '--quiet', "s3://$s3->{bucket}/$prefix/");
done_testing();
