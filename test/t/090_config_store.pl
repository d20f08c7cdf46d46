# 090_config_store.pl - the configuration applied with sgbackup_apply is one
# store: the tables are what SELECT shows and what is in force.
#
# A rolled-back apply (whole or to a savepoint) has no effect, also while its
# transaction is still open; a committed one takes effect at once; a crash
# between the commit and the files leaves them in agreement once the server
# is up; a superuser's DELETE removes the file at commit; a row that does not
# hold a valid document cannot be committed; PREPARE TRANSACTION is refused.
# Against the RADOS Gateway: each claim is checked by where WAL lands.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::RealBin/../perl";
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use SgTest;
use Test::More;

my $s3 = s3_env();
my $prefix = unique_prefix('store');
my $tmp = PostgreSQL::Test::Utils::tempdir;
my $a = gateway_storage($s3, 'store', "$prefix/a", $tmp);
my $b_yaml = storage_yaml(
	name => 'store',
	bucket => "$s3->{bucket}/$prefix/b",
	endpoint => $s3->{http},
	region => $s3->{region},
	secret => 'creds');

my $node = archiving_node('store', $a);
$node->append_conf('postgresql.conf', "max_prepared_transactions = 2\n");
$node->restart;
my $file = $node->data_dir . '/sgbackup/object_storage/store.yaml';

# a segment with something in it, switched: its name
sub switch_wal
{
	return $node->safe_psql('postgres',
		'CREATE TABLE IF NOT EXISTS t (i int); INSERT INTO t VALUES (1); SELECT pg_walfile_name(pg_switch_wal())');
}

# the storage ("a" or "b") where segment seg was archived, once it is done
sub archived_to
{
	my ($seg) = @_;
	wait_for_query($node,
		"SELECT last_archived_wal >= '$seg' FROM pg_stat_archiver", 't', 120)
	  or return 'not archived';
	my @where;
	for my $sub ('a', 'b')
	{
		my ($rc) = aws($s3, 's3api', 'head-object', '--bucket', $s3->{bucket},
			'--key', "$prefix/$sub/wal/$seg");
		push @where, $sub if $rc == 0;
	}
	return join(',', @where) || 'nowhere';
}

sub table_spec
{
	return $node->safe_psql('postgres', q{SELECT spec FROM sgbackup.object_storage WHERE name = 'store'});
}

sub file_agrees
{
	my $spec = table_spec();
	return 0 unless -e $file;
	my $text = slurp($file);
	return $text eq $spec || $text eq "$spec\n";
}

sub wait_until_agrees
{
	for (1 .. 300)
	{
		return 1 if file_agrees();
		select(undef, undef, undef, 0.2);
	}
	return 0;
}

is(archived_to(switch_wal()), 'a', 'the applied storage is in force');
ok(file_agrees(), 'the file the archiver reads is the table\'s row');

# --- an open transaction's apply is not in force; its rollback leaves nothing ----
my $session = $node->background_psql('postgres');
$session->query_safe('BEGIN');
$session->query_safe("SELECT sgbackup_apply(\$y\$$b_yaml\$y\$)");
is(archived_to(switch_wal()), 'a', 'while the applying transaction is open, WAL still goes to the old storage');
$session->query_safe('ROLLBACK');
is(archived_to(switch_wal()), 'a', 'after ROLLBACK, WAL goes to the old storage');
like(table_spec(), qr{$prefix/a}, 'SELECT shows the old storage');
ok(file_agrees(), '... and so does the file');
is(join(',', glob($node->data_dir . '/sgbackup/object_storage/*.staged')), '',
	'no staged file is left');

# --- a savepoint rolled back --------------------------------------------------------
$node->safe_psql('postgres', "BEGIN; SAVEPOINT s; SELECT sgbackup_apply(\$y\$$b_yaml\$y\$); ROLLBACK TO s; COMMIT;");
is(archived_to(switch_wal()), 'a', 'an apply rolled back to a savepoint has no effect');
ok(file_agrees(), '... the file still agrees with the table');

# --- committed: in force at once --------------------------------------------------
$session->query_safe('BEGIN');
$session->query_safe("SELECT sgbackup_apply(\$y\$$b_yaml\$y\$)");
$session->query_safe('COMMIT');
is(archived_to(switch_wal()), 'b', 'a committed apply is in force for the next segment');
like(table_spec(), qr{$prefix/b}, 'SELECT shows the new storage');
ok(file_agrees(), '... and so does the file');

# --- PREPARE TRANSACTION is refused -------------------------------------------------
my ($ret, $out, $err) = $node->psql('postgres',
	"BEGIN; SELECT sgbackup_apply(\$y\$$a->{yaml}\$y\$); PREPARE TRANSACTION 'x';");
like($err, qr/cannot PREPARE a transaction that changed sgbackup configuration/,
	'PREPARE TRANSACTION of an apply is refused');
like(table_spec(), qr{$prefix/b}, '... and nothing changed');

# --- a row that is not a valid document cannot be committed ---------------------------
($ret, $out, $err) = $node->psql('postgres',
	q{UPDATE sgbackup.object_storage SET spec = 'kind: [' WHERE name = 'store'});
like($err, qr/invalid row "store" of sgbackup.object_storage/, 'an invalid row is refused at commit');
($ret, $out, $err) = $node->psql('postgres',
	qq{INSERT INTO sgbackup.object_storage (name, spec) VALUES ('other', \$y\$$b_yaml\$y\$)});
like($err, qr/must hold exactly one SGObjectStorage named "other"/,
	'a row whose document has another name is refused');
ok(file_agrees(), 'the file still agrees with the table');

# --- a crash between the commit and the files -----------------------------------------
# what a crash after the commit record but before the renames leaves behind:
# the table's new row, the old file, and the staged copy
my $old_file = slurp($file);
$session->quit;
$node->safe_psql('postgres', "SELECT sgbackup_apply(\$y\$$a->{yaml}\$y\$)");
$node->stop('immediate');
open my $fh, '>', $file or die;
print $fh $old_file;
close $fh;
open $fh, '>', "$file.staged" or die;
print $fh "left over";
close $fh;
my $log_offset = -s $node->logfile;
$node->start;
ok($node->wait_for_log(qr/sgbackup scheduler started/, $log_offset), 'the scheduler starts');
ok(wait_until_agrees(), 'after the restart the file agrees with the table again');
ok(!-e "$file.staged", '... and the leftover staged file is gone');
is(archived_to(switch_wal()), 'a', '... and what the table shows is in force');

# --- a superuser's DELETE removes the file at commit --------------------------------------
$node->safe_psql('postgres', q{DELETE FROM sgbackup.object_storage WHERE name = 'store'});
ok(!-e $file, 'DELETE of the row removes its file at commit');
my $seg = switch_wal();
ok(wait_for_query($node, q{SELECT last_failure ~ 'object storage "store" is not defined' FROM sgbackup.archiver}, 't', 60),
	'then archiving says the storage is not defined');
ok(-e $node->data_dir . "/pg_wal/archive_status/$seg.ready", '... and the WAL stays in pg_wal');
$node->safe_psql('postgres', "SELECT sgbackup_apply(\$y\$$a->{yaml}\$y\$)");
is(archived_to($seg), 'a', 'applied again, the waiting segment is archived');

$node->stop;
aws($s3, 's3', 'rm', '--recursive', '--quiet', "s3://$s3->{bucket}/$prefix/");
done_testing();
