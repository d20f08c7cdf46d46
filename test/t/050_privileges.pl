# 050_privileges.pl - who may do what: every function, view and table of the
# extension tried by a superuser, a member of sgbackup_operator, a member of
# pg_monitor and a plain role, against the RADOS Gateway.
#
# Only superusers apply configuration (an operator applying an SGCluster
# could redirect WAL and backups elsewhere); operators start, delete and
# retain backups and read the views; pg_monitor members read the views;
# nothing is executable or readable by PUBLIC.  The matrix is printed.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::RealBin/../perl";
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use SgTest;
use Test::More;

my $s3 = s3_env();
my $prefix = unique_prefix('privileges');
my $tmp = PostgreSQL::Test::Utils::tempdir;
my $st = gateway_storage($s3, 'backups', $prefix, $tmp);
my $yaml = $st->{yaml};
my $other = storage_yaml(
	name => 'elsewhere',
	bucket => "$s3->{bucket}/$prefix-elsewhere",
	endpoint => $s3->{http},
	region => $s3->{region},
	secret => 'creds');
my $cluster = <<'EOT';
apiVersion: stackgres.io/v1
kind: SGCluster
metadata:
  name: redirect
spec:
  configurations:
    backups:
    - sgObjectStorage: elsewhere
      path: stolen
EOT

my $node = archiving_node('privileges', $st);
$node->safe_psql('postgres', q{
CREATE ROLE op LOGIN IN ROLE sgbackup_operator;
CREATE ROLE mon LOGIN IN ROLE pg_monitor;
CREATE ROLE plain LOGIN;
});
$node->safe_psql('postgres', "SELECT sgbackup_apply(\$y\$$other\$y\$)");

# --- nothing is PUBLIC's --------------------------------------------------------
my $members = q{
	FROM pg_depend d JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'sgbackup'
	WHERE d.deptype = 'e'};
is($node->safe_psql('postgres', qq{
	SELECT string_agg(p.oid::regprocedure::text, ', ') FROM pg_proc p
	WHERE p.oid IN (SELECT d.objid $members AND d.classid = 'pg_proc'::regclass)
	AND has_function_privilege('public', p.oid, 'EXECUTE')}), '',
	'no function of the extension is executable by PUBLIC');
is($node->safe_psql('postgres', qq{
	SELECT string_agg(c.oid::regclass::text, ', ') FROM pg_class c
	WHERE c.oid IN (SELECT d.objid $members AND d.classid = 'pg_class'::regclass)
	AND has_table_privilege('public', c.oid, 'SELECT')}), '',
	'no table or view of the extension is readable by PUBLIC');

# --- the matrix --------------------------------------------------------------------
my @roles = ('superuser', 'op', 'mon', 'plain');
my @calls = (
	[ 'sgbackup_apply(SGObjectStorage)', "SELECT sgbackup_apply(\$y\$$yaml\$y\$)",
		[qw(ok denied denied denied)] ],
	[ 'sgbackup_apply(SGCluster)', "SELECT sgbackup_apply(\$y\$$cluster\$y\$)",
		[qw(ok denied denied denied)] ],
	[ 'sgbackup_start(wait)', 'SELECT sgbackup_start(wait => true)',
		[qw(ok ok denied denied)] ],
	[ 'sgbackup_apply_retention()', 'SELECT count(*) FROM sgbackup_apply_retention()',
		[qw(ok ok denied denied)] ],
	[ 'sgbackup_delete(name)', q{SELECT sgbackup_delete('backup-that-is-not-there')},
		[qw(missing missing denied denied)] ],
	[ 'sgbackup_verify(name)', q{SELECT count(*) FROM sgbackup_verify('backup-that-is-not-there')},
		[qw(missing missing denied denied)] ],
	[ 'sgbackup.archiver (view)', 'SELECT count(*) FROM sgbackup.archiver',
		[qw(ok ok ok denied)] ],
	[ 'sgbackup.archiver_status()', 'SELECT count(*) FROM sgbackup.archiver_status()',
		[qw(ok ok ok denied)] ],
	[ 'sgbackup.backups (view)', 'SELECT count(*) FROM sgbackup.backups',
		[qw(ok ok ok denied)] ],
	[ 'sgbackup.backups_list()', 'SELECT count(*) FROM sgbackup.backups_list()',
		[qw(ok ok ok denied)] ],
	[ 'sgbackup.object_storage (table)', 'SELECT count(*) FROM sgbackup.object_storage',
		[qw(ok denied denied denied)] ],
	[ 'sgbackup.cluster_backups (table)', 'SELECT count(*) FROM sgbackup.cluster_backups',
		[qw(ok denied denied denied)] ]);

sub try_as
{
	my ($role, $sql) = @_;
	my @user = $role eq 'superuser' ? () : ('-U', $role);
	my ($ret, $out, $err) = $node->psql('postgres', $sql, extra_params => \@user);
	return 'ok' if $ret == 0;
	return 'denied' if $err =~ /permission denied/;
	return 'missing' if $err =~ /backup "[^"]+" does not exist/;
	return "error: $err";
}

my @table = (sprintf('%-34s %s', 'call', join(' ', map { sprintf('%-9s', $_) } @roles)));
for my $call (@calls)
{
	my ($what, $sql, $expected) = @$call;
	my @got;
	for my $i (0 .. $#roles)
	{
		my $outcome = try_as($roles[$i], $sql);
		push @got, $outcome;
		is($outcome, $expected->[$i], "$what as $roles[$i]: $expected->[$i]");
	}
	push @table, sprintf('%-34s %s', $what, join(' ', map { sprintf('%-9s', $_ =~ /^error/ ? 'ERROR' : $_) } @got));
}
note($_) for @table;

# --- an operator cannot redirect WAL: the storage in force did not move -------------
my ($ret, $out, $err) = $node->psql('postgres', "SELECT sgbackup_apply(\$y\$$cluster\$y\$)",
	extra_params => [ '-U', 'op' ]);
like($err, qr/permission denied to apply sgbackup configuration/,
	'an operator applying an SGCluster is refused with a message that says so');
like($err, qr/Only superusers may apply configuration/, '... and why');
# a GRANT cannot widen it: the C function checks too
$node->safe_psql('postgres', 'GRANT EXECUTE ON FUNCTION sgbackup_apply(text) TO op');
($ret, $out, $err) = $node->psql('postgres', "SELECT sgbackup_apply(\$y\$$cluster\$y\$)",
	extra_params => [ '-U', 'op' ]);
like($err, qr/permission denied to apply sgbackup configuration/,
	'even with EXECUTE granted, an operator cannot apply configuration');
$node->safe_psql('postgres', 'GRANT EXECUTE ON FUNCTION sgbackup.archiver_status() TO plain');
($ret, $out, $err) = $node->psql('postgres', 'SELECT * FROM sgbackup.archiver_status()',
	extra_params => [ '-U', 'plain' ]);
like($err, qr/permission denied to read sgbackup.archiver/,
	'even with EXECUTE granted, a plain role cannot read the archiver state');

$node->stop;
aws($s3, 's3', 'rm', '--recursive', '--quiet', "s3://$s3->{bucket}/$_/")
  for ($prefix, "$prefix-elsewhere");
done_testing();
