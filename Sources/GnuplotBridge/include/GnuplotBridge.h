// A plain C API over gnuplot-iostream, so Swift needs no C++ interop mode (DESIGN.md section 7).
#ifndef DPQ_GNUPLOT_BRIDGE_H
#define DPQ_GNUPLOT_BRIDGE_H

#ifdef __cplusplus
extern "C" {
#endif

typedef struct dpq_gnuplot dpq_gnuplot;

/// Starts `command` (e.g. "gnuplot") as a child process; NULL when it cannot be started.
dpq_gnuplot *dpq_gnuplot_open(const char *command);

#ifdef __cplusplus
}
#endif

#endif
