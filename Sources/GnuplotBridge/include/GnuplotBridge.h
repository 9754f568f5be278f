// A plain C API over gnuplot-iostream, so Swift needs no C++ interop mode (DESIGN.md section 7).
//
// One session is one gnuplot child process: its standard input is a pipe this bridge writes
// commands to, its standard error goes to an unlinked temporary file that `dpq_gnuplot_close`
// hands back, and its standard output goes to a file the caller names (or /dev/null). SIGPIPE is
// ignored process-wide on the first open, so a gnuplot that dies turns into an error status on
// the next send instead of killing the host.
#ifndef DPQ_GNUPLOT_BRIDGE_H
#define DPQ_GNUPLOT_BRIDGE_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct dpq_gnuplot dpq_gnuplot;

/// What a bridge call reports; details go to the message buffer of the call that failed.
typedef enum dpq_gnuplot_status {
  DPQ_GNUPLOT_OK = 0,
  /// The executable does not exist or is not executable.
  DPQ_GNUPLOT_MISSING = 1,
  /// The process could not be started (pipe, temporary file or spawn failed for another reason).
  DPQ_GNUPLOT_START_FAILED = 2,
  /// gnuplot stopped reading: it exited or crashed. Close the session to learn why.
  DPQ_GNUPLOT_BROKEN_PIPE = 3,
  /// gnuplot did not exit within the timeout given to close; it was killed.
  DPQ_GNUPLOT_TIMEOUT = 4,
  /// A NULL handle or otherwise unusable argument.
  DPQ_GNUPLOT_INVALID_ARGUMENT = 5
} dpq_gnuplot_status;

/// Finds `executable` the way a shell would: a name containing '/' is used as given, otherwise
/// each directory of PATH is tried. Writes the full path (NUL-terminated) into `resolved` and
/// returns 1 when an executable regular file was found, 0 otherwise.
int dpq_gnuplot_find(const char *executable, char *resolved, size_t resolved_capacity);

/// Starts gnuplot (`executable`, resolved with `dpq_gnuplot_find`, run with --default-settings so
/// no init file applies) with its standard output sent
/// to `stdout_path` (NULL: /dev/null) and its standard error captured. On success stores the
/// session in `*session`; otherwise writes a message into `message` (may be NULL).
dpq_gnuplot_status dpq_gnuplot_open(const char *executable, const char *stdout_path,
                                    dpq_gnuplot **session, char *message, size_t message_capacity);

/// The child's process id (for diagnostics).
int dpq_gnuplot_pid(const dpq_gnuplot *session);

/// Writes `text` to gnuplot's input and flushes. A command needs its own trailing newline.
dpq_gnuplot_status dpq_gnuplot_send(dpq_gnuplot *session, const char *text);

/// Sends a `rows x columns` row-major table as inline data for a `plot '-'` command, followed by
/// gnuplot's end-of-data line `e`. For small tables only: gnuplot reads its input a byte at a
/// time, so large data should go through files.
dpq_gnuplot_status dpq_gnuplot_send_data(dpq_gnuplot *session, const double *values, size_t rows,
                                         size_t columns);

/// Closes gnuplot's input, waits up to `timeout_seconds` for it to exit (then kills it), and frees
/// the session. `*exit_status` gets the exit code, or 128 + signal number if it was killed by a
/// signal. `*error_output` (may be NULL) gets gnuplot's standard error as a NUL-terminated
/// string to release with `dpq_gnuplot_free`.
dpq_gnuplot_status dpq_gnuplot_close(dpq_gnuplot *session, double timeout_seconds, int *exit_status,
                                     char **error_output);

/// Releases a string returned by the bridge.
void dpq_gnuplot_free(char *text);

#ifdef __cplusplus
}
#endif

#endif
