# 060_guide_policy.pl - everything sgbackup does works with the IAM policy the
# StackGres guide gives its backup user ("AWS S3" backup set-up: s3:ListBucket
# and s3:GetBucketLocation on the bucket, s3:PutObject, s3:GetObject and
# s3:DeleteObject on its objects), against the RADOS Gateway, which enforces
# user policies.
#
# With a gateway user holding exactly that policy: WAL is archived, backups
# are taken and listed, wal-fetch works, retention deletes backups and WAL
# (the gateway refuses the batch DeleteObjects under that policy, so single
# deletes are used) and they are really gone, sgbackup_delete works, and a
# backup that finds a dead backup's unfinished upload completes, warning that
# s3:ListBucketMultipartUploads is not granted.  With a user whose policy
# lacks s3:PutObject, archiving fails and sgbackup.archiver names s3:PutObject
# and the object.  The gateway's access log shows which S3 requests each
# operation made; they are printed as notes.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::RealBin/../perl";
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use SgTest;
use Test::More;

my $s3 = s3_env();
my $bucket = $s3->{bucket};
my $prefix = unique_prefix('guide');
my $tmp = PostgreSQL::Test::Utils::tempdir;
my $secrets = "$tmp/secrets";
my $rgw_dir = $ENV{SG_TEST_RGW_DIR} || '/tmp/sgbackup-rgw';
my $rgw = "$FindBin::RealBin/../../scripts/rgw.sh";
my $gateway_log = "$rgw_dir/log/client.rgw.log";

# ---- gateway users holding only a policy ------------------------------------

# the guide's policy, with object actions @actions (the guide's three by default)
sub policy
{
	my (@actions) = @_;
	@actions = qw(s3:PutObject s3:GetObject s3:DeleteObject) unless @actions;
	my $list = join(', ', map { qq{"$_"} } @actions);
	return <<"EOT";
{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Action": [ "s3:ListBucket", "s3:GetBucketLocation" ],
      "Resource": [ "arn:aws:s3:::$bucket" ]
    },
    {
      "Effect": "Allow",
      "Action": [ $list ],
      "Resource": [ "arn:aws:s3:::$bucket/*" ]
    }
  ]
}
EOT
}

my @users;

sub make_user
{
	my ($name, $policy) = @_;
	my %u = (
		uid => "tap-$name-$$",
		access_key => uc("TAP$name$$"),
		secret_key => "tap/$name/secret/$$/" . time);
	open my $fh, '>', "$tmp/$name.json" or die;
	print $fh $policy;
	close $fh;
	my $rc = system('bash', $rgw, 'policy-user', $u{uid}, $u{access_key},
		$u{secret_key}, "$tmp/$name.json", $rgw_dir);
	push @users, $u{uid} if $rc == 0;
	return $rc == 0 ? \%u : undef;
}

