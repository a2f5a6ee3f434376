"""run.py - the benchmark runner behind scripts/bench.

Runs every group (micro cases, workloads, real programs) for every
allocator, interleaved: round 1 runs the micro cases for glibc, jemalloc,
mimalloc, tcmalloc, scudo, scudo-zero, kzmalloc and kzmalloc-none, then the
workloads for each, and so on; then round 2. A value in the table is the
median over the rounds. A real program's output must be the same under
every allocator as under glibc, or the run counts as failed. Writes, under
the output folder:

  results.md   the table (medians; kzmalloc's ratios against glibc and
               jemalloc) and a summary of where kzmalloc leads and trails,
               how the real programs compare with jemalloc, which cases
               take more memory than the budget (1.5 x glibc's + 8 MiB),
               and what clearing costs (pair/S against memset/S)
  results.csv  the same table, numbers only
  raw.csv      every measurement of every round
  chart.png    every allocator against glibc, case by case (gnuplot)

Ratios are gains: how many times better kzmalloc is (faster, more
throughput, or less memory). Above 1 kzmalloc leads, below 1 it trails;
the summary's line on real programs is the other way up (kzmalloc's value
over jemalloc's), as it says.
Only the Python standard library is used.
"""
import argparse
import csv
import glob
import hashlib
import json
import math
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time

LIBDIR = "/usr/lib/x86_64-linux-gnu"
LIBC = "/lib/x86_64-linux-gnu/libc.so.6"
BENCH = os.path.dirname(os.path.abspath(__file__))
PYTHON = "/usr/bin/python3"  # Debian's, not whatever python3 is first on PATH
LUA = "lua5.4"
TIME = "/usr/bin/time"  # GNU time: a program's own peak RSS (measured(), below)
# The hardened peer: LLVM's standalone scudo, from Debian 12's libclang-rt-14-dev.
SCUDO = "/usr/lib/llvm-14/lib/clang/14.0.6/lib/linux/libclang_rt.scudo_standalone-x86_64.so"
# Settings the columns make themselves: never taken from the caller's environment.
ALLOCATOR_ENV = ("KZMALLOC_", "SCUDO_OPTIONS")

LOWER, HIGHER = "lower", "higher"  # which way a metric is better


class Allocator:
    def __init__(self, name, lib, env=None):
        self.name, self.lib, self.env = name, lib, env or {}

    def environ(self, glibc_first=False):
        """The environment a measured program runs in."""
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(ALLOCATOR_ENV) and k != "LD_PRELOAD"}
        env["LC_ALL"] = "C"
        env.update(self.env)
        if self.lib:
            env["LD_PRELOAD"] = self.lib
        elif glibc_first:
            # A program linked against another allocator (Debian's
            # redis-server links jemalloc) gets glibc's malloc only when
            # libc is searched first.
            env["LD_PRELOAD"] = LIBC
        return env


# kzmalloc's opt-in checks (KZMALLOC_CHECK), measured against plain kzmalloc with --checks.
CHECKS = ["full", "canary", "guard", "zero-size", "quarantine", "protect", "all"]


def find_scudo():
    """Debian 12's scudo, or the one of another LLVM version where that is missing."""
    if os.path.exists(SCUDO):
        return SCUDO
    found = sorted(glob.glob("/usr/lib/llvm-*/lib/clang/*/lib/linux/"
                             "libclang_rt.scudo_standalone-x86_64.so"))
    return found[-1] if found else SCUDO


def find_allocators(build, libdir, notes, checks=False):
    kz = os.path.join(build, "lib", "libkzmalloc.so")
    scudo = find_scudo()
    wanted = [
        Allocator("glibc", None),
        Allocator("jemalloc", os.path.join(libdir, "libjemalloc.so.2")),
        Allocator("mimalloc", os.path.join(libdir, "libmimalloc.so.2")),
        Allocator("tcmalloc", os.path.join(libdir, "libtcmalloc_minimal.so.4")),
        # scudo-zero: every allocation zeroed, the peer of kzmalloc's default mode.
        Allocator("scudo", scudo),
        Allocator("scudo-zero", scudo, {"SCUDO_OPTIONS": "zero_contents=true"}),
        Allocator("kzmalloc", kz),
        Allocator("kzmalloc-none", kz, {"KZMALLOC_INIT": "none"}),
    ]
    if checks:
        wanted += [Allocator("kzmalloc-" + c, kz, {"KZMALLOC_CHECK": c}) for c in CHECKS]
    found = []
    for a in wanted:
        if a.lib and not os.path.exists(a.lib):
            notes.append("%s skipped: %s is missing (scripts/install-deps bench installs it)"
                         % (a.name, a.lib))
        else:
            found.append(a)
    return found


def last_line(text):
    lines = [l for l in text.strip().splitlines() if l.strip()]
    return lines[-1][:300] if lines else ""


def measured(argv, env, rss_path):
    """argv and env that run argv under GNU time, which writes the program's peak RSS to
    rss_path (time_report reads it); as they were where time is missing.

    A child's peak RSS as wait4 reports it is never below the runner's own: a child of
    Python starts as a copy (or a vfork) of it, and exec keeps the high-water mark of the
    memory it replaces. time is small and forks the program itself; it is not preloaded,
    env sets LD_PRELOAD for the program alone."""
    if not os.path.exists(TIME):
        return argv, env, None
    plain = {k: v for k, v in env.items() if k != "LD_PRELOAD"}
    preload = ["LD_PRELOAD=" + env["LD_PRELOAD"]] if "LD_PRELOAD" in env else []
    return [TIME, "-f", "%M", "-o", rss_path, "env"] + preload + argv, plain, rss_path


