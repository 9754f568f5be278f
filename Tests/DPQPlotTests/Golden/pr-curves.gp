# dpq figure: Precision-recall
set encoding utf8
if (strstrt(GPVAL_TERMINALS, ' pngcairo ') > 0) {
  set terminal pngcairo size 800,560 noenhanced font 'Sans,11' background rgb 'white'
} else {
  set terminal png size 800,560 truecolor noenhanced font 'Sans,11' background rgb 'white'
}
set output '/OUT/figure.png'

# panel 1: Precision-recall
set style fill solid 1 noborder
set style line 100 lc rgb '#dddddd' lw 1 dt 1
set grid back ls 100
set title 'Precision-recall' font ',12'
set xlabel 'recall'
set xrange [0:1]
set ylabel 'precision'
set yrange [0:1]
set key top right noenhanced opaque box lc rgb '#bbbbbb' samplen 2 spacing 1.1 Left reverse
plot '/DATA/panel-1.dat' index 0 using 1:2 with lines lw 2 dt 4 lc rgb '#d55e00' title 'DPQ 16 bits', \
     '/DATA/panel-1.dat' index 1 using 1:2 with lines lw 2 dt 1 lc rgb '#d55e00' title 'DPQ 32 bits', \
     '/DATA/panel-1.dat' index 2 using 1:2 with lines lw 2 dt 4 lc rgb '#0072b2' title 'PQ 16 bits', \
     '/DATA/panel-1.dat' index 3 using 1:2 with lines lw 2 dt 1 lc rgb '#0072b2' title 'PQ 32 bits'

unset output
