# 170_wal_fetch.pl - `sgbackup wal-fetch` as restore_command: exit status,
# retries, prefetch, and what an outage during replay does.
#
# A server takes a backup, then commits rows in 15 batches, each ending its
# WAL segment, all archived.  End to end: the backup is restored into a new
# server whose restore_command goes through a proxy that cuts the gateway
# off when the 8th of those segments is asked for.  Recovery stops with a
# FATAL (wal-fetch exits 255 after 3 s of retries) and the server does not
# promote; once the gateway is back and the server started again, recovery
# completes and every committed row is there.
#
# Then the program itself: 0 and the segment's exact bytes; after fetching
# X the prefetch cache (.sgbackup-prefetch next to DEST) holds X+1..X+4, and
# X+1 is served from it even once deleted from the bucket; the SGCluster's
# downloadConcurrency and SGBACKUP_DOWNLOAD_CONCURRENCY set how many;
# 1 and nothing on stderr for a segment not in storage, which removes the
# cache; a stored X.partial is never served as X; 255 for a bucket that does
# not exist, at once for a configuration error, after retrying for
# SGBACKUP_WAL_FETCH_RETRY_SECONDS with the gateway unreachable; SIGTERM ends
# the retries at once with exit status 143.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::RealBin/../perl";
use File::Compare;
use File::Path qw(make_path);
use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use SgTest;
use Test::More;
use Time::HiRes qw(time);

my $s3 = s3_env();
my $prefix = unique_prefix('wal-fetch');
my $tmp = PostgreSQL::Test::Utils::tempdir;
my $storage = gateway_storage($s3, 'walfetch', $prefix, $tmp);
my ($http_port) = $s3->{http} =~ /:(\d+)$/;
my $proxy_port = PostgreSQL::Test::Cluster::get_free_port();
my $proxied = "$tmp/proxied.yaml";
{
	open my $fh, '>', $proxied or die "$proxied: $!";
	print $fh storage_yaml(
		name => 'walfetch',
		bucket => "$s3->{bucket}/$prefix",
		endpoint => "http://127.0.0.1:$proxy_port",
		region => $s3->{region},
		secret => 'creds');
	close $fh;
}
my %env = (SGBACKUP_SECRETS_DIRECTORY => $storage->{secrets});

sub contents
{
	my ($node) = @_;
	return $node->safe_psql('postgres',
		q{SELECT count(*) || ' ' || md5(string_agg(t::text, ',' ORDER BY id)) FROM t});
}

# the name of the segment K after NAME (16 MiB segments)
sub seg_after
{
	my ($name, $k) = @_;
	my ($tli, $log, $seg) = map { hex } unpack('A8A8A8', $name);
	my $n = $log * 256 + $seg + $k;
	return sprintf('%08X%08X%08X', $tli, int($n / 256), $n % 256);
}

# the files in a prefetch cache, sorted
sub cached
{
	my ($dir) = @_;
	opendir(my $dh, $dir) or return ();
	my @files = sort grep { !/^\.\.?$/ } readdir $dh;
	closedir $dh;
	return @files;
}

# --- a backup, then 15 segments of commits ---------------------------------------------
my $src = sgbackup_node('source', qq{sgbackup.secrets_directory = '$storage->{secrets}'
sgbackup.object_storage = 'walfetch'
wal_keep_size = '1GB'
});
$src->start;
$src->safe_psql('postgres', 'CREATE EXTENSION sgbackup');
$src->safe_psql('postgres', "SELECT sgbackup_apply(\$y\$$storage->{yaml}\$y\$)");
$src->safe_psql('postgres', 'CREATE TABLE t (id int PRIMARY KEY, v text)');
my $backup = $src->safe_psql('postgres', 'SELECT sgbackup_start(wait => true)');
is($src->safe_psql('postgres', "SELECT status FROM sgbackup.backups WHERE name = '$backup'"),
	'completed', "backup $backup completed");