def time_report(rss_path, status, usage):
    """(status, peak RSS in KiB) of the program that time ran: time exits with 128 + the
    signal that killed the program, and writes a line that says so."""
    try:
        with open(rss_path) as f:
            lines = f.read().splitlines()
        rss = int(lines[-1])
    except (OSError, TypeError, ValueError, IndexError):
        return status, usage.ru_maxrss
    for l in lines[:-1]:
        if l.startswith("Command terminated by signal "):
            status = int(l.split()[-1])  # a wait status: killed by that signal
    return status, rss


class Run:
    """One program run: wall seconds, peak RSS in KiB (wait4), its output (and a digest of
    its bytes), an error or None."""

    def __init__(self, argv, env, scratch, stdin=None, timeout=600):
        out_path = os.path.join(scratch, "stdout")
        err_path = os.path.join(scratch, "stderr")
        rss_path = os.path.join(scratch, "rss")
        if os.path.exists(rss_path):
            os.unlink(rss_path)
        argv, env, rss_path = measured(argv, env, rss_path)
        with open(stdin or os.devnull, "rb") as inp, open(out_path, "wb") as out, \
                open(err_path, "wb") as err:
            t0 = time.monotonic()
            proc = subprocess.Popen(argv, env=env, stdin=inp, stdout=out, stderr=err,
                                    start_new_session=True)
            timer = threading.Timer(timeout, os.killpg, (proc.pid, signal.SIGKILL))
            timer.start()
            _, status, usage = os.wait4(proc.pid, 0)
            self.seconds = time.monotonic() - t0
            timer.cancel()
            proc.returncode = 0  # reaped here, not by Popen
        with open(out_path, "rb") as f:
            raw = f.read()
        self.stdout = raw.decode(errors="replace")
        self.digest = hashlib.sha256(raw).hexdigest()
        with open(err_path, errors="replace") as f:
            self.stderr = f.read()
        status, self.peak_rss_kib = time_report(rss_path, status, usage)
        self.cpu_seconds = usage.ru_utime + usage.ru_stime  # time's own too: a millisecond
        self.error = None
        if os.WIFSIGNALED(status):
            self.error = "killed by signal %d%s: %s" % (
                os.WTERMSIG(status), " (timeout)" if self.seconds >= timeout else "",
                last_line(self.stderr))
        elif os.WEXITSTATUS(status):
            self.error = "exit %d: %s" % (os.WEXITSTATUS(status), last_line(self.stderr))


class Results:
    """Every measurement: (group, case, metric) -> allocator -> [values]."""

    def __init__(self):
        self.values = {}
        self.units = {}
        self.order = []
        self.raw = []
        self.failures = []

    def add(self, rnd, group, case, metric, unit, better, alloc, value):
        key = (group, case, metric)
        if key not in self.values:
            self.values[key] = {}
            self.units[key] = (unit, better)
            self.order.append(key)
        self.values[key].setdefault(alloc, []).append(value)
        self.raw.append((rnd, group, case, metric, unit, better, alloc, value))

    def fail(self, rnd, group, case, alloc, error):
        self.failures.append((rnd, group, case, alloc, error))

    def median(self, key, alloc):
        v = self.values[key].get(alloc)
        return statistics.median(v) if v else None


# ---------------------------------------------------------------- groups
#
# A group is a function (ctx, allocator, round) that runs one allocator's
# share of one round and adds what it measured to ctx.results.


class Context:
    def __init__(self, args, results, scratch):
        self.args, self.results, self.scratch = args, results, scratch
        self.build = args.build
        self.quick = args.quick
        self.expected = {}  # case -> glibc's first output: (digest, stdout)

    def run(self, argv, env, **kw):
        return Run(argv, env, self.scratch, **kw)

    def output_differs(self, case, alloc, run, files=()):
        """Why run's output (stdout, then the files it wrote) is not glibc's, or None.
        glibc's first run of the case is the reference: a program whose output depends on
        the allocator is wrong (or reads uninitialised memory), and the work it did is not
        the work the others did."""
        digest = run.digest
        if files:
            h = hashlib.sha256(digest.encode())
            for path in files:
                with open(path, "rb") as f:
                    h.update(f.read())
            digest = h.hexdigest()
        if case not in self.expected:
            if alloc.name == "glibc":
                self.expected[case] = (digest, run.stdout)
            return None
        want, text = self.expected[case]
        if digest == want:
            return None
        if run.stdout == text:
            return "output files differ from glibc's (%s)" % ", ".join(
                os.path.basename(f) for f in files)
        got, ref = run.stdout.splitlines(), text.splitlines()
        line = next((i for i, (a, b) in enumerate(zip(got, ref)) if a != b),
                    min(len(got), len(ref)))
        return "output differs from glibc's at line %d of %d (glibc's: %d): %r" % (
            line + 1, len(got), len(ref), got[line][:120] if line < len(got) else "<end>")


def group_micro(ctx, alloc, rnd):
    """The Google Benchmark cases: ns per operation, or Mops/s for threaded ones."""
    exe = os.path.join(ctx.build, "bin", "kzbench")
    argv = [exe, "--benchmark_format=json",
            "--benchmark_min_time=%g" % (0.002 if ctx.quick else ctx.args.min_time)]
    if ctx.args.filter:
        argv.append("--benchmark_filter=" + ctx.args.filter)
    r = ctx.run(argv, alloc.environ(), timeout=900)
    if r.error:
        ctx.results.fail(rnd, "micro", "kzbench", alloc.name, r.error)
        return
    for b in json.loads(r.stdout)["benchmarks"]:
        name = b["name"].replace("/real_time", "").replace("/process_time", "")
        if b.get("error_occurred"):
            ctx.results.fail(rnd, "micro", name, alloc.name, b.get("error_message", "error"))
            continue
        ops = b.get("items_per_second")
        if not ops:
            continue
        if "threads:" in name:
            ctx.results.add(rnd, "threads", name, "throughput", "Mops/s", HIGHER, alloc.name,
                            ops / 1e6)
        else:
            ctx.results.add(rnd, "micro", name, "time", "ns/op", LOWER, alloc.name, 1e9 / ops)


