# 010_archive.pl - WAL archiving to S3 end to end, against the RADOS Gateway.
#
# A server with archive_library = 'sgbackup' and a wrong secret keeps its WAL;
# with the right secret it drains the backlog.  Every segment, .backup,
# .history and .partial file arrives; each is fetched back with
# `sgbackup wal-fetch` and compared byte for byte with a copy taken before it
# was archived; awscli reads the objects; re-archiving identical content
# succeeds and different content is refused; an S3 outage while WAL is
# written, through which the archiver fails again and again, loses nothing;
# no secret value shows anywhere.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::RealBin/../perl";
use Digest::SHA qw(sha256_hex);
use File::Copy;
use File::Path qw(make_path);
use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use SgTest;
use Test::More;

my $s3 = s3_env();
my $prefix = unique_prefix('archive');
my $tmp = PostgreSQL::Test::Utils::tempdir;
my $secrets = "$tmp/secrets";
my $keep = "$tmp/keep";
make_path($keep);

# the server reaches the gateway's TLS port through a proxy we can cut
my ($https_port) = $s3->{https} =~ /:(\d+)$/;
my $proxy_port = PostgreSQL::Test::Cluster::get_free_port();
my $proxy;
sub start_proxy { $proxy = tcp_proxy_start($proxy_port, $https_port, "$tmp/proxy.log"); return; }
sub stop_proxy { tcp_proxy_stop($proxy); return; }
start_proxy();

my $wrong_secret = 'this-is-the-WRONG-secret-value-42';
write_secrets($secrets, 's3-backup-secret',
	accessKeyId => $s3->{access_key},
	secretAccessKey => $wrong_secret,
	'ca.crt' => slurp($s3->{ca_file}));

my $yaml = storage_yaml(
	name => 'test-storage',
	bucket => "$s3->{bucket}/$prefix",
	endpoint => "https://127.0.0.1:$proxy_port",
	region => $s3->{region},
	secret => 's3-backup-secret',
	ca_key => 'ca.crt');

my $node = sgbackup_node('primary', qq{sgbackup.secrets_directory = '$secrets'
sgbackup.upload_concurrency = 3
});
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION sgbackup');
my $summary = $node->safe_psql('postgres', "SELECT sgbackup_apply(\$yaml\$$yaml\$yaml\$)");
like($summary, qr/test-storage/, 'sgbackup_apply stores the SGObjectStorage');
$node->safe_psql('postgres', "ALTER SYSTEM SET sgbackup.object_storage = 'test-storage'");
$node->reload;

# --- wrong secret: nothing is archived, WAL stays in pg_wal -----------------
$node->command_ok([ 'pgbench', '-i', '-s', '3', '-q', 'postgres' ], 'pgbench -i');
$node->safe_psql('postgres', 'SELECT pg_switch_wal()');
$node->safe_psql('postgres',
	q{SELECT pg_backup_start('sgbackup-test', true); SELECT * FROM pg_backup_stop(false)});
$node->safe_psql('postgres', 'CREATE TABLE t AS SELECT generate_series(1, 10000) i; SELECT pg_switch_wal()');

ok(wait_for_query($node, 'SELECT last_failure IS NOT NULL FROM sgbackup.archiver', 't', 60),
	'the archiver reports a failure');
my $failure = $node->safe_psql('postgres', 'SELECT last_failure FROM sgbackup.archiver');
like($failure, qr/credentials|refused|signature/i, "failure names the credentials: $failure");
is($node->safe_psql('postgres', 'SELECT archived_count FROM pg_stat_archiver'), '0',
	'nothing is marked archived with a wrong secret');
ok($node->safe_psql('postgres', 'SELECT failed_count FROM pg_stat_archiver') > 0,
	'the archiver counts failures (it did not crash)');
my $log = slurp($node->logfile);
like($log, qr/WARNING:.*could not archive.*\n.*(DETAIL|HINT)/, 'the log explains the failure');
unlike($log, qr/archiver process .* exited/, 'the archiver never died');