my @segs;
for my $batch (1 .. 15)
{
	my $from = ($batch - 1) * 2000 + 1;
	my $to = $batch * 2000;
	$src->safe_psql('postgres',
		"INSERT INTO t SELECT g, md5(g::text) FROM generate_series($from, $to) g");
	push @segs, $src->safe_psql('postgres', 'SELECT pg_walfile_name(pg_switch_wal())');
}
ok(wait_for_query($src, 'SELECT backlog FROM sgbackup.archiver', '0'),
	"the 15 segments of commits ($segs[0] to $segs[-1]) are archived");
my $expected = contents($src);
$src->stop;
my $pg_wal = $src->data_dir . '/pg_wal';

# --- end to end: the gateway cut during replay ------------------------------------------
my $cut = $segs[7];
my $proxy = tcp_proxy_start($proxy_port, $http_port, "$tmp/proxy-cut.log",
	'--cut-on', "GET \\S*/wal/$cut HTTP");
my $restore_command = "SGBACKUP_WAL_FETCH_RETRY_SECONDS=3 SGBACKUP_SECRETS_DIRECTORY=$storage->{secrets} "
  . "sgbackup wal-fetch --config $proxied %f %p";
my $node = PostgreSQL::Test::Cluster->new('restored');
restore_backup($s3, $prefix, $backup, $node, config => $storage->{config},
	secrets => $storage->{secrets}, conf => qq{
restore_command = '$restore_command'
recovery_target_action = 'promote'
archive_mode = off
hot_standby = off
});
my $log_start = -s $node->logfile // 0;
# with hot_standby off, pg_ctl start returns once recovery starts (or fails)
$node->start(fail_ok => 1);
ok(wait_for_postmaster_exit($node, 120),
	'with the gateway cut off at segment 8 the server stops by itself');
my $log = substr(slurp($node->logfile), $log_start);
like(slurp("$tmp/proxy-cut.log"), qr/^cut:/m, "the proxy cut the gateway off at the GET of $cut");
like($log, qr/FATAL:\s+could not restore file "[0-9A-F]{24}" from archive: child process exited with exit code 255/,
	'recovery stopped with a FATAL from restore_command (exit status 255)');
like($log, qr/sgbackup: gave up on WAL file "[0-9A-F]{24}" after \d+ attempts? in [\d.]+ s/,
	'wal-fetch said it gave up after retrying');
unlike($log, qr/selected new timeline ID/, 'no new timeline was selected');
unlike($log, qr/archive recovery complete/, 'archive recovery did not complete');
ok(!-e $node->data_dir . '/pg_wal/00000002.history', 'no timeline 2 history file');
if ($log =~ /FATAL:\s+could not restore file "([0-9A-F]{24})"/)
{
	my $failed = $1;
	ok((grep { $_ eq $failed } @segs[ 4 .. 7 ]),
		"the segment it stopped at ($failed) is among those the cut made unreachable");
}

tcp_proxy_stop($proxy);
$proxy = tcp_proxy_start($proxy_port, $http_port, "$tmp/proxy.log");
$log_start = -s $node->logfile;
$node->start;
ok($node->poll_query_until('postgres', 'SELECT NOT pg_is_in_recovery()'),
	'with the gateway back, the server started again completes recovery and promotes');
$log = substr(slurp($node->logfile), $log_start);
like($log, qr/restored log file "$segs[-1]" from archive/, "it replayed up to the last segment, $segs[-1]");
is(contents($node), $expected, 'every committed row is there');
ok(!-e $node->data_dir . '/pg_wal/.sgbackup-prefetch',
	'the end of the archived WAL removed the prefetch cache');
$node->stop;

# --- the program: fetched, prefetched, served from the cache ------------------------------
my $wal = "$tmp/a/pg_wal";
make_path($wal);
my $cache = "$wal/.sgbackup-prefetch";
my $x = $segs[2];
my ($rc, $out, $err) = run_sgbackup(\%env, 'wal-fetch', '--config', $storage->{config},
	$x, "$wal/RECOVERYXLOG");
