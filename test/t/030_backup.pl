# 030_backup.pl - base backups to S3, against the RADOS Gateway.
#
# A backup taken while pgbench runs, downloaded with awscli and unpacked with
# tar, passes pg_verifybackup (with its WAL fetched by sgbackup wal-fetch);
# seven managed backups with retention 3 plus one permanent leave exactly the
# three newest managed and the permanent, and the WAL they need; one backup at
# a time; a backup whose process is killed is never listed as completed and
# the next one works; bad cron lines and calls without privilege are refused;
# a schedule of every minute takes a backup and applies retention.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::RealBin/../perl";
use File::Path qw(make_path);
use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use SgTest;
use Test::More;

my $s3 = s3_env();
my $prefix = unique_prefix('backup');
my $tmp = PostgreSQL::Test::Utils::tempdir;
my $secrets = "$tmp/secrets";
write_secrets($secrets, 'creds',
	accessKeyId => $s3->{access_key},
	secretAccessKey => $s3->{secret_key});
my $yaml = storage_yaml(
	name => 'backups',
	bucket => "$s3->{bucket}/$prefix",
	endpoint => $s3->{http},
	region => $s3->{region},
	secret => 'creds');
open my $fh, '>', "$tmp/config.yaml" or die;
print $fh $yaml;
close $fh;
my %cli_env = (SGBACKUP_SECRETS_DIRECTORY => $secrets);

my $node = sgbackup_node('backup', qq{sgbackup.secrets_directory = '$secrets'
sgbackup.object_storage = 'backups'
sgbackup.retention = 3
restart_after_crash = on
});
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION sgbackup');
$node->safe_psql('postgres', "SELECT sgbackup_apply(\$y\$$yaml\$y\$)");
$node->command_ok([ 'pgbench', '-i', '-s', '10', '-q', 'postgres' ], 'pgbench -i');

sub listing
{
	return $node->safe_psql('postgres',
		q{SELECT name || ' ' || status || ' ' || permanent FROM sgbackup.backups});
}

# --- a backup while pgbench writes: pg_verifybackup passes -------------------
my $bench = IPC::Run::start([ 'pgbench', '-T', '15', '-c', '2', '-h', $node->host,
	'-p', $node->port, 'postgres' ], '>', '/dev/null', '2>', "$tmp/pgbench.err");
# pgbench -i left pgbench_history empty: a row in it means pgbench is writing
ok(wait_for_query($node, 'SELECT count(*) > 0 FROM pgbench_history', 't', 60),
	'pgbench is writing');
my $name = $node->safe_psql('postgres', 'SELECT sgbackup_start(wait => true)');
like($name, qr/^backup-\d{8}-\d{6}-\d{3}$/, "sgbackup_start returns the backup name: $name");
$bench->finish;
my $row = $node->safe_psql('postgres',
	"SELECT status, start_wal, stop_wal, size_bytes > compressed_bytes, timeline FROM sgbackup.backups WHERE name = '$name'");
my ($status, $start_wal, $stop_wal, $compressed, $tli) = split /\|/, $row;
is($status, 'completed', 'sgbackup.backups lists it as completed');
is($compressed, 't', 'it is compressed');

my $dl = "$tmp/download";
my ($rc) = aws($s3, 's3', 'cp', '--recursive', '--quiet',
	"s3://$s3->{bucket}/$prefix/backups/$name/", "$dl/objects/");
is($rc, 0, 'awscli downloads the backup');
ok(-e "$dl/objects/metadata.json", 'metadata.json is there');
make_path("$dl/pgdata", "$dl/wal");
system("zstd -q -d -c '$dl/objects/base.tar.zst' | tar -x -C '$dl/pgdata'") == 0
  or diag('unpacking failed');
system('cp', "$dl/objects/backup_manifest", "$dl/pgdata/") == 0 or die;
# the WAL the backup needs, fetched from the archive
my ($tl, $log_start, $seg_start) = $start_wal =~ /^(.{8})(.{8})(.{8})$/;
my ($seg_stop) = $stop_wal =~ /(.{8})$/;
for my $seg (hex($seg_start) .. hex($seg_stop))
{
	my $wal = sprintf('%s%s%08X', $tl, $log_start, $seg);
	my ($frc, $out, $err) = run_sgbackup(\%cli_env, '--config', "$tmp/config.yaml",
		'wal-fetch', $wal, "$dl/wal/$wal");
	diag("wal-fetch $wal: $err") if $frc != 0;
}
my ($vout, $verr);
IPC::Run::run([ 'pg_verifybackup', '--wal-directory', "$dl/wal", "$dl/pgdata" ],
	'>', \$vout, '2>', \$verr);
is($?, 0, 'pg_verifybackup passes on the downloaded backup and its archived WAL');
like($vout, qr/backup successfully verified/, $vout);

