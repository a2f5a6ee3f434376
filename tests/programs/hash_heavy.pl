#!/usr/bin/perl
# hash_heavy.pl - a hash-heavy Perl job for run_programs.sh: count words in
# hashes, build hashes of arrays and of hashes, delete half, and print a
# checksum. Keys are always sorted, so the output does not depend on Perl's
# per-process hash seed.
use strict;
use warnings;

my $state = 88172645463325252;
sub next_rand {    # xorshift, kept in 32 bits so that any perl gives the same numbers
	$state ^= ($state << 13) & 0xFFFFFFFF;
	$state ^= $state >> 17;
	$state ^= ($state << 5) & 0xFFFFFFFF;
	$state &= 0xFFFFFFFF;
	return $state;
}

my $sum = 0;
for my $round (1 .. 3) {
	my (%count, %by_len, %nested);
	for (1 .. 40000) {
		my $w = sprintf("k%x", next_rand() >> 14) . ("y" x (next_rand() % 40));
		$count{$w}++;
		push @{ $by_len{ length $w } }, $w;
		$nested{ substr($w, 0, 3) }{$w} = $round;
	}
	for my $k (sort keys %count) {
		delete $count{$k} if $count{$k} % 2 == 0 && length($k) % 3 == 0;
	}
	my $joined = join(",", map { "$_=$count{$_}" } sort keys %count);
	$sum = ($sum * 31 + unpack("%32C*", $joined)) % 4294967291;
	for my $len (sort { $a <=> $b } keys %by_len) {
		$sum = ($sum + $len * scalar @{ $by_len{$len} }) % 4294967291;
	}
	for my $p (sort keys %nested) {
		$sum = ($sum + scalar(keys %{ $nested{$p} })) % 4294967291;
	}
	printf "round %d: %d keys, %d prefixes\n", $round, scalar(keys %count),
		scalar(keys %nested);
}
print "hash_heavy: sum $sum\n";
