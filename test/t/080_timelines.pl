# 080_timelines.pl - retention across timelines, end to end against the
# RADOS Gateway and real servers.
#
# Backup B0 on timeline 1; rows written (what the table holds at moment T is
# recorded, and T is a named restore point); more writes; backup B1, the
# newest on timeline 1.  B0 is restored to T into a new data directory that
# archives to the same bucket path (the first server is stopped first, so
# two servers never write there at once) and promoted: timeline 2, forked
# below B1, holding the data of T.  More writes; backup B2 on timeline 2;
# more writes.  Retention 1 leaves exactly B2, with every WAL file of
# timeline 2 from its start on and 00000002.history, and none of timeline
# 1.  B2 restored into a third data directory, replaying to the end of the
# archived WAL, holds what the timeline-2 server held.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::RealBin/../perl";
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use SgTest;
use Test::More;

my $s3 = s3_env();
my $prefix = unique_prefix('timelines');
my $tmp = PostgreSQL::Test::Utils::tempdir;
my $storage = gateway_storage($s3, 'timelines', $prefix, $tmp);
my %restore = (config => $storage->{config}, secrets => $storage->{secrets});

# what the tables hold: rows and an md5 of every row, per table
sub contents
{
	my ($node) = @_;
	return $node->safe_psql('postgres', q{
		SELECT 'items ' || count(*) || ' ' || md5(string_agg(i::text, ',' ORDER BY id)) FROM items i
		UNION ALL
		SELECT 'events ' || count(*) || ' ' || md5(string_agg(e::text, ',' ORDER BY id)) FROM events e});
}

sub write_rows
{
	my ($node, $from, $to) = @_;
	$node->safe_psql('postgres', qq{
		INSERT INTO items SELECT g, md5(g::text) FROM generate_series($from, $to) g;
		UPDATE items SET v = v || '+' WHERE id % 7 = $from % 7;
		INSERT INTO events (what) SELECT 'rows $from..$to' FROM generate_series(1, 10)});
	return;
}

# a new segment, and everything before it archived
sub archive_all
{
	my ($node) = @_;
	$node->safe_psql('postgres', q{INSERT INTO events (what) VALUES ('switch'); SELECT pg_switch_wal()});
	return wait_for_query($node, 'SELECT backlog FROM sgbackup.archiver', '0');
}

sub backup
{
	my ($node) = @_;
	my $name = $node->safe_psql('postgres', 'SELECT sgbackup_start(wait => true)');
	my ($status, $tli, $start) = split /\|/, $node->safe_psql('postgres',
		"SELECT status, timeline, start_wal FROM sgbackup.backups WHERE name = '$name'");
	is($status, 'completed', "backup $name on timeline $tli from $start completed");
	return ($name, $start);
}

sub wal_objects
{
	my ($rc, $out) = aws($s3, 's3', 'ls', "s3://$s3->{bucket}/$prefix/wal/");
	return map { (split)[-1] } split /\n/, $out;
}

sub timeline_of
{
	my ($node) = @_;
	return $node->safe_psql('postgres',
		'SELECT substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8)');
}

# --- timeline 1: B0, moment T, B1 --------------------------------------------
my $node1 = archiving_node('tl1', $storage);
$node1->safe_psql('postgres', q{
	CREATE TABLE items (id int PRIMARY KEY, v text);
	CREATE TABLE events (id serial PRIMARY KEY, what text)});
write_rows($node1, 1, 1000);
my ($b0) = backup($node1);
write_rows($node1, 1001, 2000);
my $at_t = contents($node1);
$node1->safe_psql('postgres', q{SELECT pg_create_restore_point('moment_t')});
# timeline 1 moves on by several segments, so that B1 starts well above T
for my $i (1 .. 4)
{
	write_rows($node1, 2000 + 1000 * $i - 999, 2000 + 1000 * $i);
	$node1->safe_psql('postgres', 'SELECT pg_switch_wal()');
}
my ($b1) = backup($node1);
ok(archive_all($node1), 'timeline 1 is archived');
$node1->stop;

