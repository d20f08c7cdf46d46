# 110_backup_wal.pl - a completed backup always has its WAL: before
# metadata.json is written, every WAL segment from the backup's start to its
# stop must be stored under wal/ of the backup's own bucket and prefix.
#
# With archive_library other than sgbackup, with archive_mode = off, and with
# the object storage changed during the backup, the backup fails with a
# message naming the missing segment and the fix, and is listed as failed;
# while it waits, sgbackup.backups says what for.  Against the RADOS Gateway.
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
my $prefix = unique_prefix('backupwal');
my $tmp = PostgreSQL::Test::Utils::tempdir;
my $st = gateway_storage($s3, 'backups', "$prefix/main", $tmp);
my $elsewhere = storage_yaml(name => 'elsewhere', bucket => "$s3->{bucket}/$prefix/elsewhere",
	endpoint => $s3->{http}, region => $s3->{region}, secret => 'creds');

my $node = archiving_node('backupwal', $st);
$node->safe_psql('postgres', "SELECT sgbackup_apply(\$y\$$elsewhere\$y\$)");
$node->command_ok([ 'pgbench', '-i', '-s', '5', '-q', 'postgres' ], 'pgbench -i');

sub status_of
{
	my ($name) = @_;
	return $node->safe_psql('postgres',
		"SELECT status || ': ' || coalesce(error, '') FROM sgbackup.backups WHERE name = '$name'");
}

sub metadata_stored
{
	my ($name) = @_;
	my ($rc) = aws($s3, 's3api', 'head-object', '--bucket', $s3->{bucket},
		'--key', "$prefix/main/backups/$name/metadata.json");
	return $rc == 0;
}

my $ok = $node->safe_psql('postgres', 'SELECT sgbackup_start(wait => true)');
like(status_of($ok), qr/^completed/, 'with WAL archived to the same storage, a backup completes');

# --- archive_library is not sgbackup: the WAL goes elsewhere -------------------------
my $copies = "$tmp/copies";
mkdir $copies;
$node->safe_psql('postgres', qq{ALTER SYSTEM SET archive_library = '';
	ALTER SYSTEM SET archive_command = 'cp %p $copies/%f'; SELECT pg_reload_conf()});
my $name = $node->safe_psql('postgres', 'SELECT sgbackup_start()');
ok(wait_for_query($node,
	"SELECT error ~ 'waiting for WAL segment [0-9A-F]{24} to be stored in bucket' FROM sgbackup.backups WHERE name = '$name' AND status = 'running'",
	't', 120), 'while it waits, sgbackup.backups says for which segment');
ok(wait_for_query($node, "SELECT status FROM sgbackup.backups WHERE name = '$name'", 'failed', 120),
	'with archive_library other than sgbackup, the backup fails');
my $why = status_of($name);
like($why, qr/WAL segment "[0-9A-F]{24}" is not in its object storage/, "it names the missing segment: $why");
like($why, qr/archive_library is ""/, '... and what archives WAL instead');
ok(!metadata_stored($name), '... and no metadata.json was written');
my ($ret, $out, $err) = $node->psql('postgres', 'SELECT sgbackup_start(wait => true)');
like($err, qr/not in its object storage/, 'sgbackup_start(wait => true) reports it');
like($err, qr/archive_library = 'sgbackup'/, '... with the fix');
$node->safe_psql('postgres', q{ALTER SYSTEM RESET archive_library;
	ALTER SYSTEM RESET archive_command; SELECT pg_reload_conf()});

# --- archive_mode = off ------------------------------------------------------------------
$node->append_conf('postgresql.conf', "archive_mode = off\n");
$node->restart;
($ret, $out, $err) = $node->psql('postgres', 'SELECT sgbackup_start(wait => true)');
like($err, qr/cannot be completed: WAL segment "[0-9A-F]{24}" is not in its object storage/,
	'with archive_mode = off, the backup fails');
like($err, qr/archive_mode is off/, '... saying archive_mode is off');
$node->append_conf('postgresql.conf', "archive_mode = on\n");
$node->restart;

# --- the object storage changes during the backup ---------------------------------------
$node->safe_psql('postgres', 'SELECT pg_switch_wal()');
ok(wait_for_query($node, 'SELECT backlog FROM sgbackup.archiver', '0'), 'WAL is archived');
$name = 'changed-during';
my ($bout, $berr) = ('', '');
my $bb = IPC::Run::start([ 'pg_basebackup', '--target', "sgbackup:$name", '-X', 'none',
	'--max-rate', '8M', '-c', 'fast', '-d',
	'host=' . $node->host . ' port=' . $node->port . ' dbname=postgres' ],
	'>', \$bout, '2>', \$berr);
ok($node->poll_query_until('postgres',
	q{SELECT count(*) > 0 FROM pg_stat_progress_basebackup WHERE phase = 'streaming database files'}),
	'a slow backup streams');
$node->safe_psql('postgres', q{ALTER SYSTEM SET sgbackup.object_storage = 'elsewhere'; SELECT pg_reload_conf()});
$bb->finish;
isnt($?, 0, 'a backup whose WAL went to another storage meanwhile fails');
like($berr, qr/is not in its object storage/, "pg_basebackup says why: $berr");
$node->safe_psql('postgres', q{ALTER SYSTEM RESET sgbackup.object_storage; SELECT pg_reload_conf()});
like(status_of($name), qr/^failed: .*not in its object storage/, 'it is listed as failed, with the reason');
ok(!metadata_stored($name), '... and has no metadata.json');

$node->stop;
aws($s3, 's3', 'rm', '--recursive', '--quiet', "s3://$s3->{bucket}/$prefix/");
done_testing();