# --- one backup at a time ----------------------------------------------------
my $running = $node->safe_psql('postgres', 'SELECT sgbackup_start()');
my ($ret, $stdout, $stderr) = $node->psql('postgres', 'SELECT sgbackup_start()');
like($stderr, qr/a backup is already running/, 'a second backup while one runs is refused');
ok(wait_for_query($node, "SELECT status FROM sgbackup.backups WHERE name = '$running'", 'completed'),
	'the first one completes');

# --- privileges and cron lines ------------------------------------------------
$node->safe_psql('postgres', 'CREATE ROLE plain LOGIN');
($ret, $stdout, $stderr) = $node->psql('postgres', 'SELECT sgbackup_start()',
	extra_params => [ '-U', 'plain' ]);
like($stderr, qr/permission denied/, 'a role without privilege cannot start a backup');
($ret, $stdout, $stderr) = $node->psql('postgres', 'SELECT * FROM sgbackup_apply_retention()',
	extra_params => [ '-U', 'plain' ]);
like($stderr, qr/permission denied/, '... nor apply retention');
($ret, $stdout, $stderr) = $node->psql('postgres', "SELECT sgbackup_delete('$name')",
	extra_params => [ '-U', 'plain' ]);
like($stderr, qr/permission denied/, '... nor delete a backup');
is($node->safe_psql('postgres', "SELECT status FROM sgbackup.backups WHERE name = '$name'"),
	'completed', '... which is still there');
$node->safe_psql('postgres', 'GRANT sgbackup_operator TO plain');
($ret, $stdout, $stderr) = $node->psql('postgres', 'SELECT sgbackup_start(wait => true)',
	extra_params => [ '-U', 'plain' ]);
is($ret, 0, 'a member of sgbackup_operator can') or diag($stderr);
for my $bad ([ '61 * * * *', 'minute' ], [ '* 24 * * *', 'hour' ], [ '* * 0 * *', 'day-of-month' ],
	[ '* * * 13 *', 'month' ], [ '* * * * 8', 'day-of-week' ], [ '* * * *', 'five' ])
{
	($ret, $stdout, $stderr) = $node->psql('postgres',
		"ALTER SYSTEM SET sgbackup.cron_schedule = '$bad->[0]'");
	like($stderr, qr/$bad->[1]/, "cron line '$bad->[0]' is refused naming the $bad->[1] field");
}

# --- a killed backup is never listed as completed; the next one works -------
$node->safe_psql('postgres', 'CREATE TABLE big AS SELECT g, md5(g::text) AS v FROM generate_series(1, 3000000) g');
my $killed = $node->safe_psql('postgres', 'SELECT sgbackup_start()');
my $pid = wait_for_streaming($node);
ok($pid ne '', "the backup is streaming files (walsender $pid)");
is($node->safe_psql('postgres', "SELECT status FROM sgbackup.backups WHERE name = '$killed'"),
	'running', 'sgbackup.backups shows it as running');
kill 'KILL', $pid if $pid ne '';
$node->poll_query_until('postgres', 'SELECT true') or die;
my $after = $node->safe_psql('postgres', "SELECT coalesce(max(status), 'absent') FROM sgbackup.backups WHERE name = '$killed'");
isnt($after, 'completed', "the killed backup is not completed ($after)");
isnt($after, 'running', '... nor shown as running after the restart');
my $next = $node->safe_psql('postgres', 'SELECT sgbackup_start(wait => true)');
is($node->safe_psql('postgres', "SELECT status FROM sgbackup.backups WHERE name = '$next'"),
	'completed', 'the next backup succeeds');
is(multipart_uploads($s3, "$prefix/"), 0, 'no multipart upload is left behind');

# --- WAL archiving stuck: the backup says so ------------------------------------
$node->safe_psql('postgres', q{ALTER SYSTEM SET archive_library = ''});
$node->reload;
my $stuck = $node->safe_psql('postgres', 'SELECT sgbackup_start()');
ok(wait_for_query($node,
	"SELECT error ~ 'waiting for WAL archiving' FROM sgbackup.backups WHERE name = '$stuck' AND status = 'running'",
	't', 120), 'a backup held up by WAL archiving says so in sgbackup.backups');
$node->safe_psql('postgres', q{ALTER SYSTEM RESET archive_library});
$node->reload;
ok(wait_for_query($node, "SELECT status FROM sgbackup.backups WHERE name = '$stuck'", 'completed', 180),
	'it completes once archiving works again');

# --- retention 3 with a permanent backup ---------------------------------------
next_wal($node);
my $permanent = $node->safe_psql('postgres', 'SELECT sgbackup_start(permanent => true, wait => true)');
my @managed;
for (1 .. 7)
{
	next_wal($node);
	push @managed, $node->safe_psql('postgres', 'SELECT sgbackup_start(wait => true)');
}
next_wal($node);
ok(wait_for_query($node, 'SELECT backlog FROM sgbackup.archiver', '0'), 'WAL is archived');
sub wal_objects
{
	my ($lrc, $out) = aws($s3, 's3', 'ls', "s3://$s3->{bucket}/$prefix/wal/");
	return map { (split)[-1] } split /\n/, $out;
}
my @wal_before = wal_objects();
my $deleted = $node->safe_psql('postgres', 'SELECT count(*) FROM sgbackup_apply_retention()');
ok($deleted > 0, "retention deleted $deleted objects");
my @left = split /\n/, $node->safe_psql('postgres',
	q{SELECT name FROM sgbackup.backups WHERE status = 'completed' ORDER BY start_lsn});