# keep a copy of every file waiting to be archived
sub keep_ready
{
	my @names;
	opendir(my $dh, $node->data_dir . '/pg_wal/archive_status') or die;
	for my $f (readdir $dh)
	{
		next unless $f =~ /^(.+)\.ready$/;
		copy($node->data_dir . "/pg_wal/$1", "$keep/$1") or die "copy $1: $!";
		push @names, $1;
	}
	closedir $dh;
	return sort @names;
}
my @kept = keep_ready();
ok(scalar(grep { /^[0-9A-F]{24}$/ } @kept) >= 3, 'segments wait in pg_wal: ' . scalar(@kept));
ok(scalar(grep { /\.backup$/ } @kept) == 1, 'the backup history file waits too');

# --- the right secret drains the backlog ------------------------------------
write_secrets($secrets, 's3-backup-secret', secretAccessKey => $s3->{secret_key});
ok(wait_for_query($node, 'SELECT backlog FROM sgbackup.archiver', '0'),
	'the right secret drains the backlog without a restart');
ok($node->safe_psql('postgres', 'SELECT archived_count FROM pg_stat_archiver') >= @kept,
	'pg_stat_archiver counts them');

# --- every kept file comes back byte for byte -------------------------------
my $config = "$tmp/sgbackup.yaml";
open my $fh, '>', $config or die;
print $fh $yaml;
close $fh;
my %cli_env = (SGBACKUP_SECRETS_DIRECTORY => $secrets);

sub fetch_and_compare
{
	my (@names) = @_;
	my $bad = 0;
	for my $name (@names)
	{
		unlink "$tmp/fetched";
		my ($rc, $out, $err) = run_sgbackup(\%cli_env, '--config', $config,
			'wal-fetch', $name, "$tmp/fetched");
		if ($rc != 0 || slurp("$tmp/fetched") ne slurp("$keep/$name"))
		{
			diag("$name: exit $rc $err");
			$bad++;
		}
	}
	return $bad;
}
is(fetch_and_compare(@kept), 0, 'wal-fetch returns every archived file byte for byte (' . scalar(@kept) . ' files)');

my ($rc, $out, $err) = run_sgbackup(\%cli_env, '--config', $config, 'wal-fetch',
	'0000000100000000000000FE', "$tmp/missing");
is($rc, 1, 'wal-fetch of a missing file exits 1');
is($err, '', '... quietly');
ok(!-e "$tmp/missing", '... and writes nothing');

# --- any S3 client can read what is stored ----------------------------------
my ($aws_rc, $listing) = aws($s3, 's3', 'ls', "s3://$s3->{bucket}/$prefix/wal/");
is($aws_rc, 0, 'awscli lists the WAL objects');
my $missing = grep { $listing !~ /\Q$_\E/ } @kept;
is($missing, 0, 'awscli lists every archived file under the prefix');
my ($seg) = grep { /^[0-9A-F]{24}$/ } @kept;
($aws_rc) = aws($s3, 's3', 'cp', "s3://$s3->{bucket}/$prefix/wal/$seg", "$tmp/$seg.zst");
is($aws_rc, 0, 'awscli downloads a segment');
system('zstd', '-q', '-d', '-f', "$tmp/$seg.zst", '-o', "$tmp/$seg.raw") == 0
  or diag('zstd failed');
ok(-e "$tmp/$seg.raw" && slurp("$tmp/$seg.raw") eq slurp("$keep/$seg"),
	'the zstd tool decompresses it to the original bytes');
my ($head_rc, $head) = aws($s3, 's3api', 'head-object', '--bucket', $s3->{bucket},
	'--key', "$prefix/wal/$seg");
like($head, qr/"sgbackup-sha256":\s*"\Q${\ sha256_hex(slurp("$keep\/$seg"))}\E"/,
	'the object carries the sha256 of the original file');