# whatever happens (a failed safe_psql dies): no user, upload or object is left
sub clean_up
{
	my ($rc, $out) = aws($s3, 's3api', 'list-multipart-uploads', '--bucket', $bucket,
		'--prefix', "$prefix/", '--query', 'Uploads[].[Key, UploadId]', '--output', 'text');
	for (grep { /\t/ } split /\n/, $out // '')
	{
		my ($key, $id) = split /\t/;
		aws($s3, 's3api', 'abort-multipart-upload', '--bucket', $bucket, '--key', $key,
			'--upload-id', $id);
	}
	aws($s3, 's3', 'rm', '--recursive', '--quiet', "s3://$bucket/$prefix/");
	system('bash', $rgw, 'remove-user', $_, $rgw_dir) for @users;
	@users = ();
	return;
}
END
{
	local $?;
	clean_up() if @users;
}

my $guide = make_user('guide', policy());
ok($guide, "gateway user with exactly the StackGres guide's policy");
my $noput = make_user('noput', policy(qw(s3:GetObject s3:DeleteObject)));
ok($noput, 'gateway user with the same policy but s3:PutObject');
if (!$guide || !$noput)
{
	done_testing();
	exit;
}

# ---- what the gateway logged ------------------------------------------------

# the S3 operation of a logged request line (path style: /bucket/key?query)
sub operation
{
	my ($method, $target) = @_;
	my ($path, $query) = split /\?/, $target, 2;
	$query //= '';
	my $object = $path =~ m{^/[^/]+/.};
	return 'CreateMultipartUpload' if $method eq 'POST' && $query =~ /^uploads/;
	return 'CompleteMultipartUpload' if $method eq 'POST' && $query =~ /uploadId=/;
	return 'DeleteObjects' if $method eq 'POST' && $query =~ /^delete/;
	return 'UploadPart' if $method eq 'PUT' && $query =~ /partNumber=/;
	return 'PutObject' if $method eq 'PUT';
	return 'AbortMultipartUpload' if $method eq 'DELETE' && $query =~ /uploadId=/;
	return 'DeleteObject' if $method eq 'DELETE';
	return 'ListMultipartUploads' if $method eq 'GET' && $query =~ /(^|&)uploads/;
	return 'ListObjectsV2' if $method eq 'GET' && $query =~ /list-type=2/;
	return 'GetBucketLocation' if $method eq 'GET' && $query =~ /(^|&)location/;
	return $object ? 'GetObject' : 'ListObjects' if $method eq 'GET';
	return $object ? 'HeadObject' : 'HeadBucket' if $method eq 'HEAD';
	return "$method $path";
}

# the gateway's access log lines of user uid from byte offset on
sub log_lines
{
	my ($uid, $offset) = @_;
	open my $fh, '<', $gateway_log or die "$gateway_log: $!";
	seek $fh, $offset, 0;
	my @lines = grep { / - \Q$uid\E \[/ } <$fh>;
	close $fh;
	return @lines;
}

# wait until the gateway has logged an upload of a marker object by user u
# (it writes its log a little later), so the log holds all that came before
my $marks = 0;
sub flush_gateway_log
{
	my ($u, $offset) = @_;
	my $mark = "$prefix/mark-" . ++$marks;
	aws({ %$s3, access_key => $u->{access_key}, secret_key => $u->{secret_key} },
		's3api', 'put-object', '--bucket', $bucket, '--key', $mark);
	for (1 .. 300)
	{
		return 1 if grep { /\Q$mark\E / } log_lines($u->{uid}, $offset);
		select(undef, undef, undef, 0.1);
	}
	diag("the gateway did not log $mark within 30 s");
	return 0;
}

# the S3 requests of user u since offset, as "Operation status" => count
sub requests_since
{
	my ($u, $offset) = @_;
	my %count;
	flush_gateway_log($u, $offset);
	for (log_lines($u->{uid}, $offset))
	{
		next if /\/mark-\d+ /;
		next unless /"(\w+) (\S+) HTTP[^"]*" (\d+)/;
		$count{ operation($1, $2) . " $3" }++;
	}
	return \%count;
}

sub show_requests
{
	my ($what, $count) = @_;
	note("S3 requests of $what: "
		  . join(', ', map { "$_ x$count->{$_}" } sort keys %$count));
	return;
}

# ---- servers archiving with those users -----------------------------------------

my %cli_env = (SGBACKUP_SECRETS_DIRECTORY => $secrets);

# A server archiving to storage "name" under bucket path "path" with user u's
# keys (its SGObjectStorage also in $tmp/<name>.yaml, for the program)
sub node_with_user
{
	my ($name, $path, $u, $conf) = @_;
	write_secrets($secrets, "$name-creds",
		accessKeyId => $u->{access_key},
		secretAccessKey => $u->{secret_key});
	my $yaml = storage_yaml(
		name => $name,
		bucket => $path,
		endpoint => $s3->{http},
		region => $s3->{region},
		secret => "$name-creds");
	open my $fh, '>', "$tmp/$name.yaml" or die;
	print $fh $yaml;
	close $fh;
	my $n = PostgreSQL::Test::Cluster->new($name);
	$n->init(allows_streaming => 1);
	$n->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'sgbackup'
archive_mode = on
archive_library = 'sgbackup'
sgbackup.secrets_directory = '$secrets'
sgbackup.object_storage = '$name'
$conf
});
	$n->start;
	$n->safe_psql('postgres', 'CREATE EXTENSION sgbackup');
	$n->safe_psql('postgres', "SELECT sgbackup_apply(\$y\$$yaml\$y\$)");
	return $n;
}

my $node = node_with_user('guide', "$bucket/$prefix", $guide, 'sgbackup.retention = 1');

