# 180_restore.pl - `sgbackup restore` and point-in-time recovery from the
# bucket alone, end to end against the RADOS Gateway and real servers.
#
# A server with a tablespace outside PGDATA writes set A, backup B; writes
# set B, records the moment T and what every table holds; then set C
# (its LSN recorded), a restore point after set D, a transaction E whose
# XID is recorded, drops a table, backup B2, set F.  Restores, each into a
# new PGDATA (the tablespace mapped elsewhere), started and checked
# against what the tables held at that moment: by time (LATEST picks B,
# the newest that finished before T), LSN, restore point, XID, immediate
# (B as it was at its end) and no target (everything archived).  The
# unpacked tree passes pg_verifybackup before start, and the restored
# server pg_amcheck --heapallindexed.  Refused with a clear message: a
# non-empty PGDATA, a target before the backup's end or beyond the newest
# archived WAL, an unfinished backup.  A restore killed half-way is
# refused on retry and does not start; --force completes it.  An
# SGCluster's spec.initialData.restore is obeyed.  After a promotion onto
# timeline 2, LATEST follows it.  The tablespace also comes back to its
# original path.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::RealBin/../perl";
use File::Path qw(make_path remove_tree);
use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use SgTest;
use Test::More;

my $s3 = s3_env();
my $prefix = unique_prefix('restore');
my $tmp = PostgreSQL::Test::Utils::tempdir;
my $storage = gateway_storage($s3, 'restore', $prefix, $tmp);
my $tsdir = "$tmp/tablespace";
make_path($tsdir);

# rows and an md5 per table: what a user would compare
sub contents
{
	my ($node) = @_;
	return $node->safe_psql('postgres', q{
		SELECT string_agg(t || ' ' || n || ' ' || h, '; ' ORDER BY t) FROM (
			SELECT 'items' t, count(*) n, md5(string_agg(i::text, ',' ORDER BY id)) h FROM items i
			UNION ALL
			SELECT 'spaced', count(*), md5(string_agg(s::text, ',' ORDER BY id)) FROM spaced s
			UNION ALL
			SELECT 'doomed', count(*), md5(string_agg(d::text, ',' ORDER BY id)) FROM doomed d
			WHERE to_regclass('doomed') IS NOT NULL) x});
}

# doomed may be gone: contents without it
sub contents_nodoomed
{
	my ($node) = @_;
	return $node->safe_psql('postgres', q{
		SELECT string_agg(t || ' ' || n || ' ' || h, '; ' ORDER BY t) FROM (
			SELECT 'items' t, count(*) n, md5(string_agg(i::text, ',' ORDER BY id)) h FROM items i
			UNION ALL
			SELECT 'spaced', count(*), md5(string_agg(s::text, ',' ORDER BY id)) FROM spaced s) x});
}

sub write_set
{
	my ($node, $set) = @_;
	$node->safe_psql('postgres', qq{
		INSERT INTO items (v) SELECT '$set ' || g FROM generate_series(1, 2000) g;
		INSERT INTO spaced (v) SELECT md5('$set' || g) FROM generate_series(1, 500) g;
		UPDATE items SET v = v || '+$set' WHERE id % 13 = 0});
	return;
}

sub archive_all
{
	my ($node) = @_;
	$node->safe_psql('postgres', 'SELECT pg_switch_wal()');
	return wait_for_query($node, 'SELECT backlog FROM sgbackup.archiver', '0');
}

sub backup
{
	my ($node) = @_;
	my $name = $node->safe_psql('postgres', 'SELECT sgbackup_start(wait => true)');
	is($node->safe_psql('postgres', "SELECT status FROM sgbackup.backups WHERE name = '$name'"),
		'completed', "backup $name completed");
	return $name;
}

my %cli = (SGBACKUP_SECRETS_DIRECTORY => $storage->{secrets});

# sgbackup restore ARGS... into NODE's data directory (tablespace mapped to
# DIR unless MAP is ''), then the node's port and socket directory
my $mapped = 0;
sub restore
{
	my ($node, @args) = @_;
	my ($rc, $out, $err) = run_sgbackup(\%cli, '--config', $storage->{config},
		'restore', @args, $node->data_dir);
	note("restore @args: exit $rc\n$out$err");
	return ($rc, $out, $err);
}

# the node's own port and socket directory, and no archiving (or ARCHIVE)
sub own_settings
{
	my ($node, $archive) = @_;
	my ($host, $port) = ($node->host, $node->port);
	$node->append_conf('postgresql.conf', qq{
port = $port
unix_socket_directories = '$host'
} . ($archive ? '' : "archive_mode = off\n"));
	return;
}

