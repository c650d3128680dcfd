# A real program for bench/run: perl doing the string work it is used for
# (hashes of strings, split and join, regular expression substitutions,
# sorting), all of it allocation-heavy inside the interpreter.
#   usage: perl bench/perl_work.pl [SCALE]   (SCALE 1: about 1-2 s under glibc)
# Prints one line ending in a checksum. Fixed seed: the same work every run.
use strict;
use warnings;

my $scale = @ARGV ? $ARGV[0] : 1;
my $n = int(150000 * $scale);
$n = 1000 if $n < 1000;
my $seed = 12345;
sub rnd { $seed = ($seed * 1103515245 + 12345) % 2147483648; return $seed % $_[0]; }
my @words = qw(alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima);
my %h;
for my $i (1 .. $n) {
	my $k = join('-', map { $words[rnd(12)] } 1 .. (1 + rnd(4))) . $i;
	$h{$k} = { id => $i, text => ($words[rnd(12)] x (1 + rnd(8))), tags => [ map { rnd(100) } 1 .. rnd(6) ] };
}
my $sum = 0;
for my $k (sort keys %h) {
	my $v = $h{$k};
	(my $t = $v->{text}) =~ s/(a|e)/uc($1) . "_"/ge;
	my @parts = split /_/, $t;
	$sum += scalar(@parts) + scalar(@{ $v->{tags} });
	delete $h{$k} if $v->{id} % 3 == 0;
}
my $joined = join(',', map { length } keys %h);
$sum += length($joined);
print "perl n=$n checksum=$sum\n";
