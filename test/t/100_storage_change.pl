# 100_storage_change.pl - a storage change while look-ahead uploads are
# queued or running: from the moment the change is in force, every file the
# archiver marks done is in the new storage.
#
# Storage A is reached through a TCP proxy that the test freezes (SIGSTOP),
# so that uploads to it hang with look-ahead jobs queued and running; the
# change is applied (sgbackup_apply, committed; then, a second time, a reload
# of sgbackup.object_storage); then A is thawed, so that the old uploads
# complete there.  Every segment must still be found in the new storage.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::RealBin/../perl";
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use SgTest;
use Test::More;

my $s3 = s3_env();
my $prefix = unique_prefix('change');
my $tmp = PostgreSQL::Test::Utils::tempdir;
my ($http_port) = $s3->{http} =~ /:(\d+)$/;
my $proxy_port = PostgreSQL::Test::Cluster::get_free_port();
my $proxy = tcp_proxy_start($proxy_port, $http_port, "$tmp/proxy.log");
my $proxy_pid = $proxy->{KIDS}[0]{PID};

# the same name 'store' first through the proxy (A), then direct (B); 'other' is C
my $a = gateway_storage($s3, 'store', "$prefix/a", $tmp);
$a->{yaml} =~ s{endpoint: \S+}{endpoint: http://127.0.0.1:$proxy_port};
my $b_yaml = storage_yaml(name => 'store', bucket => "$s3->{bucket}/$prefix/b",
	endpoint => $s3->{http}, region => $s3->{region}, secret => 'creds');
my $c_yaml = storage_yaml(name => 'other', bucket => "$s3->{bucket}/$prefix/c",
	endpoint => $s3->{http}, region => $s3->{region}, secret => 'creds');

my $node = archiving_node('change', $a);
$node->safe_psql('postgres', "ALTER SYSTEM SET sgbackup.upload_concurrency = 4; SELECT pg_reload_conf()");
$node->safe_psql('postgres', 'CREATE TABLE t (i int)');

sub switch_wal
{
	return $node->safe_psql('postgres',
		'INSERT INTO t VALUES (1); SELECT pg_walfile_name(pg_switch_wal())');
}

sub stored_in
{
	my ($sub, $seg) = @_;
	my ($rc) = aws($s3, 's3api', 'head-object', '--bucket', $s3->{bucket},
		'--key', "$prefix/$sub/wal/$seg");
	return $rc == 0;
}

sub archived
{
	my ($seg) = @_;
	return wait_for_query($node, "SELECT last_archived_wal >= '$seg' FROM pg_stat_archiver", 't', 180);
}

# connections to the frozen proxy with a request waiting in them
sub hung_uploads
{
	my $out = `ss -Htn state established '( sport = :$proxy_port )'`;
	return scalar grep { (split)[0] > 0 } split /\n/, $out;
}

sub wait_for_hung_uploads
{
	my ($n) = @_;
	for (1 .. 600)
	{
		return 1 if hung_uploads() >= $n;
		select(undef, undef, undef, 0.1);
	}
	return 0;
}

# Segments waiting with look-ahead uploads hung in a frozen A: archiving is
# paused (archive_library = '') while they are written, then resumed with A
# frozen, so that the archiver's first call queues them all at once.
sub freeze_with_backlog
{
	my @segs;
	my $q = q{SELECT pid FROM pg_stat_activity WHERE backend_type = 'archiver'};
	my $archiver = $node->safe_psql('postgres', $q);

	# a changed archive_library makes the archiver exit; the new one has none
	$node->safe_psql('postgres', "ALTER SYSTEM SET archive_library = ''; SELECT pg_reload_conf()");
	ok($node->poll_query_until('postgres', "SELECT coalesce(($q) <> $archiver, false)"),
		'archiving is paused');
	push @segs, switch_wal() for 1 .. 6;
	kill 'STOP', $proxy_pid;
	$node->safe_psql('postgres', 'ALTER SYSTEM RESET archive_library; SELECT pg_reload_conf()');
	ok(wait_for_hung_uploads(4), 'uploads to the frozen storage hang, with look-ahead: '
		  . hung_uploads() . ' connections wait');
	return @segs;
}

ok(archived(switch_wal()), 'archiving through the proxy works');

# --- sgbackup_apply commits a new storage ---------------------------------------------
my @segs = freeze_with_backlog();
$node->safe_psql('postgres', "SELECT sgbackup_apply(\$y\$$b_yaml\$y\$)");
kill 'CONT', $proxy_pid;
ok(archived($segs[-1]), 'after the apply, the backlog is archived');
my @missing = grep { !stored_in('b', $_) } @segs;
is_deeply(\@missing, [], 'every segment marked done after the apply is in the new storage');
note('also in the old storage: ' . join(' ', grep { stored_in('a', $_) } @segs));

# --- a reload selects another stored storage ---------------------------------------------
$node->safe_psql('postgres', "SELECT sgbackup_apply(\$y\$$a->{yaml}\$y\$)");
$node->safe_psql('postgres', "SELECT sgbackup_apply(\$y\$$c_yaml\$y\$)");
ok(archived(switch_wal()), 'archiving through the proxy works again');
@segs = freeze_with_backlog();
$node->safe_psql('postgres', "ALTER SYSTEM SET sgbackup.object_storage = 'other'; SELECT pg_reload_conf()");
# the archiver takes a reload between files: the one in flight may finish in A
kill 'CONT', $proxy_pid;
ok(archived($segs[-1]), 'after the reload, the backlog is archived');
@missing = grep { !stored_in('c', $_) } @segs[ 1 .. $#segs ];
is_deeply(\@missing, [], 'every segment the archiver took after the reload is in the new storage');

$node->stop;
tcp_proxy_stop($proxy);
aws($s3, 's3', 'rm', '--recursive', '--quiet', "s3://$s3->{bucket}/$prefix/");
done_testing();
