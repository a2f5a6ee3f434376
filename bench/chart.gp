# chart.gp - scripts/bench's chart (run.py calls it): one panel per section,
# one group of bars per case, one bar per allocator: its gain over glibc on a
# log2 axis (up: better than glibc, down: worse; time, throughput or memory).
# Every bar ends in a dot, so a tie with glibc (1.00, no height) still shows;
# a gain beyond 16x either way is drawn to the edge, its dot hollow and its
# factor written beside it.
#
# Variables (gnuplot -e): png, panels, ncols, width (pixels, default 1800),
# colors (one per column, space-separated), note (a line under each title, e.g.
# that the run was a quick one), file1.., title1.. (each file: a header line of
# allocator names, then "case" gain gain ...; ? if missing).
if (!exists("width")) width = 1800
if (!exists("note")) note = ""
set terminal pngcairo size width, 420 * panels font "sans,10" noenhanced
set output png
set multiplot layout panels, 1
set style data histogram
set style histogram clustered gap 1
set style fill solid 0.85 noborder
set datafile missing "?"
set key top left horizontal
set grid ytics
edge = 4
set yrange [-edge - 0.3:edge + 0.3]
set ytics ("1/16" -4, "1/8" -3, "1/4" -2, "1/2" -1, "1" 0, "2" 1, "4" 2, "8" 3, "16" 4)
set ylabel "gain over glibc"
set xtics rotate by 30 right nomirror font "sans,9"
set bmargin 6
do for [c = 1:ncols] {
	set linetype c lc rgb word(colors, c)
}
# Bar c (1-based) of case i (0-based): clustered histograms give each bar 1 / (ncols + gap) of a
# unit. The dots and labels read the header line as a row of their own: $0 - 1 is the case.
barx(i, c) = i + (c - 0.5 - ncols / 2.0) / (ncols + 1)
lg(g) = log(g) / log(2)
clip(y) = y > edge ? edge : (y < -edge ? -edge : y)
clipped(y) = abs(y) > edge
factor(g) = g >= 1 ? sprintf("x%.0f", g) : sprintf("x1/%.0f", 1 / g)
do for [i = 1:panels] {
	set title value(sprintf("title%d", i)) . (note eq "" ? "" : "\n" . note)
	plot for [c = 2:ncols + 1] value(sprintf("file%d", i)) \
		using (clip(lg(column(c)))):xtic(1) title columnheader(c) lt (c - 1), \
	     for [c = 2:ncols + 1] value(sprintf("file%d", i)) \
		using (barx($0 - 1, c - 1)):(clipped(lg(column(c))) ? NaN : lg(column(c))) \
		with points pt 7 ps 0.6 lt (c - 1) notitle, \
	     for [c = 2:ncols + 1] value(sprintf("file%d", i)) \
		using (barx($0 - 1, c - 1)):(clipped(lg(column(c))) ? clip(lg(column(c))) : NaN) \
		with points pt 6 ps 1.2 lw 1.5 lt (c - 1) notitle, \
	     for [c = 2:ncols + 1] value(sprintf("file%d", i)) \
		using (barx($0 - 1, c - 1)):(lg(column(c)) > edge ? edge : NaN):(factor(column(c))) \
		with labels rotate by 90 right font "sans,7" offset 0, -0.8 notitle, \
	     for [c = 2:ncols + 1] value(sprintf("file%d", i)) \
		using (barx($0 - 1, c - 1)):(lg(column(c)) < -edge ? -edge : NaN):(factor(column(c))) \
		with labels rotate by 90 left font "sans,7" offset 0, 0.8 notitle, \
		0 with lines lc "black" lw 1 notitle
}
unset multiplot
