# Deterministic allocation-heavy Perl workload for prog_perl.
# Output must be byte-identical with and without LD_PRELOAD=libbastion.so:
# hash iteration order is randomised per process, so every hash walk sorts.
use strict;
use warnings;
use Digest::MD5 qw(md5_hex);

# Probe: is bastion mapped into this very process?
if (my $probe = $ENV{PROBE}) {
    open(my $m, '<', '/proc/self/maps') or die "maps: $!";
    my $maps = do { local $/; <$m> };
    close $m;
    open(my $p, '>', $probe) or die "probe: $!";
    print $p ($maps =~ /libbastion/ ? "loaded=1" : "loaded=0");
    close $p;
}

# Small deterministic PRNG (31-bit LCG, 30 output bits), independent of perl's rand().
my $seed = 12345;
sub step { $seed = ($seed * 1103515245 + 12345) % 2147483648; return int($seed / 65536); }
sub rnd { my $hi = step(); return ($hi * 32768 + step()) % $_[0]; }

sub cksum { return substr(md5_hex($_[0]), 0, 12); }

# Hashes: build, grow, delete, nested.
my %h;
for my $i (1 .. 150_000) {
    my $k = 'key' . rnd(60_000);
    $h{$k} .= chr(97 + $i % 26);
}
delete $h{$_} for grep { length($h{$_}) % 2 } sort keys %h;
my %nested;
for my $i (1 .. 20_000) {
    $nested{ 'g' . ($i % 97) }{"i$i"} = [ map { $_ * $i } 1 .. ($i % 9) ];
}
my $nsum = 0;
for my $g (sort keys %nested) {
    for my $k (sort keys %{ $nested{$g} }) {
        $nsum += $_ for @{ $nested{$g}{$k} };
    }
}
my @hk = sort keys %h;
printf "hashes: %d %s %s %d %d %s\n", scalar(@hk), $hk[0], $hk[-1], scalar(keys %nested),
    $nsum, cksum(join ',', map { "$_=$h{$_}" } @hk[0 .. 999]);

# Arrays: push/pop/shift/splice/sort.
my @a = map { rnd(1_000_000) } 1 .. 200_000;
my @sorted = sort { $a <=> $b } @a;
my @strs = sort map { sprintf('s%07d', $_) } @a[0 .. 49_999];
my @q;
for my $i (1 .. 100_000) {
    push @q, [ $i, "v$i" ];
    shift @q if $i % 3 == 0;
    splice(@q, rnd(scalar @q), 1) if $i % 7 == 0 && @q;
}
my @rev = reverse @sorted;
my @uniq = do { my %s; grep { !$s{$_}++ } @a };
my @multi = sort { $a->[1] <=> $b->[1] or $a->[0] cmp $b->[0] }
    map { [ "n$_", $a[$_] % 1000 ] } 0 .. 29_999;
printf "arrays: %d %d %d %s %s %d %d %d %s %s\n", $sorted[0], $sorted[-1], $rev[0], $strs[0],
    $strs[-1], scalar(@q), $q[0][0], scalar(@uniq), $multi[0][0], $multi[-1][0];

# Regexes: match, capture, substitute, split, tr.
my @lines;
for my $i (1 .. 40_000) {
    push @lines, sprintf('%04d-%02d-%02d %s user%d@host%d.example.org "%s /p/%d?x=%x" %d',
        2020 + $i % 5, 1 + $i % 12, 1 + $i % 28, ($i % 2 ? 'INFO' : 'WARN'),
        rnd(5000), $i % 53, ($i % 3 ? 'GET' : 'POST'), $i, $i * 7919, (200, 301, 404, 500)[ rnd(4) ]);
}
my $text = join "\n", @lines;
my (%status, %method, %user);
while ($text =~ /^(\d{4})-(\d\d)-(\d\d) (\w+) user(\d+)\@([\w.]+) "(GET|POST) (\S+)" (\d{3})$/mg) {
    $status{$9}++;
    $method{$7}++;
    $user{$5} = $1 + $2 + $3;
}
(my $subst = $text) =~ s/x=([0-9a-f]+)/'X=' . uc reverse $1/ge;
my $words = () = $text =~ /\b\w+\b/g;
my @fields = split /[\s\/?=@."]+/, $lines[777];
(my $tr = $lines[999]) =~ tr/a-z/A-Z/;
my $hits = 0;
for my $k (1 .. 60) {
    my $re = qr/user$k\@host\d+/;
    $hits += () = $text =~ /$re/g;
}
printf "regex: %s %s %d %d %s %s %s %d\n", join(',', map {"$_:$status{$_}"} sort keys %status),
    join(',', map {"$_:$method{$_}"} sort keys %method), scalar(keys %user), $words, cksum($subst),
    join('|', @fields), $tr, $hits;

# Strings: concatenation, sprintf, substr, x, join, lc/uc, index.
my $s = '';
for my $i (1 .. 100_000) {
    $s .= sprintf('%d:%s;', $i, 'z' x ($i % 11));
    substr($s, 0, 5000, '') if length($s) > 20_000;
}
my @fmt = map { sprintf('%-8s|%08.3f|%+5d|%x|%e', "f$_", $_ / 7, $_ - 5000, $_ * 31, $_ * 1.5) } 1 .. 50_000;
my $big = join "\n", @fmt;
my $up = uc $big;
my $pos = 0;
my $count = 0;
while (($pos = index($big, '|0', $pos)) >= 0) { $count++; $pos++; }
my $packed = pack('N*', 1 .. 50_000);
my @unpacked = unpack('N*', $packed);
my $joined = join '', map { chr(0x400 + $_ % 300) } 1 .. 50_000;
my $utf8 = do { use utf8; my $t = $joined; utf8::encode($t); $t };
printf "strings: %d %s %d %s %d %d %d %d %s\n", length($s), cksum($s), length($big), cksum($up),
    $count, length($packed), $unpacked[-1], length($utf8), cksum($utf8);

# References and object churn.
my $tree = { id => 0, kids => [] };
my @nodes = ($tree);
for my $i (1 .. 50_000) {
    my $n = { id => $i, kids => [], data => 'd' x ($i % 40) };
    push @{ $nodes[ rnd(scalar @nodes) ]{kids} }, $n;
    push @nodes, $n;
}
my ($tot, $maxd) = (0, 0);
my @stack = ([ $tree, 0 ]);
while (my $e = pop @stack) {
    my ($n, $d) = @$e;
    $tot += $n->{id} * scalar @{ $n->{kids} };
    $maxd = $d if $d > $maxd;
    push @stack, map { [ $_, $d + 1 ] } @{ $n->{kids} };
}
undef @nodes;
undef $tree;
printf "refs: %d %d\n", $tot, $maxd;