WORKLOADS = ("tree", "hash", "frag", "bigblocks", "mstress")


def group_workloads(ctx, alloc, rnd):
    """bench/workloads.c, stress.c: time, peak RSS, and peak RSS over peak live bytes
    (where the workload counts them: mstress does not)."""
    exe = os.path.join(ctx.build, "bin", "kzwork")
    scale = "0.05" if ctx.quick else "1"
    for name in WORKLOADS:
        r = ctx.run([exe, name, scale], alloc.environ())
        if r.error:
            ctx.results.fail(rnd, "workloads", name, alloc.name, r.error)
            continue
        fields = dict(f.split("=") for f in r.stdout.split(":", 1)[1].split())
        rss = r.peak_rss_kib * 1024
        res = ctx.results
        res.add(rnd, "workloads", name, "CPU time", "s", LOWER, alloc.name, r.cpu_seconds)
        res.add(rnd, "workloads", name, "wall time", "s", LOWER, alloc.name, r.seconds)
        res.add(rnd, "workloads", name, "peak RSS", "MiB", LOWER, alloc.name, rss / 2**20)
        if "live_peak_bytes" in fields:
            res.add(rnd, "workloads", name, "RSS / live", "x", LOWER, alloc.name,
                    rss / int(fields["live_peak_bytes"]))


def time_and_rss(ctx, alloc, rnd, case, argv, stdin=None, glibc_first=False, env=None,
                 outputs=(), check=True):
    """One run of a real program: CPU time, wall time, peak RSS. Its stdout and the files
    in outputs must be glibc's (check=False where they are not deterministic)."""
    r = ctx.run(argv, dict(alloc.environ(glibc_first), **(env or {})), stdin=stdin)
    if not r.error and check:
        r.error = ctx.output_differs(case, alloc, r, outputs)
    if r.error:
        ctx.results.fail(rnd, "programs", case, alloc.name, r.error)
        return
    ctx.results.add(rnd, "programs", case, "CPU time", "s", LOWER, alloc.name, r.cpu_seconds)
    ctx.results.add(rnd, "programs", case, "wall time", "s", LOWER, alloc.name, r.seconds)
    ctx.results.add(rnd, "programs", case, "peak RSS", "MiB", LOWER, alloc.name,
                    r.peak_rss_kib / 1024)


def group_python(ctx, alloc, rnd):
    """Debian's python3 on bench/programs/alloc_heavy.py, every object from malloc."""
    n = "5000" if ctx.quick else "30000"
    time_and_rss(ctx, alloc, rnd, "python3",
                 [PYTHON, os.path.join(BENCH, "programs", "alloc_heavy.py"), n],
                 env={"PYTHONMALLOC": "malloc"})


def group_perl(ctx, alloc, rnd):
    """Debian's perl on bench/programs/alloc_heavy.pl: hashes of strings, sort, join, split."""
    n = "2000" if ctx.quick else "30000"
    # A fixed hash seed: every run (and allocator) does the same work.
    time_and_rss(ctx, alloc, rnd, "perl",
                 ["perl", os.path.join(BENCH, "programs", "alloc_heavy.pl"), n],
                 env={"PERL_HASH_SEED": "0", "PERL_PERTURB_KEYS": "0"})


def group_lua(ctx, alloc, rnd):
    """Debian's Lua 5.4 on bench/programs/alloc_heavy.lua: table and string churn."""
    n = "2000" if ctx.quick else "25000"
    time_and_rss(ctx, alloc, rnd, "lua",
                 [LUA, os.path.join(BENCH, "programs", "alloc_heavy.lua"), n])


def generated(ctx, name, make):
    """A generated input file under the output folder, made once per run of the runner."""
    path = os.path.join(ctx.args.out, "work", name)
    if not os.path.exists(path):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(make(random.Random(1), 0.05 if ctx.quick else 1.0))
    return path


def make_sql(rnd, scale):
    """A table of random rows, an index, grouping, sorting, updates and deletes."""
    n = int(60000 * scale)
    words = ["%x" % rnd.getrandbits(40) for _ in range(2000)]
    out = ["CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, grp INTEGER, payload TEXT);",
           "BEGIN;"]
    for i in range(n):
        payload = " ".join(rnd.choice(words) for _ in range(rnd.randint(1, 30)))
        out.append("INSERT INTO t VALUES(%d, 'name%d', %d, '%s');"
                   % (i, rnd.getrandbits(32), rnd.randint(0, 999), payload))
    out += [
        "COMMIT;",
        "CREATE INDEX t_grp ON t(grp, name);",
        "CREATE INDEX t_payload ON t(payload);",
        "SELECT grp, count(*), sum(length(payload)) FROM t GROUP BY grp ORDER BY 3 DESC LIMIT 3;",
        "SELECT count(DISTINCT payload) FROM t;",
        "UPDATE t SET payload = payload || ' ' || name WHERE grp % 3 = 0;",
        "SELECT name, length(group_concat(payload)) FROM t GROUP BY name % 100 ORDER BY 2 LIMIT 3;",
        "DELETE FROM t WHERE grp % 5 = 0;",
        "SELECT a.grp, count(*) FROM t a JOIN t b ON a.grp = b.grp AND a.id < b.id "
        "WHERE a.grp < 20 GROUP BY a.grp ORDER BY 2 DESC LIMIT 3;",
        "SELECT name FROM t ORDER BY payload DESC LIMIT 3;",
        "VACUUM;",
    ]
    return "\n".join(out) + "\n"


