# bars.gp — per-suite bars: each task's mean score over all its lengths and depths, with its
# standard error, and the suite's macro average as the last bar.
# Set by v4eval report with -e: datafile (label score stderr, percent), outfile, fmt,
# plottitle.
if (fmt eq 'svg') { set terminal svg size 900,600 dynamic font 'Sans,11' } else { set terminal pngcairo size 900,600 font 'Sans,10' }
set output outfile
set title plottitle noenhanced
set style data histograms
set style histogram errorbars gap 1 lw 1
set style fill solid 0.85 border -1
set boxwidth 0.8
set yrange [0:105]
set ylabel 'score (%)'
set grid ytics lc rgb '#dddddd'
set xtics rotate by -35 noenhanced
set key off
plot datafile using 2:3:xtic(1) lc rgb '#2c7bb6'