sub objects_under
{
	my ($dir) = @_;
	my ($rc, $out) = aws($s3, 's3', 'ls', '--recursive', "s3://$bucket/$prefix/$dir");
	return map { (split ' ', $_, 4)[3] } grep { /\S/ } split /\n/, $out;
}

# --- wal-push -----------------------------------------------------------------
my $offset = -s $gateway_log;
next_wal($node);
next_wal($node);
ok(wait_for_query($node, 'SELECT backlog FROM sgbackup.archiver', '0'),
	"the guide's policy archives WAL");
is($node->safe_psql('postgres', 'SELECT last_failure IS NULL FROM sgbackup.archiver'), 't',
	'... without a failure');
show_requests('WAL archiving', requests_since($guide, $offset));

# --- backups ------------------------------------------------------------------
my @names;
$offset = -s $gateway_log;
for (1 .. 3)
{
	next_wal($node);
	push @names, $node->safe_psql('postgres', 'SELECT sgbackup_start(wait => true)');
}
is($node->safe_psql('postgres',
	q{SELECT string_agg(status, ' ' ORDER BY start_lsn) FROM sgbackup.backups}),
	'completed completed completed', "the guide's policy takes three backups");
show_requests('three backups (with their WAL archiving)', requests_since($guide, $offset));

# --- listing, wal-fetch -------------------------------------------------------
$offset = -s $gateway_log;
my ($rc, $out, $err) = run_sgbackup(\%cli_env, '--config', "$tmp/guide.yaml",
	'backup-list', '--json');