def group_sqlite(ctx, alloc, rnd):
    """Debian's sqlite3 on generated SQL, in an in-memory database."""
    sql = generated(ctx, "bench.sql", make_sql)
    time_and_rss(ctx, alloc, rnd, "sqlite3", ["sqlite3", ":memory:"], stdin=sql)


def make_c(rnd, scale):
    """Many functions with switches, loops and struct initialisers, for gcc -O2."""
    n = max(5, int(100 * scale))
    out = ["struct rec { int a; long b; const char *s; double d; };"]
    for f in range(n):
        out.append("static const struct rec table%d[] = {" % f)
        out += ['\t{%d, %dL, "s%d", %d.5},' % (rnd.randint(0, 99), rnd.getrandbits(40), i,
                                                rnd.randint(0, 999)) for i in range(20)]
        out.append("};")
        out.append("long f%d(long x, int k)\n{\n\tlong acc = 0;\n\tswitch (k) {" % f)
        for c in range(25):
            out.append("\tcase %d: acc += x * %d + table%d[%d].b; break;"
                       % (c, rnd.randint(1, 99), f, c % 20))
        out.append("\tdefault: for (int i = 0; i < k; i++) acc ^= (x << (i & 7)) + i;\n\t}")
        out.append("\tfor (unsigned i = 0; i < sizeof(table%d) / sizeof(table%d[0]); i++)"
                   % (f, f))
        out.append("\t\tacc += (long) (table%d[i].d * table%d[i].a) ^ i;" % (f, f))
        out.append("\treturn acc%s;\n}" % (" + f%d(x - 1, k / 2)" % (f - 1) if f else ""))
    return "\n".join(out) + "\n"


def group_gcc(ctx, alloc, rnd):
    """Debian's gcc compiling a generated file at -O2 (cc1 is preloaded too); the object
    file must be glibc's."""
    # Not named *.c: the format test globs bench/ for C files.
    src = generated(ctx, "gcc-input.txt", make_c)
    obj = os.path.join(ctx.scratch, "gcc.o")
    time_and_rss(ctx, alloc, rnd, "gcc -O2", ["gcc", "-O2", "-x", "c", "-c", src, "-o", obj],
                 outputs=[obj])


def make_json(rnd, scale):
    """An array of records: numbers, strings, a list of tags, a nested object."""
    words = ["%x" % rnd.getrandbits(32) for _ in range(3000)]
    records = [{"id": i, "name": "user%d" % rnd.getrandbits(24), "grp": rnd.randint(0, 199),
                "score": rnd.randint(0, 10**6) / 1000, "active": rnd.random() < 0.7,
                "tags": [rnd.choice(words) for _ in range(rnd.randint(0, 8))],
                "text": " ".join(rnd.choice(words) for _ in range(rnd.randint(1, 40))),
                "pos": {"x": rnd.randint(-999, 999), "y": rnd.randint(-999, 999)}}
               for i in range(int(30000 * scale))]
    return json.dumps(records, separators=(",", ":")) + "\n"


# Group the active records, then per group: sums, distinct tags, words, a maximum, a minimum.
JQ_FILTER = ("map(select(.active)) | group_by(.grp) | map({grp: .[0].grp, n: length, "
             "score: (map(.score) | add), tags: ([.[].tags[]] | unique | length), "
             "words: ([.[].text | split(\" \") | length] | add), "
             "far: (map(.pos.x * .pos.x + .pos.y * .pos.y) | max), "
             "first: (map(.name) | sort | .[0])}) | sort_by(-.n, .grp) | .[:20]")


def group_jq(ctx, alloc, rnd):
    """Debian's jq: a generated JSON file (10 MB; quick: 0.5 MB) through a grouping filter."""
    src = generated(ctx, "jq-input.json", make_json)
    time_and_rss(ctx, alloc, rnd, "jq", ["jq", "-c", JQ_FILTER, src])


def make_git(rnd, scale):
    """A git fast-import stream: 150 files, then 1500 commits that each edit 1..4 of them
    (lines replaced, inserted, deleted), at fixed dates."""
    nfiles, ncommits = 150, max(20, int(1500 * scale))
    words = ["%x" % rnd.getrandbits(rnd.choice((8, 16, 24, 32))) for _ in range(4000)]

    def line():
        return " ".join(rnd.choice(words) for _ in range(rnd.randint(0, 10)))

    files = [[line() for _ in range(rnd.randint(50, 250))] for _ in range(nfiles)]
    out = []

    def commit(i, changed):
        msg = "change %d: %s\n" % (i, line())
        when = 1600000000 + 600 * i
        out.append("commit refs/heads/main\nauthor A U Thor <author@example.com> %d +0000\n"
                   "committer C O Mitter <committer@example.com> %d +0000\ndata %d\n%s"
                   % (when, when, len(msg), msg))
        for f in changed:
            text = "".join(l + "\n" for l in files[f])
            out.append("M 100644 inline src/f%03d.txt\ndata %d\n%s\n" % (f, len(text), text))

    commit(0, range(nfiles))
    for i in range(1, ncommits):
        changed = sorted(set(rnd.randrange(nfiles) for _ in range(rnd.randint(1, 4))))
        for f in changed:
            lines = files[f]
            for _ in range(rnd.randint(1, 6)):
                at = rnd.randrange(len(lines))
                op = rnd.random()
                if op < 0.4:
                    lines[at] = line()
                elif op < 0.8:
                    lines[at:at] = [line() for _ in range(rnd.randint(1, 5))]
                elif len(lines) > 20:
                    del lines[at:at + rnd.randint(1, 5)]
        commit(i, changed)
    return "".join(out)


