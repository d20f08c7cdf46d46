# SgTest.pm - helpers shared by sgbackup's TAP tests: the S3 gateway the test
# run started (scripts/rgw.sh writes its settings to the environment),
# secret files, awscli, and waiting for the archiver.
package SgTest;

use strict;
use warnings;
use Exporter 'import';
use File::Path qw(make_path);
use FindBin;
use IO::Socket::INET;
use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

our @EXPORT = qw(s3_env write_secrets storage_yaml aws wait_for_query
  run_sgbackup slurp unique_prefix tcp_proxy_start tcp_proxy_stop
  restore_backup gateway_storage archiving_node sgbackup_node
  wait_for_streaming multipart_uploads wait_for_multipart next_wal
  wait_for_postmaster_exit);

# what the tests themselves run: missing, it is a failure of the test run
# (scripts/install-deps.sh installs the tools), never a reason to skip
my $AWS = '/usr/bin/aws';
my $TCP_PROXY = "$FindBin::RealBin/../tcp_proxy.py";

# the gateway's settings, or skip the whole test file
sub s3_env
{
	plan skip_all => 'no S3 gateway (run scripts/test.sh)'
	  unless $ENV{SG_TEST_S3_HTTPS};
	return {
		http => $ENV{SG_TEST_S3_HTTP},
		https => $ENV{SG_TEST_S3_HTTPS},
		ca_file => $ENV{SG_TEST_S3_CA_FILE},
		bucket => $ENV{SG_TEST_S3_BUCKET},
		access_key => $ENV{SG_TEST_S3_ACCESS_KEY},
		secret_key => $ENV{SG_TEST_S3_SECRET_KEY},
		region => $ENV{SG_TEST_S3_REGION} || 'us-east-1',
	};
}

# a prefix no other test or run uses
sub unique_prefix
{
	my ($name) = @_;
	return sprintf('tap-%s-%d-%d', $name, time, $$);
}

# write <dir>/<name>/<key> files the way Kubernetes mounts a Secret
sub write_secrets
{
	my ($dir, $name, %files) = @_;
	make_path("$dir/$name");
	while (my ($key, $value) = each %files)
	{
		open my $fh, '>', "$dir/$name/$key" or die "$dir/$name/$key: $!";
		print $fh $value;
		close $fh;
	}
	return;
}

# an SGObjectStorage for the gateway, with secret key selectors
sub storage_yaml
{
	my (%o) = @_;
	my $ca = $o{ca_key}
	  ? "\n        caCertificate:\n          name: $o{secret}\n          key: $o{ca_key}"
	  : '';
	return <<"EOT";
apiVersion: stackgres.io/v1beta1
kind: SGObjectStorage
metadata:
  name: $o{name}
spec:
  type: s3Compatible
  s3Compatible:
    bucket: $o{bucket}
    enablePathStyleAddressing: true
    endpoint: $o{endpoint}
    region: $o{region}
    awsCredentials:
      secretKeySelectors:
        accessKeyId:
          name: $o{secret}
          key: accessKeyId
        secretAccessKey:
          name: $o{secret}
          key: secretAccessKey$ca
EOT
}

# run Debian's awscli against the gateway; returns (exit code, stdout)
sub aws
{
	my ($s3, @args) = @_;
	local $ENV{AWS_ACCESS_KEY_ID} = $s3->{access_key};
	local $ENV{AWS_SECRET_ACCESS_KEY} = $s3->{secret_key};
	local $ENV{AWS_DEFAULT_REGION} = $s3->{region};
	local $ENV{AWS_REQUEST_CHECKSUM_CALCULATION} = 'when_required';
	local $ENV{AWS_CONFIG_FILE} = '/dev/null';
	my ($out, $err);
	die "awscli ($AWS) is missing: scripts/install-deps.sh installs it\n" unless -x $AWS;
	IPC::Run::run([ $AWS, '--endpoint-url', $s3->{http}, @args ],
		'>', \$out, '2>', \$err);
	note("aws @args: $err") if $? != 0 && $err ne "";
	return ($? >> 8, $out);
}

