// gnuplot sessions for Swift: the process is started here with posix_spawn (no shell, so paths
// need no quoting and a missing binary is reported as such), and gnuplot-iostream's `Gnuplot`
// stream is wrapped around the write end of its input pipe for commands and inline data.
#include "GnuplotBridge.h"

#include <gnuplot-iostream.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <mutex>
#include <spawn.h>
#include <string>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

extern char **environ;

struct dpq_gnuplot {
  Gnuplot *stream;  // owns the FILE* on the pipe's write end; deleting it closes gnuplot's input
  pid_t pid;
  int error_fd;     // unlinked temporary file that receives gnuplot's standard error
};

namespace {

void write_message(char *buffer, size_t capacity, const std::string &text) {
  if (buffer == nullptr || capacity == 0) return;
  size_t n = text.size() < capacity - 1 ? text.size() : capacity - 1;
  std::memcpy(buffer, text.data(), n);
  buffer[n] = '\0';
}

bool is_executable_file(const std::string &path) {
  struct stat info;
  return stat(path.c_str(), &info) == 0 && S_ISREG(info.st_mode) && access(path.c_str(), X_OK) == 0;
}

/// Ignore SIGPIPE once for the whole process: writing to a gnuplot that has exited must come back
/// as EPIPE, not terminate the host (DESIGN.md section 7).
void ignore_sigpipe_once() {
  static std::once_flag once;
  std::call_once(once, [] { std::signal(SIGPIPE, SIG_IGN); });
}

/// A temporary file for gnuplot's standard error, unlinked at once so nothing is left behind even
/// if the host crashes; the descriptor stays valid until closed.
int make_error_file() {
  const char *dir = std::getenv("TMPDIR");
  std::string pattern = std::string(dir && dir[0] ? dir : "/tmp") + "/dpq-gnuplot-stderr-XXXXXX";
  std::vector<char> name(pattern.begin(), pattern.end());
  name.push_back('\0');
  int fd = mkostemp(name.data(), O_CLOEXEC);
  if (fd >= 0) unlink(name.data());
  return fd;
}

std::string read_all(int fd) {
  std::string text;
  char chunk[4096];
  off_t offset = 0;
  for (;;) {
    ssize_t n = pread(fd, chunk, sizeof chunk, offset);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    text.append(chunk, static_cast<size_t>(n));
    offset += n;
  }
  return text;
}

int decode_wait_status(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

}  // namespace

extern "C" int dpq_gnuplot_find(const char *executable, char *resolved, size_t resolved_capacity) {
  if (executable == nullptr || executable[0] == '\0') return 0;
  std::string name(executable);
  if (name.find('/') != std::string::npos) {
    if (!is_executable_file(name)) return 0;
    write_message(resolved, resolved_capacity, name);
    return 1;
  }
  const char *path_env = std::getenv("PATH");
  std::string path = path_env && path_env[0] ? path_env : "/usr/local/bin:/usr/bin:/bin";
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find(':', start);
    if (end == std::string::npos) end = path.size();
    std::string dir = path.substr(start, end - start);
    std::string candidate = (dir.empty() ? std::string(".") : dir) + "/" + name;
    if (is_executable_file(candidate)) {
      write_message(resolved, resolved_capacity, candidate);
      return 1;
    }
    start = end + 1;
  }
  return 0;
}

extern "C" dpq_gnuplot_status dpq_gnuplot_open(const char *executable, const char *stdout_path,
                                               dpq_gnuplot **session, char *message,
                                               size_t message_capacity) {
  if (session == nullptr || executable == nullptr) {
    write_message(message, message_capacity, "no executable or session pointer given");
    return DPQ_GNUPLOT_INVALID_ARGUMENT;
  }
  *session = nullptr;
  ignore_sigpipe_once();

  char resolved[4096];
  if (!dpq_gnuplot_find(executable, resolved, sizeof resolved)) {
    write_message(message, message_capacity, std::string("no executable named '") + executable + "'");
    return DPQ_GNUPLOT_MISSING;
  }

  int pipe_fds[2];
  // O_CLOEXEC: a gnuplot started concurrently by another thread must not inherit this pipe's
  // write end, or this gnuplot would never see end of input.
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) {
    write_message(message, message_capacity, std::string("cannot create a pipe: ") + std::strerror(errno));
    return DPQ_GNUPLOT_START_FAILED;
  }
  int error_fd = make_error_file();
  if (error_fd < 0) {
    write_message(message, message_capacity,
                  std::string("cannot create a temporary file for gnuplot's errors: ") + std::strerror(errno));
    close(pipe_fds[0]);
    close(pipe_fds[1]);
    return DPQ_GNUPLOT_START_FAILED;
  }

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[0], STDIN_FILENO);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, stdout_path ? stdout_path : "/dev/null",
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&actions, error_fd, STDERR_FILENO);

  // The child gets default signal handling (SIGPIPE included) and an empty signal mask.
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  sigset_t defaults, empty;
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGPIPE);
  sigemptyset(&empty);
  posix_spawnattr_setsigdefault(&attributes, &defaults);
  posix_spawnattr_setsigmask(&attributes, &empty);
  // Its own process group: a Ctrl-C at the terminal goes to the foreground group, and gnuplot
  // dying of it before dpq saw the stop request was reported as "gnuplot stopped unexpectedly"
  // (20-35 % of presses while a figure was drawn). dpq stops gnuplot itself when asked to.
  posix_spawnattr_setpgroup(&attributes, 0);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETPGROUP);

  // --default-settings: a user's ~/.gnuplot or system gnuplotrc must not restyle dpq's figures.
  char default_settings[] = "--default-settings";
  char *argv[] = {resolved, default_settings, nullptr};
  pid_t pid = 0;
  int spawn_error = posix_spawn(&pid, resolved, &actions, &attributes, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  close(pipe_fds[0]);

  if (spawn_error != 0) {
    close(pipe_fds[1]);
    close(error_fd);
    bool missing = spawn_error == ENOENT || spawn_error == EACCES || spawn_error == ENOEXEC;
    write_message(message, message_capacity,
                  std::string("cannot start '") + resolved + "': " + std::strerror(spawn_error));
    return missing ? DPQ_GNUPLOT_MISSING : DPQ_GNUPLOT_START_FAILED;
  }

  FILE *input = fdopen(pipe_fds[1], "w");
  if (input == nullptr) {
    close(pipe_fds[1]);
    close(error_fd);
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
    write_message(message, message_capacity, std::string("fdopen failed: ") + std::strerror(errno));
    return DPQ_GNUPLOT_START_FAILED;
  }
  try {
    *session = new dpq_gnuplot{new Gnuplot(input), pid, error_fd};
  } catch (const std::exception &e) {
    fclose(input);
    close(error_fd);
    waitpid(pid, nullptr, 0);
    write_message(message, message_capacity, std::string("cannot attach gnuplot-iostream: ") + e.what());
    return DPQ_GNUPLOT_START_FAILED;
  }
  return DPQ_GNUPLOT_OK;
}