# git without the caller's configuration.
GIT_ENV = {"GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": "/dev/null"}


def generated_repo(ctx):
    """A bare git repository of make_git's history, made once per run of the runner with
    glibc's git; the measured commands only read it. Returns its path, or an error."""
    path = os.path.join(ctx.args.out, "work", "repo.git")
    if os.path.exists(os.path.join(path, "refs", "heads", "main")):
        return path, None
    stream = generated(ctx, "git-stream.txt", make_git)
    env = dict(Allocator("glibc", None).environ(), **GIT_ENV)
    shutil.rmtree(path, ignore_errors=True)
    for argv, inp in ((["git", "init", "-q", "--bare", "-b", "main", path], os.devnull),
                      (["git", "-C", path, "fast-import", "--quiet"], stream)):
        with open(inp, "rb") as f:
            r = subprocess.run(argv, env=env, stdin=f, capture_output=True)
        if r.returncode:
            return None, "making the repository: %s: %s" % (
                " ".join(argv[:4]), last_line(r.stderr.decode(errors="replace")))
    return path, None


def group_git(ctx, alloc, rnd):
    """Debian's git on a generated history: log -p --stat (every diff), and pack-objects
    recomputing every delta (one thread, so that the pack is the same every time)."""
    repo, error = generated_repo(ctx)
    if error:
        ctx.results.fail(rnd, "programs", "git", alloc.name, error)
        return
    time_and_rss(ctx, alloc, rnd, "git log -p", ["git", "-C", repo, "log", "-p", "--stat"],
                 env=GIT_ENV)
    time_and_rss(ctx, alloc, rnd, "git pack-objects",
                 ["git", "-C", repo, "-c", "pack.threads=1", "pack-objects", "--revs", "--all",
                  "--no-reuse-delta", "--stdout", "-q"], env=GIT_ENV)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def group_redis(ctx, alloc, rnd):
    """redis-server under the allocator, redis-benchmark (not preloaded) on 127.0.0.1."""
    port = str(free_port())
    log_path = os.path.join(ctx.scratch, "redis.log")
    rss_path = os.path.join(ctx.scratch, "redis.rss")
    if os.path.exists(rss_path):
        os.unlink(rss_path)
    argv, env, rss_path = measured(
        ["redis-server", "--port", port, "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no", "--protected-mode", "no", "--daemonize", "no"],
        alloc.environ(glibc_first=True), rss_path)
    with open(log_path, "wb") as log:
        server = subprocess.Popen(argv, env=env, stdout=log, stderr=subprocess.STDOUT,
                                  start_new_session=True)
    server.returncode = 0  # reaped here with wait4, never by Popen
    reaped = None
    bench = None
    try:
        for _ in range(200):
            reaped = os.wait4(server.pid, os.WNOHANG)
            if reaped[0]:
                break
            reaped = None
            ping = subprocess.run(["redis-cli", "-p", port, "ping"], capture_output=True)
            if ping.stdout.strip() == b"PONG":
                break
            time.sleep(0.05)
        if not reaped:
            n = "2000" if ctx.quick else "200000"
            bench = subprocess.run(
                ["redis-benchmark", "-h", "127.0.0.1", "-p", port, "-n", n, "-c", "50",
                 "-P", "16", "-d", "128", "-r", "100000",
                 "-t", "set,get,lpush,hset,lrange_100", "--csv", "-q"],
                capture_output=True, timeout=600)
            subprocess.run(["redis-cli", "-p", port, "shutdown", "nosave"], capture_output=True)
    finally:
        if not reaped:
            timer = threading.Timer(30, os.killpg, (server.pid, signal.SIGKILL))
            timer.start()
            reaped = os.wait4(server.pid, 0)
            timer.cancel()
    _, status, usage = reaped
    status, peak_rss_kib = time_report(rss_path, status, usage)
    if not bench or bench.returncode or os.WIFSIGNALED(status) or os.WEXITSTATUS(status):
        with open(log_path, errors="replace") as f:
            ctx.results.fail(rnd, "programs", "redis", alloc.name, "server status %d: %s %s" % (
                status, last_line(f.read()), last_line(bench.stderr.decode()) if bench else ""))
        return
    for row in csv.reader(bench.stdout.decode().splitlines()):
        if len(row) < 2 or row[0] == "test" or row[0].startswith("LPUSH ("):
            continue
        test = row[0].split(" ")[0].lower()
        ctx.results.add(rnd, "programs", "redis " + test, "throughput", "kreq/s", HIGHER,
                        alloc.name, float(row[1]) / 1e3)
    ctx.results.add(rnd, "programs", "redis-server", "peak RSS", "MiB", LOWER, alloc.name,
                    peak_rss_kib / 1024)


GROUPS = [("micro", group_micro), ("workloads", group_workloads), ("python3", group_python),
          ("sqlite3", group_sqlite), ("gcc", group_gcc), ("redis", group_redis),
          ("git", group_git), ("perl", group_perl), ("lua", group_lua), ("jq", group_jq)]


# ---------------------------------------------------------------- report

def fmt(v):
    if v is None:
        return "-"
    if v >= 100:
        return "%.0f" % v
    if v >= 10:
        return "%.1f" % v
    return "%.3g" % v


def gain(results, key, alloc, other):
    """How many times better alloc is than other on this metric (None if unknown)."""
    a, b = results.median(key, alloc), results.median(key, other)
    if not a or not b:
        return None
    _, better = results.units[key]
    return b / a if better == LOWER else a / b


def geomean(xs):
    xs = [x for x in xs if x]
    return math.exp(sum(math.log(x) for x in xs) / len(xs)) if xs else None