sub map_arg
{
	$mapped++;
	return ('--tablespace-mapping', "$tsdir=$tmp/ts-mapped-$mapped");
}

# restore, check the unpacked tree, start, wait for promotion; the node
sub restored_node
{
	my ($name, @args) = @_;
	my $node = PostgreSQL::Test::Cluster->new($name);
	my ($rc, $out, $err) = restore($node, @args, map_arg());
	is($rc, 0, "$name: sgbackup restore @args exits 0");
	like($out, qr/pg_ctl -D \S+ start/, "$name: it prints the step left: start the server");
	my ($vrc, $vout, $verr) = run_cmd([ 'pg_verifybackup', '-n', '-q', $node->data_dir ]);
	is($vrc ? 1 : 0, 0, "$name: pg_verifybackup passes on the unpacked tree") or diag($verr);
	ok(-e $node->data_dir . '/recovery.signal', "$name: recovery.signal is written");
	die "$name: not restored" if $rc != 0;
	own_settings($node);
	$node->start;
	ok($node->poll_query_until('postgres', 'SELECT NOT pg_is_in_recovery()'),
		"$name: recovery reached the target and promoted");
	return $node;
}

sub run_cmd
{
	my ($cmd) = @_;
	my ($out, $err);
	IPC::Run::run($cmd, '>', \$out, '2>', \$err);
	return ($? >> 8, $out, $err);
}

sub amcheck_ok
{
	my ($node, $name) = @_;
	$node->safe_psql('postgres', 'CREATE EXTENSION IF NOT EXISTS amcheck');
	my ($rc, $out, $err) = run_cmd([ 'pg_amcheck', '--heapallindexed', '--install-missing',
		'-h', $node->host, '-p', $node->port, '-d', 'postgres' ]);
	is($rc, 0, "$name: pg_amcheck --heapallindexed finds no corruption") or diag("$out$err");
	return;
}

# --- the source: set A, backup B, moments T, LSN, restore point, XID ------------
my $src = archiving_node('source', $storage);
$src->safe_psql('postgres', qq{
	CREATE TABLESPACE outside LOCATION '$tsdir';
	CREATE TABLE items (id serial PRIMARY KEY, v text);
	CREATE TABLE spaced (id serial PRIMARY KEY, v text) TABLESPACE outside;
	CREATE INDEX ON spaced (v);
	CREATE TABLE doomed (id serial PRIMARY KEY, v text);
	INSERT INTO doomed (v) SELECT md5(g::text) FROM generate_series(1, 1000) g});