extern "C" int dpq_gnuplot_pid(const dpq_gnuplot *session) { return session ? session->pid : -1; }

extern "C" dpq_gnuplot_status dpq_gnuplot_send(dpq_gnuplot *session, const char *text) {
  if (session == nullptr || text == nullptr) return DPQ_GNUPLOT_INVALID_ARGUMENT;
  try {
    *session->stream << text;
    session->stream->flush();
  } catch (...) {
    return DPQ_GNUPLOT_BROKEN_PIPE;
  }
  return session->stream->good() ? DPQ_GNUPLOT_OK : DPQ_GNUPLOT_BROKEN_PIPE;
}

extern "C" dpq_gnuplot_status dpq_gnuplot_send_data(dpq_gnuplot *session, const double *values,
                                                    size_t rows, size_t columns) {
  if (session == nullptr || (values == nullptr && rows * columns > 0)) return DPQ_GNUPLOT_INVALID_ARGUMENT;
  std::vector<std::vector<double>> table(rows, std::vector<double>(columns));
  for (size_t r = 0; r < rows; ++r)
    for (size_t c = 0; c < columns; ++c) table[r][c] = values[r * columns + c];
  try {
    session->stream->send1d(table);  // one line per row, then "e"
  } catch (...) {
    return DPQ_GNUPLOT_BROKEN_PIPE;
  }
  return session->stream->good() ? DPQ_GNUPLOT_OK : DPQ_GNUPLOT_BROKEN_PIPE;
}

extern "C" dpq_gnuplot_status dpq_gnuplot_close(dpq_gnuplot *session, double timeout_seconds,
                                                int *exit_status, char **error_output) {
  if (session == nullptr) return DPQ_GNUPLOT_INVALID_ARGUMENT;
  // Deleting the stream flushes and fcloses the pipe: gnuplot sees end of input and exits.
  try {
    delete session->stream;
  } catch (...) {
  }
  dpq_gnuplot_status result = DPQ_GNUPLOT_OK;
  int status = 0;
  struct timespec start;
  clock_gettime(CLOCK_MONOTONIC, &start);
  long sleep_ns = 200000;  // 0.2 ms, doubling up to 20 ms
  for (;;) {
    pid_t done = waitpid(session->pid, &status, WNOHANG);
    if (done == session->pid) break;
    if (done < 0 && errno != EINTR) { status = -1; break; }
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    double elapsed = double(now.tv_sec - start.tv_sec) + 1e-9 * double(now.tv_nsec - start.tv_nsec);
    if (elapsed > timeout_seconds) {
      kill(session->pid, SIGKILL);
      while (waitpid(session->pid, &status, 0) < 0 && errno == EINTR) {}
      result = DPQ_GNUPLOT_TIMEOUT;
      break;
    }
    struct timespec pause = {0, sleep_ns};
    nanosleep(&pause, nullptr);
    if (sleep_ns < 20000000) sleep_ns *= 2;
  }
  if (exit_status) *exit_status = status == -1 ? -1 : decode_wait_status(status);
  if (error_output) {
    std::string text = read_all(session->error_fd);
    char *copy = static_cast<char *>(std::malloc(text.size() + 1));
    if (copy) {
      std::memcpy(copy, text.data(), text.size());
      copy[text.size()] = '\0';
    }
    *error_output = copy;
  }
  close(session->error_fd);
  delete session;
  return result;
}

extern "C" void dpq_gnuplot_free(char *text) { std::free(text); }