# run the sgbackup program; returns (exit code, stdout, stderr)
sub run_sgbackup
{
	my ($env, @args) = @_;
	local %ENV = (%ENV, %$env);
	my ($out, $err);
	IPC::Run::run([ 'sgbackup', @args ], '>', \$out, '2>', \$err);
	return ($? >> 8, $out, $err);
}

# poll a query until it returns the expected value (default 180 s)
sub wait_for_query
{
	my ($node, $query, $expected, $seconds) = @_;
	$seconds ||= 180;
	for (1 .. $seconds * 5)
	{
		my $got = $node->safe_psql('postgres', $query);
		return 1 if $got eq $expected;
		select(undef, undef, undef, 0.2);
	}
	diag("timed out waiting for [$query] = [$expected]: got ["
		  . $node->safe_psql('postgres', $query) . "]");
	return 0;
}

# a TCP proxy from 127.0.0.1:LISTEN to the gateway's port TARGET: tests stop it
# to make object storage unreachable and start it again on the same port.
# @options go to test/tcp_proxy.py: --cut-on REGEX or --cut-after-bytes N make
# it cut every connection at that point of the traffic ("cut: ..." in LOG)
sub tcp_proxy_start
{
	my ($listen, $target, $log, @options) = @_;
	die "$TCP_PROXY is missing\n" unless -e $TCP_PROXY;
	my $proxy = IPC::Run::start(
		[ 'python3', $TCP_PROXY, $listen, $target, @options ],
		'>', '/dev/null', '2>', $log);
	for (1 .. 100)
	{
		return $proxy if IO::Socket::INET->new(PeerAddr => "127.0.0.1:$listen");
		select(undef, undef, undef, 0.1);
	}
	die "$TCP_PROXY did not listen on 127.0.0.1:$listen within 10 s (see $log)\n";
}

sub tcp_proxy_stop
{
	my ($proxy) = @_;
	$proxy->kill_kill;
	$proxy->finish;
	return;
}

sub slurp
{
	my ($path) = @_;
	open my $fh, '<:raw', $path or die "$path: $!";
	local $/;
	my $data = <$fh>;
	close $fh;
	return $data;
}