SECTIONS = [
    ("micro", "Micro cases, one thread (Google Benchmark, process CPU time per operation)"),
    ("threads", "Threaded micro cases (all threads' operations per wall-clock second)"),
    ("workloads", "Workloads (bench/workloads.c, stress.c; CPU time is user + system; "
     "RSS / live where the live size is known)"),
    ("programs", "Real programs under LD_PRELOAD (CPU time is user + system, cc1 included; "
     "each one's output is glibc's)"),
]


def machine():
    """One line on where this ran: date, CPUs, kernel, load."""
    model = "?"
    try:
        with open("/proc/cpuinfo") as f:
            model = next(l.split(":", 1)[1].strip() for l in f if l.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return "%s; %d CPUs (%s); Linux %s; load average %.1f" % (
        time.strftime("%Y-%m-%d %H:%M"), os.cpu_count(), model, os.uname().release,
        os.getloadavg()[0])


def write_reports(args, results, allocs, notes, rounds_done, elapsed, where):
    names = [a.name for a in allocs]
    others = [n for n in names if not n.startswith("kzmalloc") and n != "glibc"]
    out = args.out
    header = ["case", "metric", "unit"] + names + ["kz vs glibc", "kz vs jemalloc", "kz vs best"]
    md = ["Machine: %s at the start, %s at the end." % (where, machine().rsplit("; ", 1)[1]), ""]
    md.append("Medians of %d round%s; %s. Allocators: %s. Ratios are kzmalloc's gain "
              "(the other's value over kzmalloc's, or the inverse for throughput): above 1 "
              "kzmalloc leads, below 1 it trails; 'best' is the best of %s."
              % (rounds_done, "" if rounds_done == 1 else "s",
                 "quick mode" if args.quick else "full run, %.0f minutes" % (elapsed / 60),
                 ", ".join(names), ", ".join(others) or "none"))
    md.append("")
    csv_rows = [header]
    for group, title in SECTIONS:
        keys = [k for k in results.order if k[0] == group]
        if not keys:
            continue
        md.append("### " + title)
        md.append("")
        md.append("| " + " | ".join(header) + " |")
        md.append("|" + "---|" * len(header))
        for key in keys:
            unit, better = results.units[key]
            meds = [results.median(key, n) for n in names]
            best = None
            gains_vs_others = [gain(results, key, "kzmalloc", o) for o in others]
            if gains_vs_others and all(g for g in gains_vs_others):
                best = min(gains_vs_others)
            ratios = [gain(results, key, "kzmalloc", "glibc"),
                      gain(results, key, "kzmalloc", "jemalloc"), best]
            arrow = "↓" if better == LOWER else "↑"
            md.append("| %s | %s %s | %s | %s | %s |" % (
                key[1], key[2], arrow, unit, " | ".join(fmt(m) for m in meds),
                " | ".join("-" if r is None else "%.2f" % r for r in ratios)))
            csv_rows.append([key[1], key[2], unit] +
                            ["" if m is None else "%.6g" % m for m in meds] +
                            ["" if r is None else "%.4f" % r for r in ratios])
        md.append("")
    summary = summarize(results, names, others)
    md += summary
    if notes or results.failures:
        md.append("Notes:")
        md.append("")
        md += ["- " + n for n in notes]
        md += ["- round %d, %s, %s, %s: %s" % f for f in results.failures]
        md.append("")
    with open(os.path.join(out, "results.md"), "w") as f:
        f.write("\n".join(md))
    with open(os.path.join(out, "results.csv"), "w", newline="") as f:
        csv.writer(f).writerows(csv_rows)
    with open(os.path.join(out, "raw.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["round", "group", "case", "metric", "unit", "better", "allocator", "value"])
        w.writerows(results.raw)
    return md


# Shown in the table, left out of the summary and chart: RSS / live has peak
# RSS's ratios; wall time on a shared machine mostly measures the other jobs.
DERIVED = ("RSS / live", "wall time")
# Cases that allocate nothing (a memset), the same for every allocator: a yardstick for
# the others (clearing_table), left out of the summary and chart.
REFERENCE = ("memset/",)
# The columns of kzmalloc's modes that the summary's extra lines are about.
KZ_MODES = ("kzmalloc", "kzmalloc-none")


def summarized(key):
    return key[2] not in DERIVED and not key[1].startswith(REFERENCE)


def summarize(results, names, others):
    """Per section and metric: kzmalloc's geometric-mean gain, and its lead/trail count;
    then real programs against jemalloc, memory over budget, and the price of clearing."""
    lines = ["### Summary: kzmalloc's gain (geometric mean over the cases)", ""]
    cols = [n for n in names if n != "kzmalloc"]
    lines.append("| section | metric | cases | " + " | ".join("vs " + c for c in cols) +
                 " | leads / trails vs best |")
    lines.append("|" + "---|" * (4 + len(cols)))
    for group, title in SECTIONS:
        metrics = []
        for k in results.order:
            if k[0] == group and k[2] not in metrics and summarized(k):
                metrics.append(k[2])
        for metric in metrics:
            keys = [k for k in results.order
                    if k[0] == group and k[2] == metric and summarized(k)]
            gms = [geomean([gain(results, k, "kzmalloc", c) for k in keys]) for c in cols]
            lead = trail = 0
            for k in keys:
                g = [gain(results, k, "kzmalloc", o) for o in others]
                if g and all(g):
                    lead += min(g) > 1.05
                    trail += min(g) < 0.95
            lines.append("| %s | %s | %d | %s | %d / %d |" % (
                group, metric, len(keys),
                " | ".join("-" if g is None else "%.2f" % g for g in gms), lead, trail))
    lines.append("")
    lines.append("Leads / trails: cases where kzmalloc is more than 5%% better / worse than "
                 "every one of %s." % ", ".join(others) if others else
                 "Leads / trails: no peers in this run.")
    lines.append("")
    modes = [m for m in KZ_MODES if m in names]
    lines += programs_against(results, modes, "jemalloc")
    lines += rss_over_budget(results, modes)
    lines += clearing_table(results)
    return lines


def ratio(results, key, alloc, other):
    """alloc's median over other's (None if either is unknown)."""
    a, b = results.median(key, alloc), results.median(key, other)
    return a / b if a and b else None


def programs_against(results, modes, other):
    """The real programs' geometric means of kzmalloc's CPU time and peak RSS over other's."""
    if other not in {a for v in results.values.values() for a in v}:
        return []
    lines = []
    for mode in modes:
        parts = []
        for metric in ("CPU time", "peak RSS"):
            keys = [k for k in results.order if k[0] == "programs" and k[2] == metric]
            rs = [ratio(results, k, mode, other) for k in keys]
            rs = [r for r in rs if r]
            if rs:
                parts.append("%s %.2f x (%d programs)" % (metric, geomean(rs), len(rs)))
        if parts:
            lines.append("- %s over %s, real programs (geometric mean; below 1: %s needs less): "
                         "%s." % (mode, other, mode, ", ".join(parts)))
    return lines + [""] if lines else []


# The corpus's memory budget (tests/corpus): at most 1.5 x glibc's peak RSS + 8 MiB.
RSS_BUDGET = (1.5, 8.0)


def rss_over_budget(results, modes):
    """Cases (workloads, programs) where a kzmalloc mode's peak RSS is over the budget."""
    keys = [k for k in results.order if k[2] == "peak RSS"]
    if not keys or "glibc" not in {a for k in keys for a in results.values[k]}:
        return []
    lines = []
    for mode in modes:
        over = []
        for k in keys:
            mine, base = results.median(k, mode), results.median(k, "glibc")
            if mine and base and mine > RSS_BUDGET[0] * base + RSS_BUDGET[1]:
                over.append("%s %s (%s MiB against glibc's %s)" % (k[0], k[1], fmt(mine),
                                                                  fmt(base)))
        lines.append("- %s's peak RSS over %.1f x glibc's + %.0f MiB: %s." % (
            mode, RSS_BUDGET[0], RSS_BUDGET[1],
            "; ".join(over) if over else "none of %d cases" % len(keys)))
    return lines + [""]


def clearing_table(results):
    """pair/S in the default mode against none mode's pair/S plus one memset/S (kzmalloc's
    run of it): what clearing at free costs over the memset itself."""
    rows = []
    for key in results.order:
        if key[0] != "micro" or not key[1].startswith("memset/"):
            continue
        pair = ("micro", "pair/" + key[1].split("/", 1)[1], key[2])
        if pair not in results.values:
            continue
        kz, none = results.median(pair, "kzmalloc"), results.median(pair, "kzmalloc-none")
        clear = results.median(key, "kzmalloc")
        if kz and none and clear:
            rows.append("| %s | %s | %s | %s | %s | %.2f |" % (
                key[1].split("/", 1)[1], fmt(kz), fmt(none), fmt(clear), fmt(none + clear),
                kz / (none + clear)))
    if not rows:
        return []
    return ["### Clearing: the default mode's pair/S against none mode's pair/S plus one "
            "memset/S (ns)", "",
            "| size | kzmalloc | kzmalloc-none | memset | none + memset | "
            "kzmalloc / (none + memset) |", "|---|---|---|---|---|---|"] + rows + [""]


CHART_PANELS = [
    (("micro",), ("time",), "Micro cases, one thread: speed against glibc"),
    (("threads",), ("throughput",), "Threaded micro cases: throughput against glibc"),
    (("workloads", "programs"), ("CPU time", "throughput"),
     "Workloads and real programs: speed (CPU time; redis: requests/s) against glibc"),
    (("workloads", "programs"), ("peak RSS",), "Memory: peak RSS against glibc (up: less)"),
]


# One colour per allocator, the two kzmalloc modes far apart (a dark red and a teal); any other
# (a KZMALLOC_CHECK run, say) from the spare ones.
CHART_COLORS = {"jemalloc": "#4a7fc1", "mimalloc": "#5fad41", "tcmalloc": "#e8a317",
                "scudo": "#8c6bb1", "scudo-zero": "#c7b3e0", "kzmalloc": "#b2182b",
                "kzmalloc-none": "#17a2a2"}
CHART_SPARE = ["#666666", "#d95f02", "#e7298a", "#1b9e77"]


def chart_color(name):
    if name not in CHART_COLORS:
        CHART_COLORS[name] = CHART_SPARE[len(CHART_COLORS) % len(CHART_SPARE)]
    return CHART_COLORS[name]


def write_chart(args, results, allocs, notes):
    """chart.png: each allocator's gain over glibc per case, one panel per section."""
    for stale in os.listdir(args.out):
        if stale.startswith("chart"):
            os.unlink(os.path.join(args.out, stale))
    gnuplot = shutil.which("gnuplot")
    if not gnuplot:
        notes.append("no chart: gnuplot is missing (scripts/install-deps bench installs it)")
        return
    names = [a.name for a in allocs if a.name != "glibc"]
    panels = []
    for i, (groups, metrics, title) in enumerate(CHART_PANELS):
        keys = [k for k in results.order
                if k[0] in groups and k[2] in metrics and summarized(k)]
        if not keys:
            continue
        path = os.path.join(args.out, "chart-%d.dat" % (i + 1))
        with open(path, "w") as f:
            f.write("case " + " ".join(names) + "\n")
            for k in keys:
                g = [gain(results, k, n, "glibc") for n in names]
                f.write('"%s" %s\n' % (k[1], " ".join("?" if x is None else "%.4f" % x
                                                     for x in g)))
        panels.append((path, title, len(keys)))
    if not panels:
        return
    script = os.path.join(BENCH, "chart.gp")
    png = os.path.join(args.out, "chart.png")
    # Wide enough for some 6 pixels a bar in the panel with the most cases.
    width = max(1800, 120 + 6 * (len(names) + 1) * max(n for _, _, n in panels))
    note = ("quick run: one round, small sizes (not for comparison)" if args.quick else
            "%d rounds, allocators interleaved, medians; kzmalloc: KZMALLOC_INIT=free (the "
            "default), kzmalloc-none: KZMALLOC_INIT=none" % args.rounds)
    cmd = [gnuplot, "-e", "png='%s'; panels=%d; ncols=%d; width=%d; colors='%s'; note='%s'" % (
        png, len(panels), len(names), width, " ".join(chart_color(n) for n in names), note)]
    for i, (path, title, _) in enumerate(panels):
        cmd[-1] += "; file%d='%s'; title%d='%s'" % (i + 1, path, i + 1, title)
    cmd.append(script)
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode:
        notes.append("no chart: gnuplot failed: " + last_line(r.stderr))


# ---------------------------------------------------------------- main

def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--build", required=True, help="the build folder (bin/, lib/)")
    p.add_argument("--out", required=True, help="the output folder")
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--libdir", default=LIBDIR,
                   help="where jemalloc, mimalloc and tcmalloc are (default: Debian's; scudo "
                   "is found under /usr/lib/llvm-*)")
    p.add_argument("--quick", action="store_true", help="one round, few cases, small sizes")
    p.add_argument("--groups", default=",".join(g for g, _ in GROUPS),
                   help="comma-separated: " + ",".join(g for g, _ in GROUPS))
    p.add_argument("--filter", help="Google Benchmark filter for the micro cases")
    p.add_argument("--checks", action="store_true",
                   help="also kzmalloc with each KZMALLOC_CHECK (%s): what each costs; the "
                   "summary's 'vs kzmalloc-X' is X's slowdown" % ", ".join(CHECKS))
    p.add_argument("--allocators",
                   help="comma-separated names to run (glibc always runs: it is every table's "
                   "reference), e.g. jemalloc,kzmalloc,kzmalloc-guard with --checks")
    p.add_argument("--min-time", type=float, default=0.05,
                   help="seconds per micro case and round (Google Benchmark's min_time)")
    args = p.parse_args()
    if args.quick:
        args.rounds = 1
    os.makedirs(args.out, exist_ok=True)
    scratch = os.path.join(args.out, "work")
    os.makedirs(scratch, exist_ok=True)
    for stale in os.listdir(scratch):  # generated inputs are made afresh each run
        path = os.path.join(scratch, stale)
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path)
        else:
            os.unlink(path)

    notes = []
    if not os.path.exists(TIME):
        notes.append("%s is missing (scripts/install-deps bench installs it): a peak RSS "
                     "below the runner's own shows as the runner's" % TIME)
    allocs = find_allocators(args.build, args.libdir, notes, args.checks)
    if args.allocators:
        chosen = set(args.allocators.split(","))
        unknown = chosen - {a.name for a in allocs}
        if unknown:
            p.error("--allocators: not available: " + ", ".join(sorted(unknown)))
        allocs = [a for a in allocs if a.name == "glibc" or a.name in chosen]
    wanted = args.groups.split(",")
    groups = []
    for name, fn in GROUPS:
        if name not in wanted:
            continue
        missing = {"micro": [os.path.join(args.build, "bin", "kzbench")],
                   "workloads": [os.path.join(args.build, "bin", "kzwork")],
                   "python3": [PYTHON], "sqlite3": ["sqlite3"], "gcc": ["gcc"],
                   "redis": ["redis-server", "redis-benchmark", "redis-cli"], "git": ["git"],
                   "perl": ["perl"], "lua": [LUA], "jq": ["jq"]}[name]
        missing = [m for m in missing if not shutil.which(m)]
        if missing:
            notes.append("%s skipped: %s missing (scripts/install-deps bench installs it)"
                         % (name, ", ".join(missing)))
        else:
            groups.append((name, fn))
    for n in notes:
        print("bench: " + n, flush=True)

    results = Results()
    ctx = Context(args, results, scratch)
    where = machine()
    t0 = time.monotonic()
    for rnd in range(1, args.rounds + 1):
        for gname, fn in groups:
            for a in allocs:
                t = time.monotonic()
                print("bench: round %d/%d  %-9s %-13s" % (rnd, args.rounds, gname, a.name),
                      end="", flush=True)
                nfail, nraw = len(results.failures), len(results.raw)
                fn(ctx, a, rnd)
                if len(results.raw) == nraw and len(results.failures) == nfail:
                    results.fail(rnd, gname, "-", a.name, "nothing measured")
                fails = results.failures[nfail:]
                print(" %6.1f s" % (time.monotonic() - t), flush=True)
                for f in fails:
                    print("bench: FAILED: round %d, %s, %s, %s: %s" % f, file=sys.stderr,
                          flush=True)
    elapsed = time.monotonic() - t0
    write_chart(args, results, [a for a in allocs if "KZMALLOC_CHECK" not in a.env], notes)
    md = write_reports(args, results, allocs, notes, args.rounds, elapsed, where)
    print()
    print("\n".join(md))
    print("bench: %.1f minutes; wrote %s/results.md, results.csv, raw.csv%s"
          % (elapsed / 60, args.out,
             ", chart.png" if os.path.exists(os.path.join(args.out, "chart.png")) else ""))
    if results.failures:
        print("bench: %d failures (listed in the notes)" % len(results.failures), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