write_set($src, 'A');
my $b1 = backup($src);
my $at_b1 = contents($src);
write_set($src, 'B');
my $at_t = contents($src);
my $t = $src->safe_psql('postgres',
	q{SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') || '+00'});
write_set($src, 'C');
my $lsn = $src->safe_psql('postgres', 'SELECT pg_current_wal_insert_lsn()');
my $at_lsn = contents($src);
write_set($src, 'D');
my $at_name = contents($src);
$src->safe_psql('postgres', q{SELECT pg_create_restore_point('after_d')});
my $xid = $src->safe_psql('postgres', q{
	BEGIN;
	INSERT INTO items (v) SELECT 'E ' || g FROM generate_series(1, 100) g;
	SELECT txid_current();
	COMMIT;});
$xid = (split /\n/, $xid)[-1];
my $at_xid = contents($src);
$src->safe_psql('postgres', 'DROP TABLE doomed');
my $b2 = backup($src);
write_set($src, 'F');
ok(archive_all($src), 'everything is archived');
my $at_end = contents_nodoomed($src);

# --- verify ---------------------------------------------------------------------
my ($rc, $out, $err) = run_sgbackup(\%cli, '--config', $storage->{config}, 'verify', $b1);
is($rc, 0, "verify $b1 passes") or diag("$out$err");
like($out, qr/^objects\s+ok/m, 'verify: the objects match their checksums');
like($out, qr/^files\s+ok/m, 'verify: every file matches backup_manifest');
like($out, qr/^wal\s+ok/m, 'verify: the WAL from start to stop is there');
($rc, $out, $err) = run_sgbackup(\%cli, '--config', $storage->{config}, 'verify', 'LATEST',
	'--to-latest', '--json');
is($rc, 0, 'verify LATEST --to-latest --json passes') or diag("$out$err");
like($out, qr/"backup":\s*"\Q$b2\E"/, 'LATEST is the newest backup');
is($src->safe_psql('postgres',
	"SELECT string_agg(\"check\" || '=' || ok, ',') FROM sgbackup_verify('$b1')"),
	'backup=true,manifest=true,objects=true,files=true,wal=true',
	'sgbackup_verify() returns the same checks, all passed');
$src->safe_psql('postgres', q{
	CREATE ROLE plain LOGIN; CREATE ROLE op LOGIN IN ROLE sgbackup_operator});
my ($prc, $pout, $perr) = $src->psql('postgres', "SELECT * FROM sgbackup_verify('$b1')",
	extra_params => [ '-U', 'plain' ]);
like($perr, qr/permission denied/, 'a plain role may not call sgbackup_verify()');
is($src->safe_psql('postgres', "SELECT bool_and(ok) FROM sgbackup_verify('$b1')",
	extra_params => [ '-U', 'op' ]), 't', 'a member of sgbackup_operator may');

# --- refusals ---------------------------------------------------------------------
my $busy = PostgreSQL::Test::Cluster->new('busy');
make_path($busy->data_dir);
open my $fh, '>', $busy->data_dir . '/something' or die;
close $fh;
($rc, $out, $err) = restore($busy, 'LATEST');
is($rc, 2, 'a non-empty PGDATA is refused (exit 2)');
like($err, qr/is not empty.*\n.*HINT:.*--force/s, '... saying so, with the way out');
($rc, $out, $err) = restore(PostgreSQL::Test::Cluster->new('early'), $b2, '--target-time', $t);
is($rc, 2, 'a target time before the backup finished is refused');
like($err, qr/before/, '... saying why') or diag($err);
($rc, $out, $err) = restore(PostgreSQL::Test::Cluster->new('late'), 'LATEST',
	'--target-time', '2099-01-01 00:00:00+00');
is($rc, 2, 'a target time beyond the newest archived WAL is refused');
like($err, qr/newest archived WAL/, '... saying so');
($rc, $out, $err) = restore(PostgreSQL::Test::Cluster->new('far'), 'LATEST',
	'--target-lsn', 'FF/0');
is($rc, 2, 'a target LSN beyond the newest archived WAL is refused');
($rc, $out, $err) = restore(PostgreSQL::Test::Cluster->new('nozone'), 'LATEST',
	'--target-time', '2026-01-01 00:00:00');
is($rc, 2, 'a time without a time zone is refused');
aws($s3, 's3api', 'put-object', '--bucket', $s3->{bucket}, '--key',
	"$prefix/backups/unfinished/started.json", '--body', $storage->{config});
($rc, $out, $err) = restore(PostgreSQL::Test::Cluster->new('unfinished'), 'unfinished');
is($rc, 2, 'a backup that is not completed is refused');
like($err, qr/not completed|completed/, '... saying so') or diag($err);
($rc, $out, $err) = restore(PostgreSQL::Test::Cluster->new('nosuch'), 'nosuch');
is($rc, 2, 'a backup that does not exist is refused');
# the same backup, as if taken by PostgreSQL 14
aws($s3, 's3', 'cp', '--quiet', "s3://$s3->{bucket}/$prefix/backups/$b1/metadata.json", "$tmp/meta.json");
my $meta = slurp("$tmp/meta.json");
$meta =~ s/"postgresVersionNum":\s*\d+/"postgresVersionNum":140010/ or die "no postgresVersionNum in $meta";
open $fh, '>', "$tmp/meta14.json" or die;
print $fh $meta;
close $fh;
aws($s3, 's3', 'cp', '--quiet', '--recursive', "s3://$s3->{bucket}/$prefix/backups/$b1/",
	"s3://$s3->{bucket}/$prefix/backups/from14/");
aws($s3, 's3', 'cp', '--quiet', "$tmp/meta14.json", "s3://$s3->{bucket}/$prefix/backups/from14/metadata.json");
my $v14 = PostgreSQL::Test::Cluster->new('v14');
($rc, $out, $err) = restore($v14, 'from14', map_arg());
is($rc, 2, 'a backup of another major version is refused');
like($err, qr/PostgreSQL 14, but .*postgres is PostgreSQL 15/, '... naming both versions') or diag($err);
ok(!-e $v14->data_dir, '... before anything is written');
aws($s3, 's3', 'rm', '--quiet', '--recursive', "s3://$s3->{bucket}/$prefix/backups/from14/");

# --- point in time: time, LSN, name, XID, immediate, none ---------------------------
my $n = restored_node('by_time', 'LATEST', '--target-time', $t);
is(contents($n), $at_t, 'by time: every table holds what it held at T (LATEST picked B)');
like($n->safe_psql('postgres', 'SELECT count(*) FROM doomed'), qr/^1000$/, 'by time: the dropped table is back');
amcheck_ok($n, 'by time');
$n->stop;

$n = restored_node('by_lsn', $b1, '--target-lsn', $lsn);
is(contents($n), $at_lsn, 'by LSN: the tables hold what they held at that LSN');
$n->stop;

$n = restored_node('by_name', $b1, '--target-name', 'after_d');
is(contents($n), $at_name, 'by restore point: the tables hold what they held at it');
$n->stop;

$n = restored_node('by_xid', $b1, '--target-xid', $xid);
is(contents($n), $at_xid, 'by XID: the tables hold what they held once that transaction committed');
$n->stop;

$n = restored_node('immediate', $b1, '--target', 'immediate');
is(contents($n), $at_b1, 'immediate: the tables hold what they held when the backup ended');
$n->stop;

$n = restored_node('to_end', 'LATEST');
is(contents_nodoomed($n), $at_end, 'no target: every archived commit is there');
is($n->safe_psql('postgres', q{SELECT to_regclass('doomed') IS NULL}), 't',
	'no target: the table dropped before the end stays dropped');
amcheck_ok($n, 'no target');
$n->stop;

# --- progress on a terminal, quiet when not on one, --json ---------------------------
my $tty = PostgreSQL::Test::Cluster->new('tty');
my $cmd = join(' ', map { "'$_'" } 'env', "SGBACKUP_SECRETS_DIRECTORY=$storage->{secrets}",
	'sgbackup', '--config', $storage->{config}, 'restore', $b1, map_arg(), $tty->data_dir);
($rc, $out, $err) = run_cmd([ 'script', '-qec', $cmd, '/dev/null' ]);
is($rc, 0, 'a restore on a terminal (script) succeeds') or diag("$out$err");
like($out, qr{\d+/\d+ MB, \d+ files, \d+ MB/s, \d+ s left}, 'it shows bytes, files, rate and time left');
my $quiet = PostgreSQL::Test::Cluster->new('quiet');
($rc, $out, $err) = restore($quiet, $b1, '--json', map_arg());
is($rc, 0, 'a restore with --json succeeds');
is($err, '', 'not on a terminal it writes nothing on stderr');
like($out, qr/^\{"backup":"\Q$b1\E",.*"files":\d+/, '--json prints a summary');

# --- an SGCluster's spec.initialData.restore ------------------------------------------
open $fh, '>', "$tmp/cluster.yaml" or die;
print $fh slurp($storage->{config}) . qq{---
apiVersion: stackgres.io/v1
kind: SGCluster
metadata:
  name: restored
spec:
  configurations:
    backups:
    - sgObjectStorage: restore
  initialData:
    restore:
      downloadDiskConcurrency: 2
      fromBackup:
        name: $b1
        pointInTimeRecovery:
          restoreToTimestamp: "} . ($t =~ s/ /T/r =~ s/\+00$/Z/r) . qq{"
};
close $fh;
my $sgc = PostgreSQL::Test::Cluster->new('sgcluster');
($rc, $out, $err) = run_sgbackup(\%cli, '--config', "$tmp/cluster.yaml", 'restore',
	map_arg(), $sgc->data_dir);
is($rc, 0, 'restore with only PGDATA and an SGCluster naming the backup and time') or diag($err);
own_settings($sgc);
$sgc->start;
ok($sgc->poll_query_until('postgres', 'SELECT NOT pg_is_in_recovery()'), 'SGCluster restore promoted');
is(contents($sgc), $at_t, 'it holds the data at restoreToTimestamp');
$sgc->stop;

# --- a restore killed half-way -------------------------------------------------------
my $killed = PostgreSQL::Test::Cluster->new('killed');
{
	local $ENV{SGBACKUP_MAX_NETWORK_BANDWIDTH} = '2000000';
	local %ENV = (%ENV, %cli);
	my $h = IPC::Run::start([ 'sgbackup', '--config', $storage->{config}, 'restore', $b1,
		map_arg(), $killed->data_dir ], '>', '/dev/null', '2>', "$tmp/killed.err");
	my $base = $killed->data_dir . '/base';
	for (1 .. 600)
	{
		last if -d $base;
		select(undef, undef, undef, 0.05);
	}
	ok(-d $base, 'the restore is under way');
	$h->signal('KILL');
	$h->finish;
}
ok(!-e $killed->data_dir . '/global/pg_control', 'a killed restore leaves no pg_control');
($rc, $out, $err) = restore($killed, $b1);
is($rc, 2, 'the next attempt without --force is refused');
like($err, qr/did not finish.*\n.*HINT:.*--force/s, '... saying the restore did not finish, and what to do');
($rc) = run_cmd([ 'pg_ctl', '-D', $killed->data_dir, '-l', "$tmp/killed.log", '-w', 'start' ]);
isnt($rc, 0, 'the half-restored directory does not start');
($rc, $out, $err) = restore($killed, $b1, '--force', '--target', 'immediate', map_arg());
is($rc, 0, 'with --force it is restored') or diag($err);
own_settings($killed);
$killed->start;
ok($killed->poll_query_until('postgres', 'SELECT NOT pg_is_in_recovery()'), 'and starts');
is(contents($killed), $at_b1, 'with the data of the backup');
$killed->stop;

# --- timeline 2: a promoted restore archives; LATEST follows it ---------------------------
$src->stop;
my $tl2 = PostgreSQL::Test::Cluster->new('tl2');
($rc, $out, $err) = run_sgbackup(\%cli, '--config', $storage->{config}, 'restore', 'LATEST',
	'--target-time', $t, map_arg(), $tl2->data_dir);
is($rc, 0, 'restored to T for a new timeline') or diag($err);
own_settings($tl2, 1);
$tl2->start;
ok($tl2->poll_query_until('postgres', 'SELECT NOT pg_is_in_recovery()'), 'promoted');
is($tl2->safe_psql('postgres', 'SELECT substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8)'),
	'00000002', 'on timeline 2');
write_set($tl2, 'TL2');
ok(archive_all($tl2), 'timeline 2 is archived');
my $at_tl2 = contents($tl2);
$tl2->stop;
$n = restored_node('follow', 'LATEST', '--target-timeline', 'latest');
is(contents($n), $at_tl2, 'LATEST with --target-timeline latest follows the promotion onto timeline 2');
$n->stop;

# --- the tablespace at its original path ----------------------------------------------
rename $tsdir, "$tsdir.old" or die;
my $orig = PostgreSQL::Test::Cluster->new('original');
($rc, $out, $err) = restore($orig, $b1, '--target', 'immediate', '--target-timeline', 'current');
is($rc, 0, 'restored with the tablespace at its original path') or diag($err);
own_settings($orig);
ok(scalar(glob("$tsdir/PG_*")), 'the tablespace directory is back');
$orig->start;
ok($orig->poll_query_until('postgres', 'SELECT NOT pg_is_in_recovery()'), 'it starts');
is(contents($orig), $at_b1, 'the table in the tablespace holds its rows');
$orig->stop;

# --- a corrupted object: verify finds it, restore refuses it ---------------------------
my $key = "$prefix/backups/$b1/base.tar.zst";
aws($s3, 's3', 'cp', '--quiet', "s3://$s3->{bucket}/$key", "$tmp/base.tar.zst");
my $size = -s "$tmp/base.tar.zst";
open $fh, '+<', "$tmp/base.tar.zst" or die;
binmode $fh;
seek $fh, int($size / 2), 0;
read $fh, my $byte, 1;
seek $fh, int($size / 2), 0;
print $fh chr(ord($byte) ^ 0x01);
close $fh;
aws($s3, 's3', 'cp', '--quiet', "$tmp/base.tar.zst", "s3://$s3->{bucket}/$key");
($rc, $out, $err) = run_sgbackup(\%cli, '--config', $storage->{config}, 'verify', $b1);
is($rc, 1, 'verify of the corrupted backup fails (exit 1)');
like($out, qr/^objects\s+FAIL.*checksum/m, 'verify says the object does not match its checksum') or diag($out);
($rc, $out, $err) = restore(PostgreSQL::Test::Cluster->new('corrupt'), $b1, map_arg());
is($rc, 3, 'restore of the corrupted backup is refused (exit 3)');
like($err, qr/error:/, '... with an error') or diag($err);

aws($s3, 's3', 'rm', '--recursive', '--quiet', "s3://$s3->{bucket}/$prefix/");
done_testing();