# Restore backup NAME into NODE (made with PostgreSQL::Test::Cluster->new,
# not initialised) with `sgbackup restore`: from the object storage of %o
# config (its SGObjectStorage file) and secrets (its secrets directory), or
# from the local repository %o repository.  %o args: more arguments of the
# restore (a target); conf: more recovery settings, appended to
# postgresql.auto.conf after those sgbackup writes, so that a target given
# there wins.  The node gets its own port and socket directory; it keeps
# the postgresql.conf of the server the backup came from, so it archives to
# the same path unless conf says otherwise.  $s3 and $path are not used
# (the configuration says where the backup is).
sub restore_backup
{
	my ($s3, $path, $name, $node, %o) = @_;
	my @where = $o{repository} ? ('--repository', $o{repository}) : ('--config', $o{config});
	my %env = $o{secrets} ? (SGBACKUP_SECRETS_DIRECTORY => $o{secrets}) : ();
	my ($rc, $out, $err) = run_sgbackup(\%env, @where, 'restore', @{ $o{args} // [] },
		$name, $node->data_dir);
	die "sgbackup restore $name failed (exit $rc): $err" if $rc != 0;
	my $host = $node->host;
	my $port = $node->port;
	$node->append_conf('postgresql.conf', qq{
port = $port
unix_socket_directories = '$host'
});
	$node->append_conf('postgresql.auto.conf', $o{conf}) if $o{conf};
	return;
}

# An SGObjectStorage NAME for the gateway under the bucket path
# <bucket>/PREFIX, its credentials written as a Secret into DIR/secrets.
# Returns { name, yaml (the document), config (DIR/NAME.yaml, holding it),
# secrets (the secrets directory) }.
sub gateway_storage
{
	my ($s3, $name, $prefix, $dir) = @_;
	my %st = (name => $name, config => "$dir/$name.yaml", secrets => "$dir/secrets");
	write_secrets($st{secrets}, 'creds',
		accessKeyId => $s3->{access_key},
		secretAccessKey => $s3->{secret_key});
	$st{yaml} = storage_yaml(
		name => $name,
		bucket => "$s3->{bucket}/$prefix",
		endpoint => $s3->{http},
		region => $s3->{region},
		secret => 'creds');
	open my $fh, '>', $st{config} or die "$st{config}: $!";
	print $fh $st{yaml};
	close $fh;
	return \%st;
}

# A new server (PostgreSQL::Test::Cluster NAME, initialised, not started)
# that loads sgbackup and archives with it; CONF: more postgresql.conf lines
sub sgbackup_node
{
	my ($name, $conf) = @_;
	my $node = PostgreSQL::Test::Cluster->new($name);
	$node->init(allows_streaming => 1);
	$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'sgbackup'
archive_mode = on
archive_library = 'sgbackup'
} . ($conf // ''));
	return $node;
}

# A started server (PostgreSQL::Test::Cluster NAME) archiving with sgbackup
# to the object storage ST of gateway_storage, applied
sub archiving_node
{
	my ($name, $st) = @_;
	my $node = sgbackup_node($name, qq{sgbackup.secrets_directory = '$st->{secrets}'
sgbackup.object_storage = '$st->{name}'
});
	$node->start;
	$node->safe_psql('postgres', 'CREATE EXTENSION sgbackup');
	$node->safe_psql('postgres', "SELECT sgbackup_apply(\$y\$$st->{yaml}\$y\$)");
	return $node;
}

# write a row and switch NODE to a new WAL segment; returns the name of the
# segment it ended (the next one the archiver gets)
sub next_wal
{
	my ($node) = @_;
	$node->safe_psql('postgres',
		'CREATE TABLE IF NOT EXISTS sgtest_wal (i int); INSERT INTO sgtest_wal VALUES (1)');
	return $node->safe_psql('postgres', 'SELECT pg_walfile_name(pg_switch_wal())');
}

# Wait up to SECONDS (default 120) for the postmaster of NODE to exit by
# itself (a FATAL in the startup process, say) and tell NODE it is stopped;
# false if it still runs
sub wait_for_postmaster_exit
{
	my ($node, $seconds) = @_;
	my $pidfile = $node->data_dir . '/postmaster.pid';
	my $until = time + ($seconds || 120);
	select(undef, undef, undef, 0.2) while -e $pidfile && time < $until;
	return 0 if -e $pidfile;
	$node->_update_pid(-1);
	return 1;
}

# The walsender's pid once a base backup of NODE streams database files;
# '' if none does within SECONDS (default 60)
sub wait_for_streaming
{
	my ($node, $seconds) = @_;
	my $until = time + ($seconds || 60);
	while (time < $until)
	{
		my $pid = $node->safe_psql('postgres',
			q{SELECT pid FROM pg_stat_progress_basebackup WHERE phase = 'streaming database files'});
		return $pid if $pid ne '';
		select(undef, undef, undef, 0.02);
	}
	return '';
}

# how many multipart uploads are open under the bucket path PATH
sub multipart_uploads
{
	my ($s3, $path) = @_;
	my ($rc, $list) = aws($s3, 's3api', 'list-multipart-uploads', '--bucket', $s3->{bucket},
		'--prefix', $path);
	return scalar(() = ($list // '') =~ /"UploadId"/g);
}

# wait up to SECONDS (default 120) until PATH has open multipart uploads
# (WANT true) or none (WANT false); false on timeout
sub wait_for_multipart
{
	my ($s3, $path, $want, $seconds) = @_;
	my $until = time + ($seconds || 120);
	while (time < $until)
	{
		my $n = multipart_uploads($s3, $path);
		return 1 if ($want ? $n > 0 : $n == 0);
		select(undef, undef, undef, 0.1);
	}
	return 0;
}

1;