# --- idempotent: identical is fine, different is refused --------------------
($rc, $out, $err) = run_sgbackup(\%cli_env, '--config', $config, 'wal-push', "$keep/$seg");
is($rc, 0, 're-archiving an identical segment succeeds');
make_path("$tmp/other");
my $changed = slurp("$keep/$seg");
substr($changed, 8192, 4) = 'XXXX';
open $fh, '>:raw', "$tmp/other/$seg" or die;
print $fh $changed;
close $fh;
($rc, $out, $err) = run_sgbackup(\%cli_env, '--config', $config, 'wal-push', "$tmp/other/$seg");
isnt($rc, 0, 'a different file under the same name is refused');
like($err, qr/different content/, "... with a clear message: $err");
is(fetch_and_compare($seg), 0, '... and the stored copy is unchanged');

# --- a standby promoted: .history and .partial arrive -----------------------
$node->backup('b1');
my $standby = PostgreSQL::Test::Cluster->new('standby');
$standby->init_from_backup($node, 'b1', has_streaming => 1);
$standby->append_conf('postgresql.conf', "archive_mode = on\n");
$standby->start;
$node->safe_psql('postgres', 'INSERT INTO t SELECT generate_series(1, 1000)');
$node->wait_for_catchup($standby);
$standby->promote;
$standby->safe_psql('postgres', 'SELECT pg_switch_wal()');
ok(wait_for_query($standby, q{SELECT count(*) FROM pg_ls_archive_statusdir() WHERE name LIKE '%.ready'}, '0'),
	'the promoted standby archives its files');
my @tl2 = map { s/\.done$//r } grep { /\.done$/ } split /\n/,
  $standby->safe_psql('postgres', 'SELECT name FROM pg_ls_archive_statusdir()');
ok((grep { /^00000002\.history$/ } @tl2), 'the history file was archived');
ok((grep { /\.partial$/ } @tl2), 'the partial segment was archived');
copy($standby->data_dir . '/pg_wal/00000002.history', "$keep/00000002.history");
is(fetch_and_compare('00000002.history'), 0, 'the history file comes back byte for byte');
$standby->stop;

# --- object storage unreachable while WAL is written ------------------------
stop_proxy();
$node->command_ok([ 'pgbench', '-t', '3000', '-c', '2', 'postgres' ], 'pgbench writes WAL');
$node->safe_psql('postgres', 'SELECT pg_switch_wal()');
ok(wait_for_query($node, q{SELECT last_failure ~ 'connect|reach|network' FROM sgbackup.archiver}, 't', 60),
	'the outage is reported');
my @during = keep_ready();
ok(@during > 0, 'WAL waits in pg_wal during the outage: ' . scalar(@during));
# the outage lasts until the archiver has failed twice more
my $failed = $node->safe_psql('postgres', 'SELECT failed_count FROM pg_stat_archiver');
ok(wait_for_query($node, "SELECT failed_count >= $failed + 2 FROM pg_stat_archiver", 't', 180),
	'the archiver keeps trying through the outage');
start_proxy();
ok(wait_for_query($node, 'SELECT backlog FROM sgbackup.archiver', '0'),
	'the backlog drains once object storage is back');
is(fetch_and_compare(@during), 0, 'nothing written during the outage is lost');

# --- no secret anywhere -----------------------------------------------------
$log = slurp($node->logfile) . slurp($standby->logfile);
unlike($log, qr/\Q$s3->{secret_key}\E/, 'the secret is not in the server log');
unlike($log, qr/\Q$wrong_secret\E/, 'the wrong secret is not in the server log either');
my $settings = $node->safe_psql('postgres', q{SELECT string_agg(name || '=' || setting, ',') FROM pg_settings});
unlike($settings, qr/\Q$s3->{secret_key}\E/, 'no secret in pg_settings');
my $view = $node->safe_psql('postgres', 'SELECT * FROM sgbackup.archiver');
unlike($view, qr/\Q$s3->{secret_key}\E|\Q$wrong_secret\E/, 'no secret in sgbackup.archiver');

$node->stop;
stop_proxy();
aws($s3, 's3', 'rm', '--recursive', '--quiet', "s3://$s3->{bucket}/$prefix/");
done_testing();