is_deeply(\@left, [ $permanent, @managed[ 4 .. 6 ] ],
	'exactly the three newest managed backups and the permanent one remain');
my %info = map { my @f = split /\|/; ($f[0] => [ @f[ 1, 2 ] ]) } split /\n/,
  $node->safe_psql('postgres', 'SELECT name, start_wal, stop_wal FROM sgbackup.backups');
my $oldest_kept = $info{ $managed[4] }[0];
my ($p_start, $p_stop) = @{ $info{$permanent} };
my %after = map { $_ => 1 } wal_objects();
my (@wrongly_kept, @wrongly_gone);
for my $w (grep { /^[0-9A-F]{24}$/ } @wal_before)
{
	my $pos = substr($w, 8);
	my $needed = $pos ge substr($oldest_kept, 8)
	  || ($pos ge substr($p_start, 8) && $pos le substr($p_stop, 8));
	push @wrongly_kept, $w if !$needed && $after{$w};
	push @wrongly_gone, $w if $needed && !$after{$w};
}
is_deeply(\@wrongly_gone, [], 'WAL from the oldest kept backup on, and the permanent backup\'s own WAL, are all there');
is_deeply(\@wrongly_kept, [], 'older WAL is gone');

# --- the program sees the same backups ----------------------------------------
my ($lrc, $json) = run_sgbackup(\%cli_env, '--config', "$tmp/config.yaml", 'backup-list', '--json');
is($lrc, 0, 'sgbackup backup-list --json works');
my @json_names = $json =~ /"name":\s*"(backup-[^"]+)"/g;
ok((grep { $_ eq $permanent } @json_names) && (grep { $_ eq $managed[6] } @json_names),
	'it lists the backups the view lists');

# --- deleting a backup that is not there, and a name the server refuses -------
($ret, $stdout, $stderr) = $node->psql('postgres', q{SELECT sgbackup_delete('no-such-backup')});
like($stderr, qr/backup "no-such-backup" does not exist/,
	'sgbackup_delete of a backup that is not in the bucket is an error');
like($stderr, qr/HINT:.*sgbackup\.backups/, '... with a hint to list the backups');
my ($drc, $dout, $derr) = run_sgbackup(\%cli_env, '--config', "$tmp/config.yaml", 'delete', 'no-such-backup');
isnt($drc, 0, 'sgbackup delete of a backup that is not in the bucket fails');
like($derr, qr/backup "no-such-backup" does not exist/, '... saying so');
like($derr, qr/HINT:.*backup-list/, '... with a hint to list the backups');
($drc, $dout, $derr) = run_sgbackup(\%cli_env, '--config', "$tmp/config.yaml", 'delete', 'a b');
like($derr, qr/invalid backup name "a b"/, 'sgbackup delete refuses a name the server refuses');
($ret, $stdout, $stderr) = $node->psql('postgres', q{SELECT sgbackup_delete('a b')});
like($stderr, qr/invalid backup name "a b"/, '... and so does sgbackup_delete');

# --- a schedule of every minute ------------------------------------------------
my $count = $node->safe_psql('postgres', q{SELECT count(*) FROM sgbackup.backups WHERE status = 'completed'});
$node->safe_psql('postgres', q{ALTER SYSTEM SET sgbackup.cron_schedule = '* * * * *'});
$node->reload;
my $log_offset = -s $node->logfile;
ok(wait_for_query($node,
	q{SELECT count(*) > 0 FROM sgbackup.backups WHERE status = 'completed' AND started_at > now() - interval '150 seconds' AND NOT permanent AND name > '} . $managed[6] . q{'},
	't', 150), 'the schedule takes a backup within about a minute');
ok($node->wait_for_log(qr/retention kept 3 managed backups/, $log_offset),
	'retention runs after it');
$node->safe_psql('postgres', q{ALTER SYSTEM RESET sgbackup.cron_schedule});
$node->reload;
is($node->safe_psql('postgres', q{SELECT count(*) FROM sgbackup.backups WHERE status = 'completed' AND NOT permanent}),
	'3', 'retention keeps three managed backups after scheduled runs too');

my $waiting = () = slurp($node->logfile) =~ /scheduler is waiting for CREATE EXTENSION/g;
ok($waiting <= 1, "the scheduler said once that the extension was missing ($waiting)");
unlike(slurp($node->logfile), qr/sgbackup scheduler.*(exited with exit code|terminated by signal)/,
	'the scheduler never crashed');

$node->stop;
aws($s3, 's3', 'rm', '--recursive', '--quiet', "s3://$s3->{bucket}/$prefix/");
done_testing();
