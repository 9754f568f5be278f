// Placeholder bridge: the plotting helper replaces this with the gnuplot-iostream implementation.
#include "GnuplotBridge.h"
#include <gnuplot-iostream.h>

struct dpq_gnuplot { Gnuplot *gp; };

extern "C" dpq_gnuplot *dpq_gnuplot_open(const char *command) {
  try {
    return new dpq_gnuplot{new Gnuplot(command)};
  } catch (...) {
    return nullptr;
  }
}