is($rc, 0, "wal-fetch $x: exit status 0") or diag($err);
is(compare("$wal/RECOVERYXLOG", "$pg_wal/$x"), 0, '... and the bytes the server wrote');
my @next = map { seg_after($x, $_) } 1 .. 4;
is_deeply([ cached($cache) ], \@next, 'the cache holds the next 4 segments (download_concurrency 4)');
is(compare("$cache/$next[0]", "$pg_wal/$next[0]"), 0, '... verified copies');

my ($arc) = aws($s3, 's3', 'rm', '--quiet', "s3://$s3->{bucket}/$prefix/wal/$next[0]");
is($arc, 0, "wal/$next[0] deleted from the bucket");
($rc, $out, $err) = run_sgbackup(\%env, 'wal-fetch', '--config', $storage->{config},
	$next[0], "$wal/RECOVERYXLOG");
is($rc, 0, "wal-fetch $next[0] succeeds all the same: served from the cache") or diag($err);
is(compare("$wal/RECOVERYXLOG", "$pg_wal/$next[0]"), 0, '... with the right bytes');
is_deeply([ cached($cache) ], [ @next[ 1 .. 3 ] ], '... and moved out of the cache');

# the SGCluster of the --config file sets how many; SGBACKUP_DOWNLOAD_CONCURRENCY=1 none
my $with_cluster = "$tmp/with-cluster.yaml";
{
	open my $fh, '>', $with_cluster or die "$with_cluster: $!";
	print $fh $storage->{yaml}, <<'EOF';
---
apiVersion: stackgres.io/v1
kind: SGCluster
metadata:
  name: c
spec:
  configurations:
    backups:
    - sgObjectStorage: walfetch
      performance:
        downloadConcurrency: 2
EOF
	close $fh;
}
make_path("$tmp/b/pg_wal", "$tmp/c/pg_wal");
($rc, $out, $err) = run_sgbackup(\%env, 'wal-fetch', '--config', $with_cluster,
	$segs[5], "$tmp/b/pg_wal/RECOVERYXLOG");
is($rc, 0, 'wal-fetch with an SGCluster of downloadConcurrency 2') or diag($err);
is_deeply([ cached("$tmp/b/pg_wal/.sgbackup-prefetch") ], [ map { seg_after($segs[5], $_) } 1 .. 2 ],
	'... prefetches 2 segments');
($rc, $out, $err) = run_sgbackup({ %env, SGBACKUP_DOWNLOAD_CONCURRENCY => 1 }, 'wal-fetch',
	'--config', $storage->{config}, $segs[5], "$tmp/c/pg_wal/RECOVERYXLOG");
is($rc, 0, 'wal-fetch with SGBACKUP_DOWNLOAD_CONCURRENCY=1');
ok(!-e "$tmp/c/pg_wal/.sgbackup-prefetch", '... prefetches nothing');

# --- not in storage; .partial ------------------------------------------------------------
# (stopping the server archived a segment or two more)
my $missing = seg_after($segs[-1], 20);
($rc, $out, $err) = run_sgbackup(\%env, 'wal-fetch', '--config', $storage->{config},
	$missing, "$wal/RECOVERYXLOG");
is($rc, 1, "wal-fetch $missing (not in storage): exit status 1");
is($err, '', '... with nothing on stderr');
ok(!-e $cache, '... and the prefetch cache is removed');

my $partial_of = seg_after($segs[-1], 25);
my $partial = "$tmp/$partial_of.partial";
system('cp', "$pg_wal/$segs[0]", $partial) == 0 or die;
($rc, $out, $err) = run_sgbackup(\%env, 'wal-push', '--config', $storage->{config}, $partial);
is($rc, 0, "$partial_of.partial is stored") or diag($err);
unlink "$wal/RECOVERYXLOG";
($rc, $out, $err) = run_sgbackup(\%env, 'wal-fetch', '--config', $storage->{config},
	$partial_of, "$wal/RECOVERYXLOG");
