# 160_local_repository.pl - WAL and backups in a local directory
# (sgbackup.repository_path) instead of object storage, no gateway needed.
#
# A server archives into the directory and takes a backup; the directory
# holds the WAL and the backup as plain files (wal/<name>, backups/<name>/),
# with no temporary file left; the view and `sgbackup --repository DIR
# backup-list` list it; the backup, restored from the directory by
# `sgbackup restore --repository DIR` (SgTest.pm's restore_backup), replays
# with restore_command = 'sgbackup wal-fetch' from the directory and holds
# the data; `sgbackup wal-fetch` (with --repository and with
# SGBACKUP_REPOSITORY_PATH) fetches a segment identical to the server's.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::RealBin/../perl";
use File::Compare;
use File::Copy;
use File::Find;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use SgTest;
use Test::More;

my $tmp = PostgreSQL::Test::Utils::tempdir;
my $repo = "$tmp/repository";

sub contents
{
	my ($node) = @_;
	return $node->safe_psql('postgres',
		q{SELECT count(*) || ' ' || md5(string_agg(t::text, ',' ORDER BY id)) FROM t});
}

# --- archiving and a backup into the directory -----------------------------------
my $node = sgbackup_node('local', qq{sgbackup.repository_path = '$repo'
wal_keep_size = '1GB'
});
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION sgbackup');
$node->safe_psql('postgres', q{
	CREATE TABLE t (id int PRIMARY KEY, v text);
	INSERT INTO t SELECT g, md5(g::text) FROM generate_series(1, 20000) g});
my $name = $node->safe_psql('postgres', 'SELECT sgbackup_start(wait => true)');
is($node->safe_psql('postgres', "SELECT status FROM sgbackup.backups WHERE name = '$name'"),
	'completed', "backup $name completed into the local repository");
# WAL after the backup, which the restore must replay
$node->safe_psql('postgres', q{
	INSERT INTO t SELECT g, md5(g::text) FROM generate_series(20001, 30000) g;
	UPDATE t SET v = v || '+' WHERE id % 5 = 0});
my $expected = contents($node);
my $segment = $node->safe_psql('postgres', 'SELECT pg_walfile_name(pg_current_wal_lsn())');
$node->safe_psql('postgres', 'SELECT pg_switch_wal()');
ok(wait_for_query($node, 'SELECT backlog FROM sgbackup.archiver', '0'), 'the WAL is archived');
copy($node->data_dir . "/pg_wal/$segment", "$tmp/server-segment") or die "copy $segment: $!";

ok(-f "$repo/wal/$segment", "segment $segment is the file wal/$segment");
ok(-f "$repo/backups/$name/metadata.json" && -f "$repo/backups/$name/base.tar.zst",
	'the backup is under backups/<name>/, metadata.json and base.tar.zst among its files');
my @tmp_files;
find(sub { push @tmp_files, $File::Find::name if /^\.sgbackup-tmp-/ }, $repo);
is_deeply(\@tmp_files, [], 'no temporary file is left in the repository');
my ($rc, $out, $err) = run_sgbackup({}, '--repository', $repo, 'backup-list');
is($rc, 0, 'sgbackup --repository DIR backup-list works') or diag($err);
like($out, qr/^\Q$name\E\s+completed/m, '... and lists the backup as completed');
$node->stop;

# --- wal-fetch ------------------------------------------------------------------------
($rc, $out, $err) = run_sgbackup({}, 'wal-fetch', '--repository', $repo, $segment, "$tmp/fetched");
is($rc, 0, 'sgbackup wal-fetch --repository DIR fetches a segment') or diag($err);
is(compare("$tmp/fetched", "$tmp/server-segment"), 0,
	'... identical to the server\'s');
($rc, $out, $err) = run_sgbackup({ SGBACKUP_REPOSITORY_PATH => $repo },
	'wal-fetch', $segment, "$tmp/fetched-env");
is($rc, 0, 'so does SGBACKUP_REPOSITORY_PATH') or diag($err);
($rc, $out, $err) = run_sgbackup({}, 'wal-fetch', '--repository', $repo,
	'0000000100000000000000FE', "$tmp/missing");
is($rc, 1, 'a segment not in the repository: exit 1');
($rc, $out, $err) = run_sgbackup({}, 'wal-fetch', '--repository', 'relative/dir',
	$segment, "$tmp/bad");
like($err, qr/not an absolute path/, 'a relative repository path is refused');

# --- restore, from the directory instead of the bucket ------------------------------------
my $restored = PostgreSQL::Test::Cluster->new('restored');
restore_backup(undef, undef, $name, $restored, repository => $repo, conf => q{
archive_mode = off
recovery_target_action = 'promote'
});
$restored->start;
ok($restored->poll_query_until('postgres', 'SELECT NOT pg_is_in_recovery()'),
	'the backup restored from the local repository replays to the end of its WAL');
is(contents($restored), $expected, 'it holds what the server held');
$restored->stop;

done_testing();
