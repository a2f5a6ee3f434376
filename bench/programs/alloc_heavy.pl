# alloc_heavy.pl N - an allocation-heavy perl program for scripts/bench.
#
# Builds a hash of N string keys whose values are joined lists of random
# words, sorts the keys by value, joins everything into one string, splits
# it again and counts the words, rebuilds records as arrays and hashes,
# deletes a third of the keys, and prints a summary. Deterministic: a fixed
# seed, and nothing printed depends on hash order (scripts/bench also sets
# PERL_HASH_SEED=0 so that every run does the same work).
use strict;
use warnings;

my $n = shift // 100000;
srand(1);
my @alphabet = ('a' .. 'z');
my %h;
for my $i (1 .. $n) {
	my $key = sprintf("k%x", int(rand(2**31)));
	my @words = map { join('', map { $alphabet[int(rand(26))] } 1 .. 1 + int(rand(12))) }
		1 .. 1 + int(rand(10));
	$h{$key} .= join(',', @words);
}
my @keys = sort { length($h{$a}) <=> length($h{$b}) or $a cmp $b } keys %h;
my $text = join("\n", map { "$_=$h{$_}" } @keys);
my %count;
$count{$_}++ for split /[,\n=]/, $text;
my @records = map { { key => $_, words => [split /,/, $h{$_}], len => length($h{$_}) } } @keys;
my %by_first;
push @{ $by_first{substr($_->{words}[0], 0, 2)} }, $_ for @records;
delete @h{grep { hex(substr($_, 1)) % 3 == 0 } keys %h};
my $longest = (sort { $b <=> $a } map { scalar @$_ } values %by_first)[0];
print join(' ', scalar(@keys), length($text), scalar(keys %count), scalar(keys %h),
	scalar(keys %by_first), $longest), "\n";
