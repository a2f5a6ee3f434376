# jobs_tools.sh - sourced by corpus.sh and job.sh. Interpreters and a
# database, each on an allocation-heavy script of its own: perl building,
# thinning and sorting a hash of 300,000 keys; sqlite3 with inserts,
# indexes, joins, updates, deletes and VACUUM on a 64 MiB page cache; node
# with a Map of objects, Buffers, typed arrays, JSON and a sort. Each prints
# only what does not depend on hash order, so stdout is compared as is.
# shellcheck shell=bash disable=SC2154,SC2164 # sourced by job.sh: set -e, in, dir, m

corpus_job perl_hash 120
job_perl_hash() {
	m perl - <<'EOF'
use strict;
use warnings;

my %h;
$h{"key$_"} = [$_, "v" x ($_ % 64)] for 1 .. 300_000;
delete $h{"key$_"} for grep { $_ % 3 == 0 } 1 .. 300_000;
my (%by, $len);
while (my ($k, $v) = each %h) {
	push @{$by{$v->[0] % 1000}}, $k;
	$len += length $v->[1];
}
my @keys = sort keys %h;
my $groups = join ",", map { scalar @{$by{$_}} } sort { $a <=> $b } keys %by;
my %copy = map { $_ => length } @keys[0 .. 49_999];
printf "%d keys, %d bytes, first %s, last %s, %d copied\n", scalar @keys, $len, $keys[0],
	$keys[-1], scalar keys %copy;
printf "groups %d, %s\n", length $groups, substr($groups, 0, 60);
EOF
}

corpus_job sqlite 120
job_sqlite() {
	m sqlite3 db <<'EOF'
PRAGMA cache_size = -65536;
CREATE TABLE t(id INTEGER PRIMARY KEY, k TEXT, v INTEGER, pad TEXT);
WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 200000)
INSERT INTO t SELECT i, printf('k%08d', (i * 7919) % 200003), (i * 31337) % 1000,
	hex(zeroblob(i % 100)) FROM c;
CREATE INDEX t_k ON t(k);
CREATE INDEX t_v ON t(v, k);
SELECT count(*), sum(v), sum(length(pad)) FROM t;
SELECT v, count(*) FROM t GROUP BY v ORDER BY 2 DESC, 1 LIMIT 5;
SELECT k FROM t WHERE k BETWEEN 'k00100000' AND 'k00100040' ORDER BY k;
SELECT count(*), sum(b.v) FROM t a JOIN t b ON a.k = b.k WHERE a.v < 10;
UPDATE t SET v = v + 1, pad = pad || 'x' WHERE id % 7 = 0;
DELETE FROM t WHERE v > 900;
SELECT count(*), sum(v) FROM t;
CREATE TABLE agg AS SELECT v % 50 AS g, group_concat(k) AS ks FROM t GROUP BY g;
SELECT g, length(ks) FROM agg ORDER BY g LIMIT 5;
SELECT count(DISTINCT substr(k, 1, 6)), max(length(pad)) FROM t;
VACUUM;
PRAGMA integrity_check;
EOF
}

corpus_job node 120
job_node() {
	m node - <<'EOF'
'use strict';
const crypto = require('crypto');
const h = crypto.createHash('sha256');
const m = new Map();
for (let i = 0; i < 300000; i++)
	m.set('k' + i, { i, s: 'x'.repeat(i % 100), a: new Array(i % 16).fill(i) });
let sum = 0;
for (const [k, v] of m) {
	if (v.i % 3 === 0)
		m.delete(k);
	else
		sum += v.a.length + v.s.length;
}
const bufs = [];
for (let i = 0; i < 3000; i++) { // Buffers and typed arrays live outside V8's heap: malloc
	const b = Buffer.alloc(4096 + (i % 64) * 1024, i & 255);
	bufs.push(b);
	if (bufs.length > 200)
		bufs.shift();
	h.update(b.subarray(0, 64));
}
for (let i = 0; i < 100; i++) {
	const f = new Float64Array(1 << 18).fill(i);
	sum += f[12345];
}
const json = JSON.stringify([...m.entries()].slice(0, 50000));
const back = JSON.parse(json);
h.update(json);
const words = [];
for (let i = 0; i < 200000; i++)
	words.push(((i * 2654435761) >>> 0).toString(36));
words.sort();
h.update(words.join(' '));
console.log(m.size, sum, back.length, h.digest('hex'));
EOF
}
