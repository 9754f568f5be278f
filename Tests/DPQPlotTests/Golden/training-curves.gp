# dpq figure: Training curves
set encoding utf8
if (strstrt(GPVAL_TERMINALS, ' pngcairo ') > 0) {
  set terminal pngcairo size 860,560 noenhanced font 'Sans,11' background rgb 'white'
} else {
  set terminal png size 860,560 truecolor noenhanced font 'Sans,11' background rgb 'white'
}
set output '/OUT/figure.png'

# panel 1: Training curves
set style fill solid 1 noborder
set style line 100 lc rgb '#dddddd' lw 1 dt 1
set grid back ls 100
set title 'Training curves' font ',12'
set xlabel 'epoch'
set xtics ('1' 1, '2' 2, '3' 3, '4' 4, '5' 5)
set ylabel 'loss'
set ytics nomirror
set y2tics
set y2label 'accuracy'
set y2range [0:1]
set key below center horizontal maxcols 4 noenhanced opaque box lc rgb '#bbbbbb' samplen 2 spacing 1.1 Left reverse
set bmargin 6.1
plot '/DATA/panel-1.dat' index 0 using 1:2 with linespoints lw 2 dt 1 pt 7 ps 0.6 lc rgb '#1f77b4' title 'classification', \
     '/DATA/panel-1.dat' index 1 using 1:2 with linespoints lw 2 dt 1 pt 7 ps 0.6 lc rgb '#ff7f0e' title 'quantization (soft)', \
     '/DATA/panel-1.dat' index 2 using 1:2 with linespoints lw 2 dt 1 pt 7 ps 0.6 lc rgb '#2ca02c' title 'quantization (hard)', \
     '/DATA/panel-1.dat' index 3 using 1:2 with linespoints lw 2 dt 1 pt 7 ps 0.6 lc rgb '#d62728' title 'triplet', \
     '/DATA/panel-1.dat' index 4 using 1:2 axes x1y2 with linespoints lw 2 dt 2 pt 5 ps 0.6 lc rgb '#9467bd' title 'train accuracy', \
     '/DATA/panel-1.dat' index 5 using 1:2 axes x1y2 with linespoints lw 2 dt 2 pt 5 ps 0.6 lc rgb '#8c564b' title 'validation accuracy'

unset output
