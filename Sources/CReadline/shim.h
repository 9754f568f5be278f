// GNU Readline (line editing, history, completion) for the dpq REPL, plus two atomic helpers
// the REPL's SIGINT handler needs (Swift has no portable atomics for a plain Int32 in a signal
// handler). No state lives here: the helpers act on memory the caller owns.
#include <stdio.h>
#include <readline/readline.h>
#include <readline/history.h>

// C's standard streams: in Swift 6 `stdout` and `stderr` are mutable globals it will not touch.
static inline FILE *dpq_stdout(void) { return stdout; }
static inline FILE *dpq_stderr(void) { return stderr; }

static inline int dpq_atomic_load(const int *p) { return __atomic_load_n(p, __ATOMIC_SEQ_CST); }
static inline void dpq_atomic_store(int *p, int v) { __atomic_store_n(p, v, __ATOMIC_SEQ_CST); }
static inline int dpq_atomic_exchange(int *p, int v) { return __atomic_exchange_n(p, v, __ATOMIC_SEQ_CST); }