is($rc, 1, "with only $partial_of.partial stored, wal-fetch $partial_of exits 1: a .partial is never served as the segment");
ok(!-e "$wal/RECOVERYXLOG", '... and writes nothing');
($rc, $out, $err) = run_sgbackup(\%env, 'wal-fetch', '--config', $storage->{config},
	"$partial_of.partial", "$wal/RECOVERYXLOG");
is($rc, 0, "wal-fetch $partial_of.partial fetches the .partial file itself") or diag($err);

# --- failures: retried for a bounded time, then 255; signals ---------------------------------
($rc, $out, $err) = run_sgbackup({ %env, SGBACKUP_WAL_FETCH_RETRY_SECONDS => 0 }, 'wal-fetch',
	'--config', $storage->{config}, $segs[4], "$tmp/no/such/dir/RECOVERYXLOG");
is($rc, 255, 'a destination that cannot be written: exit status 255');
like($err, qr/could not create file/, '... saying why');

my $no_bucket = "$tmp/no-bucket.yaml";
{
	open my $fh, '>', $no_bucket or die "$no_bucket: $!";
	print $fh storage_yaml(
		name => 'walfetch',
		bucket => "sgbackup-no-such-bucket-$$/p",
		endpoint => $s3->{http},
		region => $s3->{region},
		secret => 'creds');
	close $fh;
}
($rc, $out, $err) = run_sgbackup({ %env, SGBACKUP_WAL_FETCH_RETRY_SECONDS => 0 }, 'wal-fetch',
	'--config', $no_bucket, $missing, "$wal/RECOVERYXLOG");
is($rc, 255, 'a bucket that does not exist (S3 answers 404 too): exit status 255, not 1');
like($err, qr/bucket "sgbackup-no-such-bucket-\d+" does not exist/, '... saying so');

my $t0 = time;
($rc, $out, $err) = run_sgbackup({}, 'wal-fetch', '--repository', 'relative/dir',
	$segs[4], "$wal/RECOVERYXLOG");
ok($rc == 255 && time - $t0 < 5, 'a configuration error: exit status 255 at once, not retried');
like($err, qr/not an absolute path/, '... saying what is wrong');

tcp_proxy_stop($proxy);
$t0 = time;
($rc, $out, $err) = run_sgbackup({ %env, SGBACKUP_WAL_FETCH_RETRY_SECONDS => 2 }, 'wal-fetch',
	'--config', $proxied, $segs[4], "$wal/RECOVERYXLOG");
my $took = time - $t0;
is($rc, 255, 'the gateway unreachable: exit status 255');
ok($took >= 2 && $took < 20, sprintf('... after retrying for SGBACKUP_WAL_FETCH_RETRY_SECONDS=2 (%.1f s)', $took));
like($err, qr/gave up on WAL file "$segs[4]" after \d+ attempts in/, '... saying it gave up');
like($err, qr/retrying in/, '... and warning of each retry');

my ($stdout, $stderr) = ('', '');
local $ENV{SGBACKUP_SECRETS_DIRECTORY} = $storage->{secrets};
local $ENV{SGBACKUP_WAL_FETCH_RETRY_SECONDS} = 60;
my $h = IPC::Run::start([ 'sgbackup', 'wal-fetch', '--config', $proxied, $segs[4], "$wal/RECOVERYXLOG" ],
	'>', \$stdout, '2>', \$stderr);
sleep 2;
$t0 = time;
$h->signal('TERM');
$h->finish;
$took = time - $t0;
is($h->result(0), 143, 'SIGTERM during the retries: exit status 143 (128 + SIGTERM)');
ok($took < 2, sprintf('... at once (%.2f s)', $took));
like($stderr, qr/stopped by signal 15/, '... saying so');

aws($s3, 's3', 'rm', '--recursive', '--quiet', "s3://$s3->{bucket}/$prefix/");
done_testing();
