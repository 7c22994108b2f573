# length.gp — score vs context length, one line per task plus the mean over tasks, with RULER's
# threshold (dashed horizontal line) and the effective length of the mean (the longest length
# whose mean score is at or above the threshold; dotted vertical line).
# Set by v4eval report with -e: datafile (blocks separated by two blank lines: length score
# stderr, all in percent), outfile, fmt, plottitle, nblocks, titles (space-separated block
# names, the last is the mean), xt (tic list like ("4K" 4096, "8K" 8192)), threshold,
# efflen (0 = no length reaches the threshold).
if (fmt eq 'svg') { set terminal svg size 900,600 dynamic font 'Sans,11' } else { set terminal pngcairo size 900,600 font 'Sans,10' }
set output outfile
set title plottitle noenhanced
set key outside right noenhanced
set logscale x 2
set xtics @xt
set offsets graph 0.04, graph 0.04, 0, 0
set xlabel 'context length (tokens)'
set ylabel 'score (%)'
set yrange [0:105]
set grid ytics lc rgb '#dddddd'
set arrow 1 from graph 0, first threshold to graph 1, first threshold nohead dt 2 lw 1.5 lc rgb '#555555'
set label 1 sprintf('threshold %.1f', threshold) at graph 0.01, first threshold + 2.5 tc rgb '#555555'
if (efflen > 0) { set arrow 2 from first efflen, graph 0 to first efflen, graph 1 nohead dt 3 lw 2 lc rgb '#1a9641'; set label 2 sprintf('effective length %d', efflen) at first efflen, graph 0.06 right offset -0.5, 0 tc rgb '#1a9641' }
plot for [i = 0:nblocks - 2] datafile index i using 1:2:3 with yerrorlines lw 1.5 pt 7 ps 0.8 title word(titles, i + 1), \
     datafile index (nblocks - 1) using 1:2:3 with yerrorlines lw 3.5 pt 5 lc rgb 'black' title word(titles, nblocks)
