# jobs_build.sh - sourced by corpus.sh and job.sh. The compilers on generated
# code: gcc -O2 on one big C file (600 functions), g++ on template-heavy C++, and make -j2 of
# a small C project (40 files); each program built is run, and its output is
# the job's stdout. The sources are generated once, without kzmalloc.
# shellcheck shell=bash disable=SC2154,SC2164 # sourced by job.sh: set -e, in, dir, m

corpus_inputs inputs_build
inputs_build() {
	local in=$KZ_CORPUS_IN
	# C: 600 small functions called through a table, and a big initialised table.
	awk -v n=600 'BEGIN {
		print "#include <stdio.h>\n"
		for (i = 0; i < n; i++)
			printf "static unsigned f%d(unsigned x)\n{\n\tunsigned a = x * %du + %du, b = a ^ (x >> %d);\n\n\tfor (int i = 0; i < %d; i++)\n\t\ta = a * 33u ^ b;\n\treturn a * 31u + b;\n}\n\n", i, i % 97 + 1, i, i % 29 + 1, i % 5 + 1
		print "static unsigned (*const table[])(unsigned) = {"
		for (i = 0; i < n; i++)
			printf "\tf%d,\n", i
		print "};\n\nstatic const unsigned data[] = {"
		for (i = 0; i < 5000; i++)
			printf "\t%du,\n", (i * 2654435761) % 4294967296
		print "};\n\nint main(void)\n{\n\tunsigned s = 1;\n"
		print "\tfor (unsigned i = 0; i < sizeof(table) / sizeof(table[0]); i++)"
		print "\t\ts = table[i](s + data[i]);\n\tprintf(\"c: %u\\n\", s);\n\treturn 0;\n}"
	}' >"$in/big.c"
	# C++: 6 types, each in a map, a vector sorted, an unordered_map and a std::function.
	awk -v n=6 'BEGIN {
		print "#include <algorithm>\n#include <cstdio>\n#include <functional>\n#include <map>"
		print "#include <memory>\n#include <string>\n#include <unordered_map>\n#include <vector>\n"
		print "template <typename T> static unsigned long work(int n)\n{"
		print "\tstd::map<std::string, std::vector<T>> m;\n\tstd::unordered_map<int, std::shared_ptr<T>> u;"
		print "\tfor (int i = 0; i < n; i++) {\n\t\tm[std::to_string(i % 97)].push_back(T(i));"
		print "\t\tu[i] = std::make_shared<T>(i * 3);\n\t}\n\tunsigned long s = 0;"
		print "\tfor (auto &kv : m) {\n\t\tstd::sort(kv.second.begin(), kv.second.end());"
		print "\t\tfor (auto &t : kv.second)\n\t\t\ts = s * 31 + t.key() + kv.first.size();\n\t}"
		print "\tfor (auto &kv : u)\n\t\ts += kv.second->key();\n\treturn s;\n}\n"
		for (i = 0; i < n; i++) {
			printf "struct T%d {\n\tint v;\n\tstd::string name;\n", i
			printf "\texplicit T%d(int x) : v(x * %d %% 1000), name(std::to_string(x) + \"_%d\") {}\n", i, i + 7, i
			printf "\tbool operator<(const T%d &o) const { return v < o.v || (v == o.v && name < o.name); }\n", i
			printf "\tunsigned long key() const { return v + name.size() * %d; }\n};\n\n", i + 1
		}
		print "int main()\n{\n\tstd::vector<std::function<unsigned long()>> fs;"
		for (i = 0; i < n; i++)
			printf "\tfs.push_back([] { return work<T%d>(%d); });\n", i, 500 + i * 10
		print "\tunsigned long s = 0;\n\tfor (auto &f : fs)\n\t\ts = s * 7 + f();"
		print "\tstd::printf(\"c++: %lu\\n\", s);\n\treturn 0;\n}"
	}' >"$in/big.cc"
	# make: 40 files of 100 functions, a header, main.c, and a Makefile.
	mkdir "$in/proj"
	awk -v dir="$in/proj" 'BEGIN {
		h = dir "/proj.h"
		for (f = 0; f < 40; f++) {
			printf "unsigned part%d(unsigned);\n", f >h
			out = dir "/part" f ".c"
			printf "#include \"proj.h\"\n\n" >out
			for (i = 0; i < 100; i++)
				printf "static unsigned g%d(unsigned x)\n{\n\treturn x * %du + %du;\n}\n\n", i, f * 100 + i + 1, i >out
			printf "unsigned part%d(unsigned x)\n{\n", f >out
			for (i = 0; i < 100; i++)
				printf "\tx = g%d(x);\n", i >out
			printf "\treturn x;\n}\n" >out
			close(out)
		}
		close(h)
		out = dir "/main.c"
		printf "#include <stdio.h>\n#include \"proj.h\"\n\nint main(void)\n{\n\tunsigned x = 1;\n\n" >out
		for (f = 0; f < 40; f++)
			printf "\tx = part%d(x);\n", f >out
		printf "\tprintf(\"make: %%u\\n\", x);\n\treturn 0;\n}\n" >out
		close(out)
		out = dir "/Makefile"
		printf "objs := main.o $(patsubst %%.c,%%.o,$(wildcard part*.c))\n\n" >out
		printf "prog: $(objs)\n\t$(CC) -o $@ $^\n\n%%.o: %%.c proj.h\n\t$(CC) -O2 -c -o $@ $<\n" >out
		close(out)
	}'
}

corpus_job gcc 120
job_gcc() {
	m gcc -O2 -o big "$in/big.c"
	./big
}

corpus_job gxx 180
job_gxx() {
	m g++ -O1 -std=c++17 -o big "$in/big.cc"
	./big
}

corpus_job make_j2 120
prep_make_j2() { cp -a "$in/proj" proj; }
job_make_j2() {
	cd proj
	m make -s -j2
	./prog
	m make -s -j2 # nothing left to do
}