# --- timeline 2: B0 restored to T, promoted, B2 ----------------------------------
my $node2 = PostgreSQL::Test::Cluster->new('tl2');
restore_backup($s3, $prefix, $b0, $node2, %restore, conf => q{
recovery_target_name = 'moment_t'
recovery_target_action = 'promote'
});
$node2->start;
ok($node2->poll_query_until('postgres', 'SELECT NOT pg_is_in_recovery()'),
	'B0 restored to moment T and promoted');
is(timeline_of($node2), '00000002', 'the restored server is on timeline 2');
is(contents($node2), $at_t, 'it holds the data of moment T');
write_rows($node2, 10001, 10500);
my ($b2, $b2_start) = backup($node2);
is($node2->safe_psql('postgres', qq{
	SELECT (SELECT start_lsn FROM sgbackup.backups WHERE name = '$b2')
	     < (SELECT start_lsn FROM sgbackup.backups WHERE name = '$b1')}),
	't', 'B2 starts at a lower LSN than B1: timeline 2 forked below the newest timeline-1 backup');
# WAL after B2 that a restore of B2 must replay
write_rows($node2, 10501, 12000);
$node2->safe_psql('postgres', 'DELETE FROM items WHERE id % 11 = 0');
ok(archive_all($node2), 'timeline 2 is archived');
my $tl2_contents = contents($node2);
my @wal_before = wal_objects();
ok((grep { $_ eq '00000002.history' } @wal_before), '00000002.history is in the bucket');

# --- retention 1 ------------------------------------------------------------------
$node2->safe_psql('postgres', 'ALTER SYSTEM SET sgbackup.retention = 1');
$node2->reload;
my $deleted = $node2->safe_psql('postgres',
	q{SELECT count(*) FILTER (WHERE kind = 'wal') || ' WAL files and the backups '
	  || coalesce(string_agg(name, ', ') FILTER (WHERE kind = 'backup'), '') FROM sgbackup_apply_retention()});
note("retention deleted $deleted");
is($node2->safe_psql('postgres', q{SELECT string_agg(name || ' ' || status, ', ') FROM sgbackup.backups}),
	"$b2 completed", 'retention 1 leaves exactly B2, completed');
my %after = map { $_ => 1 } wal_objects();
my (@tl2_gone, @tl1_left, @tl2_old_left);
for my $w (@wal_before)
{
	next unless $w =~ /^([0-9A-F]{8})([0-9A-F]{16})/;
	my ($tli, $pos) = ($1, $2);
	push @tl2_gone, $w if $tli eq '00000002' && $pos ge substr($b2_start, 8) && !$after{$w};
	push @tl2_old_left, $w if $tli eq '00000002' && $pos lt substr($b2_start, 8) && $after{$w};
	push @tl1_left, $w if $tli eq '00000001' && $after{$w};
}
is_deeply(\@tl2_gone, [], "every WAL file of timeline 2 from B2's start ($b2_start) on is still there");
ok($after{'00000002.history'}, '00000002.history is still there');
is_deeply(\@tl1_left, [], 'the WAL of timeline 1, which no kept backup reaches, is gone');
my $tl2_old = grep { /^00000002/ && substr($_, 8, 16) lt substr($b2_start, 8) } @wal_before;
ok($tl2_old > 0, "timeline 2 had WAL before B2's start ($tl2_old files)");
is_deeply(\@tl2_old_left, [], '... which is gone');
$node2->stop;

# --- B2 restored to the end of the archived WAL -----------------------------------
my $node3 = PostgreSQL::Test::Cluster->new('restored');
restore_backup($s3, $prefix, $b2, $node3, %restore, conf => q{
archive_mode = off
});
$node3->start;
ok($node3->poll_query_until('postgres', 'SELECT NOT pg_is_in_recovery()'),
	'B2 restored, replayed to the end of the archived WAL');
is(contents($node3), $tl2_contents, 'it holds exactly what the timeline-2 server held');
$node3->stop;

aws($s3, 's3', 'rm', '--recursive', '--quiet', "s3://$s3->{bucket}/$prefix/");
done_testing();