is($rc, 0, 'sgbackup backup-list works') or diag($err);
is(scalar(() = $out =~ /"name":\s*"backup-/g), 3, '... and lists the three backups');
show_requests('backup-list', requests_since($guide, $offset));

my $start_wal = $node->safe_psql('postgres',
	"SELECT start_wal FROM sgbackup.backups WHERE name = '$names[2]'");
$offset = -s $gateway_log;
($rc, $out, $err) = run_sgbackup(\%cli_env, '--config', "$tmp/guide.yaml",
	'wal-fetch', $start_wal, "$tmp/$start_wal");
is($rc, 0, 'sgbackup wal-fetch works') or diag($err);
is(-s "$tmp/$start_wal", 16 * 1024 * 1024, '... and writes the whole segment');
show_requests('wal-fetch', requests_since($guide, $offset));

# --- retention: the batch delete is refused, single deletes are used -----------
my @wal_before = grep { /^wal\/[0-9A-F]{24}$/ } map { s/^\Q$prefix\E\///r } objects_under('wal/');
$offset = -s $gateway_log;
my ($ret, $deleted, $stderr) = $node->psql('postgres',
	q{SELECT string_agg(name, ' ' ORDER BY name) FROM sgbackup_apply_retention() WHERE kind = 'backup'});
is($ret, 0, "retention works with the guide's policy") or diag($stderr);
is($deleted, "$names[0] $names[1]", 'retention 1 deletes the two older backups');
my $requests = requests_since($guide, $offset);
show_requests('retention', $requests);
ok($requests->{'DeleteObjects 403'}, 'the gateway refused the batch delete (DeleteObjects 403)');
is_deeply([ objects_under("backups/$names[0]/"), objects_under("backups/$names[1]/") ], [],
	'the deleted backups have no object left');
is($node->safe_psql('postgres', q{SELECT string_agg(name, ' ') FROM sgbackup.backups}),
	$names[2], 'the newest backup is still listed');
my %wal_after = map { s/^\Q$prefix\E\///r => 1 } objects_under('wal/');
my @older = grep { substr($_, 4) lt $start_wal } @wal_before;
my @newer = grep { substr($_, 4) ge $start_wal } @wal_before;
ok(@older > 0, scalar(@older) . ' WAL segments were older than the kept backup');
# each deleted backup's metadata.json is deleted alone anyway: the old WAL
# segments need single deletes of their own
my $singles = $requests->{'DeleteObject 204'} // 0;
ok($singles >= @older + 2,
	"... and sgbackup deleted the objects one by one ($singles single deletes)");
is_deeply([ grep { $wal_after{$_} } @older ], [], '... they are gone');
is_deeply([ grep { !$wal_after{$_} } @newer ], [], 'the WAL from the kept backup on is all there');

# --- sgbackup_delete -------------------------------------------------------------
next_wal($node);
push @names, $node->safe_psql('postgres', 'SELECT sgbackup_start(wait => true)');
$offset = -s $gateway_log;
($ret, $out, $stderr) = $node->psql('postgres', "SELECT sgbackup_delete('$names[2]')");
is($out, 't', "sgbackup_delete works with the guide's policy") or diag($stderr);
show_requests('sgbackup_delete', requests_since($guide, $offset));
is_deeply([ objects_under("backups/$names[2]/") ], [], '... and leaves no object of that backup');
is($node->safe_psql('postgres', q{SELECT string_agg(name, ' ') FROM sgbackup.backups}),
	$names[3], 'the other backup is still listed');

# --- a dead backup's unfinished upload ------------------------------------------
my $dead_key = "$prefix/backups/backup-20000101-000000-000/base.tar.zst";
($rc, $out) = aws($s3, 's3api', 'create-multipart-upload', '--bucket', $bucket, '--key', $dead_key);
my ($dead_id) = $out =~ /"UploadId":\s*"([^"]+)"/;
ok($dead_id, 'an unfinished multipart upload, as a killed backup leaves');
next_wal($node);
my $log_offset = -s $node->logfile;
$offset = -s $gateway_log;
my $next = $node->safe_psql('postgres', 'SELECT sgbackup_start(wait => true)');
is($node->safe_psql('postgres', "SELECT status FROM sgbackup.backups WHERE name = '$next'"),
	'completed', 'a backup that finds it completes');
$requests = requests_since($guide, $offset);
show_requests('a backup finding an unfinished upload', $requests);
ok($requests->{'ListMultipartUploads 403'}, 'the gateway refused the listing of uploads');
like(substr(slurp($node->logfile), $log_offset),
	qr/WARNING:.*permission denied for s3:ListBucketMultipartUploads on arn:aws:s3:::\Q$bucket\E/,
	'the server log warns naming s3:ListBucketMultipartUploads and the bucket');
($rc, $out) = aws($s3, 's3api', 'list-multipart-uploads', '--bucket', $bucket,
	'--prefix', "$prefix/");
like($out, qr/\Q$dead_id\E/, 'the unfinished upload is left to the bucket lifecycle rule');

# --- without s3:PutObject: the archiver says what is missing ----------------------
my $other = node_with_user('noput', "$bucket/$prefix/noput", $noput, '');
$log_offset = -s $other->logfile;
$other->safe_psql('postgres', 'SELECT pg_switch_wal()');
ok(wait_for_query($other, 'SELECT last_failure IS NOT NULL FROM sgbackup.archiver', 't', 60),
	'without s3:PutObject archiving fails');
my $failure = $other->safe_psql('postgres', 'SELECT last_failure FROM sgbackup.archiver');
like($failure,
	qr{permission denied for s3:PutObject on arn:aws:s3:::\Q$bucket/$prefix\E/noput/wal/\S+},
	"sgbackup.archiver.last_failure names s3:PutObject and the object: $failure");
unlike($failure, qr/refused the credentials/, '... and does not blame the credentials');
like(substr(slurp($other->logfile), $log_offset),
	qr/HINT:.*Allow "s3:PutObject" on "arn:aws:s3:::\Q$bucket\E\/\*"/,
	'the server log says which policy statement to add');

# a segment the archiver could not store, pushed by the program
my ($waiting) = sort grep { s/\.ready$// && /^[0-9A-F]{24}$/ }
  map { s{.*/}{}r } glob($other->data_dir . '/pg_wal/archive_status/*.ready');
ok($waiting, "segment $waiting waits in pg_wal");
($rc, $out, $err) = run_sgbackup(\%cli_env, '--config', "$tmp/noput.yaml",
	'wal-push', $other->data_dir . "/pg_wal/$waiting");
isnt($rc, 0, 'sgbackup wal-push without s3:PutObject fails');
like($err, qr/permission denied for s3:PutObject on arn:aws:s3:::\Q$bucket\E/,
	'... naming s3:PutObject');
my $view = $other->safe_psql('postgres', 'SELECT * FROM sgbackup.archiver');
unlike("$view $err", qr/\Q$noput->{secret_key}\E|\Q$guide->{secret_key}\E/, 'no secret is shown');
$other->stop('immediate');

$node->stop;
clean_up();
done_testing();
