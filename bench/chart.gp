# chart.gp - scripts/bench's chart (run.py calls it): one panel per section,
# one group of bars per case, one bar per allocator: its gain over glibc on a
# log2 axis (up: better than glibc, down: worse; time, throughput or memory).
#
# Variables (gnuplot -e): png, panels, ncols, width (pixels, default 1800),
# file1.., title1.. (each file: a header line of allocator names, then
# "case" gain gain ...; ? if missing).
if (!exists("width")) width = 1800
set terminal pngcairo size width, 420 * panels font "sans,10" noenhanced
set output png
set multiplot layout panels, 1
set style data histogram
set style histogram clustered gap 1
set style fill solid 0.85 noborder
set datafile missing "?"
set key top left horizontal
set grid ytics
set yrange [-4:4]
set ytics ("1/16" -4, "1/8" -3, "1/4" -2, "1/2" -1, "1" 0, "2" 1, "4" 2, "8" 3, "16" 4)
set ylabel "gain over glibc"
set xtics rotate by 30 right nomirror font "sans,9"
set bmargin 6
set colorsequence default
do for [i = 1:panels] {
	set title value(sprintf("title%d", i))
	plot for [c = 2:ncols + 1] value(sprintf("file%d", i)) \
		using (log(column(c)) / log(2)):xtic(1) title columnheader(c), \
		0 with lines lc "black" lw 1 notitle
}
unset multiplot
