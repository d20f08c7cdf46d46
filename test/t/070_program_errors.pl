# 070_program_errors.pl - the sgbackup program reports a bad --config file
# as well as sgbackup_apply reports the same document in SQL: the same
# message, the same detail (which names the field's line) followed by the
# file's name, and the same hint.  Also what only a file can hold: bytes
# that are not UTF-8.  No object storage is reached: configuration fails
# first.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::RealBin/../perl";
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use SgTest;
use Test::More;

my $tmp = PostgreSQL::Test::Utils::tempdir;

my $node = PostgreSQL::Test::Cluster->new('program_errors');
$node->init;
$node->append_conf('postgresql.conf', "shared_preload_libraries = 'sgbackup'\n");
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION sgbackup');

my $storage = <<'EOF';
apiVersion: stackgres.io/v1beta1
kind: SGObjectStorage
metadata:
  name: st
spec:
  type: s3Compatible
  s3Compatible:
EOF

my %documents = (
	'unknown field' => $storage . "    bucktet: b\n",
	'bucket that leaves the bucket' =>
	  $storage . "    bucket: b/../other\n    endpoint: http://h:9000\n",
	'StackGres example cronSchedule' => $storage . "    bucket: b\n" . <<'EOF',
---
apiVersion: stackgres.io/v1
kind: SGCluster
metadata:
  name: c
spec:
  configurations:
    backups:
    - sgObjectStorage: st
      cronSchedule: '0 5 0 0 0'
EOF
	'nested too deeply' => $storage . "    bucket: b\n    region: "
	  . ('[' x 40) . (']' x 40) . "\n",);

# (message, detail, hint) of an error report, from SQL or the program
sub report_parts
{
	my ($text, $error, $detail, $hint) = @_;
	my %p;
	$p{msg} = $1 if $text =~ /$error\s*(.*)$/m;
	$p{detail} = $1 if $text =~ /^$detail\s*(.*)$/m;
	$p{hint} = $1 if $text =~ /^$hint\s*(.*)$/m;
	return \%p;
}

sub program_report
{
	my ($name, $yaml) = @_;
	(my $file = "$tmp/$name.yaml") =~ s/ /-/g;
	open my $fh, '>:raw', $file or die "$file: $!";
	print $fh $yaml;
	close $fh;
	my ($rc, $out, $err) = run_sgbackup({}, '--config', $file, 'backup-list');
	note("program: $err");
	return ($rc, $file,
		report_parts($err, 'sgbackup: error:', 'DETAIL:', 'HINT:'));
}

for my $name (sort keys %documents)
{
	my $yaml = $documents{$name};
	my ($ret, $out, $sql_err) =
	  $node->psql('postgres', "SELECT sgbackup_apply(\$y\$$yaml\$y\$)");
	note("SQL: $sql_err");
	my $sql = report_parts($sql_err, 'ERROR:', 'DETAIL:', 'HINT:');
	my ($rc, $file, $prog) = program_report($name, $yaml);

	ok($ret != 0 && defined $sql->{msg}, "$name: SQL refuses it");
	ok($rc != 0, "$name: the program fails");
	is($prog->{msg}, $sql->{msg}, "$name: the same message");
	like($sql->{detail} // '', qr/line \d+/, "$name: SQL's detail names the line");
	is($prog->{detail}, ($sql->{detail} // '') . qq{ In configuration file "$file".},
		"$name: the program's detail is SQL's and the file");
	is($prog->{hint}, $sql->{hint}, "$name: the same hint");
}

# bytes that are not UTF-8 (a SQL text cannot hold them)
my ($rc, $file, $prog) =
  program_report('not utf8', $storage . "    bucket: \"b/caf\xe9\"\n");
ok($rc != 0, 'a file with a Latin-1 byte: the program fails');
is($prog->{msg}, 'invalid value for "spec.s3Compatible.bucket"',
	'  the message names the field');
like($prog->{detail}, qr/^The value at line 8 holds byte 0xE9, .* In configuration file "\Q$file\E"\.$/,
	'  the detail names the line, the byte and the file');

$node->stop;
done_testing();
