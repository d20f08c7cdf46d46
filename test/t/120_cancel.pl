# 120_cancel.pl - every SQL function that talks to S3 honours
# statement_timeout and pg_cancel_backend within about a second, even when
# object storage hangs; a base backup cancelled, terminated or cut by a fast
# shutdown stops promptly and leaves no multipart upload behind.
#
# Object storage is reached through a TCP proxy the test freezes (SIGSTOP),
# so that requests hang instead of failing.  Against the RADOS Gateway.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::RealBin/../perl";
use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use SgTest;
use Test::More;
use Time::HiRes qw(time);

my $s3 = s3_env();
my $prefix = unique_prefix('cancel');
my $tmp = PostgreSQL::Test::Utils::tempdir;
my ($http_port) = $s3->{http} =~ /:(\d+)$/;
my $proxy_port = PostgreSQL::Test::Cluster::get_free_port();
my $proxy = tcp_proxy_start($proxy_port, $http_port, "$tmp/proxy.log");
my $proxy_pid = $proxy->{KIDS}[0]{PID};
my $st = gateway_storage($s3, 'hangs', $prefix, $tmp);
$st->{yaml} =~ s{endpoint: \S+}{endpoint: http://127.0.0.1:$proxy_port};

my $node = archiving_node('cancel', $st);
# 64 MB of random bytes: the compressed archive needs several parts
$node->safe_psql('postgres', q{CREATE TABLE r AS
	SELECT g, decode(md5(random()::text) || md5(random()::text) || md5(random()::text) || md5(random()::text), 'hex') AS b
	FROM generate_series(1, 1000000) g});

# --- SQL functions while object storage hangs --------------------------------------
kill 'STOP', $proxy_pid;
for my $call ([ 'sgbackup.backups', 'SELECT count(*) FROM sgbackup.backups' ],
	[ 'sgbackup_apply_retention()', 'SELECT count(*) FROM sgbackup_apply_retention()' ],
	[ 'sgbackup_delete()', q{SELECT sgbackup_delete('backup-x')} ])
{
	my ($what, $sql) = @$call;
	my $t0 = time;
	my ($ret, $out, $err) = $node->psql('postgres', "SET statement_timeout = '1s'; $sql",
		timeout => 90);
	my $took = time - $t0;
	like($err, qr/canceling statement due to statement timeout/,
		sprintf('%s honours statement_timeout while S3 hangs (%.1f s)', $what, $took));
}
my $session = $node->background_psql('postgres', on_error_stop => 0);
my $pid = $session->query_safe('SELECT pg_backend_pid()');
$session->query_until(qr/started/, "\\echo started\nSELECT count(*) FROM sgbackup.backups;\n");
ok($node->poll_query_until('postgres',
	"SELECT state = 'active' FROM pg_stat_activity WHERE pid = $pid"), 'a listing hangs');
my $t0 = time;
$node->safe_psql('postgres', "SELECT pg_cancel_backend($pid)");
my $out = $session->query('SELECT 1');
like($session->{stderr}, qr/canceling statement due to user request/,
	sprintf('pg_cancel_backend stops it (%.1f s)', time - $t0));
$session->quit;
kill 'CONT', $proxy_pid;

# --- a base backup: cancel, terminate, fast shutdown -------------------------------------
# the open multipart uploads of backup NAME; waiting until it has some or none
sub uploads_of { return multipart_uploads($s3, "$prefix/backups/$_[0]/"); }
sub wait_for_uploads { return wait_for_multipart($s3, "$prefix/backups/$_[0]/", $_[1]); }

# a slow backup with server-side zstd (its sink does not pass cleanup on)
sub start_slow_backup
{
	my ($name, $log) = @_;
	my $h = IPC::Run::start([ 'pg_basebackup', '--target', "sgbackup:$name", '-X', 'none',
		'--compress', 'server-zstd:1', '--max-rate', '4M', '-c', 'fast', '-d',
		'host=' . $node->host . ' port=' . $node->port . ' dbname=postgres' ],
		'>', '/dev/null', '2>', $log);
	ok(wait_for_uploads($name, 1), "backup $name is uploading its archive in parts");
	return $h;
}

# wait until process pid has exited (every thread of it with it)
sub wait_for_exit
{
	my ($pid) = @_;
	my $until = time + 60;
	while (time < $until)
	{
		return 1 unless -e "/proc/$pid";
		select(undef, undef, undef, 0.05);
	}
	return 0;
}

sub walsender
{
	return $node->safe_psql('postgres', 'SELECT pid FROM pg_stat_progress_basebackup');
}

my $log = '';
my $bb = start_slow_backup('cancelled', \$log);
my $wpid = walsender();
$t0 = time;
$node->safe_psql('postgres', "SELECT pg_cancel_backend($wpid)");
$bb->finish;
like($log, qr/canceling statement due to user request/,
	sprintf('a cancelled backup stops (%.1f s)', time - $t0));
ok(wait_for_uploads('cancelled', 0), 'its multipart upload is aborted');
is($node->safe_psql('postgres', q{SELECT status FROM sgbackup.backups WHERE name = 'cancelled'}),
	'failed', 'it is listed as failed');

$bb = start_slow_backup('terminated', \$log);
$wpid = walsender();
$t0 = time;
$node->safe_psql('postgres', "SELECT pg_terminate_backend($wpid)");
$bb->finish;
ok($node->poll_query_until('postgres', "SELECT count(*) = 0 FROM pg_stat_activity WHERE pid = $wpid"),
	sprintf('a terminated walsender exits (%.1f s)', time - $t0));
ok(wait_for_exit($wpid), '... and its process, with every upload thread, is gone');
ok(wait_for_uploads('terminated', 0), 'its multipart upload is aborted on exit');

# the backup worker terminated while its walsender hangs on object storage
kill 'STOP', $proxy_pid;
my $name = $node->safe_psql('postgres', 'SELECT sgbackup_start()');
ok($node->poll_query_until('postgres', 'SELECT count(*) > 0 FROM pg_stat_progress_basebackup'),
	'the backup worker\'s walsender has started the backup');
# the worker has no database connection: find it by its process title
my ($worker) = `pgrep -f 'sgbackup backup $name'` =~ /(\d+)/;
ok(defined $worker, 'the backup worker runs (pid ' . ($worker // 'none') . ')');
$t0 = time;
kill 'TERM', $worker if $worker;
ok($worker && wait_for_exit($worker),
	sprintf('a terminated backup worker exits while object storage hangs (%.1f s)', time - $t0));
kill 'CONT', $proxy_pid;
ok($node->poll_query_until('postgres', 'SELECT count(*) = 0 FROM pg_stat_progress_basebackup'),
	'... and its walsender stops the backup');
is($node->safe_psql('postgres', "SELECT status FROM sgbackup.backups WHERE name = '$name'"),
	'failed', 'it is listed as failed');

$bb = start_slow_backup('shut-down', \$log);
$t0 = time;
$node->stop('fast');
$bb->finish;
note(sprintf('a fast shutdown during a backup took %.1f s', time - $t0));
ok(uploads_of('shut-down') == 0, 'a fast shutdown during a backup leaves no multipart upload');
$node->start;
is($node->safe_psql('postgres', q{SELECT status FROM sgbackup.backups WHERE name = 'shut-down'}),
	'failed', 'after the restart it is listed as failed');

$node->stop;
tcp_proxy_stop($proxy);
aws($s3, 's3', 'rm', '--recursive', '--quiet', "s3://$s3->{bucket}/$prefix/");
done_testing();
