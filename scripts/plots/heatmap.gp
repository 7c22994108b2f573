# heatmap.gp — needle depth × context length grid for one task (gkamradt layout: rows = depth %,
# columns = context length), red → yellow → green, cell labels in percent.
# Set by v4eval report with -e: datafile (x_index y_index score, NaN = not run), outfile,
# fmt ('png' | 'svg'), plottitle, xt / yt (tic lists like ("4K" 0, "8K" 1)), nx, ny.
if (fmt eq 'svg') { set terminal svg size 900,600 dynamic font 'Sans,11' } else { set terminal pngcairo size 900,600 font 'Sans,10' }
set output outfile
set title plottitle noenhanced
set xlabel 'context length (tokens)'
set ylabel 'needle depth (%)'
set palette defined (0 '#d7191c', 50 '#fdae61', 75 '#ffffbf', 100 '#1a9641')
set cbrange [0:100]
set cblabel 'score (%)'
set xtics @xt
set ytics @yt
set xrange [-0.5:nx-0.5]
set yrange [-0.5:ny-0.5]
set tics scale 0
set datafile missing 'NaN'
plot datafile using 1:2:3 with image notitle, \
     '' using 1:2:($3 == $3 ? sprintf('%.0f', $3) : '') with labels notitle
